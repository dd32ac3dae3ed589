"""Screenshots of the web page for the README: desktop, phone and dark, after a question and a follow-up.

usage: python -m bench.screenshots [BASE_URL] [OUT_DIR]   (a server must be running; default http://127.0.0.1:8000)
"""

import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update"]
SHOTS = {
    "web-page.png": {"viewport": {"width": 1280, "height": 900}},
    "web-page-phone.png": {"viewport": {"width": 390, "height": 844}, "has_touch": True},
    "web-page-dark.png": {"viewport": {"width": 1280, "height": 900}, "color_scheme": "dark"},
}


def main() -> None:
    base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(__file__).resolve().parents[1] / "docs"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=ARGS)
        for name, options in SHOTS.items():
            page = browser.new_context(**options).new_page()
            page.goto(base + "/")
            for n, question in enumerate(("伯西热克派出所组建了几支志愿者队伍？", "该所所长叫什么名字？"), start=1):
                page.fill("#question", question)
                page.press("#question", "Enter")
                page.locator("#thread .turn .answer:not(.muted)").nth(n - 1).wait_for(timeout=60_000)
            page.locator("#thread .cite").last.click()
            page.screenshot(path=str(out / name))  # the view a reader has: the latest answer above the question box
            print(out / name)
        browser.close()


if __name__ == "__main__":
    main()
