"""Hybrid search on the seed corpus with the real default encoder."""

import dataclasses
from pathlib import Path

import faiss
import numpy as np
import pytest

from retrieval.articles import load_articles
from retrieval.errors import BadQuery
from retrieval.search import Filters, Searcher, one_openmp_thread
from retrieval.store import load_index, update_index
from tests.conftest import SEEDS, HashEncoder

FIRST, SECOND = "000_3f7618c90cdecb59", "004_579abd0b5bbce8c2"


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_every_mode_finds_the_right_article(searcher: Searcher, mode: str) -> None:
    result = searcher.search("伯西热克派出所被命名为枫桥式公安派出所", k=3, mode=mode)
    assert result.mode == mode and result.hits[0].article_id == SECOND
    assert [h.rank for h in result.hits] == list(range(1, len(result.hits) + 1)) and 1 <= len(result.hits) <= 3
    assert all(a.score >= b.score for a, b in zip(result.hits, result.hits[1:], strict=False))
    hit = result.hits[0]
    assert hit.title.startswith("履职尽责") and hit.source == "石榴云/新疆法制报" and hit.date == "2022-09-14"
    assert "伯西热克" in hit.text


def test_hits_serialise_to_the_public_shape(searcher: Searcher) -> None:
    body = searcher.search("会商事项", k=2).hits[0].to_dict()
    assert list(body) == ["rank", "chunk_id", "article_id", "title", "source", "date", "url", "text", "score"]


def test_traditional_chinese_query_finds_simplified_article(searcher: Searcher) -> None:
    for mode in ("bm25", "hybrid"):
        hits = searcher.search("高級人民法院與檢察院舉行交流會商會", k=1, mode=mode).hits
        assert hits[0].article_id == FIRST


def test_filters_by_source_and_date(searcher: Searcher) -> None:
    q = "政法工作"
    assert {h.article_id for h in searcher.search(q, k=20, filters=Filters(source="新疆法制报")).hits} == {SECOND}
    assert {h.article_id for h in searcher.search(q, k=20, filters=Filters(date_from="2023-01-01")).hits} == {FIRST}
    assert {h.article_id for h in searcher.search(q, k=20, mode="dense", filters=Filters(date_to="2022-12-31")).hits} == {SECOND}
    assert searcher.search(q, k=5, filters=Filters(source="人民日报")).hits == []


def test_source_filter_finds_a_reprinted_story_by_its_second_outlet(tmp_path: Path, hash_encoder: HashEncoder) -> None:
    seeds = {a.id: a for a in load_articles([SEEDS]).articles}
    story = seeds[FIRST]
    body = story.text.split(" ", 1)[1]
    reprint = dataclasses.replace(story, id="r1", source="Tianshan Net", sources=("Tianshan Net",), text="天山网讯 " + body)
    report = update_index([*seeds.values(), reprint], hash_encoder, tmp_path, progress=False)
    assert report.reprints == 1  # folded into the original, which now carries both outlets
    index = load_index(tmp_path, hash_encoder.id, hash_encoder.dim)
    searcher = Searcher(index, hash_encoder)
    for mode in ("hybrid", "dense", "bm25"):
        for outlet in ("tianshan NET", "Tianshan", story.source):
            hits = searcher.search("会商事项", k=20, mode=mode, filters=Filters(source=outlet)).hits
            assert {h.article_id for h in hits} == {FIRST}, (mode, outlet)
    # The precomputed rows give the very mask a scan of every chunk's outlets would (any substring, any case).
    for needle in ("tianshan", "网\ntian", "网", "  ", "人民日报", "法制报"):
        scan = np.array([needle.strip().lower() in s for s in index.chunk_sources], dtype=bool)
        mask = searcher._mask(Filters(source=needle))
        assert mask is not None and np.array_equal(mask, scan), needle


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"date_from": "2023-02-30"}, "date_from"),
        ({"date_to": "yesterday"}, "date_to"),
        ({"date_from": "2024-01-01", "date_to": "2023-01-01"}, "after"),
    ],
)
def test_bad_filters_are_refused(filters: dict, message: str) -> None:
    with pytest.raises(BadQuery, match=message):
        Filters(**filters)


@pytest.mark.parametrize(
    ("query", "kwargs", "message"),
    [
        ("", {}, "empty"),
        ("   \n ", {}, "empty"),
        ("问" * 501, {}, "limit is 500"),
        ("会商", {"k": 0}, "k must be"),
        ("会商", {"k": 101}, "k must be"),
        ("会商", {"mode": "magic"}, "mode must be"),
    ],
)
def test_bad_queries_are_refused(searcher: Searcher, query: str, kwargs: dict, message: str) -> None:
    with pytest.raises(BadQuery, match=message):
        searcher.search(query, **kwargs)


def test_queries_without_known_terms_still_work(searcher: Searcher) -> None:
    assert searcher.search("？！。", k=3, mode="bm25").hits == []
    assert len(searcher.search("？！。", k=3, mode="hybrid").hits) == 3  # dense still ranks
    assert len(searcher.search("<b>&amp; 😀 DROP TABLE", k=3).hits) == 3


def test_one_openmp_thread_is_scoped_to_the_search() -> None:
    before = faiss.omp_get_max_threads()
    with one_openmp_thread():
        assert faiss.omp_get_max_threads() == 1
    assert faiss.omp_get_max_threads() == before


@pytest.mark.parametrize("query", ["一规划两纲要", "交流会商会", "老娘舅", "甘巴"])
def test_bm25s_best_passage_is_kept_for_the_answer_stage_when_fusion_drops_it(searcher: Searcher, query: str) -> None:
    hybrid = searcher.search(query, k=1)
    lexical = searcher.search(query, k=1, mode="bm25").hits
    if not lexical or hybrid.hits[0].chunk_id == lexical[0].chunk_id:
        assert hybrid.lexical_best is None  # nothing was left out (甘巴 is in no passage)
    else:
        assert hybrid.lexical_best is not None and hybrid.lexical_best.chunk_id == lexical[0].chunk_id
        assert hybrid.lexical_best.rank == 2  # after the k hits; the public ranking does not show it
    assert "lexical_best" not in hybrid.hits[0].to_dict()
