"""Screenshots of the console for the README: ``make screenshots``.

Plays the demo (three real nodes on loopback), sends one FLASH message so the watch floor
shows its alarm, signs in with the demo's accounts in Debian's chromium, and saves a
screenshot of the watch floor, the requests board, a counterpart's page and the map,
in English and one page in Chinese, into this folder.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import Page, sync_playwright

from openline.demo import DEMO_PASSWORD

HERE = Path(__file__).parent
CHROMIUM = "/usr/bin/chromium"
WIDTH, HEIGHT = 1360, 900


def start_demo(root: Path) -> tuple[subprocess.Popen[str], dict[str, str]]:
    demo = subprocess.Popen(
        [sys.executable, "-m", "openline.cli", "demo", "--dir", str(root)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert demo.stdout is not None
    urls: dict[str, str] = {}
    for line in demo.stdout:
        print(line, end="")
        found = re.match(r"\s+([a-z-]+)\s+(http://127\.0\.0\.1:\d+)/console/", line)
        if found:
            urls[found.group(1)] = found.group(2)
        if "the network keeps running" in line:
            return demo, urls
    raise SystemExit("the demo ended before its story had played")


def sign_in(page: Page, url: str, username: str) -> None:
    page.goto(url + "/console/login")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(url + "/console/")


def shoot(page: Page, url: str, name: str, full: bool = False) -> None:
    page.goto(url)
    page.wait_for_timeout(1500)  # the map draws, local times and countdowns fill in
    page.screenshot(path=HERE / f"{name}.png", full_page=full)
    print(f"saved docs/screenshots/{name}.png")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="openline-shots-") as tmp:
        demo, urls = start_demo(Path(tmp))
        try:
            us, prc, ru = urls["us-dod"], urls["prc-mnd"], urls["ru-mod"]
            token = (Path(tmp) / "ru-mod" / "admin.token").read_text().strip()
            httpx.post(
                ru + "/api/v1/messages",
                json={
                    "to": ["us-dod"],
                    "text": "Unannounced launch detected from the Barents Sea; "
                    "request immediate call between duty officers.",
                    "precedence": "flash",
                    "officer": "Maj. I. Petrov",
                },
                headers={"authorization": f"Bearer {token}"},
            ).raise_for_status()
            time.sleep(3)  # delivered and cosigned
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM,
                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
                )
                context = browser.new_context(
                    viewport={"width": WIDTH, "height": HEIGHT}, timezone_id="America/New_York"
                )
                page = context.new_page()
                sign_in(page, us, "miller")
                shoot(page, us + "/console/", "watch-floor")
                shoot(page, us + "/console/requests", "requests-board")
                shoot(page, us + "/console/peers/prc-mnd", "counterpart", full=True)
                shoot(page, us + "/console/map", "map")
                chinese = browser.new_context(
                    viewport={"width": WIDTH, "height": HEIGHT}, timezone_id="Asia/Shanghai"
                )
                page = chinese.new_page()
                sign_in(page, prc, "zhang")  # prc-mnd's officers read Chinese by default
                shoot(page, prc + "/console/", "watch-floor-zh")
                browser.close()
        finally:
            demo.terminate()
            demo.wait(timeout=60)


if __name__ == "__main__":
    main()
