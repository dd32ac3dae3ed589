"""Pure formatting of answers and hits for people (no I/O): terminal text and Telegram HTML."""

import html
import re
import unicodedata
from typing import Any
from urllib.parse import urlsplit

from retrieval.answer import Answer, Citation
from retrieval.questions import has_chinese
from retrieval.search import Hit


def _byline(source: str | None, date: str | None) -> str:
    return " · ".join(p for p in (source, date) if p) or "来源不详"


def _rewritten(reply: Answer) -> bool:
    return bool(reply.standalone_question) and reply.standalone_question != reply.question


def rewrite_label(reply: Answer) -> str:
    """What precedes the searched form of a rewritten question: 理解为, and in English too for a question asked in
    another language (it was searched as its Chinese words)."""
    return "理解为：" if has_chinese(reply.question) else "理解为 (searched in Chinese as)："


def render_text(reply: Answer) -> str:
    """An answer for a terminal: the short answer first, the text with [n] markers, then the numbered sources."""
    lines = [f"{rewrite_label(reply)}{reply.standalone_question}"] if _rewritten(reply) else []
    lines += [f"答：{reply.short_answer}", ""] if reply.short_answer and not reply.abstained else []
    lines += [reply.answer, ""]
    lines.append("最接近的段落：" if reply.abstained else "来源：")
    for c in reply.citations:
        lines.append(f"[{c.n}] {c.title}（{_byline(c.source, c.date)}）")
        if _web_url(c.url):  # a terminal may make any URL clickable: show web addresses only
            lines.append(f"    {c.url}")
        if c.quote:
            lines.append(f"    引文：{c.quote}")
    return "\n".join(lines).rstrip()


def render_hits_text(hits: list[Hit], width: int = 120) -> str:
    """Ranked passages for a terminal, one block per hit."""
    if not hits:
        return "没有找到相关段落。"
    blocks = []
    for h in hits:
        text = h.text.replace("\n", " ")
        snippet = text if len(text) <= width else text[: width - 1] + "…"
        blocks.append(f"{h.rank:>2}. {h.title}（{_byline(h.source, h.date)}）score={h.score:.3f}\n    {snippet}")
    return "\n".join(blocks)


# ---------------------------------------------------------------- Telegram (HTML parse mode)

#: Telegram's limit on a message, counted in UTF-16 code units of the text after entity parsing
MESSAGE_LIMIT = 4096

# A tag, a character entity, or one character: the atoms a message is never split inside.
_ATOM = re.compile(r"<[^<>]*>|&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);|[\s\S]")
_TAG = re.compile(r"<(/?)([a-zA-Z][\w-]*)")
_SENTENCE_END = re.compile(r"[。！？!?；;…](?:[”’」』）)\]】》\"']|\[\d+\])*$")
_CLOSERS = "”’」』）)]】》\"'"
_CLAUSE_END = "，,、：:"
# Characters that belong to the character before them (emoji sequences, combining marks).
_JOINERS = "\u200d\ufe0f\ufe0e"
_EMPTY_PAIR = re.compile(r"<([a-zA-Z][\w-]*)\b[^<>]*>(\s*)</\1>")
# Break kinds, best last: a clause or space, a sentence end, a line end, a paragraph end.
_CLAUSE, _SENTENCE, _LINE, _PARAGRAPH = 1, 2, 3, 4


def escape_html(text: str) -> str:
    """Text safe inside Telegram HTML (and inside a quoted attribute)."""
    return html.escape(text, quote=True)


def utf16_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP counts twice)."""
    return len(text.encode("utf-16-le")) // 2


def visible_text(markup: str) -> str:
    """What the reader sees of a Telegram HTML message: tags removed, entities decoded."""
    return html.unescape(re.sub(r"<[^<>]*>", "", markup))


def _is_tag(atom: str) -> bool:
    return len(atom) > 1 and atom[0] == "<"


def _char(atom: str) -> str:
    return html.unescape(atom) if len(atom) > 1 else atom


def _next_char(atoms: list[str], i: int) -> str:
    for atom in atoms[i:]:
        if not _is_tag(atom):
            return _char(atom)[:1]
    return ""


def _break_after(recent: str, following: str) -> int:
    """How good a place to split the text just after `recent` is (0: not a place at all)."""
    last = recent[-1]
    if last == "\n":
        return _PARAGRAPH if recent.endswith("\n\n") else _LINE
    # A sentence ends after its closing quotes and its citation markers, not before them.
    if _SENTENCE_END.search(recent) and following not in _CLOSERS and following != "[":
        return _SENTENCE
    if last == "." and following.isspace():  # an English sentence
        return _SENTENCE
    if (last in _CLAUSE_END or last.isspace()) and following not in _CLOSERS:
        return _CLAUSE
    return 0


def _closing(open_tag: str) -> str:
    match = _TAG.match(open_tag)
    return f"</{match.group(2)}>" if match else ""


def _cut(atoms: list[str], start: int, opened: list[str], limit: int) -> tuple[int, list[str]]:
    """Where the part starting at `start` ends (the index of its first atom not taken) and the tags open there."""
    stack = list(opened)
    size = 0
    recent = ""
    breaks: dict[int, tuple[int, int, list[str]]] = {}  # kind → (size, index, open tags) of its latest place
    safe: tuple[int, list[str]] | None = None  # latest place that does not split a character sequence
    i = start
    while i < len(atoms):
        atom = atoms[i]
        if _is_tag(atom):
            name = _TAG.match(atom)
            if name and name.group(1):
                if stack and _closing(stack[-1]) == f"</{name.group(2)}>":
                    stack.pop()
            elif name:
                stack.append(atom)
            i += 1
            continue
        char = _char(atom)
        width = utf16_length(char)
        if size + width > limit:
            break
        size += width
        recent = (recent + char)[-12:]
        i += 1
        following = _next_char(atoms, i)
        kind = _break_after(recent, following)
        if kind:
            breaks[kind] = (size, i, list(stack))
        if char not in _JOINERS and following[:1] not in _JOINERS and not unicodedata.combining(following[:1] or " "):
            safe = (i, list(stack))
    else:
        return len(atoms), stack
    # Prefer the strongest kind of break that still fills at least half the message; else any break; else a hard cut.
    full = [(kind, place) for kind, place in breaks.items() if place[0] >= limit // 2]
    chosen = max(full or breaks.items(), key=lambda kv: kv[0], default=None)
    if chosen is not None:
        _, (_, index, tags) = chosen
        return index, tags
    if safe is not None:
        return safe
    return max(i, start + 1), stack


def _tidy(part: str) -> str:
    previous = None
    while previous != part:
        previous, part = part, _EMPTY_PAIR.sub(r"\2", part)
    return part.strip()


def split_html(markup: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split Telegram HTML into messages of at most `limit` visible characters, at paragraph, line, sentence or clause
    ends when there is one (never inside a tag or an entity); tags open at a split are closed and reopened."""
    atoms = _ATOM.findall(markup)
    parts: list[str] = []
    start = 0
    opened: list[str] = []
    while start < len(atoms):
        end, still_open = _cut(atoms, start, opened, limit)
        part = _tidy("".join(opened) + "".join(atoms[start:end]) + "".join(_closing(t) for t in reversed(still_open)))
        if visible_text(part).strip():
            parts.append(part)
        start, opened = end, still_open
    return parts


def _web_url(url: str | None) -> str | None:
    # Only web links: Telegram refuses other schemes, and a javascript: link must never reach a reader.
    try:
        return url if url and urlsplit(url).scheme.lower() in ("http", "https") else None
    except ValueError:
        return None


def _link(title: str, url: str | None) -> str:
    web = _web_url(url)
    return f'<a href="{escape_html(web)}">{escape_html(title)}</a>' if web else escape_html(title)


def _source_lines(citations: list[Citation]) -> list[str]:
    # Passages of one article share a line ([1][3] title …): the reader sees each article once.
    by_article: dict[str, list[Citation]] = {}
    for c in citations:
        by_article.setdefault(c.article_id, []).append(c)
    return [
        f"{''.join(f'[{c.n}]' for c in group)} {_link(group[0].title or '无标题', group[0].url)} · "
        f"{escape_html(_byline(group[0].source, group[0].date))}"
        for group in by_article.values()
    ]


def render_telegram(reply: Answer, limit: int = MESSAGE_LIMIT) -> list[str]:
    """An answer as Telegram HTML messages: the text with [n] markers, then the numbered sources (title linked to the
    original, outlet, date), the short answer first in bold; an abstention says so and lists the nearest sources.
    Split to fit `limit`."""
    lines = [f"<i>{rewrite_label(reply)}{escape_html(reply.standalone_question or '')}</i>"] if _rewritten(reply) else []
    lines += [f"<b>{escape_html(reply.short_answer)}</b>", ""] if reply.short_answer and not reply.abstained else []
    lines.append(escape_html(reply.answer))
    if reply.citations:
        lines.append("")
        lines.append("<b>最接近的来源</b>（可能有帮助，但不足以回答这个问题）：" if reply.abstained else "<b>来源</b>")
        lines.extend(_source_lines(reply.citations))
    return split_html("\n".join(lines), limit)


def _highlight(passage: str, quote: str) -> str:
    """The passage, escaped, with the quoted sentences in bold."""
    spans: list[tuple[int, int]] = []
    for piece in re.findall(r"[^。！？!?；;…]+[。！？!?；;…]*", quote):
        piece = piece.strip()
        at = passage.find(piece) if len(piece) >= 2 else -1
        if at >= 0:
            spans.append((at, at + len(piece)))
    out: list[str] = []
    pos = 0
    for s, e in sorted(spans):
        if s < pos:
            continue
        out.append(escape_html(passage[pos:s]))
        out.append(f"<b>{escape_html(passage[s:e])}</b>")
        pos = e
    out.append(escape_html(passage[pos:]))
    return "".join(out)


def render_passage(c: Citation) -> str:
    """A cited passage for Telegram HTML: number and title, outlet and date, the passage with the quote in bold."""
    web = _web_url(c.url)
    original = f' · <a href="{escape_html(web)}">原文</a>' if web else ""
    return (
        f"<b>[{c.n}] {escape_html(c.title or '无标题')}</b>\n"
        f"{escape_html(_byline(c.source, c.date))}{original}\n"
        f"<blockquote>{_highlight(c.passage, c.quote)}</blockquote>"
    )


def _corpus_line(summary: dict[str, Any]) -> str:
    dates = (
        f"，时间从 {summary['date_from']} 到 {summary['date_to']}" if summary.get("date_from") and summary.get("date_to") else ""
    )
    return f"共 {summary.get('articles', 0)} 篇新闻文章{escape_html(dates)}"


def _outlets(summary: dict[str, Any], most: int) -> str:
    sources: list[str] = list(summary.get("sources") or [])
    shown = "、".join(escape_html(s) for s in sources[:most]) or "来源不详"
    return shown + (f" 等 {len(sources)} 家" if len(sources) > most else "")


def render_help(summary: dict[str, Any], bot_username: str | None, max_question_chars: int, minutes: float = 30) -> str:
    """The /start and /help text: what the bot knows (articles, outlets, dates) and how to ask, in Telegram HTML."""
    mention = f"@{escape_html(bot_username)} " if bot_username else ""
    return "\n".join(
        [
            "你好！我根据新闻语料库回答问题，每个回答都注明出处。",
            "",
            "<b>我知道什么</b>",
            f"{_corpus_line(summary)}，来自 {_outlets(summary, 5)}。",
            "",
            "<b>怎么问</b>",
            "• 私聊：直接发送问题，例如「自治区高院院长是谁？」；可以接着追问（如「他在会上说了什么？」），"
            f"{minutes:g} 分钟内的问题接着上文理解，/new 开始新对话。",
            f"• 群组：发送 /ask 问题，或 {mention}问题，或回复我的消息（回复即接着那条回答追问）。",
            "• 回答里的 [1]、[2] 是来源编号；点下面的按钮可查看引用的原文段落。",
            f"• 问题最长 {max_question_chars} 字；语料库里没有答案时我会直说。",
            "",
            "/sources 查看新闻来源和时间范围 · /new 开始新对话 · /help 显示本说明",
        ]
    )


def render_sources(summary: dict[str, Any], most: int = 50) -> str:
    """The /sources text: the corpus size and date range, and its outlets, in Telegram HTML."""
    sources: list[str] = list(summary.get("sources") or [])
    lines = [f"<b>语料库</b>：{_corpus_line(summary)}。", "", f"<b>新闻来源</b>（{len(sources)} 家，按文章数排序）"]
    lines.extend(f"• {escape_html(s)}" for s in sources[:most])
    if len(sources) > most:
        lines.append(f"…… 另有 {len(sources) - most} 家")
    return "\n".join(lines)
