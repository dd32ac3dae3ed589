"""Fit the answer-confidence model of retrieval/answer.py (when to answer, when to abstain) on tuning sets, and report
how it does on held-out sets.

For every question of a BEIR folder the answer's evidence is measured twice: with the corpus as it is, and with the
question's relevant documents hidden (the same question is then out of corpus, with realistic near-miss passages).
Questions the folder marks as unanswerable (`"answers": []`, no qrels row) count as out of corpus as they are.
A question "should be answered" when the unit the answer would quote comes from a relevant document.

A logistic regression over the evidence features is fitted on the --tune folders and printed as the constants to
paste into retrieval/answer.py; then precision and recall of abstaining are printed for every folder, tuning and
held-out, with the constants in use.

usage: python -m bench.calibrate_abstention --tune DIR [DIR ...] --report DIR [DIR ...] [--limit N]
"""

import argparse
import math
from datetime import date
from pathlib import Path

import numpy as np

from retrieval import answer as answer_stage
from retrieval.encoders import load_encoder
from retrieval.evaluate import eval_searcher, load_eval_set, sample
from retrieval.search import Filters, Searcher
from retrieval.settings import Settings

FEATURES = tuple(answer_stage.CONFIDENCE_WEIGHTS)


class HidingSearcher(Searcher):
    """A searcher that pretends some articles are not in the corpus."""

    hidden: frozenset[str] = frozenset()

    def _mask(self, filters: Filters | None, window: tuple[date, date] | None = None) -> np.ndarray | None:
        mask = super()._mask(filters, window)
        if not self.hidden:
            return mask
        keep = np.fromiter((c.article_id not in self.hidden for c in self.index.chunks), dtype=bool, count=self.index.size)
        return keep if mask is None else mask & keep


def _row(searcher: Searcher, question: str, relevant: set[str]) -> tuple[list[float], int, bool] | None:
    """(features, should answer, answered with the constants in use) for one question."""
    if not question.strip():
        return None
    # Evidence of the best unit whatever the decision: ask with the confidence bar at zero.
    bar = answer_stage.MIN_CONFIDENCE
    answer_stage.MIN_CONFIDENCE = 0.0
    try:
        probe = answer_stage.answer(searcher, question)
    finally:
        answer_stage.MIN_CONFIDENCE = bar
    if "confidence" not in probe.evidence:  # another language: decided by dense similarity alone
        return None
    features = [probe.evidence.get(name, 0.0) for name in FEATURES]
    right = not probe.abstained and probe.citations[0].article_id in relevant
    # A typed question with no candidate of its kind abstains whatever the model says (see answer._best).
    return features, int(right), not probe.abstained and probe.evidence["confidence"] >= bar


def collect(folder: Path, limit: int | None) -> list[tuple[list[float], int, bool]]:
    """Rows for every question of `folder`, in corpus and with its documents hidden."""
    settings = Settings()
    evalset = sample(load_eval_set(folder), limit)
    base = eval_searcher(evalset, load_encoder(settings.encoder), settings.index_dir, progress=False)
    searcher = HidingSearcher(base.index, base.encoder, max_query_chars=10_000)
    rows = []
    for qid, text in evalset.queries.items():
        searcher.hidden = frozenset()
        rows.append(_row(searcher, text, evalset.qrels[qid]))
        searcher.hidden = frozenset(evalset.qrels[qid])
        rows.append(_row(searcher, text, set()))
    searcher.hidden = frozenset()
    rows += [_row(searcher, text, set()) for text in evalset.unanswerable.values()]
    return [r for r in rows if r is not None]


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1.0, steps: int = 300) -> tuple[float, np.ndarray]:
    """Logistic regression by Newton's method on standardised features; returns (bias, weights) in raw units."""
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = np.hstack([np.ones((len(x), 1)), (x - mean) / std])
    w = np.zeros(z.shape[1])
    reg = l2 * np.eye(len(w))
    reg[0, 0] = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-z @ w))
        grad = z.T @ (p - y) + reg @ w
        hess = (z.T * (p * (1 - p))) @ z + reg
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    weights = w[1:] / std
    return float(w[0] - (weights * mean).sum()), weights


def report(name: str, rows: list[tuple[list[float], int, bool]]) -> None:
    """Precision and recall of abstaining with the constants in use."""
    should = np.array([r[1] for r in rows], dtype=bool)
    answered = np.array([r[2] for r in rows], dtype=bool)
    abstain, ought = ~answered, ~should
    precision = (abstain & ought).sum() / max(abstain.sum(), 1)
    recall = (abstain & ought).sum() / max(ought.sum(), 1)
    accuracy = (answered == should).mean()
    print(
        f"{name:<40} n={len(rows):>5}  abstain precision {precision:.3f}  recall {recall:.3f}  "
        f"answers that should: {(answered & should).sum() / max(should.sum(), 1):.3f}  accuracy {accuracy:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tune", type=Path, nargs="+", required=True)
    parser.add_argument("--report", type=Path, nargs="*", default=[])
    parser.add_argument("--limit", type=int, default=None, help="questions per folder (fixed random sample)")
    args = parser.parse_args()
    tuning = {folder.name: collect(folder, args.limit) for folder in args.tune}
    rows = [r for part in tuning.values() for r in part]
    x = np.array([r[0] for r in rows])
    y = np.array([r[1] for r in rows], dtype=float)
    bias, weights = fit(x, y)
    print(f"CONFIDENCE_BIAS = {bias:.3f}")
    print("CONFIDENCE_WEIGHTS = {" + ", ".join(f'"{n}": {w:.3f}' for n, w in zip(FEATURES, weights, strict=True)) + "}")
    fitted = 1 / (1 + np.exp(-(bias + x @ weights)))
    print(f"fitted on {len(rows)} rows: accuracy at 0.5 = {((fitted >= 0.5) == (y > 0.5)).mean():.3f}")
    print(f"\nwith the constants in use (bias {answer_stage.CONFIDENCE_BIAS}, bar {answer_stage.MIN_CONFIDENCE}):")
    for name, part in tuning.items():
        report(f"tune: {name}", part)
    for folder in args.report:
        report(f"held out: {folder.name}", collect(folder, args.limit))
    if not math.isfinite(bias):
        raise SystemExit("the fit did not converge")


if __name__ == "__main__":
    main()
