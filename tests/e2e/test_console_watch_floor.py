"""The watch floor never misses: whatever an officer has focused, a FLASH shows at once.

Debian's chromium, two real nodes. The floor is refreshed by morphing it in place, so an
update never waits for focus to leave the floor, and the element that had focus keeps it.
The alarm's sound is counted by wrapping the page's Web Audio oscillators (the page's own
code is not changed for the test).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from console_harness import (
    BROWSER_TESTS,
    LIVE,
    PRC,
    US,
    World,
    console_world,
    signed_in,
)
from harness import wait_for
from openline.core.notify import MIN_DESK_ANSWER_SECONDS
from openline.i18n import label

pytestmark = BROWSER_TESTS

# Counts each tone the page starts: the alarm's beep is an oscillator.
COUNT_BEEPS = """
window.__beeps = 0;
(function () {
  var Original = window.AudioContext;
  if (!Original) return;
  window.AudioContext = function () {
    var context = new Original();
    var create = context.createOscillator.bind(context);
    context.createOscillator = function () {
      var tone = create(), start = tone.start.bind(tone);
      tone.start = function () { window.__beeps += 1; return start.apply(null, arguments); };
      return tone;
    };
    return context;
  };
})();
"""

# Every focusable element of the floor, grouped by what kind of element it is.
FOCUSABLE = (
    "#floor a[href], #floor button, #floor input:not([type=hidden]), #floor select, "
    "#floor textarea, #floor summary, #floor [tabindex]"
)
KINDS_OF = f"""() => {{
  var kinds = {{}};
  document.querySelectorAll("{FOCUSABLE}").forEach(function (el) {{
    var key = el.tagName.toLowerCase() + "." + (el.className || "-");
    if (el.closest("#flash")) key = "flash " + key;
    if (!(key in kinds)) kinds[key] = el;
  }});
  window.__kinds = kinds;
  return Object.keys(kinds).sort();
}}"""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    officers = {
        US: [("miller", "duty-officer")],
        PRC: [("zhang", "duty-officer"), ("wang", "duty-officer"), ("liu", "duty-officer")],
    }
    # The shortest window a desk check may give: a check goes stale within the test.
    root = tmp_path_factory.mktemp("floor")
    with console_world(root, officers, desk_answer_seconds=MIN_DESK_ANSWER_SECONDS) as world:
        yield world


def flash(world: World, text: str) -> str:
    """A FLASH hotline message from us-dod to prc-mnd; its entry id."""
    (entry,) = world.us.send_batch([PRC], [text], precedence="flash")
    return str(entry["id"])


def acknowledge(world: World, entry_id: str) -> None:
    response = world.prc.api("POST", f"/api/v1/entries/{entry_id}/ack", {})
    assert response.status_code == 201, response.text


def beeps(page: Page) -> int:
    # Polled from here: the console's CSP refuses the string evaluation wait_for_function uses.
    return int(page.evaluate("window.__beeps"))


def beeped(page: Page, before: int) -> Callable[[], bool]:
    return lambda: beeps(page) > before


def test_a_flash_shows_and_sounds_whatever_has_focus(world: World) -> None:
    _context, page = signed_in(world, world.prc, "zhang", init_script=COUNT_BEEPS)
    stamp = datetime.now(UTC).isoformat()
    # The floor holds what an officer may be on: a routine message to acknowledge, the
    # lines' counterpart links, and a standing FLASH (its Acknowledge and Silence buttons).
    world.us.send_batch([PRC], [f"routine {stamp}"])
    standing = f"standing FLASH {stamp}"
    standing_id = flash(world, standing)
    expect(page.locator("#flash .flash-item", has_text=standing)).to_be_visible(timeout=LIVE)
    wait_for(lambda: beeps(page) > 0, LIVE / 1000, "the standing FLASH's beep")
    expect(page.locator("#floor table button.ack").first).to_be_attached(timeout=LIVE)
    page.keyboard.press("s")  # silenced: from now on, only a new FLASH beeps
    expect(page.locator("body")).to_have_attribute("data-alarm", "silenced")

    kinds = page.evaluate(KINDS_OF)
    assert {"flash button.ack", "flash button.silence"} <= set(kinds), kinds
    assert any(kind.startswith("a.") for kind in kinds), kinds
    assert any(kind.startswith("button.ack") for kind in kinds), kinds

    for number, kind in enumerate(kinds):
        page.evaluate(KINDS_OF)
        focused = page.evaluate(
            "(kind) => { var el = window.__kinds[kind]; if (!el) return null;"
            " el.focus(); window.__focused = el; return document.activeElement === el; }",
            kind,
        )
        assert focused, f"no {kind} to focus in round {number}"
        before = beeps(page)
        text = f"FLASH {number} with focus on {kind} {stamp}"
        entry_id = flash(world, text)

        item = page.locator("#flash .flash-item", has_text=text)
        expect(item).to_be_visible(timeout=LIVE)
        wait_for(beeped(page, before), LIVE / 1000, f"a beep for FLASH {number}")
        assert page.title().startswith("⚠ FLASH"), page.title()
        assert page.evaluate("document.activeElement === window.__focused"), kind

        acknowledge(world, entry_id)  # the floor updates again under the same focus
        expect(item).to_have_count(0, timeout=LIVE)
        assert page.evaluate("document.activeElement === window.__focused"), kind
    acknowledge(world, standing_id)  # the other tests of this world start with no alarm


def desk_check(world: World) -> str:
    """A desk check from us-dod to prc-mnd; its entry id."""
    response = world.us.api("POST", "/api/v1/desk-checks", {"to": [PRC]})
    assert response.status_code == 201, response.text
    (entry,) = response.json()["entries"]
    return str(entry["id"])


# The colour an "up" line is drawn in, read off the page's own style sheet.
UP_COLOUR = """() => {
  var probe = document.createElement("span");
  probe.className = "line line-up";
  document.body.appendChild(probe);
  var colour = getComputedStyle(probe).color;
  probe.remove();
  return colour;
}"""


def test_a_live_desk_check_rings_above_stale_ones_and_a_a_answers_it(world: World) -> None:
    _context, page = signed_in(world, world.prc, "wang", init_script=COUNT_BEEPS)
    stale = desk_check(world)
    expect(page.locator(f"#flash-{stale}")).to_be_visible(timeout=LIVE)
    wait_for(beeped(page, 0), LIVE / 1000, "the desk check's beep")
    assert page.title().startswith("⚠ " + label("kind", "desk.check", "en")), page.title()

    # Past its window the check stops ringing and stays listed, unanswered.
    window_ms = (MIN_DESK_ANSWER_SECONDS + 30) * 1000
    expect(page.locator(f"#flash-{stale}")).to_have_count(0, timeout=window_ms)
    expect(page.locator(f"#item-{stale}")).to_be_visible()

    # Its sender's line is up, but its desk is not answering: not drawn as "up".
    _us_context, us_page = signed_in(world, world.us, "miller")
    line = us_page.locator(f"#floor table.links tr:has(a[href='/console/peers/{PRC}']) .line")
    not_answering = label("state", "line-up-desk-not-answering", "en")
    expect(line).to_have_text(not_answering, timeout=LIVE)
    assert line.evaluate("el => getComputedStyle(el).color") != us_page.evaluate(UP_COLOUR)

    before = beeps(page)
    live = desk_check(world)
    expect(page.locator(f"#flash-{live}")).to_be_visible(timeout=LIVE)
    wait_for(beeped(page, before), LIVE / 1000, "the live desk check's beep")
    rows = page.locator("#floor table.traffic").first.locator("tr[data-kind='desk.check']")
    order = rows.evaluate_all("rows => rows.map(row => row.dataset.id)")
    assert order.index(live) < order.index(stale), order

    page.keyboard.press("a")
    expect(page.locator("#confirm-ack")).to_be_visible()
    page.keyboard.press("a")
    expect(page.locator(f"#flash-{live}")).to_have_count(0, timeout=LIVE)

    def answered() -> list[str]:
        return [
            row["refs"][0]
            for row in world.prc.log(US)
            if row["kind"] == "desk.answer" and row["body"].get("officer") == "wang"
        ]

    wait_for(lambda: bool(answered()), 30, "wang's desk answer")
    assert answered() == [live]


# Desktop notifications and a hidden tab, as the browser reports them to the page: the page
# asks for permission, and what it shows is recorded.
NOTIFICATIONS = """
window.__hidden = false;
window.__notes = [];
Object.defineProperty(document, "visibilityState", {
  get: function () { return window.__hidden ? "hidden" : "visible"; }
});
window.Notification = function (title, options) {
  window.__notes.push({ title: title, body: (options || {}).body || "" });
};
window.Notification.permission = "default";
window.Notification.requestPermission = function () {
  window.Notification.permission = "granted";
  return Promise.resolve("granted");
};
"""


def test_a_tab_in_the_background_gets_a_notification_and_a_badge(world: World) -> None:
    _context, page = signed_in(world, world.prc, "liu", init_script=NOTIFICATIONS)
    ask = page.locator("#ask-notify")
    expect(ask).to_be_visible()  # asked after signing in, by a button: a browser wants a click
    quiet_icon = page.locator("#favicon").get_attribute("href")
    ask.click()
    expect(ask).to_be_hidden()

    page.evaluate("window.__hidden = true")
    text = f"FLASH to a hidden tab {datetime.now(UTC).isoformat()}"
    entry_id = flash(world, text)
    expect(page.locator(f"#flash-{entry_id}")).to_be_attached(timeout=LIVE)
    wait_for(
        lambda: any(text in note["body"] for note in page.evaluate("window.__notes")),
        LIVE / 1000,
        "a desktop notification naming the FLASH",
    )
    icon = page.locator("#favicon")
    assert icon.get_attribute("href") == icon.get_attribute("data-alarm-icon") != quiet_icon

    acknowledge(world, entry_id)
    expect(page.locator(f"#flash-{entry_id}")).to_have_count(0, timeout=LIVE)
    assert icon.get_attribute("href") == quiet_icon


# A browser that keeps audio suspended until the page's first click, as desktop Chrome and
# Firefox do by default. Headless chromium never blocks audio, whatever --autoplay-policy
# says (its AudioContext starts "running"), so the policy is played here, in the page.
BLOCKS_SOUND = """
(function () {
  var Original = window.AudioContext, clicked = false;
  document.addEventListener("click", function () { clicked = true; }, true);
  window.AudioContext = function () {
    var context = new Original(), resumed = false;
    Object.defineProperty(context, "state", {
      get: function () { return resumed ? "running" : "suspended"; }
    });
    context.resume = function () {
      if (clicked) resumed = true;
      return Promise.resolve();
    };
    return context;
  };
})();
"""


def test_a_browser_that_blocks_sound_until_a_click_says_so(world: World) -> None:
    _context, page = signed_in(world, world.prc, "zhang", init_script=BLOCKS_SOUND)
    entry_id = flash(world, f"FLASH to a muted browser {datetime.now(UTC).isoformat()}")
    try:
        expect(page.locator(f"#flash-{entry_id}")).to_be_visible(timeout=LIVE)
        expect(page.locator("#sound-blocked")).to_be_visible(timeout=LIVE)
        page.locator("main h2").first.click()  # the officer's first click unblocks the sound
        expect(page.locator("#sound-blocked")).to_be_hidden(timeout=LIVE)
    finally:
        acknowledge(world, entry_id)


def test_a_line_that_goes_down_raises_an_alarm_with_its_time(world: World) -> None:
    _context, page = signed_in(world, world.prc, "zhang", init_script=COUNT_BEEPS)
    alarm = page.locator(f"#line-{US}")
    expect(alarm).to_have_count(0)
    world.us.stop()
    try:
        expect(alarm).to_be_visible(timeout=LIVE)
        expect(alarm).to_contain_text(label("state", "down", "en").lower(), ignore_case=True)
        expect(alarm.locator("time.utc")).to_have_count(1)  # down since: the last contact
        wait_for(beeped(page, 0), LIVE / 1000, "the line alarm's beep")
        assert page.title().startswith("⚠ "), page.title()
    finally:
        world.us.start()
    expect(alarm).to_have_count(0, timeout=LIVE)
