"""The benchmark suite runs end to end at tiny sizes (real model, real FAISS, a real server) and writes its report."""

import json
from pathlib import Path

import numpy as np
import pytest

from bench.suite import SHARED, VectorSynth, main

CORPUS = SHARED / "corpora" / "xwlb-news.jsonl.gz"


@pytest.mark.skipif(not CORPUS.is_file(), reason=f"the news corpus is not at {CORPUS}")
def test_quick_suite_measures_every_section_and_writes_the_report(tmp_path: Path) -> None:
    work, docs = tmp_path / "work", tmp_path / "docs"
    assert main(["--quick", "--work", str(work), "--docs", str(docs)]) == 0

    query = json.loads((work / "results" / "query.json").read_text())
    assert [row["chunks"] >= size for row, size in zip(query["sizes"], (60, 300), strict=True)] == [True, True]
    small, large = query["sizes"]
    assert small["real_vectors"] == small["chunks"]  # the smallest index is embedded for real
    assert 0 < large["real_vectors"] < large["chunks"]
    for row in query["sizes"]:
        assert 0 < row["encode"]["p50_ms"] <= row["encode"]["p95_ms"]
        assert row["server_rss_mib_loaded"] > 50

    indexing = json.loads((work / "results" / "indexing.json").read_text())
    assert indexing["ratio"] > 0.3 and indexing["reindex"]["no_change_fraction"] < 1

    scale = json.loads((work / "results" / "scale.json").read_text())
    assert scale["vectors"] == 20_000 and scale["index"]["type"] == "flat-ip"
    assert scale["search"]["recall_at_10"] == 1.0  # exact search agrees with itself

    peers = json.loads((work / "results" / "peers.json").read_text())
    for block in peers["sets"].values():
        assert set(block["methods"]) == {"bm25-only (bm25s + jieba)", "dense-only (FAISS flat, e5)", "newsqa hybrid"}
        assert all(0 <= m["mrr@10"] <= 1 for m in block["methods"].values())

    page = (docs / "benchmarks.md").read_text()
    for heading in ("## Query latency by index size", "## Indexing", "## Scale", "## Peers"):
        assert heading in page
    assert "Machine: " in page and "cores" in page
    for plot in ("bench-query-latency.png", "bench-hnsw.png", "bench-peers.png"):
        assert (docs / plot).read_bytes()[:4] == b"\x89PNG"


def test_synthetic_vectors_are_unit_length_and_near_their_real_source() -> None:
    rng = np.random.default_rng(0)
    pool = rng.standard_normal((500, 16)).astype("float32") + 3.0  # anisotropic, like real embeddings
    pool /= (pool**2).sum(axis=1, keepdims=True) ** 0.5
    out = VectorSynth(pool, seed=1).sample(2000)
    assert out.shape == (2000, 16) and abs(float((out**2).sum(axis=1).mean()) - 1) < 1e-5
    # Perturbed, not random: each lands closer to the pool than random directions do.
    nearest = (out @ pool.T).max(axis=1)
    assert float(nearest.mean()) > 0.9
