"""Near-duplicate reprints are indexed once, with every outlet kept; incremental add, update, prune and remove."""

import dataclasses
from pathlib import Path

import pytest
from datasketch import MinHashLSH

from retrieval.articles import Article, load_articles
from retrieval.duplicates import find_duplicates, fold_duplicates
from retrieval.errors import NotFound
from retrieval.store import load_index, update_index
from tests.conftest import SEEDS, HashEncoder


@pytest.fixture(scope="module")
def story() -> Article:
    return next(a for a in load_articles([SEEDS]).articles if a.id == "000_3f7618c90cdecb59")


def _reprint(article: Article, new_id: str, outlet: str, edit: str = "") -> Article:
    # Another site: its own lead-in, a different date line, otherwise the same text.
    return dataclasses.replace(
        article, id=new_id, source=outlet, sources=(outlet,), text=f"{outlet}讯{edit} " + article.text.split(" ", 1)[1]
    )


def test_reprints_are_found_and_unrelated_articles_are_not(story: Article) -> None:
    other = next(a for a in load_articles([SEEDS]).articles if a.id != story.id)
    reprint = _reprint(story, "reprint-1", "天山网")
    edited = _reprint(story, "reprint-2", "某某网", edit="（记者 张三）")
    assert find_duplicates([story, other, reprint, edited]) == {"reprint-1": story.id, "reprint-2": story.id}
    short = [Article("s1", "快讯", "今天天气晴。"), Article("s2", "快讯", "今天天气晴。")]
    assert find_duplicates(short) == {}  # too little text to call it a reprint


def test_folding_keeps_every_outlet_on_the_original(story: Article) -> None:
    folded = {a.id: a for a in fold_duplicates([story, _reprint(story, "r1", "天山网"), _reprint(story, "r2", "新疆日报")])}
    assert folded[story.id].sources == ("新疆平安网", "天山网", "新疆日报") and folded[story.id].duplicate_of is None
    assert folded["r1"].duplicate_of == story.id and folded["r2"].duplicate_of == story.id


def test_index_holds_a_reprinted_story_once(tmp_path: Path, story: Article, hash_encoder: HashEncoder) -> None:
    report = update_index([story, _reprint(story, "r1", "天山网")], hash_encoder, tmp_path, progress=False)
    assert report.reprints == 1 and report.articles == 2
    index = load_index(tmp_path, hash_encoder.id, hash_encoder.dim)
    assert {c.article_id for c in index.chunks} == {story.id}
    assert index.articles["r1"].duplicate_of == story.id  # the reprint's id still resolves
    assert all(s == "新疆平安网\n天山网" for s in index.chunk_sources)  # a source filter finds either outlet


def test_add_update_prune_and_remove(tmp_path: Path, hash_encoder: HashEncoder) -> None:
    a, b, c = (Article(i, f"{i}标题", f"{i}的正文第一句。{i}的正文第二句。") for i in ("a", "b", "c"))
    first = update_index([a, b], hash_encoder, tmp_path, progress=False)
    assert (first.added, first.articles, first.embedded) == (2, 2, 2)

    added = update_index([c], hash_encoder, tmp_path, progress=False)  # adds, keeps a and b
    assert (added.added, added.articles, added.embedded, added.reused) == (1, 3, 1, 2)

    same = update_index([c], hash_encoder, tmp_path, progress=False)
    assert same.up_to_date and same.embedded == 0

    changed = update_index([dataclasses.replace(b, text="b的新正文。")], hash_encoder, tmp_path, progress=False)
    assert (changed.updated, changed.embedded) == (1, 1)

    removed = update_index([], hash_encoder, tmp_path, remove=["a"], progress=False)
    index = load_index(tmp_path, hash_encoder.id, hash_encoder.dim)
    assert removed.removed == 1 and set(index.articles) == {"b", "c"} and {ch.article_id for ch in index.chunks} == {"b", "c"}
    assert index.vectors.ntotal == index.size
    assert "a的" not in index.bm25.vocab_dict and "b的" in index.bm25.vocab_dict  # its BM25 postings are gone too

    pruned = update_index([c], hash_encoder, tmp_path, prune=True, progress=False)
    assert pruned.removed == 1 and set(load_index(tmp_path, hash_encoder.id, hash_encoder.dim).articles) == {"c"}
    with pytest.raises(NotFound, match="'zzz'"):
        update_index([], hash_encoder, tmp_path, remove=["zzz"], progress=False)


NEWS = SEEDS.parent.parent / "shared" / "corpora" / "xwlb-news.jsonl.gz"
# Yearly announcements of the CPPCC opening broadcast: near-identical texts, several of them originals of a later one.
ANNOUNCEMENTS = ("20230303-06", "20240303-03", "20250303-01", "20260303-02")


@pytest.mark.skipif(not NEWS.is_file(), reason=f"the news corpus is not at {NEWS}")
def test_reprint_folding_does_not_depend_on_the_order_lsh_returns(monkeypatch: pytest.MonkeyPatch) -> None:
    # LSH returns candidates in hash order, which changes between processes: an unchanged corpus got another
    # fingerprint on the next run and was rebuilt. The earliest original must win whatever that order.
    docs = [a for a in load_articles([NEWS]).articles if a.id.startswith(("2023030", "2024030", "2025030", "2026030"))]
    expected = find_duplicates(docs)
    assert {expected.get(i) for i in ANNOUNCEMENTS[1:]} - {None} <= set(ANNOUNCEMENTS)
    query = MinHashLSH.query
    monkeypatch.setattr(MinHashLSH, "query", lambda self, minhash: list(reversed(query(self, minhash))))
    assert find_duplicates(docs) == expected
