"""Calibrate the abstention thresholds of retrieval/answer.py on data.

For every question of each BEIR folder, the answer's evidence (best-sentence term coverage, best dense cosine) is
measured twice: with the corpus as it is (the question is answerable) and with the relevant documents hidden (the
same question is then out of corpus, with realistic near-miss passages). The seed question set's out-of-corpus
questions are added as well. Prints, per threshold pair, the share of answerable questions that would abstain and
the share of unanswerable ones that would be answered.

usage: python bench/calibrate_abstention.py EVAL_DIR [EVAL_DIR ...]
"""

import json
import sys
from pathlib import Path

import numpy as np

from retrieval.answer import answer
from retrieval.encoders import load_encoder
from retrieval.engine import Engine
from retrieval.evaluate import eval_searcher, load_eval_set
from retrieval.search import Filters, Searcher
from retrieval.settings import Settings

SEED_QUESTIONS = Path(__file__).resolve().parents[1] / "tests" / "data" / "seed_questions.jsonl"


class HidingSearcher(Searcher):
    """A searcher that pretends some articles are not in the corpus."""

    hidden: frozenset[str] = frozenset()

    def _mask(self, filters: Filters | None) -> np.ndarray | None:
        mask = super()._mask(filters)
        if not self.hidden:
            return mask
        keep = np.fromiter((c.article_id not in self.hidden for c in self.index.chunks), dtype=bool, count=self.index.size)
        return keep if mask is None else mask & keep


def evidence(searcher: Searcher, question: str) -> tuple[float, float]:
    reply = answer(searcher, question)
    return reply.evidence["coverage"], reply.evidence["dense"]


def main() -> None:
    settings = Settings()
    encoder = load_encoder(settings.encoder)
    inside: list[tuple[float, float]] = []
    outside: list[tuple[float, float]] = []
    for folder in map(Path, sys.argv[1:]):
        evalset = load_eval_set(folder)
        base = eval_searcher(evalset, encoder, settings.index_dir)
        searcher = HidingSearcher(base.index, encoder, max_query_chars=10_000)
        for qid, text in evalset.queries.items():
            if not text.strip():  # the CMRC trial set has two empty questions
                continue
            searcher.hidden = frozenset()
            inside.append(evidence(searcher, text))
            searcher.hidden = frozenset(evalset.qrels[qid])
            outside.append(evidence(searcher, text))
    engine = Engine(settings)
    if engine.load():  # the served index (seeds by default): its out-of-corpus questions
        for line in SEED_QUESTIONS.read_text(encoding="utf-8").splitlines():
            q = json.loads(line)
            (inside if q["article_id"] else outside).append(evidence(engine.searcher, q["question"]))
    cov_in, dense_in = np.array(inside).T
    cov_out, dense_out = np.array(outside).T
    print(f"answerable: {len(inside)}  unanswerable: {len(outside)}")
    print("min_coverage | min_dense | answerable that abstain | unanswerable that answer | balanced error")
    for c in (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7):
        for d in (0.0, 0.78, 0.80, 0.82, 0.84):
            miss = float(np.mean((cov_in < c) | (dense_in < d)))
            leak = float(np.mean((cov_out >= c) & (dense_out >= d)))
            print(f"{c:.2f} | {d:.2f} | {miss:.3f} | {leak:.3f} | {(miss + leak) / 2:.3f}")


if __name__ == "__main__":
    main()
