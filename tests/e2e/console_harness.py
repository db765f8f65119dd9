"""What the console's browser tests share: Debian's chromium driven by Playwright, two real
node processes on loopback, and officers signed in through the login form."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from harness import OPENLINE, NodeProcess, pin_all

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "correct horse battery staple"
US, PRC = "us-dod", "prc-mnd"
LIVE = 20_000  # ms: a change reaches an open console within about a second; CI is slow

BROWSER_TESTS = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not CHROMIUM.exists() and os.environ.get("CI") != "true",
        reason="Debian's chromium is not installed (CI installs it and fails without it)",
    ),
]


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    # As a watch floor's browser is set up: the alarm sounds before the first click.
    "--autoplay-policy=no-user-gesture-required",
]


@dataclass
class World:
    root: Path
    us: NodeProcess
    prc: NodeProcess
    browser: Browser


def add_officer(node: NodeProcess, username: str, role: str) -> None:
    done = subprocess.run(
        [*OPENLINE, "officer", "add", str(node.dir), username, "--role", role],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


@contextmanager
def console_world(
    root: Path, officers: dict[str, list[tuple[str, str]]], **config: object
) -> Iterator[World]:
    """Two pinned nodes, running, with ``officers`` ({party: [(username, role)]}) and
    ``config`` in both node.json files, and a headless chromium."""
    pair = [NodeProcess(root, party, **{"desk_check_seconds": 0, **config}) for party in (US, PRC)]
    pin_all(pair)
    for node in pair:
        for username, role in officers.get(node.party, []):
            add_officer(node, username, role)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for node in pair:
                node.start()
            yield World(root, pair[0], pair[1], browser)
        finally:
            browser.close()
            for node in pair:
                node.stop()


def signed_in(
    world: World,
    node: NodeProcess,
    username: str,
    init_script: str | None = None,
) -> tuple[BrowserContext, Page]:
    """A new browser context signed in as ``username``, its watch floor open and live;
    ``init_script`` runs in the page before any of its own scripts."""
    context = world.browser.new_context(accept_downloads=True, timezone_id="Asia/Shanghai")
    if init_script is not None:
        context.add_init_script(init_script)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(node.url + "/console/")
    expect(page).to_have_url(f"{node.url}/console/login?next=/console/")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(node.url + "/console/")
    expect(page.locator("#live-status")).to_have_class("live on", timeout=LIVE)
    assert not errors, errors
    return context, page
