"""Distributed embedding: the remote seam of the build, and `newsqa index --ray` against a real Ray head on loopback."""

import contextlib
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from retrieval.articles import Article
from retrieval.errors import EncoderError
from retrieval.store import build_index, load_index
from tests.conftest import ROOT, SEEDS, HashEncoder


def _articles(n: int = 3) -> list[Article]:
    return [
        Article(f"a{i}", f"第{i}篇标题", "".join(f"第{i}篇文章的第{j}句话，讲述了一些新闻事实。" for j in range(30)))
        for i in range(n)
    ]


class ShuffledRemote:
    """A remote embedder without Ray: the same encoder, batches of 3 returned out of order, optionally some missing."""

    def __init__(self, encoder: HashEncoder, drop: int = 0) -> None:
        self.encoder, self.drop = encoder, drop
        self.asked: list[tuple[str, str]] = []

    def __call__(self, pairs: list[tuple[str, str]]) -> Iterator[tuple[list[str], np.ndarray]]:
        self.asked.extend(pairs)
        kept = pairs[: max(len(pairs) - self.drop, 0)]
        batches = [kept[i : i + 3] for i in range(0, len(kept), 3)]
        random.Random(7).shuffle(batches)
        for batch in batches:
            yield [k for k, _ in batch], self.encoder.encode_passages([t for _, t in batch])


def test_remote_embedder_builds_the_same_index_as_the_local_encoder(tmp_path: Path) -> None:
    local = build_index(_articles(), HashEncoder(), tmp_path / "local", progress=False)
    encoder = HashEncoder()
    remote = ShuffledRemote(HashEncoder())
    report = build_index(_articles(), encoder, tmp_path / "remote", progress=False, remote=remote)
    assert encoder.calls == [] and len(remote.asked) == report.embedded == local.embedded
    a, b = load_index(tmp_path / "local", "test-hash", 64), load_index(tmp_path / "remote", "test-hash", 64)
    assert [c.id for c in a.chunks] == [c.id for c in b.chunks]
    assert np.allclose(a.vectors.reconstruct_n(0, a.size), b.vectors.reconstruct_n(0, b.size), atol=1e-6)
    # Everything is cached now: a second build asks the remote for nothing.
    again = build_index(_articles(), encoder, tmp_path / "remote", progress=False, remote=ShuffledRemote(HashEncoder(), drop=99))
    assert again.embedded == 0


def test_incomplete_remote_results_are_refused_but_kept_for_the_next_run(tmp_path: Path) -> None:
    with pytest.raises(EncoderError, match=r"returned \d+ of \d+ vectors"):
        build_index(_articles(), HashEncoder(), tmp_path, progress=False, remote=ShuffledRemote(HashEncoder(), drop=2))
    assert not (tmp_path / "CURRENT").exists()
    report = build_index(_articles(), HashEncoder(), tmp_path, progress=False, remote=ShuffledRemote(HashEncoder()))
    assert 0 < report.embedded < report.chunks  # resumed: only what the first run did not return


def test_missing_ray_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from retrieval.distributed import ray_embedder

    monkeypatch.setitem(sys.modules, "ray", None)  # makes `import ray` fail as if it were not installed
    with pytest.raises(EncoderError, match=r"pip install 'newsqa\[ray\]'"):
        ray_embedder("local", HashEncoder())


# ---------------------------------------------------------------- a real Ray head on loopback


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def ray_address() -> Iterator[str]:
    """A Ray head (2 CPUs, no dashboard, no usage stats) on 127.0.0.1, stopped with everything it started."""
    pytest.importorskip("ray", reason="Ray is an optional extra: pip install -e '.[ray]'")
    port = _free_port()
    # Ray's unix socket paths must stay short: a temp dir under /tmp, not pytest's deep tmp_path.
    temp_dir = tempfile.mkdtemp(prefix="newsqa-ray-")
    # No node draining on SIGTERM (it waits 30 s for Ray Serve, which this head does not run).
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S": "0"}
    ray_cli = str(Path(sys.executable).with_name("ray"))
    options = ["--node-ip-address=127.0.0.1", "--num-cpus=2", "--include-dashboard=false", "--disable-usage-stats"]
    # The head's output goes to a file, not a pipe that nobody drains while it runs.
    with open(Path(temp_dir) / "head.log", "w") as log:
        head = subprocess.Popen(
            [ray_cli, "start", "--head", "--block", f"--port={port}", *options, f"--temp-dir={temp_dir}"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own session: teardown stops exactly the processes this head started
        )
    try:
        deadline = time.monotonic() + 90
        while True:
            if head.poll() is not None:
                pytest.fail(f"ray start exited with {head.returncode}: {(Path(temp_dir) / 'head.log').read_text()[-2000:]}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline:
                pytest.fail("the Ray head did not open its port within 90 s")
            time.sleep(0.5)
        yield f"127.0.0.1:{port}"
    finally:
        head.send_signal(signal.SIGTERM)  # `ray start --block` shuts its node down on SIGTERM
        try:
            head.wait(timeout=60)
        except subprocess.TimeoutExpired:
            head.kill()
        # Whatever outlived the head in its session (Ray workers make their own process groups, not sessions).
        for pid in _session_members(head.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(temp_dir, ignore_errors=True)


def _session_members(sid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if os.getsid(int(entry.name)) == sid:
                    members.append(int(entry.name))
    return members


def _index(index_dir: Path, address: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    command = [sys.executable, "-m", "bot.cli", "index", str(SEEDS), "--prune", "--index-dir", str(index_dir)]
    command += ["--ray", address, "-q"]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_index_on_ray_writes_the_index_a_local_run_writes(ray_address: str, seed_index_dir: Path, tmp_path: Path) -> None:
    run = _index(tmp_path, ray_address)
    assert run.returncode == 0, run.stderr[-3000:]
    local, distributed = load_index(seed_index_dir, "e5-small-q4", 384), load_index(tmp_path, "e5-small-q4", 384)
    assert f"embeddings: {local.size} new, 0 reused" in run.stdout
    assert [c.id for c in distributed.chunks] == [c.id for c in local.chunks] and local.size > 5
    expected, got = local.vectors.reconstruct_n(0, local.size), distributed.vectors.reconstruct_n(0, distributed.size)
    assert got.dtype == np.float32 and np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert np.allclose(got, expected, atol=1e-5)

    # Resumable: vectors already in the cache are not sent again; only the missing ones go to the cluster.
    cache = next(p for p in (tmp_path / "cache").glob("*.sqlite") if not p.name.startswith("mentions-"))
    with sqlite3.connect(cache) as db:
        db.execute("DELETE FROM vectors WHERE rowid IN (SELECT rowid FROM vectors LIMIT 4)")
    (tmp_path / "CURRENT").unlink()
    rerun = _index(tmp_path, ray_address)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert f"embeddings: 4 new, {local.size - 4} reused" in rerun.stdout
    again = load_index(tmp_path, "e5-small-q4", 384)
    assert np.allclose(again.vectors.reconstruct_n(0, again.size), expected, atol=1e-5)


def test_unreachable_head_fails_fast_with_one_line() -> None:
    pytest.importorskip("ray", reason="Ray is an optional extra: pip install -e '.[ray]'")
    from retrieval.distributed import ray_embedder

    embed = ray_embedder(f"127.0.0.1:{_free_port()}", HashEncoder())
    with pytest.raises(EncoderError, match=r"cannot reach the Ray head at '127\.0\.0\.1:\d+'"):
        list(embed([("key", "text")]))
