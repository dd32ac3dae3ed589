"""Load and back-pressure: a real `newsqa serve` on loopback under concurrent clients (a short version of
bench/load.py), saturation answered with 503 + Retry-After, and the per-client rate limit answered with 429."""

import shutil
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from bench.load import drive, serve
from bot.http import create_app
from bot.limits import RateLimiter
from retrieval.engine import Engine


@pytest.fixture(scope="module")
def index_copy(tmp_path_factory: pytest.TempPathFactory, seed_index_dir: Path) -> Path:
    target = tmp_path_factory.mktemp("load") / "index"
    shutil.copytree(seed_index_dir, target)
    return target


def test_20_clients_for_5_seconds_get_no_errors(index_copy: Path) -> None:
    with serve(index_copy) as (_, base):
        result = drive(base, clients=20, seconds=5)
    print(result.line())
    assert result.requests > 20 and not result.errors
    assert set(result.statuses) == {200}, result.statuses  # 20 clients stay under the default max_pending of 32


def test_saturation_is_answered_with_503_and_retry_after(index_copy: Path) -> None:
    with serve(index_copy, env={"NEWSQA_MAX_PENDING": "2"}) as (_, base):
        result = drive(base, clients=24, seconds=4)
        busy = httpx.post(f"{base}/v1/ask", json={"question": "自治区高院院长是谁？"}, timeout=30)
        health = [httpx.get(f"{base}/healthz", timeout=5).status_code for _ in range(3)]
    print(result.line())
    assert not result.errors, result.errors  # no refused or reset connections, no timeouts
    assert set(result.statuses) <= {200, 503} and result.statuses[200] > 0 and result.statuses[503] > 0, result.statuses
    assert result.retry_after == {"1"}
    assert busy.status_code == 200  # load gone: served again at once
    assert health == [200, 200, 200]


def test_busy_answer_is_a_problem_with_retry_after(engine: Engine) -> None:
    app = create_app(engine.settings.model_copy(update={"max_pending": 1}), engine)
    gate = next(m for m in app.user_middleware if m.cls.__name__ == "Gate")
    assert gate.kwargs == {"max_pending": 1, "per_minute": 0}
    with TestClient(app) as client:
        # The gate's counter is reached through the built middleware stack: fill it as if one request were running.
        stack = app.middleware_stack
        while stack is not None and type(stack).__name__ != "Gate":
            stack = getattr(stack, "app", None)
        assert stack is not None
        stack.pending = 1  # type: ignore[attr-defined]
        response = client.get("/v1/search", params={"q": "派出所"})
        assert response.status_code == 503 and response.headers["retry-after"] == "1"
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["type"] == "urn:newsqa:problem:busy" and response.headers["x-request-id"]
        assert client.get("/v1/articles/000_3f7618c90cdecb59").status_code in (200, 404)  # light routes are not gated
        assert client.get("/readyz").status_code == 200
        stack.pending = 0  # type: ignore[attr-defined]
        assert client.get("/v1/search", params={"q": "派出所"}).status_code == 200


def test_rate_limit_is_off_by_default_and_answers_429(engine: Engine) -> None:
    with TestClient(create_app(engine.settings, engine)) as client:
        assert {client.get("/v1/search", params={"q": "派出所"}).status_code for _ in range(12)} == {200}
    with TestClient(create_app(engine.settings.model_copy(update={"api_rate_limit": 3}), engine)) as client:
        statuses = [client.get("/v1/search", params={"q": "派出所"}).status_code for _ in range(3)]
        limited = client.post("/v1/ask", json={"question": "自治区高院院长是谁？"})
        assert statuses == [200, 200, 200] and limited.status_code == 429
        assert limited.headers["content-type"].startswith("application/problem+json")
        assert 1 <= int(limited.headers["retry-after"]) <= 60 and limited.json()["type"] == "urn:newsqa:problem:rate-limited"
        # Only the API is limited: probes, metrics and the page stay reachable.
        assert [client.get(p).status_code for p in ("/healthz", "/readyz", "/metrics", "/")] == [200, 200, 200, 200]
        assert 'status="429"' in client.get("/metrics").text


def test_rate_limiter_slides_per_client() -> None:
    now = [0.0]
    limiter = RateLimiter(2, clock=lambda: now[0])
    assert [limiter.acquire("a"), limiter.acquire("a"), limiter.acquire("b")] == [0.0, 0.0, 0.0]
    assert limiter.acquire("a") == 60.0
    now[0] = 30.0
    assert limiter.acquire("a") == 30.0
    now[0] = 60.0
    assert limiter.acquire("a") == 0.0
