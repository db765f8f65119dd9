"""The console in a real browser: Debian's chromium driven by Playwright, two real node
processes on loopback, officers of each signed in through the login form.

Covers the console end to end (README.md, "The console"; design note 23): a FLASH message
sent from one console appears live on the other with its alarm and is acknowledged from the
keyboard; a contact request left unanswered past its deadline is flagged on the requests
board and its proof, exported with one click, passes ``openline check-proof``; the page
switches to Chinese and stays so; an auditor cannot send; a post without a CSRF token is
refused; a wrong password is throttled; the map draws a notified area.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from console_harness import (
    BROWSER_TESTS,
    CHROMIUM,
    LIVE,
    PASSWORD,
    PRC,
    US,
    World,
    console_world,
    signed_in,
)
from harness import run_cli, wait_for
from openline.i18n import gettext

pytestmark = BROWSER_TESTS


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    officers = {
        US: [("miller", "duty-officer"), ("audit", "auditor")],
        # li is the throttle test's, so nobody else waits
        PRC: [("zhang", "duty-officer"), ("chen", "duty-officer"), ("li", "duty-officer")],
    }
    with console_world(tmp_path_factory.mktemp("console"), officers) as world:
        yield world


def sent_id(world: World, text: str) -> str:
    rows = world.us.log(PRC)
    return str(next(row["id"] for row in rows if row["body"].get("text") == text))


def utc_input(moment: datetime) -> str:
    """What a datetime-local input holds (the console labels every such field UTC)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def test_a_flash_message_appears_live_on_the_other_console_and_is_acknowledged(
    world: World,
) -> None:
    _us_context, us_page = signed_in(world, world.us, "miller")
    _prc_context, prc_page = signed_in(world, world.prc, "zhang")
    text = f"FLASH test {datetime.now(UTC).isoformat()}: confirm receipt"

    # The sender presses "c" for a hotline message and fills the form.
    us_page.keyboard.press("c")
    expect(us_page).to_have_url(world.us.url + "/console/compose/message")
    us_page.check(f"input[name=to][value={PRC}]")
    us_page.select_option("#f-precedence", "flash")
    us_page.fill("#f-text", text)
    us_page.click("form.compose button[type=submit]")
    expect(us_page.locator("#sent")).to_be_visible()

    # The receiver's watch floor, never reloaded, shows it with the alarm ringing.
    flash = prc_page.locator("#flash .flash-item", has_text=text)
    expect(flash).to_be_visible(timeout=LIVE)
    expect(prc_page.locator("body")).to_have_attribute("data-alarm", "ringing")
    assert prc_page.title().startswith("⚠ FLASH")

    # "a", "a" acknowledges the first FLASH; the banner clears on both sides of the screen.
    # The first "a" names what would be signed; nothing is signed until the second.
    prc_page.keyboard.press("a")
    expect(prc_page.locator("#confirm-ack")).to_be_visible()
    expect(prc_page.locator("#confirm-ack")).to_contain_text(text)
    expect(flash).to_be_visible()
    prc_page.keyboard.press("a")
    expect(flash).to_have_count(0, timeout=LIVE)
    expect(prc_page.locator("body")).to_have_attribute("data-alarm", "off")

    # The ack is signed by the officer who pressed the key, and reaches the sender.
    def acknowledged() -> bool:
        rows = world.us.log(PRC)
        sent = next(
            row for row in rows if row["kind"] == "hotline.message" and row["body"]["text"] == text
        )
        acks = [row for row in rows if row["kind"] == "hotline.ack" and sent["id"] in row["refs"]]
        return (
            bool(acks)
            and acks[0]["body"]["officer"] == "zhang"
            and sent["body"]["officer"] == "miller"
        )

    wait_for(acknowledged, 30, "the acknowledgement signed by zhang to reach us-dod")
    # The sender's floor lists it among the closed, acknowledged.
    us_page.goto(world.us.url + "/console/")
    closed = us_page.locator("#item-" + sent_id(world, text))
    expect(closed.locator(".state-acknowledged")).to_be_visible(timeout=LIVE)


def test_an_unanswered_request_is_flagged_and_its_proof_exported_with_one_click(
    world: World, tmp_path: Path
) -> None:
    _context, page = signed_in(world, world.us, "miller")
    now = datetime.now(UTC)
    subject = f"Call about the incident of {now:%H:%M:%S}"
    page.goto(world.us.url + "/console/compose/request")
    page.check(f"input[name=to][value={PRC}]")
    page.select_option("#f-format", "phone-call")
    page.select_option("#f-level", "working")
    page.fill("#f-subject", subject)
    page.fill("#f-from_official-name", "Cdr. J. Miller")
    page.fill("#f-from_official-title", "Duty officer")
    page.fill("#f-to_official-name", "Sr. Col. Zhang Wei")
    page.fill("#f-to_official-title", "Duty officer")
    page.fill("#f-slots-0-start", utc_input(now + timedelta(hours=2)))
    page.fill("#f-slots-0-end", utc_input(now + timedelta(hours=2, minutes=30)))
    page.fill("#f-respond_by", utc_input(now + timedelta(seconds=12)))
    page.click("form.compose button[type=submit]")
    expect(page.locator("#sent")).to_be_visible()

    # The board flags it as unanswered on its own once the deadline passes.
    page.goto(world.us.url + "/console/requests")
    card = page.locator("[data-column=unanswered] article.card", has_text=subject)
    expect(card).to_be_visible(timeout=60_000)
    request_id = (card.get_attribute("id") or "").removeprefix("request-")
    assert len(request_id) == 64

    # The counterpart's cosigned checkpoint must cover the deadline before silence is
    # provable; the node says when (the same check `openline prove` makes).
    wait_for(
        lambda: world.us.api("GET", f"/api/v1/requests/{request_id}").json()["provable"],
        60,
        "the non-answer to become provable",
    )
    page.reload()
    with page.expect_download() as downloading:
        card.locator("a[data-proof=unanswered]").click()
    proof = tmp_path / "unanswered.proof.json"
    downloading.value.save_as(proof)
    checked = run_cli(
        "check-proof", proof, "--card", world.us.card_path, "--card", world.prc.card_path
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"contact.request {request_id}" in checked.stdout
    assert "UNANSWERED" in checked.stdout


def test_the_console_switches_to_chinese_and_keeps_the_choice(world: World) -> None:
    context, page = signed_in(world, world.prc, "chen")
    english = "Watch floor"
    chinese = gettext("zh")(english)
    assert chinese != english, "the zh catalog must translate the console"
    page.click("form.languages button[lang=zh]")
    expect(page.locator("html")).to_have_attribute("lang", "zh")
    expect(page.locator("nav a[aria-current=page]")).to_contain_text(chinese)
    # A new session (another browser) opens in Chinese too: the choice is the officer's.
    context.close()
    _again, page = signed_in(world, world.prc, "chen")
    expect(page.locator("html")).to_have_attribute("lang", "zh")
    expect(page.locator("h2#open-title")).to_contain_text(gettext("zh")("Open traffic"))


def test_an_auditor_reads_but_cannot_send(world: World) -> None:
    _context, page = signed_in(world, world.us, "audit")
    before = len(world.us.log(PRC))
    page.goto(world.us.url + "/console/compose/message")
    expect(page.locator("form.compose button[type=submit]")).to_be_disabled()
    csrf = page.locator("body").get_attribute("data-csrf") or ""
    refused = page.request.post(
        world.us.url + "/console/compose/message",
        form={"csrf": csrf, "to": PRC, "text": "should not go", "precedence": "routine"},
    )
    assert refused.status == 403
    assert "forbidden" in refused.text()
    assert len(world.us.log(PRC)) == before


def test_a_post_without_csrf_token_is_refused_and_stores_nothing(world: World) -> None:
    _context, page = signed_in(world, world.us, "miller")
    before = len(world.us.log(PRC))
    refused = page.request.post(
        world.us.url + "/console/compose/message",
        form={"to": PRC, "text": "no token", "precedence": "routine"},
    )
    assert refused.status == 403
    assert "csrf-missing" in refused.text()
    assert len(world.us.log(PRC)) == before


def test_a_wrong_password_is_throttled(world: World) -> None:
    context = world.browser.new_context()
    page = context.new_page()
    page.goto(world.prc.url + "/console/login")
    for _ in range(5):
        page.fill("#username", "li")
        page.fill("#password", "not the password at all")
        page.click("button[type=submit]")
        expect(page.locator("p.error")).to_have_attribute("data-code", "wrong-password")
    # Even the right password waits now: the throttle does not reveal whether it was right.
    page.fill("#username", "li")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("p.error")).to_have_attribute("data-code", "login-throttled")
    assert "/console/login" in page.url
    context.close()


def test_the_map_draws_a_notified_area(world: World) -> None:
    start = datetime.now(UTC) + timedelta(days=20)
    area = {
        "type": "Polygon",
        "coordinates": [
            [[125.0, 20.0], [135.0, 20.0], [135.0, 28.0], [125.0, 28.0], [125.0, 20.0]]
        ],
    }
    sent = world.us.api(
        "POST",
        "/api/v1/notifications",
        {
            "to": [PRC],
            "activity": "exercise",
            "title": "Map test exercise",
            "participants": [US],
            "area": area,
            "start": start.isoformat(),
            "end": (start + timedelta(days=2)).isoformat(),
            "contact_channel": "hotline",
        },
    )
    assert sent.status_code == 201, sent.text
    _context, page = signed_in(world, world.prc, "zhang")
    page.goto(world.prc.url + "/console/map")
    expect(page.locator("#map svg .map-land").first).to_be_attached(timeout=LIVE)
    expect(page.locator("#map svg .map-activity")).not_to_have_count(0, timeout=LIVE)
    expect(page.locator("#map-list")).to_contain_text("Map test exercise")
    shown = json.loads(page.request.get(world.prc.url + "/console/map.json").text())
    titles = [feature["properties"]["title"] for feature in shown["features"]]
    assert "Map test exercise" in titles


def test_an_area_drawn_on_the_compose_map_is_notified(world: World) -> None:
    _context, page = signed_in(world, world.us, "miller")
    start = datetime.now(UTC) + timedelta(days=20)
    page.keyboard.press("n")
    expect(page).to_have_url(world.us.url + "/console/compose/notification")
    page.check(f"input[name=to][value={PRC}]")
    page.select_option("#f-activity", "exercise")
    page.fill("#f-title", "Drawn-area exercise")
    page.fill("#f-participants", US)
    page.fill("#f-start", utc_input(start))
    page.fill("#f-end", utc_input(start + timedelta(days=1)))
    page.fill("#f-contact_channel", "hotline")
    land = page.locator("#draw-map svg.draw-svg path.draw-land")
    expect(land).to_have_attribute("d", re.compile(r"^M"), timeout=LIVE)
    box = page.locator("#draw-map svg.draw-svg").bounding_box()
    assert box is not None
    for x, y in ((0.45, 0.45), (0.60, 0.45), (0.60, 0.60), (0.45, 0.62)):
        page.mouse.click(box["x"] + x * box["width"], box["y"] + y * box["height"])
    page.click("#draw-map button.draw-close")
    area = json.loads(page.locator("#area").input_value())
    assert area["type"] == "Polygon"
    (ring,) = area["coordinates"]
    assert len(ring) == 5
    assert ring[0] == ring[-1]
    page.click("form.compose button[type=submit]")
    expect(page.locator("#sent")).to_be_visible()
    shown = json.loads(page.request.get(world.us.url + "/console/map.json").text())
    (feature,) = [f for f in shown["features"] if f["properties"]["title"] == "Drawn-area exercise"]
    assert feature["geometry"]["coordinates"] == area["coordinates"]


def test_the_transcript_verifies_with_progress_and_a_counterpart_shows_its_key(
    world: World,
) -> None:
    _context, page = signed_in(world, world.us, "miller")
    world.us.api("POST", "/api/v1/messages", {"to": [PRC], "text": "For the transcript"})
    page.goto(f"{world.us.url}/console/transcript?peer={PRC}")
    expect(page.locator("ol.entries li.entry").first).to_be_visible()
    page.click("#verify-now")
    result = page.locator("#verify-result")
    expect(result).to_have_attribute("data-ok", "true", timeout=LIVE)
    progress = page.locator("#verify-progress")
    assert progress.get_attribute("max") == progress.evaluate("bar => String(bar.value)")
    checked = world.us.api("POST", "/api/v1/verify").json()
    assert f"{checked['entries']}" in (result.text_content() or "")

    page.goto(f"{world.us.url}/console/peers/{PRC}")
    fingerprint = next(p for p in world.us.api_status()["peers"] if p["party"] == PRC)
    expect(page.locator("#fingerprint")).to_have_text(fingerprint["fingerprint"])
    expect(page.locator("section[aria-labelledby=report-title]")).to_be_visible()


def test_chromium_is_present_in_ci() -> None:
    """CI installs Debian's chromium; a missing browser must fail there, not skip."""
    if os.environ.get("CI") == "true":
        assert CHROMIUM.exists()
    assert sys.version_info >= (3, 11)
