"""The `newsqa` console script, run as a user runs it (a subprocess), on the seed corpus."""

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from retrieval.store import current_build
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
    assert "indexed 3 articles (2 skipped; 3 new, 0 updated, 0 removed, 0 reprints folded)" in first.stdout
    assert "embeddings: 14 new, 0 reused" in first.stdout
    assert "broken.jsonl:2: invalid JSON" in first.stderr and "empty.txt: empty file" in first.stderr
    again = run("index", str(corpus), "-q", index_dir=index_dir)
    assert again.stdout.startswith("index is up to date: 3 articles")

    # Explicit paths add and update; `remove` takes articles out; the corpus folder alone is the whole corpus.
    extra = tmp_path / "extra.jsonl"
    extra.write_text('{"id": "ok2", "title": "又一篇", "text": "第二篇能读的短文。"}\n', encoding="utf-8")
    added = run("index", str(extra), "-q", index_dir=index_dir)
    assert "indexed 4 articles (0 skipped; 1 new, 0 updated, 0 removed" in added.stdout and "embeddings: 1 new" in added.stdout
    removed = run("remove", "ok1", "-q", index_dir=index_dir)
    assert "indexed 3 articles" in removed.stdout and "1 removed" in removed.stdout
    assert run("remove", "no-such-id", index_dir=index_dir).stderr.startswith("newsqa: no article with id 'no-such-id'")
    synced = run("index", "-q", index_dir=index_dir, NEWSQA_CORPUS_DIR=str(corpus))
    assert "indexed 3 articles" in synced.stdout and "1 new, 0 updated, 1 removed" in synced.stdout

    info = run("info", "--json", index_dir=index_dir)
    manifest = json.loads(info.stdout)
    assert manifest["counts"]["articles"] == 3 and manifest["encoder"] == {"id": "e5-small-q4", "dim": 384}


def test_ask_json_is_the_api_body(seed_index_dir: Path) -> None:
    result = run("ask", "自治区高院院长是谁？", "--json", "-k", "3", index_dir=seed_index_dir)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    keys = ["question", "standalone_question", "short_answer", "answer", "abstained", "citations", "timings_ms", "time_window"]
    assert list(body) == keys and body["short_answer"] == "迪里夏提·沙依木"
    assert "迪里夏提·沙依木" in body["answer"] and body["answer"].endswith("[1]") and not body["abstained"]
    assert body["citations"][0]["source"] == "新疆平安网" and body["citations"][0]["date"] == "2023-12-16"


def test_ask_text_shows_answer_and_sources(seed_index_dir: Path) -> None:
    result = run("ask", "伯西热克派出所组建了几支平安志愿者队伍？", index_dir=seed_index_dir)
    assert result.returncode == 0 and "6支" in result.stdout and "来源：" in result.stdout and "[1] 履职尽责" in result.stdout
    # 今年 in an article of 2022-09-14: the year beside it in the answer, the quotation itself verbatim.
    assert "今年5月〔2022年5月〕" in result.stdout and "引文：今年5月,公安部命名" in result.stdout


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


def test_info_verify_checks_every_file(tmp_path: Path, seed_index_dir: Path) -> None:
    result = run("info", "--verify", index_dir=seed_index_dir)
    assert result.returncode == 0, result.stderr
    assert re.search(r"^verified   all \d+ files match their recorded size and SHA-256$", result.stdout, re.M), result.stdout
    index_dir = tmp_path / "index"
    shutil.copytree(seed_index_dir, index_dir)
    chunks = current_build(index_dir) / "chunks.jsonl"
    chunks.write_text(chunks.read_text(encoding="utf-8").replace("派出所", "派出局", 1), encoding="utf-8")  # same size
    result = run("info", "--verify", index_dir=index_dir)
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "chunks.jsonl is damaged (checksum mismatch)" in result.stderr and "Traceback" not in result.stderr


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


def test_sigkill_during_index_keeps_the_previous_index_and_resumes(tmp_path: Path, seed_index_dir: Path) -> None:
    index_dir = tmp_path / "index"
    shutil.copytree(seed_index_dir, index_dir)
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    pairs = "春耕防汛会议部署农业水利城市乡村企业学校医院交通铁路港口电力科技文化旅游生态环境"
    words = [pairs[i : i + 2] for i in range(0, len(pairs), 2)]
    with open(corpus / "more.jsonl", "w", encoding="utf-8") as fh:
        for i in range(40):  # distinct texts: near-duplicates would be folded into one article
            rng = random.Random(i)
            text = "".join("".join(rng.choice(words) for _ in range(12)) + "。" for _ in range(28))  # 2–3 chunks
            fh.write(json.dumps({"id": f"more-{i}", "title": f"专题通报第{i}号", "text": text}, ensure_ascii=False) + "\n")
    env = {**os.environ, "NEWSQA_INDEX_DIR": str(index_dir)}
    proc = subprocess.Popen([NEWSQA, "index", str(corpus), "-q"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    cache = next((index_dir / "cache").glob("e5-small-q4-*.sqlite"))  # the embedding cache, not the mention cache
    deadline = time.monotonic() + 120
    import sqlite3

    def cached() -> int:
        with sqlite3.connect(cache, timeout=30) as db:
            return int(db.execute("SELECT count(*) FROM vectors").fetchone()[0])

    before = cached()
    while cached() < before + 64 and proc.poll() is None:  # kill it after its first batch is stored
        assert time.monotonic() < deadline
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the build finished before it could be killed; make the corpus bigger"

    # The previous index still loads and answers.
    result = run("ask", "自治区高院院长是谁？", "--json", index_dir=index_dir)
    assert result.returncode == 0 and "迪里夏提·沙依木" in json.loads(result.stdout)["answer"]
    assert json.loads(run("info", "--json", index_dir=index_dir).stdout)["counts"]["articles"] == 2
    # The next run re-embeds only what the killed one had not finished.
    again = run("index", str(corpus), "-q", index_dir=index_dir)
    assert again.returncode == 0, again.stderr
    found = re.search(r"embeddings: (\d+) new, (\d+) reused", again.stdout)
    assert found, again.stdout
    new, reused = int(found[1]), int(found[2])
    assert reused >= 13 + 64 and new > 0


def test_chat_over_a_pipe_follows_the_conversation(seed_index_dir: Path) -> None:
    lines = "伯西热克派出所组建了几支志愿者队伍？\n该所所长叫什么名字？\n/new\n该所所长叫什么名字？\n/quit\n不会被问到\n"
    environ = {**os.environ, "NEWSQA_INDEX_DIR": str(seed_index_dir)}
    done = subprocess.run([NEWSQA, "chat"], input=lines, capture_output=True, text=True, env=environ, timeout=600)
    assert done.returncode == 0, done.stderr
    first, second, third = (
        done.stdout.split("（新对话）")[0],
        done.stdout.split("（新对话）")[0],
        done.stdout.split("（新对话）")[1],
    )
    assert "答：6支" in first
    assert "理解为：伯西热克派出所所长叫什么名字？" in second and "答：张宝" in second
    assert "理解为" not in third and "抱歉" in third  # after /new the same words have nothing to lean on
    assert "不会被问到" not in done.stdout


def test_chat_ends_at_the_end_of_input(seed_index_dir: Path) -> None:
    environ = {**os.environ, "NEWSQA_INDEX_DIR": str(seed_index_dir)}
    done = subprocess.run([NEWSQA, "chat"], input="   \n", capture_output=True, text=True, env=environ, timeout=600)
    assert done.returncode == 0 and done.stdout == ""


def test_eval_dialogues_reports_follow_up_accuracy(seed_index_dir: Path, tmp_path: Path) -> None:
    dialogues = tmp_path / "dialogues.jsonl"
    rows = [
        {
            "turns": ["伯西热克派出所组建了几支志愿者队伍？", "该所所长叫什么名字？"],
            "gold": ["张宝"],
            "article_id": "004_579abd0b5bbce8c2",
            "standalone": "伯西热克派出所所长叫什么名字？",
        },
        {
            "turns": ["自治区高院院长是谁？", "福海县司法局党组书记是谁？"],
            "gold": ["黄新艳"],
            "article_id": "004_579abd0b5bbce8c2",
            "standalone": "福海县司法局党组书记是谁？",
            "kind": "switch",
        },
        {"turns": ["自治区高院院长是谁？", "他今年多大年纪？"], "gold": [], "article_id": None},
    ]
    dialogues.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    result = run("eval", "--dialogues", str(dialogues), "--json", index_dir=seed_index_dir)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report == {"dialogues": 3, "follow_up_accuracy": 1.0, "standalone_accuracy": 1.0, "switches_unrewritten": 1.0}


def test_an_argument_that_is_not_utf8_gets_one_line(seed_index_dir: Path) -> None:
    environ = {**os.environ, "NEWSQA_INDEX_DIR": str(seed_index_dir)}
    done = subprocess.run([NEWSQA.encode(), b"ask", b"\xff\xfe"], capture_output=True, env=environ, timeout=600)
    stderr = done.stderr.decode()
    assert (
        done.returncode == 2
        and "Traceback" not in stderr
        and stderr.strip() == ("newsqa: an argument is not valid UTF-8 text; check the terminal's encoding")
    )


@pytest.mark.parametrize("damage", ["encoder null", "CURRENT not text"])
def test_a_manifest_of_the_wrong_shape_or_a_binary_pointer_is_damage(seed_index_dir: Path, tmp_path: Path, damage: str) -> None:
    index_dir = tmp_path / "index"
    shutil.copytree(seed_index_dir, index_dir)
    if damage == "encoder null":
        manifest_path = current_build(index_dir) / "manifest.json"
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        manifest["encoder"] = None
        manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    else:
        (index_dir / "CURRENT").write_bytes(b"\xff\xfe\x00build")
    for args in (("ask", "自治区高院院长是谁？"), ("info",)):
        result = run(*args, index_dir=index_dir)
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert result.stderr.startswith("newsqa: ") and "damaged" in result.stderr and len(result.stderr.splitlines()) == 1


def test_a_failed_write_is_one_line_and_leaves_no_partial_build(seed_index_dir: Path, tmp_path: Path) -> None:
    import resource

    index_dir = tmp_path / "index"
    shutil.copytree(seed_index_dir, index_dir)
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    (corpus / "new.jsonl").write_text(json.dumps({"id": "n1", "title": "新稿", "text": "一篇新的短文。" * 40}) + "\n")

    def small_files() -> None:  # as a full disk would: any file may grow to 8 KB only
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (8192, 8192))

    environ = {**os.environ, "NEWSQA_INDEX_DIR": str(index_dir)}
    done = subprocess.run(
        [NEWSQA, "index", str(corpus), "-q"], capture_output=True, text=True, env=environ, timeout=600, preexec_fn=small_files
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("newsqa: cannot write the index in")
    assert not list((index_dir / "builds").glob("*.partial"))
    assert json.loads(run("info", "--json", index_dir=index_dir).stdout)["counts"]["articles"] == 2  # the old one serves


def test_an_unreadable_folder_is_named_and_its_articles_stay(
    seed_index_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot import cli
    from retrieval import articles

    index_dir = tmp_path / "index"
    shutil.copytree(seed_index_dir, index_dir)
    corpus = tmp_path / "corpus"
    (corpus / "locked").mkdir(parents=True)
    seeds = sorted(SEEDS.glob("*.txt"))
    shutil.copy(seeds[0], corpus)
    shutil.copy(seeds[1], corpus / "locked")
    real_walk = os.walk

    def walk(top: Any, onerror: Any = None, **kw: Any) -> Any:  # the tests run as root, who can read anything
        for folder, dirs, names in real_walk(top, onerror=onerror, **kw):
            if Path(folder).name == "locked":
                onerror(PermissionError(13, "Permission denied", folder))
                dirs[:] = []
                continue
            yield folder, dirs, names

    monkeypatch.setattr(articles.os, "walk", walk)
    monkeypatch.setenv("NEWSQA_INDEX_DIR", str(index_dir))
    monkeypatch.setenv("NEWSQA_CORPUS_DIR", str(corpus))
    assert cli.main(["index", "-q"]) == 0  # the corpus folder is the whole corpus: it would prune
    err = capsys.readouterr().err
    assert f"{corpus / 'locked'}: cannot read (Permission denied)" in err and "nothing is removed" in err
    monkeypatch.undo()
    assert json.loads(run("info", "--json", index_dir=index_dir).stdout)["counts"]["articles"] == 2


def test_index_run_while_another_holds_the_lock_is_refused_even_with_nothing_to_do(seed_index_dir: Path, tmp_path: Path) -> None:
    import fcntl

    index_dir = tmp_path / "index"
    shutil.copytree(seed_index_dir, index_dir)
    with open(index_dir / ".lock", "w") as lock:  # another `newsqa index` is writing
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = run("index", str(SEEDS), "-q", index_dir=index_dir)  # the same corpus: nothing would change
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.strip() == f"newsqa: another 'newsqa index' is writing {index_dir}; wait for it to finish"


def test_hostile_jsonl_lines_are_named_by_the_cli_and_the_rest_is_indexed(seed_index_dir: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    shutil.copytree(seed_index_dir, index_dir)
    corpus = tmp_path / "hostile.jsonl"
    good = '{"id": "g%d", "title": "标题", "text": "一篇正常的短文，说的是天山雪莲。"}\n'
    corpus.write_text(
        good % 1 + "[" * 100_000 + "]" * 100_000 + "\n" + '{"id": "n", "text": "x", "v": ' + "9" * 5000 + "}\n" + good % 2
    )
    done = run("index", str(corpus), "-q", index_dir=index_dir)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert f"{corpus}:2: JSON nested too deeply" in done.stderr and f"{corpus}:3: unreadable JSON value" in done.stderr
    assert json.loads(run("info", "--json", index_dir=index_dir).stdout)["counts"]["articles"] == 4
