"""The console's other forms and pages, in process: answering a request, a catalogue message
typed field by field, a counterpart's page, and the watch floor's overdue lists.

Uses the page reader and the signed-in ``Console`` of ``console_pages``, and two nodes of
``pair`` whose entries travel only when a test pumps them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

import openline
from console_pages import (
    PRC,
    US,
    Console,
    entries,
    error_code,
    exchange,
    find,
    notification_form,
    officer,
    one,
    request_form,
    stored,
)
from openline.console import views
from openline.core.catalogue import catalogue_hash, load_starter
from openline.node.app import Node
from openline.node.hotline import NewMessage, send_messages
from pair import FakeClock, make_pair

STARTER = load_starter()
STARTER_BYTES = json.dumps(STARTER, ensure_ascii=False).encode()


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Node, Node, FakeClock]]:
    us, prc, clock = make_pair(tmp_path)
    yield us, prc, clock
    us.close()
    prc.close()


def asked(us: Node, prc: Node, clock: FakeClock, desk: Console, **changes: str) -> str:
    """A contact request from us-dod's console to prc-mnd, delivered; its id."""
    sent = desk.post("/console/compose/request", data=request_form(desk.csrf(), clock(), **changes))
    assert sent.status_code == 201, sent.text
    exchange(us, prc)
    (request,) = [e for e in entries(us, US, PRC) if e.kind == "contact.request"]
    return request.id


def test_an_officer_answers_a_request_from_its_page_and_the_answer_names_them(
    pair: tuple[Node, Node, FakeClock],
) -> None:
    us, prc, clock = pair
    request_id = asked(us, prc, clock, officer(us, "miller"))
    zhang = officer(prc, "zhang")
    shown = zhang.get(f"/console/requests/{request_id}")
    assert shown.status_code == 200
    form = one(shown.text, "form", id="respond")
    csrf = one(shown.text, "body").attrs["data-csrf"]
    answered = zhang.post(
        form.attrs["action"],
        data={"csrf": csrf, "answer": "accept", "slot": "1", "lang": "en"},
    )
    assert answered.status_code == 303, answered.text
    (response,) = [e for e in entries(prc, PRC, US) if e.kind == "contact.response"]
    assert response.body["officer"] == "zhang"
    assert response.body["answer"] == "accept"
    assert list(response.refs) == [request_id]
    view = prc.contacts.view(request_id)
    assert view.answer_id == response.id


def test_an_answer_with_a_bad_field_is_shown_again_and_stores_nothing(
    pair: tuple[Node, Node, FakeClock],
) -> None:
    us, prc, clock = pair
    request_id = asked(us, prc, clock, officer(us, "miller"))
    zhang = officer(prc, "zhang")
    before = stored(prc)
    refused = zhang.post(
        f"/console/requests/{request_id}/respond",
        data={"csrf": zhang.csrf(), "answer": "accept", "slot": "9", "lang": "en"},
    )
    assert refused.status_code == 422
    assert error_code(refused) == "invalid-slot"
    assert stored(prc) == before
    # What the officer chose stays chosen.
    (chosen,) = find(refused.text, "option", value="accept")
    assert "selected" in chosen.attrs


def test_a_duty_officer_cannot_answer_a_minister_level_request(
    pair: tuple[Node, Node, FakeClock],
) -> None:
    us, prc, clock = pair
    request_id = asked(us, prc, clock, officer(us, "harris", "approver"), level="minister")
    zhang = officer(prc, "zhang")
    page = zhang.get(f"/console/requests/{request_id}")
    send = one(page.text, "form", id="respond")
    buttons = [b for b in find(page.text, "button") if b.within(send)]
    assert buttons
    assert all("disabled" in button.attrs for button in buttons)
    before = stored(prc)
    refused = zhang.post(
        f"/console/requests/{request_id}/respond",
        data={"csrf": zhang.csrf(), "answer": "accept", "slot": "1"},
    )
    assert refused.status_code == 403
    assert error_code(refused) == "forbidden"
    assert stored(prc) == before


@pytest.fixture
def agreed(pair: tuple[Node, Node, FakeClock]) -> tuple[Node, Node]:
    """Both nodes pinned the starter catalogue and heard of each other's pin."""
    us, prc, _clock = pair
    us.catalogues.pin(STARTER_BYTES, "Lt. Cdr. Smith")
    prc.catalogues.pin(STARTER_BYTES, "Lt. Col. Wang")
    exchange(us, prc)
    return us, prc


def test_a_catalogue_message_is_typed_by_its_parameters_and_sent(
    agreed: tuple[Node, Node],
) -> None:
    us, _prc = agreed
    miller = officer(us, "miller")
    digest = catalogue_hash(STARTER)
    form = miller.get(f"/console/compose/catalogue?to={PRC}&catalogue={digest}&code=M10")
    assert form.status_code == 200
    assert one(form.text, "option", value=digest)
    (distance,) = find(form.text, "input", name="params.distance")
    assert distance.attrs["type"] == "number"
    sent = miller.post(
        "/console/compose/catalogue",
        data={
            "csrf": miller.csrf(),
            "to": PRC,
            "catalogue": digest,
            "code": "M10",
            "params.distance": "5",
            "lang": "en",
        },
    )
    assert sent.status_code == 201, sent.text
    (message,) = [e for e in entries(us, US, PRC) if e.kind == "catalogue.message"]
    assert message.body["params"] == {"distance": 5}  # a number, as the catalogue declares
    assert message.body["officer"] == "miller"
    assert message.body["code"] == "M10"


def test_a_catalogue_message_with_a_missing_parameter_is_refused_beside_the_form(
    agreed: tuple[Node, Node],
) -> None:
    us, _prc = agreed
    miller = officer(us, "miller")
    before = stored(us)
    refused = miller.post(
        "/console/compose/catalogue",
        data={
            "csrf": miller.csrf(),
            "to": PRC,
            "catalogue": catalogue_hash(STARTER),
            "code": "M10",
            "lang": "en",
        },
    )
    assert refused.status_code == 422
    assert error_code(refused) == "missing-param"
    assert stored(us) == before


def test_a_counterpart_page_shows_its_key_desk_and_report_charts(
    pair: tuple[Node, Node, FakeClock],
) -> None:
    us, prc, clock = pair
    miller = officer(us, "miller")
    asked(us, prc, clock, miller)
    exchange(us, prc)
    page = miller.get(f"/console/peers/{PRC}")
    assert page.status_code == 200
    assert one(page.text, "code", id="fingerprint").text == prc.peers.card().fingerprint
    assert "<svg" in page.text  # the report's own charts, inline
    rows = find(page.text, "table", **{"class": "answer-times"})
    assert len(rows) == 1
    assert "Risk reduction" in rows[0].text
    unknown = miller.get("/console/peers/nobody")
    assert unknown.status_code == 404
    assert error_code(unknown) == "unknown-peer"


def test_a_counterpart_page_reports_the_period_chosen(
    pair: tuple[Node, Node, FakeClock],
) -> None:
    """The page opens on the last 90 days: a request signed 40 days ago is in it, not in
    the last 30 days, and in the whole record; an unknown period is refused."""
    us, prc, clock = pair
    asked(us, prc, clock, officer(us, "miller"))
    clock.advance(days=40)
    exchange(us, prc)
    miller = officer(us, "kowalski")  # a fresh session after the idle time
    shown = {}
    for period in ("", "?period=30d", "?period=90d", "?period=all"):
        page = miller.get(f"/console/peers/{PRC}{period}")
        assert page.status_code == 200, page.text
        rows = find(page.text, "table", **{"class": "answer-times"})[0].text
        nav = one(page.text, "nav", **{"class": "periods"})
        current = [link for link in find(page.text, "a", aria_current="page") if link.within(nav)]
        shown[period] = ("Risk reduction" in rows, current[0].attrs["href"].rsplit("=", 1)[1])
    assert shown == {
        "": (True, "90d"),
        "?period=30d": (False, "30d"),
        "?period=90d": (True, "90d"),
        "?period=all": (True, "all"),
    }
    refused = miller.get(f"/console/peers/{PRC}?period=7y")
    assert refused.status_code == 400
    assert error_code(refused) == "invalid-period"


def test_the_floor_lists_an_overdue_answer_on_both_sides(
    pair: tuple[Node, Node, FakeClock],
) -> None:
    us, prc, clock = pair
    miller = officer(us, "miller")
    due = (clock() + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M")
    asked(us, prc, clock, miller, respond_by=due)
    clock.advance(hours=1)  # within the session's two idle hours
    exchange(us, prc)
    zhang = officer(prc, "zhang")
    theirs = one(miller.get("/console/").text, "ul", id="owed-to-us")
    ours = one(zhang.get("/console/").text, "ul", id="owed-by-us")
    assert "Risk reduction" in theirs.text
    assert "Risk reduction" in ours.text
    assert one(miller.get("/console/").text, "ul", id="owed-by-us").text.count("Risk") == 0


def test_console_pages_and_assets_are_compressed_but_not_its_streams_or_the_api(
    pair: tuple[Node, Node, FakeClock],
) -> None:
    us, _prc, _clock = pair
    miller = officer(us, "miller")
    asset = Path(openline.__file__).parent / "console" / "static" / "vendor" / "htmx.min.js"
    shipped = miller.get("/console/static/vendor/htmx.min.js")
    assert shipped.headers["content-encoding"] == "gzip"
    assert shipped.content == asset.read_bytes()  # decoded by the client, byte for byte
    assert int(shipped.headers["content-length"]) < asset.stat().st_size / 2
    assert miller.get("/console/").headers["content-encoding"] == "gzip"
    verify = miller.post("/console/verify", headers={"X-CSRF-Token": miller.csrf()})
    assert verify.status_code == 200
    assert "content-encoding" not in verify.headers  # progress lines go out as they come
    schema = miller.get("/openapi.json")
    assert schema.status_code == 200
    assert "content-encoding" not in schema.headers  # federation and the API: unchanged


def test_the_floor_shows_the_most_urgent_open_items_and_counts_them_all(
    pair: tuple[Node, Node, FakeClock], monkeypatch: pytest.MonkeyPatch
) -> None:
    us, _prc, _clock = pair
    monkeypatch.setattr(views, "OPEN_SHOWN", 3)
    grades = ["routine", "flash", "priority", "routine", "immediate"]
    sent = send_messages(
        us, [PRC], [NewMessage(f"Item {n}", grade) for n, grade in enumerate(grades)]
    )
    miller = officer(us, "miller")
    page = miller.get("/console/").text
    rows = [e for e in find(page, "tr") if e.attrs.get("id", "").startswith("item-")]
    shown = [row.attrs["id"].removeprefix("item-") for row in rows]
    # The three highest precedences, in order; the two routine ones are left out.
    assert shown == [sent[1].id, sent[4].id, sent[2].id]
    assert one(page, "h2", id="open-title").text.endswith(str(len(grades)))


def sent_codes(html: str) -> list[str]:
    """The short entry ids a compose page lists as sent."""
    box = one(html, "div", id="sent")
    return [code.text for code in find(html, "code") if code.within(box)]


def test_a_compose_form_signs_once_however_often_it_is_sent(
    pair: tuple[Node, Node, FakeClock],
) -> None:
    us, _prc, _clock = pair
    miller = officer(us, "miller")
    page = miller.get("/console/compose/message").text
    token = one(page, "input", name="form_token").attrs["value"]
    form = {
        "csrf": miller.csrf(),
        "form_token": token,
        "to": PRC,
        "text": "Sent once only",
        "precedence": "routine",
        "lang": "en",
    }
    first = miller.post("/console/compose/message", data=form)
    assert first.status_code == 201
    (signed_id,) = sent_codes(first.text)
    before = stored(us)
    # A refresh, a second click, Back then Send: the token is the form's idempotency key.
    again = miller.post("/console/compose/message", data=form)
    assert again.status_code == 200
    assert stored(us) == before
    assert one(again.text, "p", id="already-sent").within(one(again.text, "div", id="sent"))
    assert sent_codes(again.text) == [signed_id]
    # The same token with other words is refused, and signs nothing either.
    changed = miller.post("/console/compose/message", data=form | {"text": "Something else"})
    assert error_code(changed) == "idempotency-conflict"
    assert stored(us) == before
    # A new form (a new token) sends again.
    fresh = one(miller.get("/console/compose/message").text, "input", name="form_token")
    assert fresh.attrs["value"] != token
    sent = miller.post("/console/compose/message", data=form | {"form_token": fresh.attrs["value"]})
    assert sent.status_code == 201


def test_the_pages_own_refreshes_do_not_keep_an_idle_session_alive(
    pair: tuple[Node, Node, FakeClock],
) -> None:
    us, _prc, clock = pair
    miller = officer(us, "miller")
    clock.advance(hours=1, minutes=50)
    background = {"X-Openline-Background": "1", "HX-Request": "true"}
    assert miller.get("/console/fragments/floor", headers=background).status_code == 200
    clock.advance(minutes=20)  # two hours and ten minutes since the officer last acted
    assert miller.get("/console/fragments/floor", headers=background).status_code == 401
    assert miller.get("/console/").status_code == 303  # back to the login form


def test_an_officers_own_request_keeps_the_session_alive(
    pair: tuple[Node, Node, FakeClock],
) -> None:
    us, _prc, clock = pair
    miller = officer(us, "miller")
    clock.advance(hours=1, minutes=50)
    assert miller.get("/console/requests").status_code == 200
    clock.advance(minutes=20)
    assert miller.get("/console/").status_code == 200


def test_an_oversized_form_is_refused_before_it_is_read(
    pair: tuple[Node, Node, FakeClock],
) -> None:
    us, _prc, _clock = pair
    miller = officer(us, "miller")
    before = stored(us)
    refused = miller.post(
        "/console/compose/message",
        data={"csrf": miller.csrf(), "to": PRC, "text": "x" * (2 << 20)},
    )
    assert refused.status_code == 413
    assert error_code(refused) == "form-too-large"
    assert stored(us) == before


def test_an_error_on_a_field_group_is_said_above_the_form(
    pair: tuple[Node, Node, FakeClock],
) -> None:
    us, _prc, clock = pair
    miller = officer(us, "miller")
    form = request_form(miller.csrf(), clock())
    form["from_official.name"] = form["from_official.title"] = ""
    refused = miller.post("/console/compose/request", data=form)
    assert refused.status_code == 422
    assert "from_official" in one(refused.text, id="form-error").text


def test_an_area_nested_past_any_depth_is_an_error_on_the_area(
    pair: tuple[Node, Node, FakeClock],
) -> None:
    us, _prc, _clock = pair
    miller = officer(us, "miller")
    refused = miller.post(
        "/console/compose/notification",
        data=notification_form(miller.csrf(), [PRC], area="[" * 100_000),
    )
    assert refused.status_code == 422
    assert one(refused.text, id="err-area").text


def test_one_verification_runs_at_a_time(pair: tuple[Node, Node, FakeClock]) -> None:
    us, _prc, _clock = pair
    miller = officer(us, "miller")
    miller.client.app.state.console_guard.verifying = True  # another tab's is running
    refused = miller.post("/console/verify", headers={"X-CSRF-Token": miller.csrf()})
    assert refused.status_code == 409
    assert error_code(refused) == "verify-running"


def test_a_bearer_token_that_is_not_ascii_is_refused_not_a_crash(
    pair: tuple[Node, Node, FakeClock],
) -> None:
    us, _prc, _clock = pair
    client = Console(us)
    # Sent as bytes (latin-1 on the wire), as a client may; httpx would refuse a str.
    refused = client.get(
        "/api/v1/status", headers={b"Authorization": "Bearer café".encode("latin-1")}
    )
    assert refused.status_code == 401


def test_a_refused_form_can_be_corrected_and_sent_with_the_same_token(
    pair: tuple[Node, Node, FakeClock],
) -> None:
    us, _prc, _clock = pair
    miller = officer(us, "miller")
    token = one(miller.get("/console/compose/message").text, "input", name="form_token")
    form = {"csrf": miller.csrf(), "form_token": token.attrs["value"], "to": PRC, "lang": "en"}
    refused = miller.post("/console/compose/message", data=form)  # the text was forgotten
    assert refused.status_code == 422
    sent = miller.post("/console/compose/message", data=form | {"text": "Now with its text"})
    assert sent.status_code == 201  # nothing was signed the first time: the token still counts
