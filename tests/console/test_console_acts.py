"""Every act of the CLI, from the console, in process: the answers beyond accept (a
counter-proposal, a decline with conditions, a read receipt), the requester's updates, and
the compose forms for an incident report, a request for explanation and a desk check.

Two nodes of ``pair`` whose entries travel only when a test pumps them; the pages are read
as HTML (``console_pages``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from console_pages import (
    PRC,
    US,
    Console,
    entries,
    error_code,
    exchange,
    find,
    minute,
    notification_form,
    officer,
    one,
    request_form,
)
from openline.i18n import label
from openline.node.app import Node
from pair import FakeClock, make_pair


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Node, Node, FakeClock]]:
    us, prc, clock = make_pair(tmp_path)
    yield us, prc, clock
    us.close()
    prc.close()


def asked(us: Node, prc: Node, clock: FakeClock, desk: Console) -> str:
    sent = desk.post("/console/compose/request", data=request_form(desk.csrf(), clock()))
    assert sent.status_code == 201, sent.text
    exchange(us, prc)
    (request,) = [e for e in entries(us, US, PRC) if e.kind == "contact.request"]
    return request.id


def answered(prc: Node, kind: str) -> list[dict[str, object]]:
    return [dict(e.body) for e in entries(prc, PRC, US) if e.kind == kind]


def test_a_counter_proposal_offers_other_times_and_the_requester_sees_them(
    pair: tuple[Node, Node, FakeClock],
) -> None:
    us, prc, clock = pair
    miller = officer(us, "miller")
    request_id = asked(us, prc, clock, miller)
    zhang = officer(prc, "zhang")
    page = zhang.get(f"/console/requests/{request_id}")
    assert one(page.text, "option", value="counter")
    later = clock() + timedelta(days=3)
    sent = zhang.post(
        f"/console/requests/{request_id}/respond",
        data={
            "csrf": zhang.csrf(),
            "answer": "counter",
            "slots.0.start": minute(later),
            "slots.0.end": minute(later + timedelta(hours=1)),
            "format": "video-call",
            "lang": "en",
        },
    )
    assert sent.status_code == 303, sent.text
    (body,) = answered(prc, "contact.response")
    assert body["answer"] == "counter"
    assert body["format"] == "video-call"
    exchange(us, prc)
    shown = miller.get(f"/console/requests/{request_id}")
    counter = one(shown.text, "dd", id="counter")
    assert label("format", "video-call", "en") in counter.text
    assert [li for li in find(shown.text, "li") if li.within(counter)]  # the time offered


def test_a_decline_with_conditions_shows_on_both_sides(
    pair: tuple[Node, Node, FakeClock],
) -> None:
    us, prc, clock = pair
    miller = officer(us, "miller")
    request_id = asked(us, prc, clock, miller)
    zhang = officer(prc, "zhang")
    sent = zhang.post(
        f"/console/requests/{request_id}/respond",
        data={
            "csrf": zhang.csrf(),
            "answer": "decline",
            "reason": "Not at this level",
            "conditions": "Raise it at the defence talks\nSend the agenda first",
            "lang": "en",
        },
    )
    assert sent.status_code == 303, sent.text
    (body,) = answered(prc, "contact.response")
    assert body["conditions"] == ["Raise it at the defence talks", "Send the agenda first"]
    exchange(us, prc)
    for desk in (zhang, miller):
        page = desk.get(f"/console/requests/{request_id}")
        assert one(page.text, "dd", id="reason").text.strip() == "Not at this level"
        listed = [
            li.text.strip()
            for li in find(page.text, "li")
            if li.within(one(page.text, "ul", id="conditions"))
        ]
        assert listed == ["Raise it at the defence talks", "Send the agenda first"]
        board = desk.get("/console/requests")
        card = one(board.text, "article", id=f"request-{request_id}")
        reason = [p for p in find(board.text, "p", **{"class": "reason"}) if p.within(card)]
        assert len(reason) == 1
        assert "Not at this level" in reason[0].text
        shown = [li.text.strip() for li in find(board.text, "li") if li.within(card)]
        assert shown == ["Raise it at the defence talks", "Send the agenda first"]


def test_a_read_receipt_is_sent_from_the_request_page(
    pair: tuple[Node, Node, FakeClock],
) -> None:
    us, prc, clock = pair
    miller = officer(us, "miller")
    request_id = asked(us, prc, clock, miller)
    zhang = officer(prc, "zhang")
    page = zhang.get(f"/console/requests/{request_id}")
    form = one(page.text, "form", id="read-receipt")
    sent = zhang.post(form.attrs["action"], data={"csrf": zhang.csrf()})
    assert sent.status_code == 303, sent.text
    (receipt,) = answered(prc, "receipt.read")
    assert receipt["officer"] == "zhang"
    again = zhang.get(f"/console/requests/{request_id}")
    assert not find(again.text, "form", id="read-receipt")  # read once
    exchange(us, prc)
    assert us.contacts.view(request_id).read_by == "zhang"


def test_the_requester_records_what_became_of_an_accepted_request(
    pair: tuple[Node, Node, FakeClock],
) -> None:
    us, prc, clock = pair
    miller = officer(us, "miller")
    request_id = asked(us, prc, clock, miller)
    zhang = officer(prc, "zhang")
    zhang.post(
        f"/console/requests/{request_id}/respond",
        data={"csrf": zhang.csrf(), "answer": "accept", "slot": "1", "lang": "en"},
    )
    exchange(us, prc)
    page = miller.get(f"/console/requests/{request_id}")
    assert one(page.text, "form", id="update")
    slot = us.contacts.view(request_id).body["slots"][0]
    scheduled = miller.post(
        f"/console/requests/{request_id}/update",
        data={
            "csrf": miller.csrf(),
            "status": "scheduled",
            "slot.start": slot["start"].removesuffix("Z").split(".")[0],
            "slot.end": slot["end"].removesuffix("Z").split(".")[0],
        },
    )
    assert scheduled.status_code == 303, scheduled.text
    held = miller.post(
        f"/console/requests/{request_id}/update",
        data={"csrf": miller.csrf(), "status": "held", "summary": "Both sides stated positions."},
    )
    assert held.status_code == 303, held.text
    updates = [dict(e.body) for e in entries(us, US, PRC) if e.kind == "contact.update"]
    assert [u["status"] for u in updates] == ["scheduled", "held"]
    assert all(u["officer"] == "miller" for u in updates)
    shown = miller.get(f"/console/requests/{request_id}")
    assert one(shown.text, "dd", id="summary").text.strip() == "Both sides stated positions."
    assert not find(shown.text, "form", id="update")  # held: nothing more to record


def test_an_update_missing_its_field_is_refused_beside_the_form(
    pair: tuple[Node, Node, FakeClock],
) -> None:
    us, prc, clock = pair
    miller = officer(us, "miller")
    request_id = asked(us, prc, clock, miller)
    before = len(entries(us, US, PRC))
    refused = miller.post(
        f"/console/requests/{request_id}/update",
        data={"csrf": miller.csrf(), "status": "cancelled"},
    )
    assert refused.status_code == 422
    assert len(entries(us, US, PRC)) == before
    (chosen,) = find(refused.text, "option", value="cancelled")
    assert "selected" in chosen.attrs


def test_an_incident_report_is_composed_and_an_explanation_asked_of_it(
    pair: tuple[Node, Node, FakeClock],
) -> None:
    us, prc, clock = pair
    miller = officer(us, "miller")
    form = miller.get("/console/compose/incident")
    assert form.status_code == 200
    assert one(form.text, "form", id="compose-incident")
    sent = miller.post(
        "/console/compose/incident",
        data={
            "csrf": miller.csrf(),
            "form_token": one(form.text, "input", name="form_token").attrs["value"],
            "to": PRC,
            "category": "unsafe-intercept",
            "domain": "air",
            "precedence": "immediate",
            "time": minute(clock() - timedelta(hours=1)),
            "position": json.dumps({"type": "Point", "coordinates": [113.85, 16.4]}),
            "own_units": "P-8A Poseidon",
            "other_units": "J-16, J-11",
            "description": "Passed within 6 m of the nose.",
            "lang": "en",
        },
    )
    assert sent.status_code == 201, sent.text
    (incident,) = [e for e in entries(us, US, PRC) if e.kind == "notify.incident"]
    assert incident.body["other_units"] == ["J-16", "J-11"]
    assert incident.body["officer"] == "miller"
    exchange(us, prc)

    zhang = officer(prc, "zhang")
    item = zhang.get(f"/console/items/{incident.id}")
    ask = one(item.text, "a", id="ask-explanation")
    form = zhang.get(ask.attrs["href"].replace("&amp;", "&"))
    assert one(form.text, "textarea", name="refs").text.strip() == incident.id
    asked_of = zhang.post(
        "/console/compose/explain",
        data={
            "csrf": zhang.csrf(),
            "form_token": one(form.text, "input", name="form_token").attrs["value"],
            "to": US,
            "subject": "The intercept",
            "text": "Explain why the aircraft flew so close.",
            "refs": incident.id,
            "precedence": "priority",
            "lang": "en",
        },
    )
    assert asked_of.status_code == 201, asked_of.text
    (explain,) = [e for e in entries(prc, PRC, US) if e.kind == "explain.request"]
    assert list(explain.refs) == [incident.id]
    assert explain.body["officer"] == "zhang"


def test_a_desk_check_is_sent_from_the_console(pair: tuple[Node, Node, FakeClock]) -> None:
    us, _prc, _clock = pair
    miller = officer(us, "miller")
    form = miller.get("/console/compose/desk-check")
    sent = miller.post(
        "/console/compose/desk-check",
        data={
            "csrf": miller.csrf(),
            "form_token": one(form.text, "input", name="form_token").attrs["value"],
            "to": PRC,
        },
    )
    assert sent.status_code == 201, sent.text
    (check,) = [e for e in entries(us, US, PRC) if e.kind == "desk.check"]
    assert check.body["officer"] == "miller"


def test_the_request_form_offers_only_the_levels_the_role_may_use(
    pair: tuple[Node, Node, FakeClock],
) -> None:
    us, _prc, _clock = pair
    duty = officer(us, "miller").get("/console/compose/request")
    approver = officer(us, "harris", "approver").get("/console/compose/request")
    assert not find(duty.text, "option", value="minister")
    assert one(duty.text, "option", value="working")
    assert one(approver.text, "option", value="minister")


def test_a_meeting_without_a_location_is_refused_beside_the_location(
    pair: tuple[Node, Node, FakeClock],
) -> None:
    us, _prc, clock = pair
    miller = officer(us, "miller")
    before = len(entries(us, US, PRC))
    form = request_form(miller.csrf(), clock(), format="meeting", location="")  # left empty
    refused = miller.post("/console/compose/request", data=form)
    assert refused.status_code == 422
    assert "meeting" in one(refused.text, "p", id="err-location").text
    assert len(entries(us, US, PRC)) == before
    unnamed = miller.post(
        "/console/compose/request",
        data=request_form(miller.csrf(), clock(), format="dialogue", series=""),
    )
    assert unnamed.status_code == 422
    assert "series" in one(unnamed.text, "p", id="err-series").text
    for changes in (
        {"format": "meeting", "location": "Beijing"},
        {"format": "dialogue", "series": "MMCA 2027"},
    ):
        accepted = miller.post(
            "/console/compose/request", data=request_form(miller.csrf(), clock(), **changes)
        )
        assert accepted.status_code == 201, error_code(accepted)
    requests = [e.body for e in entries(us, US, PRC) if e.kind == "contact.request"]
    assert [(r.get("location"), r.get("series")) for r in requests] == [
        ("Beijing", None),
        (None, "MMCA 2027"),
    ]


def test_a_late_notification_is_asked_to_be_confirmed_and_its_forces_are_sent(
    pair: tuple[Node, Node, FakeClock],
) -> None:
    us, _prc, _clock = pair
    miller = officer(us, "miller")
    soon = notification_form(
        miller.csrf(), [PRC], start="2026-11-30T08:00", end="2026-11-30T20:00"
    )  # a day's notice for an exercise, which needs 14
    soon |= {"forces.ships": "3", "forces.aircraft": "12", "forces.personnel": ""}
    before = len(entries(us, US, PRC))
    asked = miller.post("/console/compose/notification", data=soon)
    assert asked.status_code == 422
    assert "late" in one(asked.text, "p", id="err-start").text  # beside the start
    assert one(asked.text, "label", id="send-late")
    assert len(entries(us, US, PRC)) == before  # nothing signed until confirmed
    confirmed = miller.post("/console/compose/notification", data=soon | {"send_late": "yes"})
    assert confirmed.status_code == 201, error_code(confirmed)
    (notice,) = [e for e in entries(us, US, PRC) if e.kind == "notify.activity"]
    assert notice.body["forces"] == {"ships": 3, "aircraft": 12}
    assert "send_late" not in notice.body
