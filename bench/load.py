"""Load test: N concurrent clients ask (/v1/ask) and search (/v1/search) a real `newsqa serve` on loopback for a while.

    python bench/load.py                      # 50 clients, 60 s, 3 runs; median written to docs/load-test.md
    python bench/load.py --clients 20 --seconds 5 --runs 1 --no-write

Serves the seed corpus (indexed into a temporary folder with the default encoder unless --index-dir is given).
Prints throughput, error counts and p50/p95/p99 latency per run, and the median of the runs.
"""

import argparse
import asyncio
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from retrieval.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = [
    json.loads(line)["question"]
    for line in (ROOT / "tests" / "data" / "seed_questions.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()
]
QUERIES = ["枫桥式公安派出所", "自治区高院 检察院 会商", "平安志愿者队伍", "依法治疆", "两院交流会商"]


@dataclass
class Result:
    """What one load run measured."""

    clients: int
    seconds: float
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)  # transport errors (refused, reset, timeout)
    latencies: list[float] = field(default_factory=list)  # seconds, successful (2xx) requests only
    retry_after: set[str] = field(default_factory=set)  # Retry-After values seen on 429/503

    @property
    def requests(self) -> int:
        """Requests that got an HTTP answer."""
        return sum(self.statuses.values())

    @property
    def throughput(self) -> float:
        """Successful requests per second."""
        return sum(n for s, n in self.statuses.items() if s < 300) / self.seconds

    def percentile(self, p: float) -> float:
        """Latency percentile of successful requests, in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    def line(self) -> str:
        """One human-readable summary line."""
        return (
            f"{self.clients} clients × {self.seconds:.0f} s: {self.requests} requests, {self.throughput:.1f} req/s ok, "
            f"statuses {dict(sorted(self.statuses.items()))}, transport errors {dict(self.errors) or 0}, "
            f"p50 {self.percentile(50):.0f} ms, p95 {self.percentile(95):.0f} ms, p99 {self.percentile(99):.0f} ms"
        )


async def _client(base: str, n: int, until: float, result: Result) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        i = n
        while time.monotonic() < until:
            i += 1
            started = time.perf_counter()
            try:
                if i % 2:
                    response = await http.post("/v1/ask", json={"question": QUESTIONS[i % len(QUESTIONS)]})
                else:
                    response = await http.get("/v1/search", params={"q": QUERIES[i % len(QUERIES)], "k": 10})
            except httpx.HTTPError as exc:
                result.errors[type(exc).__name__] += 1
                continue
            result.statuses[response.status_code] += 1
            if response.status_code < 300:
                result.latencies.append(time.perf_counter() - started)
            elif response.status_code in (429, 503):
                result.retry_after.add(response.headers.get("retry-after", ""))
                await asyncio.sleep(0.05)  # a polite client backs off a little (a real one honours Retry-After)


async def drive_async(base: str, clients: int, seconds: float) -> Result:
    """Run `clients` concurrent clients against `base` for `seconds`."""
    result = Result(clients=clients, seconds=seconds)
    until = time.monotonic() + seconds
    await asyncio.gather(*(_client(base, n, until, result) for n in range(clients)))
    return result


def drive(base: str, clients: int, seconds: float) -> Result:
    """Synchronous wrapper of `drive_async`."""
    return asyncio.run(drive_async(base, clients, seconds))


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(
    index_dir: Path, env: dict[str, str] | None = None, timeout: float = 120, log: Path | None = None
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A real `newsqa serve` on a free loopback port, ready to answer; yields (process, base URL) and stops it after.
    Its log goes to `log` (a temporary file by default): a pipe nobody reads would fill up and stall the server."""
    port = free_port()
    newsqa = str(Path(sys.executable).parent / "newsqa")
    full_env = {**os.environ, "NEWSQA_INDEX_DIR": str(index_dir), **(env or {})}
    log_path = log or Path(tempfile.mkstemp(prefix="newsqa-serve-", suffix=".log")[1])
    with open(log_path, "wb") as log_file:
        proc = subprocess.Popen([newsqa, "serve", "--port", str(port)], env=full_env, stdout=log_file, stderr=log_file)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"newsqa serve did not start ({proc.poll()}): {log_path.read_text(errors='replace')[-2000:]}")
            time.sleep(0.2)
        yield proc, base
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if log is None:
            log_path.unlink(missing_ok=True)


def machine() -> str:
    """CPU model and core count of this machine."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()} {platform.release()}"


def _seed_index(folder: Path) -> Path:
    """Index seeds/ into `folder` with the default encoder (13 chunks: a few seconds)."""
    subprocess.run(
        [str(Path(sys.executable).parent / "newsqa"), "index", str(ROOT / "seeds"), "-q", "--index-dir", str(folder)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return folder


def _report(runs: list[Result], args: argparse.Namespace) -> str:
    flag = f" --max-pending {args.max_pending}" if args.max_pending else ""
    med = lambda values: statistics.median(values)  # noqa: E731
    rows = "\n".join(
        f"| {i} | {r.requests} | {r.throughput:.1f} | {r.statuses[503]} | {sum(n for s, n in r.statuses.items() if s > 503)} "
        f"| {sum(r.errors.values())} | {r.percentile(50):.0f} | {r.percentile(95):.0f} | {r.percentile(99):.0f} |"
        for i, r in enumerate(runs, 1)
    )
    pending = args.max_pending or Settings.model_fields["max_pending"].default
    return f"""# Load test

## Load: /v1/ask and /v1/search under {args.clients} concurrent clients

`python bench/load.py --clients {args.clients} --seconds {args.seconds:.0f} --runs {args.runs}{flag}` — a real `newsqa serve`
(one uvicorn worker, `NEWSQA_MAX_PENDING={pending}`, no rate limit) on loopback, serving the seed corpus
with the default encoder (e5-small-q4). Each client loops without pause, alternating `POST /v1/ask` (the 29 seed
questions) and `GET /v1/search` (k=10); the load generator runs on the same machine and takes CPU from the server.

Machine: {machine()}. Measured {time.strftime("%Y-%m-%d")}.

| run | requests | ok req/s | 503 busy | other 5xx | transport errors | p50 ms | p95 ms | p99 ms |
|---|---|---|---|---|---|---|---|---|
{rows}
| **median** | {med([r.requests for r in runs]):.0f} | {med([r.throughput for r in runs]):.1f} | | | \
| {med([r.percentile(50) for r in runs]):.0f} | {med([r.percentile(95) for r in runs]):.0f} \
| {med([r.percentile(99) for r in runs]):.0f} |

Statuses per run: {"; ".join(str(dict(sorted(r.statuses.items()))) for r in runs)}.
Latencies are of successful requests. When more than `NEWSQA_MAX_PENDING` requests are in flight the server answers
503 with `Retry-After: 1` at once instead of queueing; these clients retry after 50 ms without honouring it.
"""


def main() -> int:
    """Run the load test and print (and by default write) the numbers."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--max-pending", type=int, help="NEWSQA_MAX_PENDING for the server (default: the service default)")
    parser.add_argument("--index-dir", type=Path, help="serve this index (default: seeds/ indexed into a temporary folder)")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "load-test.md")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="newsqa-load-"))
    try:
        index_dir = args.index_dir or _seed_index(tmp / "index")
        runs = []
        env = {"NEWSQA_MAX_PENDING": str(args.max_pending)} if args.max_pending else {}
        with serve(index_dir, env=env) as (_, base):
            drive(base, 4, 3)  # warm-up: model, jieba and caches
            for _ in range(args.runs):
                result = drive(base, args.clients, args.seconds)
                print(result.line(), flush=True)
                runs.append(result)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    p99 = statistics.median(r.percentile(99) for r in runs)
    print(f"median: {statistics.median(r.throughput for r in runs):.1f} req/s ok, p99 {p99:.0f} ms")
    if not args.no_write:
        args.output.parent.mkdir(exist_ok=True)
        args.output.write_text(_report(runs, args), encoding="utf-8")
        print(f"wrote {args.output}")
    return 0 if all(not r.errors and not any(s >= 500 and s != 503 for s in r.statuses) for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
