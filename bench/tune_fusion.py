"""Measure fusion rules for hybrid search on BEIR folders (doc-level mrr@10 and recall@5).

Prints one table row per rule, so the rule in retrieval/search.py can be chosen on data.
usage: python bench/tune_fusion.py EVAL_DIR [EVAL_DIR ...]   (index cached under $NEWSQA_INDEX_DIR/eval)
"""

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from retrieval.encoders import load_encoder
from retrieval.evaluate import eval_searcher, load_eval_set
from retrieval.search import CANDIDATES, fuse_scores
from retrieval.settings import Settings
from retrieval.tokens import simplify, tokenize

Rule = Callable[[np.ndarray, np.ndarray, str], np.ndarray]


def _ranks(values: np.ndarray) -> np.ndarray:
    order = np.argsort(-values, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(1, len(values) + 1)
    return ranks


def _minmax(v: np.ndarray) -> np.ndarray:
    span = float(v.max() - v.min())
    return (v - v.min()) / span if span > 1e-9 else np.zeros_like(v)


def rules() -> dict[str, Rule]:
    out: dict[str, Rule] = {
        "dense": lambda d, b, q: d,
        "bm25": lambda d, b, q: b,
        "rrf k=60": lambda d, b, q: 1 / (60 + _ranks(d)) + 1 / (60 + _ranks(b)),
        "newsqa (search.py)": lambda d, b, q: fuse_scores(d, b, query=q),
    }
    for w in (0.5, 0.6, 0.7, 0.8):
        out[f"z w={w}"] = lambda d, b, q, w=w: fuse_scores(d, b, dense_weight=w)
    for short, long_ in ((0.8, 0.6), (0.8, 0.7), (0.9, 0.6), (0.9, 0.7)):
        for chars in (8, 10, 12, 15):
            out[f"chars<{chars}: w={short} else {long_}"] = lambda d, b, q, s=short, lw=long_, c=chars: fuse_scores(
                d, b, dense_weight=s if len(q.strip()) < c else lw
            )
        for n in (4, 6, 8):
            out[f"terms<{n}: w={short} else {long_}"] = lambda d, b, q, s=short, lw=long_, n=n: fuse_scores(
                d, b, dense_weight=s if len(set(tokenize(q))) < n else lw
            )
    return out


def main() -> None:
    settings = Settings()
    encoder = load_encoder(settings.encoder)
    table: dict[str, list[str]] = {name: [] for name in rules()}
    header = ["rule"]
    for folder in map(Path, sys.argv[1:]):
        evalset = load_eval_set(folder)
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
