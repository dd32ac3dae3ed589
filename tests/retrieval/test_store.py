"""Index mechanics: atomic builds, embedding reuse, deletions, locking and refusal of bad indexes."""

import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from retrieval.articles import Article
from retrieval.errors import IndexBusy, IndexCorrupt, IndexMismatch, IndexMissing
from retrieval.store import build_index, build_lock, current_build, load_index, update_index, verify_index
from tests.conftest import HashEncoder


def _articles(n: int = 3, extra: str = "") -> list[Article]:
    return [
        Article(
            f"a{i}",
            f"第{i}篇标题",
            "".join(f"第{i}篇文章的第{j}句话，讲述了一些新闻事实{extra}。" for j in range(30)),
            f"报社{i}",
            None,
            f"2024-01-0{i + 1}",
        )
        for i in range(n)
    ]


def test_build_and_load_round_trip(tmp_path: Path, hash_encoder: HashEncoder) -> None:
    report = build_index(_articles(), hash_encoder, tmp_path, progress=False)
    assert report.articles == 3 and report.chunks > 3 and report.embedded == report.chunks and report.reused == 0
    index = load_index(tmp_path, hash_encoder.id, hash_encoder.dim)
    assert index.size == report.chunks == index.vectors.ntotal
    assert set(index.articles) == {"a0", "a1", "a2"}
    manifest = json.loads((current_build(tmp_path) / "manifest.json").read_text())
    assert manifest["encoder"] == {"id": "test-hash", "dim": 64}
    assert manifest["counts"] == {"articles": 3, "chunks": report.chunks}
    assert {"built_at", "corpus_fingerprint", "versions", "chunker", "files"} <= manifest.keys()
    # Stored vectors are the encoder's, row for row with the chunk table.
    expected = hash_encoder.encode_passages([c.embed_text for c in index.chunks])
    assert np.allclose(index.vectors.reconstruct_n(0, index.size), expected, atol=1e-6)


def test_unchanged_corpus_re_embeds_nothing_and_changes_are_tracked(tmp_path: Path, hash_encoder: HashEncoder) -> None:
    articles = _articles()
    first = build_index(articles, hash_encoder, tmp_path, progress=False)
    again = build_index(articles, hash_encoder, tmp_path, progress=False)
    assert again.embedded == 0 and again.reused == first.chunks

    changed = [*articles[:2], Article("a2", "第2篇标题", "完全改写的正文。只有两句。")]
    report = build_index(changed, hash_encoder, tmp_path, progress=False)
    assert report.embedded == 1  # only the rewritten article's single chunk

    removed = build_index(changed[:1], hash_encoder, tmp_path, progress=False)
    index = load_index(tmp_path, hash_encoder.id, hash_encoder.dim)
    assert removed.embedded == 0 and set(index.articles) == {"a0"}
    assert {c.article_id for c in index.chunks} == {"a0"} and index.vectors.ntotal == index.size
    assert len(list((tmp_path / "builds").iterdir())) == 2  # the served build and the one before it


class FailingEncoder(HashEncoder):
    def __init__(self, fail_after: int) -> None:
        super().__init__()
        self.fail_after = fail_after

    def encode_passages(self, texts, progress=False):  # type: ignore[no-untyped-def]
        if len(self.calls) >= self.fail_after:
            raise KeyboardInterrupt("simulated interruption")
        return super().encode_passages(texts, progress)


def test_interrupted_build_keeps_previous_index_and_finished_batches(tmp_path: Path, hash_encoder: HashEncoder) -> None:
    build_index(_articles(1), hash_encoder, tmp_path, progress=False)
    before = current_build(tmp_path)
    bigger = _articles(80, extra="，补充内容")
    with pytest.raises(KeyboardInterrupt):
        build_index(bigger, FailingEncoder(fail_after=2), tmp_path, progress=False)
    assert current_build(tmp_path) == before
    assert set(load_index(tmp_path, "test-hash", 64).articles) == {"a0"}
    resumed = build_index(bigger, hash_encoder, tmp_path, progress=False)
    assert resumed.reused > 0 and resumed.embedded == resumed.chunks - resumed.reused
    assert resumed.reused >= 2 * 64  # the two batches finished before the interruption


def test_missing_index(tmp_path: Path) -> None:
    with pytest.raises(IndexMissing, match='run "newsqa index" first'):
        load_index(tmp_path, "test-hash")


def test_other_encoder_is_refused(tmp_path: Path, hash_encoder: HashEncoder) -> None:
    build_index(_articles(1), hash_encoder, tmp_path, progress=False)
    with pytest.raises(IndexMismatch, match=r"built with encoder 'test-hash'.*newsqa index --encoder e5-small-q4"):
        load_index(tmp_path, "e5-small-q4", 384)
    with pytest.raises(IndexMismatch, match="dim 64"):
        load_index(tmp_path, "test-hash", 32)


def _damage(path: Path, damage: str) -> None:
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "flip":  # same size, one byte changed
        path.write_bytes(data[:-9] + bytes([data[-9] ^ 0xFF]) + data[-8:])
    else:
        path.unlink()


@pytest.mark.parametrize(
    "name", ["vectors.faiss", "chunks.jsonl", "articles.jsonl", "bm25/vocab.index.json", "bm25/data.csc.index.npy"]
)
@pytest.mark.parametrize("damage", ["truncate", "flip", "delete"])
def test_damaged_files_are_refused_by_name(tmp_path: Path, hash_encoder: HashEncoder, name: str, damage: str) -> None:
    build_index(_articles(2), hash_encoder, tmp_path, progress=False)
    _damage(current_build(tmp_path) / name, damage)
    # A full verification refuses every kind of damage to every file.
    with pytest.raises(IndexCorrupt, match=name.split("/")[-1]) as err:
        verify_index(tmp_path)
    assert "newsqa index" in str(err.value)
    if name == "vectors.faiss" and damage == "flip":
        return  # memory-mapped, checked by size only at load: see the test below
    with pytest.raises(IndexCorrupt, match=name.split("/")[-1]) as err:
        load_index(tmp_path, hash_encoder.id, hash_encoder.dim)
    assert "newsqa index" in str(err.value)


def test_vectors_are_checked_by_size_at_load_and_by_checksum_on_demand(tmp_path: Path, hash_encoder: HashEncoder) -> None:
    build_index(_articles(2), hash_encoder, tmp_path, progress=False)
    names = verify_index(tmp_path)
    assert "vectors.faiss" in names and "chunks.jsonl" in names and any(n.startswith("bm25/") for n in names)
    # Hashing vectors.faiss at every load would read it whole and undo memory-mapping: a same-size change loads…
    _damage(current_build(tmp_path) / "vectors.faiss", "flip")
    assert load_index(tmp_path, hash_encoder.id, hash_encoder.dim).size > 0
    # …and is caught by the full verification, with the same message as the other files' checksum mismatches.
    with pytest.raises(IndexCorrupt, match=r'vectors\.faiss is damaged \(checksum mismatch\); run "newsqa index" to rebuild it'):
        verify_index(tmp_path)


def test_damaged_manifest_and_pointer(tmp_path: Path, hash_encoder: HashEncoder) -> None:
    build_index(_articles(1), hash_encoder, tmp_path, progress=False)
    manifest = current_build(tmp_path) / "manifest.json"
    manifest.write_text('{"format_version": 1, "encod')
    with pytest.raises(IndexCorrupt, match=r"manifest\.json is damaged"):
        load_index(tmp_path, hash_encoder.id)
    manifest.write_text(json.dumps({"format_version": 99}))
    with pytest.raises(IndexMismatch, match="format 99"):
        load_index(tmp_path, hash_encoder.id)
    (tmp_path / "CURRENT").write_text("no-such-build\n")
    with pytest.raises(IndexCorrupt, match="does not exist"):
        load_index(tmp_path, hash_encoder.id)


@contextmanager
def lock_held_elsewhere(index_dir: Path) -> Iterator[None]:
    """The build lock of `index_dir`, held by another thread for the duration."""
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with build_lock(index_dir):
            held.set()
            release.wait(10)

    t = threading.Thread(target=hold)
    t.start()
    held.wait(10)
    try:
        yield
    finally:
        release.set()
        t.join()


def test_second_concurrent_build_is_refused(tmp_path: Path, hash_encoder: HashEncoder) -> None:
    with lock_held_elsewhere(tmp_path), pytest.raises(IndexBusy, match="another 'newsqa index'"):
        build_index(_articles(1), hash_encoder, tmp_path, progress=False)
    assert build_index(_articles(1), hash_encoder, tmp_path, progress=False).articles == 1
    assert not any(p.name.endswith(".partial") for p in (tmp_path / "builds").iterdir())
    assert os.path.exists(tmp_path / "CURRENT")


def test_large_indexes_switch_to_hnsw_with_high_recall(tmp_path: Path, hash_encoder: HashEncoder) -> None:
    from retrieval.search import Filters, Searcher

    articles = [
        Article(
            f"h{i}",
            f"第{i}期简报",
            "".join(f"简报{i}记录了{j}号议题的讨论与{(i * j) % 17}项结论。" for j in range(25)),
            f"报社{i % 3}",
        )
        for i in range(60)
    ]
    build_index(articles, hash_encoder, tmp_path, progress=False, exact_max=50)
    index = load_index(tmp_path, hash_encoder.id, hash_encoder.dim)
    manifest = json.loads((current_build(tmp_path) / "manifest.json").read_text())
    assert manifest["vector_index"]["type"] == "hnsw-ip" and index.vectors.hnsw.efSearch == manifest["vector_index"]["ef_search"]
    # Recall@10 of the approximate index against exact search on the same vectors.
    import faiss

    stored = index.vectors.reconstruct_n(0, index.size)
    exact = faiss.IndexFlatIP(hash_encoder.dim)
    exact.add(stored)
    queries = hash_encoder.encode_queries([f"简报{i}的议题" for i in range(40)])
    _, truth = exact.search(queries, 10)
    _, found = index.vectors.search(queries, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(truth, found, strict=True)])
    assert recall >= 0.95
    # Filters still apply through HNSW.
    searcher = Searcher(index, hash_encoder)
    hits = searcher.search("议题的讨论", k=5, mode="dense", filters=Filters(source="报社1")).hits
    assert hits and all(h.source == "报社1" for h in hits)


def test_update_reads_the_index_only_under_the_build_lock(tmp_path: Path, hash_encoder: HashEncoder) -> None:
    # A run that read the index before another run switched in its build would write a build without that run's
    # articles. So even an update that would change nothing waits for no one: it is refused while a build runs.
    update_index(_articles(2), hash_encoder, tmp_path, progress=False)
    with lock_held_elsewhere(tmp_path), pytest.raises(IndexBusy):
        update_index(_articles(2), hash_encoder, tmp_path, progress=False)  # nothing new, yet it must not read
    assert update_index(_articles(2), hash_encoder, tmp_path, progress=False).up_to_date
