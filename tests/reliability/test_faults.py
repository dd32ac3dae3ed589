"""Faults: `newsqa index` killed at each stage of a build, damaged builds switched in under a running server, an index
built by another encoder, and two `newsqa index` at once. The existing tests cover the rest (see docs/reliability.md)."""

import fcntl
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.http import create_app
from retrieval.settings import Settings
from retrieval.store import current_build, load_index
from tests.conftest import SEEDS

NEWSQA = str(Path(sys.executable).parent / "newsqa")
QUESTION = "自治区高院院长是谁？"

# `newsqa index` with a SIGKILL delivered by the process to itself at one stage of the build. Each stage is reached
# through the real code path (the module function is wrapped, not replaced), so what is on disk at the kill is exactly
# what a crash there would leave.
KILL_AT = {
    # after vectors.faiss, bm25/ and chunks.jsonl are written, before articles.jsonl and the manifest
    "writing the build folder": "s._write_jsonl = kill_on(s._write_jsonl, lambda path, rows: path.name == 'articles.jsonl')",
    # the build folder is complete and renamed into place; CURRENT still names the old build
    "just before the CURRENT switch": "s._switch = kill_on(s._switch, lambda *a: True)",
}
WRAPPER = """
import os, signal, sys
import retrieval.store as s
def kill_on(func, when):
    def wrapped(*args, **kwargs):
        if when(*args, **kwargs):
            os.kill(os.getpid(), signal.SIGKILL)
        return func(*args, **kwargs)
    return wrapped
{patch}
from bot.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _run(*args: str, index_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "NEWSQA_INDEX_DIR": str(index_dir), **env}
    return subprocess.run([NEWSQA, *args], capture_output=True, text=True, env=full, timeout=300)


def _corpus(tmp_path: Path, n: int, tag: str = "") -> Path:
    corpus = tmp_path / f"corpus{tag}"
    shutil.copytree(SEEDS, corpus)
    with open(corpus / "more.jsonl", "w", encoding="utf-8") as fh:
        for i in range(n):
            text = "".join(
                f"第{i}号{tag}通报第{j}条：某市于三月{j}日召开第{i}次专题会议，部署春耕生产和防汛准备工作。" for j in range(12)
            )
            fh.write(
                json.dumps({"id": f"more{tag}-{i}", "title": f"专题会议第{i}号通报{tag}", "text": text}, ensure_ascii=False)
                + "\n"
            )
    return corpus


@pytest.fixture
def index_dir(tmp_path: Path, seed_index_dir: Path) -> Path:
    target = tmp_path / "index"
    shutil.copytree(seed_index_dir, target)
    return target


@pytest.mark.parametrize("stage", list(KILL_AT))
def test_sigkill_at_each_build_stage_keeps_the_previous_index(tmp_path: Path, index_dir: Path, stage: str) -> None:
    before = current_build(index_dir)
    corpus = _corpus(tmp_path, 3)
    env = {**os.environ, "NEWSQA_INDEX_DIR": str(index_dir)}
    proc = subprocess.run(
        [sys.executable, "-c", WRAPPER.format(patch=KILL_AT[stage]), "index", str(corpus), "-q"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    leftovers = sorted(p.name for p in (index_dir / "builds").iterdir() if p != before)
    assert leftovers, "the killed build left its folder behind (that is the point of the test)"
    assert current_build(index_dir) == before
    # The previous index still loads and answers, through the CLI.
    asked = _run("ask", QUESTION, "--json", index_dir=index_dir)
    assert asked.returncode == 0 and "迪里夏提·沙依木" in json.loads(asked.stdout)["answer"], asked.stderr
    # The next build succeeds beside the debris, reuses the killed run's embeddings, and clears the debris away.
    again = _run("index", str(corpus), "-q", index_dir=index_dir)
    assert again.returncode == 0 and "0 new" in again.stdout, again.stdout + again.stderr
    assert json.loads(_run("info", "--json", index_dir=index_dir).stdout)["counts"]["articles"] == 5
    assert not any(p.name.endswith(".partial") for p in (index_dir / "builds").iterdir() if p.name != before.name)


@pytest.mark.parametrize("name", ["vectors.faiss", "chunks.jsonl", "articles.jsonl", "bm25/params.index.json", "manifest.json"])
def test_damaged_new_build_is_refused_on_hot_reload_and_the_old_one_keeps_serving(
    index_dir: Path, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    good = current_build(index_dir)
    bad = good.parent / "20990101T000000-damaged"
    shutil.copytree(good, bad)
    path = bad / name
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] if name != "manifest.json" else data[:-40])
    settings = Settings(index_dir=index_dir, reload_interval=0.05)
    with TestClient(create_app(settings)) as client:
        assert client.get("/readyz").json()["manifest"]["build"] == good.name
        with caplog.at_level(logging.WARNING, logger="newsqa.engine"):
            tmp = index_dir / "CURRENT.tmp"
            tmp.write_text(bad.name + "\n", encoding="utf-8")
            os.replace(tmp, index_dir / "CURRENT")  # what `newsqa index` does when it switches in a build
            deadline = time.monotonic() + 30
            while not any(name.split("/")[-1] in r.getMessage() for r in caplog.records):
                assert time.monotonic() < deadline, "the damaged build was never tried"
                time.sleep(0.05)
        refusal = next(r.getMessage() for r in caplog.records if name.split("/")[-1] in r.getMessage())
        assert "newsqa index" in refusal and str(bad) in refusal
        # Still serving the last good index, and saying which one.
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["manifest"]["build"] == good.name
        answer = client.post("/v1/ask", json={"question": QUESTION})
        assert answer.status_code == 200 and "迪里夏提·沙依木" in answer.json()["answer"]


def test_same_size_change_to_vectors_loads_but_info_verify_refuses_it(index_dir: Path) -> None:
    ok = _run("info", "--verify", index_dir=index_dir)
    files = len(json.loads((current_build(index_dir) / "manifest.json").read_text(encoding="utf-8"))["files"])
    assert ok.returncode == 0 and f"all {files} files match" in ok.stdout, ok.stderr
    assert json.loads(_run("info", "--json", "--verify", index_dir=index_dir).stdout)["verified_files"] == files

    path = current_build(index_dir) / "vectors.faiss"
    data = bytearray(path.read_bytes())
    data[-4] ^= 0x01  # lowest mantissa bit of the last stored float: same size, a different file
    path.write_bytes(bytes(data))
    # vectors.faiss is memory-mapped, so a load checks its size only (hashing it would read it all)…
    assert load_index(index_dir, "e5-small-q4", 384).size > 0
    # …while `newsqa info --verify` hashes every file and refuses it in one line, exit 1.
    result = _run("info", "--verify", index_dir=index_dir)
    assert result.returncode == 1 and result.stdout == "", result.stdout
    assert result.stderr.strip() == (
        f'newsqa: index file {path} is damaged (checksum mismatch); run "newsqa index" to rebuild it'
    ), result.stderr


def test_index_built_by_another_encoder_is_refused_by_cli_and_readyz(index_dir: Path) -> None:
    manifest_path = current_build(index_dir) / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["encoder"] = {"id": "st:sentence-transformers/all-MiniLM-L6-v2", "dim": 384}  # as if built with --encoder st:…
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")

    for args in (("ask", QUESTION), ("search", "派出所")):
        result = _run(*args, index_dir=index_dir)
        last = result.stderr.strip().splitlines()[-1]
        assert result.returncode == 1 and "Traceback" not in result.stderr and last.startswith("newsqa: ")
        assert "built with encoder 'st:sentence-transformers/all-MiniLM-L6-v2'" in last
        assert "newsqa index --encoder e5-small-q4" in last and "NEWSQA_ENCODER=st:" in last

    with TestClient(create_app(Settings(index_dir=index_dir))) as client:
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.headers["content-type"].startswith("application/problem+json")
        assert "built with encoder 'st:sentence-transformers/all-MiniLM-L6-v2'" in ready.json()["detail"]
        assert client.post("/v1/ask", json={"question": QUESTION}).status_code == 503


def test_two_concurrent_index_runs_one_refuses_and_the_index_is_never_mixed(tmp_path: Path, index_dir: Path) -> None:
    first_corpus, second_corpus = _corpus(tmp_path, 30, "甲"), _corpus(tmp_path, 4, "乙")
    env = {**os.environ, "NEWSQA_INDEX_DIR": str(index_dir)}
    first = subprocess.Popen([NEWSQA, "index", str(first_corpus), "-q"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def locked() -> bool:
        with open(index_dir / ".lock", "a") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(fh, fcntl.LOCK_UN)
            return False

    deadline = time.monotonic() + 120
    while not locked():  # the first run holds the lock while it embeds its 30 new articles
        assert first.poll() is None and time.monotonic() < deadline, "the first build finished before the second started"
        time.sleep(0.05)
    second = _run("index", str(second_corpus), "-q", index_dir=index_dir)
    _, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    assert second.returncode == 1 and second.stderr.strip() == (
        f"newsqa: another 'newsqa index' is writing {index_dir}; wait for it to finish"
    )
    # The index is exactly the first corpus: nothing of the refused run got in.
    info = json.loads(_run("info", "--json", index_dir=index_dir).stdout)
    assert info["counts"]["articles"] == 32
    asked = _run("search", "通报乙", "--json", "-k", "20", index_dir=index_dir)
    assert not [h for h in json.loads(asked.stdout)["hits"] if "乙" in h["article_id"]]
    assert not any(p.name.endswith(".partial") for p in (index_dir / "builds").iterdir())


# Found by these tests: Engine.load used to log the refusal as well as raising it, so the CLI printed two lines.
@pytest.mark.parametrize("case", ["no index", "other encoder"])
def test_a_refused_index_is_one_line_on_stderr(tmp_path: Path, index_dir: Path, case: str) -> None:
    if case == "other encoder":
        manifest_path = current_build(index_dir) / "manifest.json"
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        manifest_path.write_text(json.dumps({**manifest, "encoder": {"id": "st:other", "dim": 384}}), encoding="utf-8")
    result = _run("ask", QUESTION, index_dir=index_dir if case == "other encoder" else tmp_path / "none")
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1, result.stderr
