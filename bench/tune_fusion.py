"""Measure fusion rules for hybrid search on BEIR folders (doc-level mrr@10 and recall@5).

Prints one table row per rule, so the rule in retrieval/search.py can be chosen on data.
usage: python -m bench.tune_fusion [--limit N] EVAL_DIR [EVAL_DIR ...]   (index cached under $NEWSQA_INDEX_DIR/eval)
"""

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from retrieval.encoders import load_encoder
from retrieval.evaluate import eval_searcher, load_eval_set, sample
from retrieval.search import CANDIDATES, fuse_scores
from retrieval.settings import Settings
from retrieval.tokens import simplify

Rule = Callable[[np.ndarray, np.ndarray, str], np.ndarray]


def _ranks(values: np.ndarray) -> np.ndarray:
    order = np.argsort(-values, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(1, len(values) + 1)
    return ranks


def _minmax(v: np.ndarray) -> np.ndarray:
    span = float(v.max() - v.min())
    return (v - v.min()) / span if span > 1e-9 else np.zeros_like(v)


def _z(v: np.ndarray) -> np.ndarray:
    std = float(v.std())
    return (v - v.mean()) / std if std > 1e-9 else np.zeros_like(v)


def _peak(d: np.ndarray, b: np.ndarray, base: float, power: float) -> np.ndarray:
    zd, zb = _z(d), _z(b)
    pd, pb = max(float(zd.max()), 1e-3) ** power, max(float(zb.max()), 1e-3) ** power
    w = base * pd / (base * pd + (1 - base) * pb)
    return w * zd + (1 - w) * zb


def _margin(d: np.ndarray, b: np.ndarray, base: float, power: float) -> np.ndarray:
    zd, zb = _z(d), _z(b)

    def gap(z: np.ndarray) -> float:
        top = np.sort(z)[-2:] if len(z) > 1 else np.array([0.0, 1.0])
        return max(float(top[1] - top[0]), 1e-3) ** power

    pd, pb = gap(zd), gap(zb)
    w = base * pd / (base * pd + (1 - base) * pb)
    return w * zd + (1 - w) * zb


def rules() -> dict[str, Rule]:
    out: dict[str, Rule] = {
        "dense": lambda d, b, q: d,
        "bm25": lambda d, b, q: b,
        "rrf k=60": lambda d, b, q: 1 / (60 + _ranks(d)) + 1 / (60 + _ranks(b)),
        "newsqa (search.py)": lambda d, b, q: fuse_scores(d, b, query=q),
    }
    for w in (0.5, 0.6, 0.7, 0.8):
        out[f"z w={w}"] = lambda d, b, q, w=w: fuse_scores(d, b, dense_weight=w)
    for short, long_ in ((0.8, 0.6), (0.8, 0.7), (0.9, 0.6)):
        for chars in (8, 10, 12, 15):
            out[f"chars<{chars}: w={short} else {long_}"] = lambda d, b, q, s=short, lw=long_, c=chars: fuse_scores(
                d, b, dense_weight=s if len(q.strip()) < c else lw
            )
    for base in (0.5, 0.6, 0.7):
        for power in (1.0, 2.0):
            out[f"peak base={base} p={power}"] = lambda d, b, q, w=base, p=power: _peak(d, b, w, p)
            out[f"margin base={base} p={power}"] = lambda d, b, q, w=base, p=power: _margin(d, b, w, p)
    return out


def main() -> None:
    settings = Settings()
    encoder = load_encoder(settings.encoder)
    table: dict[str, list[str]] = {name: [] for name in rules()}
    header = ["rule"]
    args = sys.argv[1:]
    limit = None
    if args[:1] == ["--limit"]:
        limit, args = int(args[1]), args[2:]
    for folder in map(Path, args):
        evalset = sample(load_eval_set(folder), limit)
        searcher = eval_searcher(evalset, encoder, settings.index_dir)
        qids = list(evalset.queries)
        qvecs = encoder.encode_queries([simplify(evalset.queries[q]) for q in qids])
        pools = [
            searcher.candidates(evalset.queries[q], v, min(CANDIDATES, searcher.index.size), None)
            for q, v in zip(qids, qvecs, strict=True)
        ]
        header += [f"{evalset.name} mrr@10", "recall@5"]
        for name, rule in rules().items():
            mrr = r5 = 0.0
            for qid, (rows, dense, lex) in zip(qids, pools, strict=True):
                order = rows[np.argsort(-rule(dense, lex, evalset.queries[qid]), kind="stable")]
                docs = list(dict.fromkeys(searcher.index.chunks[r].article_id for r in order))[:10]
                rel = evalset.qrels[qid]
                mrr += next((1 / i for i, d in enumerate(docs, 1) if d in rel), 0.0)
                r5 += len(rel & set(docs[:5])) / len(rel)
            table[name] += [f"{mrr / len(qids):.4f}", f"{r5 / len(qids):.4f}"]
    print(" | ".join(header))
    for name, cells in table.items():
        print(" | ".join([name, *cells]))


if __name__ == "__main__":
    main()
