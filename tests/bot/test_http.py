"""HTTP API in-process: every endpoint and every input rule."""

import inspect
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from bot.http import create_app
from retrieval.engine import Engine
from retrieval.settings import Settings

QUESTION = "自治区高院院长是谁？"


@pytest.fixture(scope="module")
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(engine.settings, engine)) as c:
        yield c


def _problem(response, status: int, field: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys() and body["status"] == status
    if field is not None:
        assert field in [e["field"] for e in body.get("errors", [])], body
        assert field in body["detail"]
    return body


def test_ask_answers_with_citations_and_matches_the_cli(client: TestClient, seed_index_dir: Path) -> None:
    response = client.post("/v1/ask", json={"question": f"  {QUESTION} ", "k": 3})
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["question"] == QUESTION and "迪里夏提·沙依木" in body["answer"] and body["answer"].endswith("[1]")
    assert body["citations"][0]["url"].startswith("http://www.xjpeace.cn/")
    cli = subprocess.run(
        [str(Path(sys.executable).parent / "newsqa"), "ask", QUESTION, "--json", "-k", "3"],
        capture_output=True,
        text=True,
        env={**os.environ, "NEWSQA_INDEX_DIR": str(seed_index_dir)},
        check=True,
    )
    from_cli = json.loads(cli.stdout)
    assert set(from_cli["timings_ms"]) == set(body["timings_ms"]) == {"encode", "search", "answer", "total"}
    assert {**from_cli, "timings_ms": None} == {**body, "timings_ms": None}


def test_ask_with_filters_and_abstention(client: TestClient) -> None:
    body = client.post("/v1/ask", json={"question": QUESTION, "filters": {"date_to": "2022-12-31"}}).json()
    assert all(c["date"] <= "2022-12-31" for c in body["citations"])
    body = client.post("/v1/ask", json={"question": "特斯拉公司的首席执行官是谁？"}).json()
    assert body["abstained"] is True and "没有找到" in body["answer"] and body["citations"]


@pytest.mark.parametrize("how", ["query", "accept"])
def test_ask_streams_server_sent_events(client: TestClient, how: str) -> None:
    kwargs = {"params": {"stream": "true"}} if how == "query" else {"headers": {"Accept": "text/event-stream"}}
    with client.stream("POST", "/v1/ask", json={"question": QUESTION}, **kwargs) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        text = "".join(response.iter_text())
    events = [block.split("\n") for block in text.strip().split("\n\n")]
    assert [e[0] for e in events] == ["event: citations", "event: answer", "event: done"]
    citations = json.loads(events[0][1].removeprefix("data: "))
    answer = json.loads(events[1][1].removeprefix("data: "))
    done = json.loads(events[2][1].removeprefix("data: "))
    assert citations[0]["n"] == 1 and "[1]" in answer["answer"] and "total" in done["timings_ms"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "question"),
        ({"question": "   "}, "question"),
        ({"question": 123}, "question"),
        ({"question": "问" * 501}, "question"),
        ({"question": QUESTION, "k": 0}, "k"),
        ({"question": QUESTION, "k": 21}, "k"),
        ({"question": QUESTION, "k": "many"}, "k"),
        ({"question": QUESTION, "filters": {"date_from": "2023/01/01"}}, "filters.date_from"),
        ({"question": QUESTION, "filters": {"date_from": "2023-02-30"}}, "filters.date_from"),
        ({"question": QUESTION, "filters": {"date_from": "2024-01-01", "date_to": "2023-01-01"}}, "filters.date_to"),
        ({"question": QUESTION, "filters": {"outlet": "x"}}, "filters.outlet"),
        ({"question": QUESTION, "colour": "red"}, "colour"),
    ],
)
def test_ask_input_rules(client: TestClient, body: dict, field: str) -> None:
    _problem(client.post("/v1/ask", json=body), 422, field)


def test_ask_malformed_and_oversized_bodies(client: TestClient) -> None:
    _problem(client.post("/v1/ask", content=b"{not json", headers={"Content-Type": "application/json"}), 422, "body")
    cut = client.post("/v1/ask", content=b'{"question": "x",', headers={"Content-Type": "application/json"})
    assert [e["field"] for e in _problem(cut, 422, "body")["errors"]] == ["body"]  # never a character offset
    _problem(client.post("/v1/ask", content=b"\xff\xfe", headers={"Content-Type": "application/json"}), 422)
    _problem(client.post("/v1/ask", json=[QUESTION]), 422)
    big = json.dumps({"question": QUESTION, "pad": "x" * 70_000}).encode()
    _problem(client.post("/v1/ask", content=big, headers={"Content-Type": "application/json"}), 413)

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit must still hold
        yield b'{"question": "'
        for _ in range(20):
            yield b"x" * 8192
        yield b'"}'

    _problem(client.post("/v1/ask", content=chunks(), headers={"Content-Type": "application/json"}), 413)


def test_question_limit_is_configurable(engine: Engine) -> None:
    settings = engine.settings.model_copy(update={"max_question_chars": 5})
    with TestClient(create_app(settings, engine)) as c:
        body = _problem(c.post("/v1/ask", json={"question": "自治区高院院长是谁"}), 422, "question")
        assert "at most 5 characters" in body["detail"]


def test_search(client: TestClient) -> None:
    body = client.get("/v1/search", params={"q": "伯西热克派出所", "k": 2, "mode": "bm25"}).json()
    assert body["query"] == "伯西热克派出所" and body["mode"] == "bm25" and 1 <= len(body["hits"]) <= 2
    assert list(body["hits"][0]) == ["rank", "chunk_id", "article_id", "title", "source", "date", "url", "text", "score"]
    body = client.get("/v1/search", params={"q": "政法", "k": 20, "source": "新疆平安网"}).json()
    assert body["mode"] == "hybrid" and {h["source"] for h in body["hits"]} == {"新疆平安网"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "q"),
        ({"q": "  "}, "q"),
        ({"q": "问" * 501}, "q"),
        ({"q": "x", "k": 0}, "k"),
        ({"q": "x", "k": 99}, "k"),
        ({"q": "x", "mode": "magic"}, "mode"),
        ({"q": "x", "date_from": "yesterday"}, "date_from"),
        ({"q": "x", "date_from": "2024-01-02", "date_to": "2024-01-01"}, "date_to"),
    ],
)
def test_search_input_rules(client: TestClient, params: dict, field: str) -> None:
    _problem(client.get("/v1/search", params=params), 422, field)


def test_articles(client: TestClient) -> None:
    body = client.get("/v1/articles/000_3f7618c90cdecb59").json()
    assert body["title"] == "自治区高院、检察院举行首次交流会商会" and body["source"] == "新疆平安网"
    assert body["date"] == "2023-12-16" and body["text"].startswith("新疆平安网讯")
    assert _problem(client.get("/v1/articles/no-such-article"), 404)["detail"].startswith("no article")
    for bad in ("..%2F..%2Fetc%2Fpasswd", "a%20b", "x" * 200):
        assert client.get(f"/v1/articles/{bad}").status_code in (404, 422)


def test_health_readiness_metrics_docs(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["manifest"]["counts"] == {
        "articles": 2,
        "chunks": ready["manifest"]["counts"]["chunks"],
    }
    assert ready["manifest"]["encoder"]["id"] == "e5-small-q4" and "files" not in ready["manifest"]
    client.get("/healthz")
    metrics = client.get("/metrics").text
    assert 'newsqa_requests_total{method="GET",route="/healthz",status="200"}' in metrics
    assert 'newsqa_request_seconds_bucket{le="0.005",route="/healthz"}' in metrics
    assert "newsqa_index_chunks 1" in metrics and 'encoder="e5-small-q4"' in metrics
    assert "swagger" in client.get("/docs").text.lower()
    schema = client.get("/openapi.json").json()
    ask = schema["paths"]["/v1/ask"]["post"]
    assert "examples" in json.dumps(schema["components"]["schemas"]["AskIn"]) and "422" in ask["responses"]
    assert {"/v1/search", "/v1/articles/{article_id}", "/healthz", "/readyz", "/metrics"} <= schema["paths"].keys()


def test_request_ids(client: TestClient) -> None:
    generated = client.get("/healthz").headers["X-Request-ID"]
    assert len(generated) == 32
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    assert client.get("/healthz", headers={"X-Request-ID": "bad id <script>"}).headers["X-Request-ID"] != "bad id <script>"
    problem = client.get("/v1/articles/nope", headers={"X-Request-ID": "trace-1"}).json()
    assert problem["request_id"] == "trace-1"


def test_no_index_means_not_ready(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(index_dir=tmp_path / "empty"))) as c:
        assert c.get("/healthz").status_code == 200
        for detail in (
            _problem(c.get("/readyz"), 503)["detail"],
            _problem(c.post("/v1/ask", json={"question": QUESTION}), 503)["detail"],
        ):
            assert 'run "newsqa index" first' in detail and str(tmp_path) not in detail  # no server path to clients
        assert "newsqa_index_chunks 0.0" in c.get("/metrics").text


def test_cors_is_off_by_default_and_configurable(client: TestClient, engine: Engine) -> None:
    preflight = {"Origin": "https://news.example", "Access-Control-Request-Method": "POST"}
    assert "access-control-allow-origin" not in client.options("/v1/ask", headers=preflight).headers
    settings = engine.settings.model_copy(update={"cors_origins": "https://news.example, https://other.example"})
    with TestClient(create_app(settings, engine)) as c:
        response = c.options("/v1/ask", headers=preflight)
        assert response.headers["access-control-allow-origin"] == "https://news.example"
        assert (
            "access-control-allow-origin"
            not in c.options("/v1/ask", headers={**preflight, "Origin": "https://evil.example"}).headers
        )


def test_admin_reload(client: TestClient, engine: Engine) -> None:
    assert client.post("/v1/admin/reload").status_code == 404  # absent without a token
    settings = engine.settings.model_copy(update={"admin_token": SecretStr("s3cret-token")})
    with TestClient(create_app(settings, engine)) as c:
        assert _problem(c.post("/v1/admin/reload"), 401)
        assert c.post("/v1/admin/reload").headers["www-authenticate"] == "Bearer"
        assert _problem(c.post("/v1/admin/reload", headers={"Authorization": "Bearer wrong"}), 403)
        assert _problem(c.post("/v1/admin/reload", headers={"Authorization": "Basic s3cret-token"}), 401)
        ok = c.post("/v1/admin/reload", headers={"Authorization": "Bearer s3cret-token"})
        assert ok.status_code == 200 and ok.json()["status"] == "reloaded"
        assert "s3cret-token" not in c.get("/metrics").text


def test_web_page_is_self_contained(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200 and "新闻问答" in response.text
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "sha256-" in csp
    assert "http://" not in response.text.split("<script>")[0] and "https://" not in response.text


def test_logs_are_json_with_request_ids_and_no_secrets() -> None:
    import io
    import logging

    from bot.logs import JsonFormatter, request_id_var

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(secrets=["123456:ABC-secret"]))
    logger = logging.getLogger("newsqa.test")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    token = request_id_var.set("rid-42")
    try:
        logger.info("calling https://api.telegram.org/bot123456:ABC-secret/getMe")
    finally:
        request_id_var.reset(token)
        logger.removeHandler(handler)
    entry = json.loads(stream.getvalue())
    assert entry["request_id"] == "rid-42" and entry["level"] == "INFO" and entry["logger"] == "newsqa.test"
    assert "ABC-secret" not in stream.getvalue() and "bot***/getMe" in entry["msg"]


def test_ask_reads_a_follow_up_against_history(client: TestClient) -> None:
    first = client.post("/v1/ask", json={"question": "伯西热克派出所组建了几支志愿者队伍？"}).json()
    assert "今年5月〔2022年5月〕" in first["answer"] and first["time_window"] is None
    assert {"text": "今年5月", "resolved": "2022年5月"}.items() <= first["citations"][0]["dates"][0].items()
    turn = {"question": first["question"], "answer": first["answer"]}
    body = client.post("/v1/ask", json={"question": "该所所长叫什么名字？", "history": [turn]}).json()
    assert body["standalone_question"] == "伯西热克派出所所长叫什么名字？"
    assert body["short_answer"] == "张宝" and not body["abstained"]
    plain = client.post("/v1/ask", json={"question": "该所所长叫什么名字？"}).json()
    assert plain["standalone_question"] == "该所所长叫什么名字？"


@pytest.mark.parametrize(
    ("history", "field"),
    [
        ([{"question": "问题", "answer": "回答"}] * 11, "history"),
        ([{"question": "问题"}], "history.0.answer"),
        ([{"question": "", "answer": "回答"}], "history.0.question"),
        ([{"question": "问题", "answer": "长" * 5001}], "history.0.answer"),
        ([{"question": "问题", "answer": "回答", "extra": 1}], "history.0.extra"),
        ("not a list", "history"),
    ],
)
def test_bad_history_names_the_field(client: TestClient, history: object, field: str) -> None:
    _problem(client.post("/v1/ask", json={"question": QUESTION, "history": history}), 422, field)


def test_invented_methods_never_become_metric_labels(client: TestClient) -> None:
    for i in range(20):
        client.request(f"FROB{i:03d}" * 20, "/healthz")
    body = client.get("/metrics").text
    assert "FROB" not in body and 'method="other"' in body


def test_health_answers_head_and_runs_on_the_event_loop(client: TestClient) -> None:
    assert client.head("/healthz").status_code == 200 and client.head("/readyz").status_code == 200
    # Coroutines run on the event loop, never queued behind questions in the worker thread pool.
    routes = [r for r in client.app.routes if getattr(r, "path", "") in ("/healthz", "/readyz")]  # type: ignore[attr-defined]
    assert len(routes) == 2 and all(inspect.iscoroutinefunction(r.endpoint) for r in routes)


def test_refusals_keep_their_headers_and_k_must_be_a_number(client: TestClient) -> None:
    not_allowed = client.put("/v1/ask", json={"question": QUESTION})
    assert not_allowed.headers["content-type"].startswith("application/problem+json")
    assert not_allowed.status_code == 405 and "POST" in not_allowed.headers["allow"]
    _problem(client.post("/v1/ask", json={"question": QUESTION, "k": True}), 422, "k")
    assert client.post("/v1/ask", json={"question": QUESTION, "k": 3}).status_code == 200


def test_every_refusal_and_failure_has_a_request_id_and_is_counted(engine: Engine) -> None:
    settings = engine.settings.model_copy(update={"max_pending": 0})  # every question is "busy"
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as c:
        busy = c.post("/v1/ask", json={"question": QUESTION})
        assert busy.status_code == 503 and busy.headers["x-request-id"]
        huge = c.post("/v1/ask", content=b"x" * 70_000, headers={"Content-Type": "application/json"})
        assert huge.status_code == 413 and huge.headers["x-request-id"]
        metrics = c.get("/metrics").text
        assert 'route="/v1/ask",status="503"' in metrics and 'status="413"' in metrics

    class Broken(Engine):
        def search(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("secret internal detail")

    broken = Broken(engine.settings)
    broken._searcher = engine.searcher  # loaded, but searching fails
    with TestClient(create_app(engine.settings, broken), raise_server_exceptions=False) as c:
        failed = c.get("/v1/search", params={"q": "会商"})
        assert failed.status_code == 500 and failed.headers["x-request-id"] and "secret" not in failed.text
        assert 'status="500"' in c.get("/metrics").text
