"""Secrets stay secret end to end: a real `newsqa serve` with an admin token never shows it in its log, its error
bodies or /metrics, whatever clients send; article ids cannot reach files outside the index."""

import shutil
from pathlib import Path
from urllib.parse import quote

import httpx
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.load import serve
from bot.http import create_app
from retrieval.engine import Engine

ADMIN = "adm1n-Secret-7f3c9e"
# Sent as they are (already URL-encoded): traversal attempts and names of files of the index folder.
RAW = ["..", "../CURRENT", "..%2F..%2Fetc%2Fpasswd", "%2e%2e%2fCURRENT", "CURRENT", "builds", ".lock", "%00"]


def test_no_secret_in_logs_errors_or_metrics(tmp_path: Path, seed_index_dir: Path) -> None:
    index_dir = tmp_path / "index"
    shutil.copytree(seed_index_dir, index_dir)
    log = tmp_path / "serve.log"
    with serve(index_dir, env={"NEWSQA_ADMIN_TOKEN": ADMIN}, log=log) as (_, base):
        bodies = []
        with httpx.Client(base_url=base, timeout=30) as client:
            for token in (ADMIN[:-1], ADMIN + "x", f"{ADMIN} {ADMIN}", "-"):
                r = client.post("/v1/admin/reload", headers={"Authorization": f"Bearer {token}"})
                assert r.status_code in (401, 403), r.text
                bodies.append(r.text)
            ok = client.post("/v1/admin/reload", headers={"Authorization": f"Bearer {ADMIN}", "X-Request-ID": ADMIN})
            assert ok.status_code == 200
            bodies += [ok.text, client.get("/metrics").text, client.get("/readyz").text]
            bodies.append(client.post("/v1/ask", json={"question": "谁？", "k": ADMIN}).text)  # echoed input is the client's
    logged = log.read_text(encoding="utf-8")
    assert "POST /v1/admin/reload 403" in logged and "POST /v1/admin/reload 200" in logged
    assert ADMIN not in logged
    assert not [b for b in bodies[:-1] if ADMIN in b]


@settings(max_examples=80, deadline=None, derandomize=True, database=None)
@given(article_id=st.text(min_size=1, max_size=300) | st.sampled_from(RAW))
def test_article_ids_never_reach_files(engine: Engine, article_id: str) -> None:
    path = article_id if article_id in RAW else quote(article_id, safe="")
    with TestClient(create_app(engine.settings, engine), raise_server_exceptions=False) as client:
        response = client.get("/v1/articles/" + path)
    assert response.status_code in (200, 404, 405, 422), (article_id, response.status_code, response.text)
    if response.status_code == 200:
        assert response.json()["id"] in engine.searcher.index.articles
