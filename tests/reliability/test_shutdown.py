"""Graceful shutdown: SIGTERM to `newsqa serve` lets the requests in flight finish, refuses new ones, and exits 0."""

import asyncio
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from bench.load import serve


async def _in_flight(base: str, n: int, proc: subprocess.Popen[bytes]) -> list[int | str]:
    # One client with a connection per request: building a client per request (its TLS context) took long enough on a
    # loaded machine that some requests were not yet sent when SIGTERM came.
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:

        async def ask(i: int) -> int | str:
            try:
                headers = {"Accept": "text/event-stream"} if i % 3 == 0 else {}  # some stream their answer
                r = await client.post("/v1/ask", json={"question": f"自治区高院院长是谁？{i}"}, headers=headers)
                return r.status_code if "event: done" in r.text or r.headers["content-type"] == "application/json" else "cut"
            except httpx.HTTPError as exc:
                return type(exc).__name__

        tasks = [asyncio.create_task(ask(i)) for i in range(n)]
        await asyncio.sleep(0.5)  # all sent; on 2 cores most are still queued or being answered
        proc.send_signal(signal.SIGTERM)
        return list(await asyncio.gather(*tasks))


def test_sigterm_finishes_requests_in_flight_then_exits_0(tmp_path: Path, seed_index_dir: Path) -> None:
    index_dir = tmp_path / "index"
    shutil.copytree(seed_index_dir, index_dir)
    log = tmp_path / "serve.log"
    with serve(index_dir, env={"NEWSQA_MAX_PENDING": "64"}, log=log) as (proc, base):
        httpx.post(f"{base}/v1/ask", json={"question": "预热"}, timeout=60)  # warm: the model and jieba are loaded
        started = time.monotonic()
        statuses = asyncio.run(_in_flight(base, 24, proc))
        # New connections are refused once it is shutting down.
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{base}/healthz", timeout=5)
        code = proc.wait(timeout=60)
    assert statuses == [200] * 24, statuses  # every request in flight got its whole answer
    assert time.monotonic() - started < 60
    assert "Waiting for application shutdown" in log.read_text() or "Shutting down" in log.read_text()
    assert code == 0, f"exit code {code}"
