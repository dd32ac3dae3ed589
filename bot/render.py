"""Pure formatting of answers and hits for people (no I/O)."""

from retrieval.answer import Answer
from retrieval.search import Hit


def _byline(source: str | None, date: str | None) -> str:
    return " · ".join(p for p in (source, date) if p) or "来源不详"


def render_text(reply: Answer) -> str:
    """An answer for a terminal: the text with [n] markers, then the numbered sources."""
    lines = [reply.answer, ""]
    lines.append("最接近的段落：" if reply.abstained else "来源：")
    for c in reply.citations:
        lines.append(f"[{c.n}] {c.title}（{_byline(c.source, c.date)}）")
        if c.url:
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
