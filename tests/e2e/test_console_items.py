"""Every item of the floor opens on a page of its own: its whole text, rendered in the
reader's language, its refs and its answer as links, and its proofs.

Debian's chromium, two real nodes; the reader works in Chinese.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from console_harness import (
    BROWSER_TESTS,
    LIVE,
    PASSWORD,
    PRC,
    US,
    World,
    console_world,
    signed_in,
)
from harness import run_cli, wait_for
from openline.i18n import gettext, label

pytestmark = BROWSER_TESTS


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    officers = {US: [("miller", "duty-officer")], PRC: [("zhang", "duty-officer")]}
    with console_world(tmp_path_factory.mktemp("items"), officers) as world:
        yield world


def created(response: Any) -> str:
    """The id of the (first) entry a creating POST signed."""
    assert response.status_code == 201, response.text
    answer = response.json()
    return str(answer["entries"][0]["id"] if "entries" in answer else answer["id"])


def test_an_item_opens_in_full_in_the_readers_language(world: World, tmp_path: Path) -> None:
    stamp = datetime.now(UTC)
    # Longer than the floor's line: the floor cuts it, its page shows all of it.
    long_text = f"Long message {stamp.isoformat()}: " + "situation report continues. " * 12
    message_id = created(
        world.us.api(
            "POST",
            "/api/v1/messages/batch",
            {"to": [PRC], "messages": [{"text": long_text, "precedence": "priority"}]},
        )
    )
    incident_id = created(
        world.us.api(
            "POST",
            "/api/v1/incidents",
            {
                "to": [PRC],
                "time": (stamp - timedelta(hours=1)).isoformat(),
                "position": {"type": "Point", "coordinates": [113.85, 16.4]},
                "domain": "air",
                "own_units": ["P-8A Poseidon"],
                "other_units": ["J-16"],
                "category": "unsafe-intercept",
                "description": "Passed within 6 m of the aircraft's nose.",
            },
        )
    )
    explain_id = created(
        world.us.api(
            "POST",
            "/api/v1/explanations",
            {
                "to": PRC,
                "subject": "The intercept",
                "text": "Explain the intercept.",
                "refs": [incident_id],
            },
        )
    )

    _context, page = signed_in(world, world.prc, "zhang")
    page.click("form.languages button[lang=zh]")
    expect(page.locator("html")).to_have_attribute("lang", "zh")
    zh = gettext("zh")

    # The floor names the incident by its category's label, not its code.
    category = label("category", "unsafe-intercept", "zh")
    assert category != "unsafe-intercept"
    incident_row = page.locator(f"#floor tr#item-{incident_id}")
    expect(incident_row.locator("td.subject")).to_have_text(category, timeout=LIVE)

    # The long message is cut on the floor, and whole on its page.
    row = page.locator(f"#floor tr#item-{message_id}")
    shown = row.locator("td.subject").inner_text(timeout=LIVE)
    assert len(shown) < len(long_text)
    assert long_text.startswith(shown.rstrip("…. "))
    row.locator("a.open-item").click()
    expect(page).to_have_url(f"{world.prc.url}/console/items/{message_id}")
    expect(page.locator("#item-page dd.free")).to_have_text(long_text.strip())
    expect(page.locator("#item-page h1")).to_contain_text(label("kind", "hotline.message", "zh"))

    # Its delivery proof, exported from the page, is one a third party accepts.
    with page.expect_download() as downloading:
        page.locator("a[data-proof=delivery]").click()
    proof = tmp_path / "delivery.proof.json"
    downloading.value.save_as(proof)
    checked = run_cli(
        "check-proof", proof, "--card", world.us.card_path, "--card", world.prc.card_path
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert message_id in checked.stdout

    # Acknowledged from its page: the page then links to the acknowledgement, which links
    # back to what it answers.
    page.locator("#item-page button.ack").click()
    wait_for(
        lambda: any(
            row["kind"] == "hotline.ack" and message_id in row["refs"] for row in world.prc.log(US)
        ),
        30,
        "the acknowledgement",
    )
    page.goto(f"{world.prc.url}/console/items/{message_id}")
    page.locator("#answered-by").click()
    expect(page.locator("#item-page h1")).to_contain_text(label("kind", "hotline.ack", "zh"))
    page.locator("ul.refs a").first.click()
    expect(page).to_have_url(f"{world.prc.url}/console/items/{message_id}")

    # A request for explanation: its refs lead to the incident, rendered in Chinese.
    page.goto(f"{world.prc.url}/console/items/{explain_id}")
    expect(page.locator("#request-page")).to_be_visible()
    page.locator("ul.refs a").first.click()
    expect(page).to_have_url(f"{world.prc.url}/console/items/{incident_id}")
    facts = page.locator("#item-page dl.rendered")
    expect(facts).to_contain_text(category)
    expect(facts).to_contain_text(zh("Position"))
    expect(facts).not_to_contain_text("unsafe-intercept")


def test_a_peers_reordering_characters_are_shown_by_the_cli_too(world: World) -> None:
    (entry,) = world.us.send_batch([PRC], ["test\u202eevil"])
    wait_for(
        lambda: any(row["id"] == entry["id"] for row in world.prc.log(US)),
        30,
        "the message at prc-mnd",
    )
    shown = world.prc.cli("render", entry["id"], "--lang", "en", check=True).stdout
    assert "\u202e" not in shown
    assert "test\N{REPLACEMENT CHARACTER}evil" in shown  # there, and in the order written


def test_at_a_phones_width_the_floor_is_a_list_of_cards(world: World) -> None:
    world.us.send_batch([PRC], [f"Phone check {datetime.now(UTC).isoformat()}"])
    context = world.browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(world.prc.url + "/console/login?next=/console/")
        page.fill("#username", "zhang")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        row = page.locator("#floor table.traffic tbody tr[data-id]").first
        expect(row).to_be_visible(timeout=LIVE)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert row.evaluate("el => getComputedStyle(el).display") == "block"
        subject = row.locator("td.subject")
        box = subject.bounding_box()
        assert box is not None
        assert box["width"] > 390 / 2  # a line of text, not a letter a line
        assert subject.evaluate("el => getComputedStyle(el, '::before').content") != "none"
    finally:
        context.close()


def test_a_utc_time_is_echoed_in_local_time_and_a_printout_has_no_controls(
    world: World,
) -> None:
    _context, page = signed_in(world, world.us, "miller")  # in Asia/Shanghai, UTC+8
    page.goto(world.us.url + "/console/compose/request")
    page.fill("#f-respond_by", "2026-12-24T10:00")
    echo = page.locator("#f-respond_by + .echo")
    expect(echo).to_contain_text("2026-12-24 10:00")
    expect(echo).to_contain_text("6:00")  # 18:00 in Shanghai, however the locale writes it
    page.emulate_media(media="print")
    assert not page.locator("header.top").is_visible()
    assert not page.locator("form.compose button[type=submit]").is_visible()
    page.goto(world.us.url + "/console/")
    assert page.locator("main h2").first.is_visible()  # the record itself prints
