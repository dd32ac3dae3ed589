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
from typing import Any

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


def test_metric_labels_stay_a_closed_set_and_health_answers_head(server: str) -> None:
    for i in range(10):
        httpx.request(f"FROB{i}" * 30, f"{server}/healthz")
    assert httpx.head(f"{server}/healthz").status_code == 200
    body = httpx.get(f"{server}/metrics").text
    assert "FROB" not in body and 'method="other"' in body


def test_a_dialogue_over_http_with_history(server: str) -> None:
    first = httpx.post(f"{server}/v1/ask", json={"question": "伯西热克派出所组建了几支志愿者队伍？"}, timeout=30).json()
    history = [{"question": first["question"], "answer": first["answer"]}]
    body = httpx.post(f"{server}/v1/ask", json={"question": "该所所长叫什么名字？", "history": history}, timeout=30).json()
    assert body["standalone_question"] == "伯西热克派出所所长叫什么名字？" and body["short_answer"] == "张宝"
    # The stream carries the rewrite too.
    with httpx.stream("POST", f"{server}/v1/ask?stream=true", json={"question": "该所所长叫什么名字？", "history": history}) as r:
        events = "".join(r.iter_text())
    assert '"standalone_question": "伯西热克派出所所长叫什么名字？"' in events


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
        # and keep serving after the switch: three more answers, however loaded the machine is
        answered_at_switch = len(statuses)
        while len(statuses) < answered_at_switch + 3:
            assert time.monotonic() < deadline + 60, "no answers after the new index was picked up"
            time.sleep(0.1)
    finally:
        stop.set()
        for w in workers:
            w.join()
    assert len(statuses) > 3 and set(statuses) == {200}
    body = httpx.post(f"{server}/v1/ask", json={"question": "天山雪莲保护站的首任站长是谁？"}, timeout=30).json()
    assert "阿依古丽" in body["answer"] and body["citations"][0]["article_id"] == "xuelian-2024"


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not os.environ.get("CI"), reason="Debian chromium is not installed"
)  # skipped only outside CI: `make test` installs Debian's chromium, and CI must run these tests


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def _page(browser: Any, viewport: dict, **options: Any) -> tuple[Any, list[str]]:
    context = browser.new_context(viewport=viewport, **options)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page, errors


def _ask(page: Any, question: str, turns: int) -> Any:
    page.fill("#question", question)
    page.press("#question", "Enter")
    page.locator("#thread .turn .answer:not(.muted)").nth(turns - 1).wait_for(timeout=60_000)
    return page.locator("#thread .turn").nth(turns - 1)


@needs_chromium
@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}])
def test_web_page_thread_follow_up_and_sources(server: str, browser: Any, tmp_path: Path, viewport: dict) -> None:
    page, errors = _page(browser, viewport, has_touch=viewport["width"] < 500)
    page.goto(server + "/")
    # The empty page says what the corpus holds and offers questions drawn from the index.
    page.wait_for_selector("#examples button", timeout=60_000)
    articles = httpx.get(f"{server}/v1/corpus").json()["articles"]  # 2 seeds, 3 once the hot-reload test ran
    assert f"{articles} 篇新闻" in page.inner_text("#corpus") and "新疆平安网" in page.inner_text("#corpus")
    assert 3 <= page.locator("#examples button").count() <= 5

    first = _ask(page, "伯西热克派出所组建了几支志愿者队伍？", 1)
    assert "今年5月〔2022年5月〕" in first.inner_text()  # the resolved date beside the quoted words
    assert first.locator(".short").inner_text() == "6支"
    assert page.is_hidden("#intro")
    # Markers are at least 24×24 CSS px (WCAG 2.5.8), and open the passage with its title link.
    box = first.locator(".cite").first.bounding_box()
    assert box["width"] >= 24 and box["height"] >= 24
    first.locator(".cite").first.click()
    assert "新疆法制报" in first.locator(".passage").inner_text()

    # A follow-up keeps the thread and is sent with its history; the rewrite is shown.
    second = _ask(page, "该所所长叫什么名字？", 2)
    assert "理解为：伯西热克派出所所长叫什么名字？" in second.inner_text() and second.locator(".short").inner_text() == "张宝"
    assert page.locator("#thread .turn").count() == 2
    page.screenshot(path=str(tmp_path / f"page-{viewport['width']}.png"), full_page=True)

    # The thread survives a reload; 新对话 starts over.
    page.reload()
    page.wait_for_selector("#thread .turn >> nth=1")
    page.click("#new-chat")
    assert page.locator("#thread .turn").count() == 0 and page.is_visible("#intro")

    # A refusal lists the nearest passages once per article, openable.
    refusal = _ask(page, "特斯拉公司的首席执行官是谁？", 1)
    summaries = refusal.locator("details summary").all_inner_texts()
    assert "没有找到" in refusal.inner_text() and len(summaries) == len(set(summaries)) >= 1
    assert not [e for e in errors if "Content Security Policy" in e or "Failed to load" in e], errors
    assert not errors, errors
    assert (tmp_path / f"page-{viewport['width']}.png").stat().st_size > 10_000


@needs_chromium
def test_web_page_share_link_dark_mode_long_input_and_errors(server: str, browser: Any) -> None:
    page, errors = _page(browser, {"width": 1280, "height": 900}, color_scheme="dark")
    page.goto(server + "/?q=" + "自治区高院院长是谁？")
    page.locator("#thread .turn .short").first.wait_for(timeout=60_000)
    assert page.locator("#thread .short").inner_text() == "迪里夏提·沙依木"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(20, 24, 31)"  # the dark palette follows prefers-color-scheme

    # Over-long input: a visible Chinese notice, nothing sent, nothing cut.
    page.fill("#question", "长" * 501)
    assert "501/500" in page.inner_text("#counter")
    page.click("#ask")
    assert "问题太长了（501 字）" in page.inner_text("#notice")
    assert page.input_value("#question") == "长" * 501 and page.locator("#thread .turn").count() == 1
    page.fill("#question", "")
    page.click("#ask")
    assert page.inner_text("#notice") == "请先输入问题。"

    # A server error becomes a Chinese message with the detail behind 详情.
    page.route(
        "**/v1/ask",
        lambda route: route.fulfill(
            status=503,
            content_type="application/problem+json",
            body=json.dumps({"type": "urn:newsqa:problem:busy", "title": "Service busy", "status": 503, "detail": "64 requests"}),
        ),
    )
    failed = _ask(page, "自治区高院院长是谁？", 2)
    assert "提问的人太多" in failed.inner_text() and failed.locator("details summary").inner_text() == "详情"

    # A javascript: or data: article URL never becomes a link.
    hostile = {
        "question": "危险链接？",
        "standalone_question": "危险链接？",
        "short_answer": None,
        "abstained": False,
        "answer": "一句话。[1]",
        "time_window": None,
        "timings_ms": {},
        "citations": [
            {
                "n": 1,
                "article_id": "x",
                "chunk_id": "c",
                "title": "标题",
                "source": "s",
                "date": None,
                "url": "javascript:alert(1)",
                "quote": "一句话。",
                "passage": "一句话。",
                "score": 1.0,
            }
        ],
    }
    page.unroute("**/v1/ask")
    page.route("**/v1/ask", lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(hostile)))
    turn = _ask(page, "危险链接？", 3)
    turn.locator(".cite").first.click()
    hrefs = page.eval_on_selector_all("a", "links => links.map(a => a.getAttribute('href'))")
    assert not [h for h in hrefs if h and not h.startswith("http")], hrefs
    # The only console line is the browser's own note of the 503 this test staged.
    assert [e for e in errors if "status of 503" not in e] == [], errors


AXE = Path(__file__).resolve().parents[2] / "build" / "node" / "node_modules" / "axe-core" / "axe.min.js"


@needs_chromium
@pytest.mark.skipif(not AXE.exists() and not os.environ.get("CI"), reason="axe-core is not installed (make browser)")
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_web_page_has_no_serious_accessibility_violations(server: str, browser: Any, scheme: str) -> None:
    # axe-core is injected by the test alone, so the page's own CSP is bypassed for this context only.
    page, errors = _page(browser, {"width": 1280, "height": 900}, color_scheme=scheme, bypass_csp=True)
    page.goto(server + "/")
    page.wait_for_selector("#examples button", timeout=60_000)
    _ask(page, "伯西热克派出所组建了几支志愿者队伍？", 1)
    _ask(page, "特斯拉公司的首席执行官是谁？", 2)
    page.locator("#thread .cite").first.click()
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document)")
    serious = [(v["id"], v["impact"], len(v["nodes"])) for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], serious
    assert not errors, errors
