"""Real servers on loopback: uvicorn smoke test, hot reload under load, and the web page in headless Chromium."""

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from retrieval.articles import load_articles
from retrieval.encoders import load_encoder
from retrieval.store import build_index
from tests.conftest import SEEDS

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def live_index(tmp_path_factory: pytest.TempPathFactory, seed_index_dir: Path) -> Path:
    """A private copy of the seed index (with its embedding cache), free to be rebuilt."""
    target = tmp_path_factory.mktemp("live") / "index"
    shutil.copytree(seed_index_dir, target)
    return target


@pytest.fixture(scope="module")
def server(live_index: Path) -> Iterator[str]:
    port = _free_port()
    # A log file, not a pipe: nobody reads a pipe while the tests run, and a full pipe would freeze the server.
    log = open(live_index.parent / "serve.log", "w")  # noqa: SIM115 - closed after the server stops
    env = {**os.environ, "NEWSQA_INDEX_DIR": str(live_index), "NEWSQA_RELOAD_INTERVAL": "0.2"}
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "newsqa"), "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert proc.poll() is None, (live_index.parent / "serve.log").read_text()
        time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("server did not become ready")
    yield base
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


def test_uvicorn_serves_the_api_over_http(server: str) -> None:
    assert httpx.get(f"{server}/healthz").json() == {"status": "ok"}
    response = httpx.post(f"{server}/v1/ask", json={"question": "伯西热克派出所组建了几支平安志愿者队伍？"}, timeout=30)
    assert response.status_code == 200 and "6支" in response.json()["answer"]
    assert response.headers["x-request-id"]
    bad = httpx.post(f"{server}/v1/ask", content=b"{", headers={"Content-Type": "application/json"})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")


def test_hot_reload_while_requests_run(server: str, live_index: Path, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    new = {
        "id": "xuelian-2024",
        "title": "天山雪莲保护站揭牌成立",
        "date": "2024-05-20",
        "source": "测试日报",
        "text": "5月20日，天山雪莲保护站在昭苏县揭牌成立。保护站首任站长由植物学家阿依古丽担任。",
    }
    (corpus / "new.jsonl").write_text(json.dumps(new, ensure_ascii=False) + "\n", encoding="utf-8")

    statuses: list[int] = []
    stop = threading.Event()

    def keep_asking() -> None:
        with httpx.Client(base_url=server, timeout=30) as client:
            while not stop.is_set():
                statuses.append(client.post("/v1/ask", json={"question": "自治区高院院长是谁？"}).status_code)

    workers = [threading.Thread(target=keep_asking) for _ in range(3)]
    for w in workers:
        w.start()
    try:
        build_index(load_articles([corpus]).articles, load_encoder("e5-small-q4"), live_index, progress=False)
        deadline = time.monotonic() + 60
        while httpx.get(f"{server}/readyz").json()["manifest"]["counts"]["articles"] != 3:
            assert time.monotonic() < deadline, "the server did not pick up the new index"
            time.sleep(0.2)
        time.sleep(0.5)  # and keep serving a little after the switch
    finally:
        stop.set()
        for w in workers:
            w.join()
    assert len(statuses) > 3 and set(statuses) == {200}
    body = httpx.post(f"{server}/v1/ask", json={"question": "天山雪莲保护站的首任站长是谁？"}, timeout=30).json()
    assert "阿依古丽" in body["answer"] and body["citations"][0]["article_id"] == "xuelian-2024"


# Skipped only outside CI: `make test` installs Debian's chromium, and CI must run this test.
@pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"), reason="Debian chromium is not installed")
@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}])
def test_web_page_in_headless_chromium(server: str, tmp_path: Path, viewport: dict) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        page = browser.new_page(viewport=viewport)
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(server + "/")
        page.fill("#question", "自治区高院院长是谁？")
        page.click("#ask")
        page.wait_for_selector("#answer-text .cite", timeout=30_000)
        assert "迪里夏提·沙依木" in page.inner_text("#answer-text")
        assert "自治区高院、检察院举行首次交流会商会" in page.inner_text("#sources")
        assert page.is_hidden("#passage")
        page.click("#answer-text .cite >> nth=0")
        page.wait_for_selector("#passage:not([hidden])")
        passage = page.inner_text("#passage")
        assert "新疆平安网 · 2023-12-16" in passage and "迪里夏提·沙依木" in passage
        assert page.get_attribute("#passage a", "href", timeout=1000).startswith("http://www.xjpeace.cn/")
        page.screenshot(path=str(tmp_path / f"page-{viewport['width']}.png"), full_page=True)

        page.fill("#question", "特斯拉公司的首席执行官是谁？")
        page.click("#ask")
        page.wait_for_selector("#answer-text:has-text('没有找到')", timeout=30_000)
        assert "最接近的段落" in page.inner_text("#sources")
        # The page must not need anything outside the server, nor trip its own CSP.
        assert not [e for e in errors if "Content Security Policy" in e or "Failed to load" in e], errors
        browser.close()
    assert (tmp_path / f"page-{viewport['width']}.png").stat().st_size > 10_000
