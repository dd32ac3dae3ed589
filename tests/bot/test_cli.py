"""The `newsqa` console script, run as a user runs it (a subprocess), on the seed corpus."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SEEDS

NEWSQA = str(Path(sys.executable).parent / "newsqa")


def run(*args: str, index_dir: Path, **env: str) -> subprocess.CompletedProcess:
    environ = {**os.environ, "NEWSQA_INDEX_DIR": str(index_dir), **env}
    return subprocess.run([NEWSQA, *args], capture_output=True, text=True, env=environ, timeout=600)


def test_index_summary_then_incremental_rerun(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    (corpus / "broken.jsonl").write_text('{"id": "ok1", "title": "好", "text": "一篇能读的短文。"}\n{oops\n', encoding="utf-8")
    (corpus / "empty.txt").write_text("", encoding="utf-8")
    index_dir = tmp_path / "index"
    first = run("index", "-q", index_dir=index_dir, NEWSQA_CORPUS_DIR=str(corpus))
    assert first.returncode == 0, first.stderr
    assert "indexed 3 articles (2 skipped)" in first.stdout and "reused" in first.stdout
    assert "broken.jsonl:2: invalid JSON" in first.stderr and "empty.txt: empty file" in first.stderr
    again = run("index", str(corpus), "-q", index_dir=index_dir)
    assert "embeddings: 0 new" in again.stdout

    info = run("info", "--json", index_dir=index_dir)
    manifest = json.loads(info.stdout)
    assert manifest["counts"]["articles"] == 3 and manifest["encoder"] == {"id": "e5-small-q4", "dim": 384}


def test_ask_json_is_the_api_body(seed_index_dir: Path) -> None:
    result = run("ask", "自治区高院院长是谁？", "--json", "-k", "3", index_dir=seed_index_dir)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert list(body) == ["question", "answer", "abstained", "citations", "timings_ms"]
    assert "迪里夏提·沙依木" in body["answer"] and body["answer"].endswith("[1]") and not body["abstained"]
    assert body["citations"][0]["source"] == "新疆平安网" and body["citations"][0]["date"] == "2023-12-16"


def test_ask_text_shows_answer_and_sources(seed_index_dir: Path) -> None:
    result = run("ask", "伯西热克派出所组建了几支平安志愿者队伍？", index_dir=seed_index_dir)
    assert result.returncode == 0 and "6支" in result.stdout and "来源：" in result.stdout and "[1] 履职尽责" in result.stdout


def test_search_json_and_filters(seed_index_dir: Path) -> None:
    result = run("search", "会商事项", "--json", "-k", "2", "--mode", "bm25", index_dir=seed_index_dir)
    body = json.loads(result.stdout)
    assert body["query"] == "会商事项" and body["mode"] == "bm25" and len(body["hits"]) == 2
    assert body["hits"][0]["rank"] == 1 and body["hits"][0]["article_id"] == "000_3f7618c90cdecb59"
    filtered = json.loads(run("search", "会商事项", "--json", "--date-to", "2022-12-31", index_dir=seed_index_dir).stdout)
    assert {h["article_id"] for h in filtered["hits"]} == {"004_579abd0b5bbce8c2"}


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("ask", ""), 1, "question is empty"),
        (("ask", "问" * 600), 1, "limit is 500"),
        (("ask", "会商", "--date-from", "2023-02-30"), 1, "date_from must be a date"),
        (("search", "会商", "--mode", "magic"), 2, "invalid choice"),
        (("ask", "会商", "-k", "0"), 2, "k must be between"),
        (("frobnicate",), 2, "invalid choice"),
        (("eval", "/no/such/dir"), 1, "corpus.jsonl is missing"),
    ],
)
def test_bad_input_gets_one_line_and_an_exit_code(seed_index_dir: Path, args: tuple, code: int, message: str) -> None:
    result = run(*args, index_dir=seed_index_dir)
    assert result.returncode == code and message in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_index_says_what_to_run(tmp_path: Path) -> None:
    for args in (("ask", "谁？"), ("search", "谁"), ("info",)):
        result = run(*args, index_dir=tmp_path / "none")
        assert result.returncode == 1 and 'run "newsqa index" first' in result.stderr and "Traceback" not in result.stderr


def test_mismatched_encoder_and_bad_settings(seed_index_dir: Path, tmp_path: Path) -> None:
    result = run("ask", "谁？", index_dir=seed_index_dir, NEWSQA_ENCODER="st:/no/such/model")
    assert result.returncode == 1 and "cannot load" in result.stderr
    result = run("ask", "谁？", index_dir=seed_index_dir, NEWSQA_MAX_QUESTION_CHARS="lots")
    assert result.returncode == 1 and "bad setting max_question_chars" in result.stderr
    result = run("index", str(tmp_path / "missing"), index_dir=tmp_path / "i")
    assert result.returncode == 1 and "no such file or folder" in result.stderr
