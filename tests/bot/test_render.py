"""Pure formatting for Telegram: escaping, layout, passages, help texts and splitting at Telegram's limit."""

import random
import re

import pytest

from bot.render import (
    MESSAGE_LIMIT,
    render_help,
    render_passage,
    render_sources,
    render_telegram,
    render_text,
    split_html,
    utf16_length,
    visible_text,
)
from retrieval.answer import ABSTAIN_TEXT, Answer, Citation
from tests.bot.botapi_emulator import parse_html

HOSTILE = '<b>&amp; "引号" </i><script>alert(1)</script> & 🧐'


def cite(n: int, **kw: object) -> Citation:
    fields: dict = {
        "article_id": f"a{n}",
        "chunk_id": f"c{n}",
        "title": f"标题{n}",
        "source": "新疆平安网",
        "date": "2023-12-16",
        "url": f"http://www.xjpeace.cn/{n}.html",
        "quote": "",
        "passage": "段落。",
        "score": 1.0,
    }
    return Citation(n, **(fields | kw))


def parts_ok(parts: list[str], limit: int = MESSAGE_LIMIT) -> str:
    """Every part parses as Telegram HTML and fits; returns the text the reader sees, parts joined."""
    assert parts
    seen = []
    for part in parts:
        plain, _ = parse_html(part)
        assert plain.strip() and utf16_length(plain) <= limit, (utf16_length(plain), part[:80])
        seen.append(plain)
    return "".join(seen)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_answer_layout_links_and_escaping() -> None:
    reply = Answer(
        "问",
        f"第一句{HOSTILE}。[1]第二句。[2]",
        False,
        [cite(1, title=HOSTILE, source="A&B<媒体>"), cite(2, url="javascript:alert(1)", date=None)],
    )
    [message] = render_telegram(reply)
    plain = parts_ok([message])
    assert plain.splitlines() == [
        f"第一句{HOSTILE}。[1]第二句。[2]",
        "",
        "来源",
        f"[1] {HOSTILE} · A&B<媒体> · 2023-12-16",
        "[2] 标题2 · 新疆平安网",
    ]
    assert '[1] <a href="http://www.xjpeace.cn/1.html">&lt;b&gt;&amp;amp;' in message
    assert "<script>" not in message and "javascript:" not in message and "<b>来源</b>" in message


def test_url_with_quotes_and_ampersands_stays_inside_its_attribute() -> None:
    [message] = render_telegram(Answer("问", "答。[1]", False, [cite(1, url='http://x.org/?a=1&b="><b>x')]))
    _, entities = parse_html(message)
    assert [e["url"] for e in entities if e["type"] == "text_link"] == ['http://x.org/?a=1&b="><b>x']


def test_abstention_says_so_and_offers_the_nearest_sources() -> None:
    reply = Answer("问", ABSTAIN_TEXT, True, [cite(1), cite(2), cite(3, article_id="a1")])
    plain = parts_ok(render_telegram(reply))
    assert plain.startswith("抱歉，语料库中没有找到") and "最接近的来源" in plain
    # Two passages of one article share its line.
    assert plain.splitlines()[-2:] == ["[1][3] 标题1 · 新疆平安网 · 2023-12-16", "[2] 标题2 · 新疆平安网 · 2023-12-16"]
    assert parts_ok(render_telegram(Answer("问", ABSTAIN_TEXT, True, []))) == ABSTAIN_TEXT


def test_a_6000_character_answer_splits_after_sentences() -> None:
    body = "".join(f"第{i}句话讲的是新疆政法工作，内容足够长以便测试。[{i % 3 + 1}]" for i in range(250))
    assert len(body) > 6000
    parts = render_telegram(Answer("问", body, False, [cite(1), cite(2), cite(3)]))
    assert len(parts) >= 2
    plain = parts_ok(parts)
    assert squeeze(plain) == squeeze(visible_text("\n".join(parts)))
    assert squeeze(plain).startswith(squeeze(body)) and plain.endswith("[3] 标题3 · 新疆平安网 · 2023-12-16")
    for part in parts[:-1]:
        assert re.search(r"。\[\d\]$", visible_text(part)), part[-30:]


def test_paragraphs_are_preferred_over_sentences() -> None:
    text = "一句话。" * 700 + "\n\n" + "一句话。" * 400  # paragraph end at 2800, sentence ends everywhere
    first, second = split_html(text)
    assert visible_text(first).endswith("一句话。") and len(first) == 2800 and len(second) == 1600


def test_no_boundary_at_all_still_splits_between_characters_and_keeps_tags_balanced() -> None:
    markup = "<b>" + "长" * 10_000 + "</b>"
    parts = split_html(markup)
    assert [utf16_length(visible_text(p)) for p in parts] == [4096, 4096, 1808]
    assert all(p.startswith("<b>") and p.endswith("</b>") for p in parts)
    parts_ok(parts)


def test_entities_and_links_are_never_cut() -> None:
    parts = split_html('<a href="http://x.org/?a=1&amp;b=2">' + "&amp;" * 5000 + "</a>")
    assert all(re.fullmatch(r'<a href="http://x\.org/\?a=1&amp;b=2">(&amp;)+</a>', p) for p in parts)
    assert squeeze(parts_ok(parts)) == "&" * 5000


def test_limit_counts_utf16_and_emoji_sequences_stay_whole() -> None:
    parts = split_html("😀" * 3000)
    assert [utf16_length(p) for p in parts] == [4096, 1904]
    family = "👨\u200d👩\u200d👧"  # 8 UTF-16 units, one picture
    parts = split_html(family * 1000)
    assert all(p.startswith("👨") and p.endswith("👧") for p in parts)
    assert "".join(parts) == family * 1000


@pytest.mark.parametrize("seed", range(40))
def test_random_hostile_answers_always_split_into_valid_messages(seed: int) -> None:
    rng = random.Random(seed)
    alphabet = ["<", ">", "&", '"', "'", "。", "，", "\n", " ", "[1]", "🧐", "\u200d", "新", "闻", "a", "&amp;", "</b>", "**"]
    text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 400)))
    title = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
    limit = rng.randint(20, 120)
    reply = Answer("问", text or "。", rng.random() < 0.3, [cite(1, title=title, source=title or None)])
    parts = render_telegram(reply, limit=limit)
    plain = parts_ok(parts, limit)
    assert squeeze(plain) == squeeze(visible_text("\n".join(render_telegram(reply, limit=10**6))))


def test_passage_highlights_the_quote_and_links_the_original() -> None:
    passage = "会议开始。自治区高院院长出席会议并讲话。<附件>&其他。"
    message = render_passage(cite(2, passage=passage, quote="自治区高院院长出席会议并讲话。"))
    plain = parts_ok([message])
    assert plain == f"[2] 标题2\n新疆平安网 · 2023-12-16 · 原文\n{passage}"
    assert "<b>自治区高院院长出席会议并讲话。</b>" in message and "&lt;附件&gt;&amp;其他" in message
    assert '<a href="http://www.xjpeace.cn/2.html">原文</a>' in message and "<blockquote>" in message
    bare = render_passage(cite(1, url=None, source=None, date=None, title="", passage=HOSTILE, quote=HOSTILE))
    assert parts_ok([bare]).startswith("[1] 无标题\n来源不详\n") and "原文" not in bare


def test_help_and_sources_texts() -> None:
    summary = {"articles": 2, "sources": ["新疆平安网", "石榴云/新疆法制报"], "date_from": "2022-09-14", "date_to": "2023-12-16"}
    help_text = parts_ok([render_help(summary, "newsqa_bot", 500)])
    assert "共 2 篇新闻文章，时间从 2022-09-14 到 2023-12-16，来自 新疆平安网、石榴云/新疆法制报。" in help_text
    assert "@newsqa_bot" in help_text and "/ask" in help_text and "/sources" in help_text and "500 字" in help_text
    many = {"articles": 300, "sources": [f"<媒体{i}>&" for i in range(60)], "date_from": None, "date_to": None}
    sources = parts_ok([render_sources(many)])
    assert "共 300 篇新闻文章。" in sources and "60 家" in sources and "另有 10 家" in sources and "• <媒体0>&" in sources
    assert "等 60 家" in parts_ok([render_help(many, None, 500)])


def test_only_web_addresses_are_shown_in_the_terminal_and_linked_in_telegram() -> None:
    cites = [cite(1, url="javascript:alert(1)"), cite(2, url="data:text/html,x"), cite(3)]
    reply = Answer("问？", "一[1]二[2]三[3]", False, cites, short_answer="三")
    text = render_text(reply)
    assert "javascript:" not in text and "data:" not in text and "http://www.xjpeace.cn/3.html" in text
    assert text.startswith("答：三")
    html = "".join(render_telegram(reply))
    assert "javascript:" not in html and "data:" not in html and html.startswith("<b>三</b>")


def test_a_rewritten_follow_up_says_how_it_was_understood() -> None:
    reply = Answer("他呢？", "高继明出席会议。[1]", False, [cite(1)], short_answer="高继明", standalone_question="高继明呢？")
    assert render_text(reply).startswith("理解为：高继明呢？")
    assert visible_text("".join(render_telegram(reply))).startswith("理解为：高继明呢？")


def test_a_question_in_english_says_in_english_that_it_was_searched_in_chinese() -> None:
    english = Answer("Who is the Cape Town mayor?", "答。[1]", False, [cite(1)], {}, "希尔", "开普敦市长是谁")
    chinese = Answer("他是谁", "答。[1]", False, [cite(1)], {}, "希尔", "希尔是谁")
    assert "searched in Chinese as" in render_text(english) and "开普敦市长是谁" in render_text(english)
    assert "searched in Chinese as" in visible_text(render_telegram(english)[0])
    assert "理解为：希尔是谁" in render_text(chinese) and "searched" not in render_text(chinese)
