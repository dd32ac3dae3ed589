"""Evaluation on a fixed CMRC 2018 subset with the real encoder: report shape, caching and quality floor."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from retrieval.encoders import load_encoder
from retrieval.evaluate import evaluate, load_eval_set
from tests.conftest import DATA

MINI = DATA / "cmrc-mini"


@pytest.fixture(scope="module")
def eval_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("eval-index")


@pytest.fixture(scope="module")
def report(eval_root: Path) -> dict:
    return evaluate(MINI, load_encoder("e5-small-q4"), eval_root, progress=False)


def test_eval_set_is_read() -> None:
    evalset = load_eval_set(MINI)
    assert len(evalset.articles) == 50 and len(evalset.queries) == 50
    assert all(evalset.answers[q] for q in evalset.queries) and all(len(r) == 1 for r in evalset.qrels.values())


def test_report_shape(report: dict) -> None:
    assert (report["corpus"], report["queries"], report["k"]) == (50, 50, 10)
    assert list(report["modes"]) == ["bm25", "dense", "hybrid"]
    for metrics in report["modes"].values():
        assert list(metrics) == ["recall@1", "recall@5", "recall@10", "mrr@10", "ms_per_query"]
        assert 0 <= metrics["recall@1"] <= metrics["recall@5"] <= metrics["recall@10"] <= 1
    assert set(report["answer"]) == {"gold_in_answer", "abstained", "short_em", "short_f1", "cited_right"}
    assert 0 <= report["answer"]["short_em"] <= report["answer"]["short_f1"] <= 1


def test_quality_floor(report: dict) -> None:
    modes = report["modes"]
    assert modes["hybrid"]["recall@10"] >= 0.95
    assert modes["hybrid"]["mrr@10"] >= max(modes["bm25"]["mrr@10"], modes["dense"]["mrr@10"]) - 0.01
    assert report["answer"]["gold_in_answer"] >= 0.6 and report["answer"]["abstained"] <= 0.1


def test_cli_eval_reuses_the_cached_index(eval_root: Path, report: dict) -> None:
    env = {**os.environ, "NEWSQA_INDEX_DIR": str(eval_root)}
    builds = sorted((eval_root / "eval").glob("*/builds/*"))
    newsqa = str(Path(sys.executable).parent / "newsqa")
    first = subprocess.run([newsqa, "eval", str(MINI), "--json", "-k", "5"], capture_output=True, text=True, env=env, check=True)
    body = json.loads(first.stdout)
    assert body["k"] == 5 and "mrr@5" in body["modes"]["hybrid"]
    assert body["modes"]["hybrid"]["recall@5"] == report["modes"]["hybrid"]["recall@5"]
    again = subprocess.run([newsqa, "eval", str(MINI), "-k", "5"], capture_output=True, text=True, env=env, check=True)
    assert "hybrid" in again.stdout
    assert len(builds) == 1 and sorted((eval_root / "eval").glob("*/builds/*")) == builds  # reused, not rebuilt
