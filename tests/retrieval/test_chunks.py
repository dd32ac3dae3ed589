"""Chunking: sentence boundaries, chunk sizes, overlap, offsets and stable ids."""

import itertools

import pytest

from retrieval.articles import Article, load_articles
from retrieval.chunks import MAX_CHARS, chunk_article, split_sentences
from tests.conftest import SEEDS


def _sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


def test_sentence_ends_keep_closing_quotes_and_brackets() -> None:
    text = "他说：“我们来了。”然后走了！真的吗？是的……好（注：完）。End here! Next"
    assert _sentences(text) == ["他说：“我们来了。”", "然后走了！", "真的吗？", "是的……", "好（注：完）。", "End here!", "Next"]


def test_paragraph_breaks_and_semicolons_end_sentences() -> None:
    assert _sentences("小标题\n第一句;第二句；第三句\n\n  第四段。") == ["小标题", "第一句;", "第二句；", "第三句", "第四段。"]


def test_decimal_points_do_not_end_sentences() -> None:
    assert _sentences("增长了3.5%。下降了0.2个百分点。") == ["增长了3.5%。", "下降了0.2个百分点。"]


@pytest.fixture(scope="module")
def seed_articles() -> list[Article]:
    return load_articles([SEEDS]).articles


def test_seed_chunks_are_whole_sentences_within_limits(seed_articles: list[Article]) -> None:
    for article in seed_articles:
        chunks = chunk_article(article)
        assert len(chunks) > 1
        bounds = {s for s, _ in split_sentences(article.text)} | {e for _, e in split_sentences(article.text)}
        for c in chunks:
            assert c.text == article.text[c.start : c.end]
            assert len(c.text) <= MAX_CHARS
            assert c.start in bounds and c.end in bounds  # never cut inside a sentence
            assert c.embed_text.startswith(article.title) and c.embed_text.endswith(c.text)
            assert c.article_id == article.id
        assert all(len(c.text) >= 150 for c in chunks[:-1])
        # One sentence of overlap: each chunk starts with the last sentence of the one before.
        for prev, nxt in itertools.pairwise(chunks):
            last = _sentences(prev.text)[-1]
            assert nxt.text.startswith(last)
        assert chunks[0].start == 0 and chunks[-1].end == len(article.text.rstrip())


def test_chunk_ids_are_stable_content_hashes(seed_articles: list[Article]) -> None:
    article = seed_articles[0]
    ids = [c.id for c in chunk_article(article)]
    assert ids == [c.id for c in chunk_article(article)] and len(set(ids)) == len(ids)
    edited = Article(article.id, article.title, article.text + "\n新增的一句话。", article.source)
    new_ids = [c.id for c in chunk_article(edited)]
    assert new_ids[:-1] == ids[:-1] and new_ids[-1] != ids[-1]


def test_over_long_sentence_is_cut_at_clauses() -> None:
    long = "，".join(["这是一个很长的分句"] * 80) + "。"
    chunks = chunk_article(Article("a", "标题", long))
    assert all(len(c.text) <= MAX_CHARS for c in chunks)
    assert "".join(c.text for c in chunks) == long
    assert all(c.text.endswith(("，", "。")) for c in chunks)


def test_empty_and_tiny_articles() -> None:
    assert chunk_article(Article("a", "标题", "   ")) == []
    (only,) = chunk_article(Article("b", "标题", "只有一句。"))
    assert only.text == "只有一句。" and only.embed_text == "标题\n只有一句。"
