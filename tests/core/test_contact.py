"""Tests for openline.core.contact: the body schemas of contact requests, their answers,
requests for explanation and read receipts, and the ref rules of those kinds (link.check_refs).

Every valid variant of every kind passes; every malformed body is refused with the code
``invalid-body`` and a message that names the field at fault.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from openline.core import contact
from openline.core.entry import Entry, sign_entry
from openline.core.errors import EntryError
from openline.core.keys import PrivateKey
from openline.core.kinds import KINDS, validate_body
from openline.core.link import RefTarget, check_refs
from openline.core.timefmt import format_time

Obj = dict[str, Any]

US, PRC, THIRD = "us-dod", "prc-mnd", "ru-mod"
KEYS = {
    US: PrivateKey.from_seed(bytes([1]) * 32),
    PRC: PrivateKey.from_seed(bytes([2]) * 32),
    THIRD: PrivateKey.from_seed(bytes([3]) * 32),
}
T0 = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)


def at(hours: float) -> str:
    return format_time(T0 + timedelta(hours=hours))


def slot(start: float, end: float) -> Obj:
    return {"start": at(start), "end": at(end)}


def official(name: str = "Adm. Paparo", title: str = "Commander") -> Obj:
    return {"name": name, "title": title}


def changed(body: Obj, **changes: Any) -> Obj:
    return {**body, **changes}


def without(body: Obj, *keys: str) -> Obj:
    return {key: value for key, value in body.items() if key not in keys}


PHONE: Obj = {
    "format": "phone-call",
    "level": "minister",
    "from_official": official("Secretary", "Secretary of Defense"),
    "to_official": official("Minister", "Minister of National Defense"),
    "subject": "Unsafe intercept over the South China Sea",
    "slots": [slot(24, 25), slot(48, 49)],
    "respond_by": at(12),
    "precedence": "immediate",
    "lang": "en",
    "officer": "Lt. Smith",
}
VIDEO = changed(PHONE, format="video-call", level="working", agenda="1. Facts\n2. Next steps")
MEETING = changed(PHONE, format="meeting", level="chief-of-defence", location="Honolulu")
DIALOGUE = changed(PHONE, format="dialogue", level="commander", series="MMCA working group")

ACCEPT: Obj = {"answer": "accept", "slot": 1, "officer": "Col. Wang", "lang": "zh-Hans"}
DECLINE: Obj = {"answer": "decline", "reason": "制裁仍在", "officer": "Col. Wang", "lang": "zh"}
COUNTER: Obj = {"answer": "counter", "slots": [slot(72, 73)], "officer": "Col. Wang", "lang": "zh"}
DEFER: Obj = {"answer": "defer", "until": at(96), "officer": "Col. Wang", "lang": "zh"}

SCHEDULED: Obj = {"status": "scheduled", "slot": slot(24, 25), "officer": "Lt. Smith", "lang": "en"}
HELD: Obj = {
    "status": "held",
    "summary": "Both sides stated positions.",
    "officer": "x",
    "lang": "en",
}
CANCELLED: Obj = {"status": "cancelled", "reason": "Typhoon", "officer": "x", "lang": "en"}
WITHDRAWN: Obj = {"status": "withdrawn", "officer": "Lt. Smith", "lang": "en"}

EXPLAIN: Obj = {
    "subject": "Missile launch without notification",
    "text": "Please explain the launch of 25 September.",
    "reply_within_hours": contact.DEFAULT_EXPLAIN_HOURS,
    "precedence": "priority",
    "lang": "en",
    "officer": "Lt. Smith",
}
EXPLANATION: Obj = {"text": "A routine training launch.", "lang": "en", "officer": "Col. Wang"}
READ: Obj = {"officer": "Col. Wang"}

VALID: list[tuple[str, Obj]] = [
    ("contact.request", PHONE),
    ("contact.request", VIDEO),
    ("contact.request", MEETING),
    ("contact.request", changed(MEETING, agenda="Maritime safety")),
    ("contact.request", DIALOGUE),
    ("contact.request", changed(PHONE, slots=[slot(hour, hour + 1) for hour in range(20)])),
    ("contact.request", changed(PHONE, subject="x" * 2 * contact.MAX_SHORT)),
    ("contact.request", changed(PHONE, precedence="flash", lang="ru")),
    ("contact.response", ACCEPT),
    ("contact.response", changed(ACCEPT, slot=contact.MAX_SLOTS, note="Confirmed")),
    ("contact.response", DECLINE),
    ("contact.response", changed(DECLINE, conditions=["Lift sanctions"], note="n")),
    ("contact.response", changed(DECLINE, conditions=["c"] * contact.MAX_CONDITIONS)),
    ("contact.response", COUNTER),
    ("contact.response", changed(without(COUNTER, "slots"), format="video-call")),
    ("contact.response", changed(COUNTER, format="meeting", note="In person")),
    ("contact.response", DEFER),
    ("contact.response", changed(DEFER, note="After the plenum")),
    ("contact.update", SCHEDULED),
    ("contact.update", changed(SCHEDULED, note="Line tested")),
    ("contact.update", HELD),
    ("contact.update", CANCELLED),
    ("contact.update", WITHDRAWN),
    ("contact.update", changed(WITHDRAWN, reason="Overtaken by events")),
    ("explain.request", EXPLAIN),
    ("explain.request", changed(EXPLAIN, reply_within_hours=1)),
    ("explain.request", changed(EXPLAIN, reply_within_hours=contact.MAX_REPLY_HOURS)),
    ("explain.response", EXPLANATION),
    ("explain.response", changed(EXPLANATION, text="Строка\n\tс табуляцией", lang="ru")),
    ("receipt.read", READ),
]


@pytest.mark.parametrize(("kind", "body"), VALID, ids=lambda value: str(value)[:40])
def test_valid_body_passes(kind: str, body: Obj) -> None:
    validate_body(kind, body)


def test_every_kind_and_variant_is_covered_by_a_valid_body() -> None:
    kinds = {kind for kind, _ in VALID}
    # hotline kinds are covered in test_entry.py, the notification, desk-check and catalogue
    # kinds in test_notify.py and test_catalogue.py
    issue_4 = {
        "notify.activity",
        "notify.incident",
        "notify.ack",
        "desk.check",
        "desk.answer",
        "catalogue.pin",
        "catalogue.message",
    }
    assert kinds == set(KINDS) - {"hotline.message", "hotline.ack"} - issue_4
    covered = {
        (kind, body.get("format") or body.get("answer") or body.get("status"))
        for kind, body in VALID
    }
    for fmt in contact.FORMATS:
        assert ("contact.request", fmt) in covered
    for answer in contact.ANSWERS:
        assert ("contact.response", answer) in covered
    for status in contact.UPDATES:
        assert ("contact.update", status) in covered


def test_default_explanation_window_is_the_vienna_documents_48_hours() -> None:
    assert contact.DEFAULT_EXPLAIN_HOURS == 48


# (kind, body, a fragment the message must contain: the field at fault)
INVALID: list[tuple[str, Any, str]] = [
    # the body itself
    ("contact.request", ["not", "an", "object"], "contact.request body"),
    ("receipt.read", None, "receipt.read body"),
    # missing and unknown fields
    *[("contact.request", without(PHONE, key), repr(key)) for key in PHONE],
    ("contact.request", changed(PHONE, extra=1), "'extra'"),
    ("contact.request", changed(PHONE, from_official=official() | {"rank": "O-10"}), "'rank'"),
    ("contact.request", changed(PHONE, to_official={"name": "x"}), "'title'"),
    ("contact.request", changed(PHONE, slots=[{"start": at(1)}]), "'end'"),
    ("contact.request", changed(PHONE, slots=[slot(1, 2) | {"tz": "Z"}]), "'tz'"),
    *[("contact.response", without(ACCEPT, key), key) for key in ("answer", "slot", "officer")],
    ("contact.response", without(ACCEPT, "lang"), "'lang'"),
    ("contact.response", without(DECLINE, "reason"), "'reason'"),
    ("contact.response", without(DEFER, "until"), "'until'"),
    ("contact.response", changed(ACCEPT, reason="x"), "'reason'"),
    ("contact.response", changed(DEFER, slot=1), "'slot'"),
    ("contact.update", without(SCHEDULED, "slot"), "'slot'"),
    ("contact.update", without(HELD, "summary"), "'summary'"),
    ("contact.update", without(CANCELLED, "reason"), "'reason'"),
    ("contact.update", without(WITHDRAWN, "status"), "status"),
    ("contact.update", changed(HELD, note="x"), "'note'"),
    ("contact.update", changed(WITHDRAWN, slot=slot(1, 2)), "'slot'"),
    *[("explain.request", without(EXPLAIN, key), repr(key)) for key in EXPLAIN],
    ("explain.request", changed(EXPLAIN, refs=[]), "'refs'"),
    ("explain.response", without(EXPLANATION, "text"), "'text'"),
    ("explain.response", changed(EXPLANATION, subject="x"), "'subject'"),
    ("receipt.read", {}, "'officer'"),
    ("receipt.read", changed(READ, lang="en"), "'lang'"),
    # wrong types
    ("contact.request", changed(PHONE, subject=7), "subject must be a string"),
    ("contact.request", changed(PHONE, format=["meeting"]), "format must be one of"),
    ("contact.request", changed(PHONE, level="general"), "level must be one of"),
    ("contact.request", changed(PHONE, precedence="urgent"), "precedence must be one of"),
    ("contact.request", changed(PHONE, from_official="Secretary"), "from_official must be a JSON"),
    ("contact.request", changed(PHONE, to_official={"name": 1, "title": "x"}), "to_official.name"),
    ("contact.request", changed(PHONE, slots=slot(1, 2)), "slots must be a list"),
    (
        "contact.request",
        changed(PHONE, slots=["2026-11-30T00:00:00.000Z"]),
        "slots[0] must be a JSON object",
    ),
    ("contact.request", changed(PHONE, respond_by=1_700_000_000), "respond_by: time"),
    ("contact.request", changed(PHONE, officer=None), "officer must be a string"),
    ("contact.request", changed(PHONE, lang=["en"]), "lang"),
    ("contact.response", changed(ACCEPT, slot="1"), "slot must be the number"),
    ("contact.response", changed(ACCEPT, slot=1.0), "slot must be the number"),
    ("contact.response", changed(DECLINE, reason=["x"]), "reason must be a string"),
    ("contact.response", changed(COUNTER, format=3), "format must be one of"),
    ("contact.response", changed(DEFER, until=None), "until: time"),
    ("contact.update", changed(SCHEDULED, slot=[at(1), at(2)]), "slot must be a JSON object"),
    ("contact.update", changed(HELD, summary={"text": "x"}), "summary must be a string"),
    ("contact.update", changed(WITHDRAWN, reason=5), "reason must be a string"),
    ("explain.request", changed(EXPLAIN, text=5), "text must be a string"),
    ("explain.request", changed(EXPLAIN, reply_within_hours="48"), "reply_within_hours"),
    ("explain.request", changed(EXPLAIN, reply_within_hours=48.0), "reply_within_hours"),
    ("explain.response", changed(EXPLANATION, officer=1), "officer must be a string"),
    ("receipt.read", {"officer": ["Col. Wang"]}, "officer must be a string"),
    # empty and too long text
    ("contact.request", changed(PHONE, subject=""), "subject must be 1 to"),
    ("contact.request", changed(PHONE, subject="x" * (2 * contact.MAX_SHORT + 1)), "subject"),
    ("contact.request", changed(PHONE, officer=""), "officer must be 1 to"),
    ("contact.request", changed(PHONE, agenda=""), "agenda must be 1 to"),
    ("contact.request", changed(PHONE, agenda="x" * (contact.MAX_LONG + 1)), "agenda"),
    ("contact.request", changed(MEETING, location=""), "location must be 1 to"),
    ("contact.request", changed(DIALOGUE, series="s" * (contact.MAX_SHORT + 1)), "series"),
    ("contact.request", changed(PHONE, from_official=official(name="")), "from_official.name"),
    ("contact.request", changed(PHONE, to_official=official(title="")), "to_official.title"),
    ("contact.response", changed(DECLINE, reason=""), "reason must be 1 to"),
    ("contact.response", changed(ACCEPT, note=""), "note must be 1 to"),
    ("contact.response", changed(DEFER, note="n" * (contact.MAX_LONG + 1)), "note"),
    ("contact.update", changed(HELD, summary=""), "summary must be 1 to"),
    ("contact.update", changed(CANCELLED, reason=""), "reason must be 1 to"),
    ("contact.update", changed(WITHDRAWN, reason=""), "reason must be 1 to"),
    ("contact.update", changed(SCHEDULED, note=""), "note must be 1 to"),
    ("explain.request", changed(EXPLAIN, text=""), "text must be 1 to"),
    ("explain.response", changed(EXPLANATION, text="t" * (contact.MAX_LONG + 1)), "text"),
    ("receipt.read", {"officer": ""}, "officer must be 1 to"),
    ("receipt.read", {"officer": "o" * (contact.MAX_SHORT + 1)}, "officer"),
    # control characters (C0 and C1; tab and newline are allowed, see VALID)
    ("contact.request", changed(PHONE, subject="Call\x1b[2J"), "subject contains control"),
    ("contact.request", changed(PHONE, agenda="a\x00b"), "agenda contains control"),
    ("contact.request", changed(PHONE, to_official=official(name="\x9b31m")), "name contains"),
    ("contact.response", changed(DECLINE, reason="no\r"), "reason contains control"),
    ("contact.update", changed(HELD, summary="\x7f"), "summary contains control"),
    ("explain.response", changed(EXPLANATION, text="\x07"), "text contains control"),
    ("receipt.read", {"officer": "Col.\x08Wang"}, "officer contains control"),
    # bad times
    ("contact.request", changed(PHONE, respond_by="2026-11-29T13:00:00Z"), "respond_by"),
    ("contact.request", changed(PHONE, respond_by="2026-11-29T13:00:00.000+00:00"), "respond_by"),
    ("contact.request", changed(PHONE, respond_by="2026-11-29 13:00:00.000Z"), "respond_by"),
    ("contact.request", changed(PHONE, respond_by="2026-02-30T00:00:00.000Z"), "respond_by"),
    ("contact.request", changed(PHONE, respond_by="tomorrow"), "respond_by"),
    ("contact.request", changed(PHONE, slots=[{"start": "x", "end": at(1)}]), "slots[0].start"),
    (
        "contact.request",
        changed(PHONE, slots=[slot(1, 2), {"start": at(3), "end": "2026-13-01T00:00:00.000Z"}]),
        "slots[1].end",
    ),
    ("contact.response", changed(DEFER, until="2026-12-01T00:00:00.000"), "until"),
    ("contact.response", changed(DEFER, until="2026-11-31T00:00:00.000Z"), "until"),
    ("contact.update", changed(SCHEDULED, slot={"start": at(1), "end": "soon"}), "slot.end"),
    # slot end at or before start
    ("contact.request", changed(PHONE, slots=[slot(2, 2)]), "slots[0] ends at or before"),
    ("contact.request", changed(PHONE, slots=[slot(1, 2), slot(5, 4)]), "slots[1] ends"),
    ("contact.response", changed(COUNTER, slots=[slot(3, 1)]), "slots[0] ends"),
    ("contact.update", changed(SCHEDULED, slot=slot(1, 0.5)), "slot ends at or before"),
    # no slots, too many slots
    ("contact.request", changed(PHONE, slots=[]), "slots must be a list of 1 to"),
    ("contact.request", changed(PHONE, slots=[slot(h, h + 1) for h in range(21)]), "slots must"),
    ("contact.response", changed(COUNTER, slots=[]), "slots must be a list of 1 to"),
    # location and series follow the format
    ("contact.request", without(MEETING, "location"), "location"),
    ("contact.request", changed(PHONE, location="Beijing"), "location"),
    ("contact.request", changed(VIDEO, location="Beijing"), "location"),
    ("contact.request", without(DIALOGUE, "series"), "series"),
    ("contact.request", changed(MEETING, series="talks"), "series"),
    ("contact.request", changed(PHONE, series="talks"), "series"),
    # accept names a slot by number
    ("contact.response", changed(ACCEPT, slot=0), "slot must be the number"),
    ("contact.response", changed(ACCEPT, slot=-1), "slot must be the number"),
    ("contact.response", changed(ACCEPT, slot=True), "slot must be the number"),
    ("contact.response", changed(ACCEPT, slot=contact.MAX_SLOTS + 1), "slot must be the number"),
    # counter proposes something
    ("contact.response", without(COUNTER, "slots"), "counter proposes new slots or a new format"),
    ("contact.response", changed(without(COUNTER, "slots"), note="n"), "counter proposes"),
    ("contact.response", changed(COUNTER, format="telegram"), "format must be one of"),
    # decline conditions
    ("contact.response", changed(DECLINE, conditions=[]), "conditions must be a list"),
    ("contact.response", changed(DECLINE, conditions="Lift sanctions"), "conditions must be"),
    ("contact.response", changed(DECLINE, conditions={"0": "x"}), "conditions must be"),
    ("contact.response", changed(DECLINE, conditions=["c"] * 11), "conditions must be a list"),
    ("contact.response", changed(DECLINE, conditions=["ok", ""]), "conditions[1] must be 1 to"),
    ("contact.response", changed(DECLINE, conditions=["ok", 3]), "conditions[1] must be a string"),
    ("contact.response", changed(DECLINE, conditions=["\x1b"]), "conditions[0] contains control"),
    # unknown answer and status
    ("contact.response", changed(ACCEPT, answer="maybe"), "answer must be one of"),
    ("contact.response", changed(ACCEPT, answer=None), "answer must be one of"),
    ("contact.response", changed(ACCEPT, answer=["accept"]), "answer must be one of"),
    ("contact.update", changed(HELD, status="postponed"), "status must be one of"),
    ("contact.update", changed(HELD, status=1), "status must be one of"),
    # reply window
    ("explain.request", changed(EXPLAIN, reply_within_hours=0), "reply_within_hours"),
    ("explain.request", changed(EXPLAIN, reply_within_hours=-48), "reply_within_hours"),
    ("explain.request", changed(EXPLAIN, reply_within_hours=True), "reply_within_hours"),
    ("explain.request", changed(EXPLAIN, reply_within_hours=24 * 30 + 1), "reply_within_hours"),
    ("explain.request", changed(EXPLAIN, precedence="ROUTINE"), "precedence must be one of"),
    # language tags
    *[
        (kind, changed(body, lang=tag), "lang must be a language tag")
        for kind, body in (
            ("contact.request", PHONE),
            ("contact.response", ACCEPT),
            ("contact.update", HELD),
            ("explain.request", EXPLAIN),
            ("explain.response", EXPLANATION),
        )
        for tag in ("", "EN", "e", "english", "en_US", "en-", "zh-Hans-toolongsubtag", 1)
    ],
]


@pytest.mark.parametrize(("kind", "body", "names"), INVALID, ids=lambda value: str(value)[:50])
def test_malformed_body_is_refused_naming_the_field(kind: str, body: Any, names: str) -> None:
    with pytest.raises(EntryError) as caught:
        validate_body(kind, body)
    assert caught.value.code == "invalid-body"
    assert names in str(caught.value)
    assert str(caught.value).startswith(kind)


def test_malformed_body_is_never_signed() -> None:
    with pytest.raises(EntryError) as caught:
        sign_entry(
            sender=US,
            recipient=PRC,
            seq=0,
            time=at(0),
            kind="contact.request",
            body=changed(PHONE, slots=[]),
            refs=(),
            key=KEYS[US],
        )
    assert caught.value.code == "invalid-body"


def test_body_validators_do_not_change_the_body() -> None:
    for kind, body in VALID:
        before = repr(body)
        validate_body(kind, body)
        assert repr(body) == before


# --- refs: who may answer what (link.check_refs) ---------------------------------------------


@dataclass
class Transcript:
    """The entries a node knows, as a RefLookup."""

    entries: Sequence[Entry]

    def __call__(self, entry_id: str) -> RefTarget | None:
        for entry in self.entries:
            if entry.id == entry_id:
                return RefTarget.of(entry)
        return None


def entry(
    sender: str,
    kind: str,
    body: Obj,
    hours: float,
    refs: Sequence[Entry] = (),
    recipient: str | None = None,
    seq: int = 0,
) -> Entry:
    return sign_entry(
        sender=sender,
        recipient=recipient or (PRC if sender == US else US),
        seq=seq,
        time=at(hours),
        kind=kind,
        body=body,
        refs=[ref.id for ref in refs],
        key=KEYS[sender],
    )


REQUEST = entry(US, "contact.request", PHONE, 0)
QUESTION = entry(US, "explain.request", EXPLAIN, 0, seq=1)
MESSAGE = entry(US, "hotline.message", {"text": "t", "lang": "en", "precedence": "flash"}, 0, seq=2)
OTHER_LINK_REQUEST = entry(THIRD, "contact.request", PHONE, 0, recipient=PRC)
KNOWN = Transcript([REQUEST, QUESTION, MESSAGE, OTHER_LINK_REQUEST])


def refused(follow_up: Entry, code: str, lookup: Transcript = KNOWN) -> str:
    with pytest.raises(EntryError) as caught:
        check_refs(follow_up, lookup)
    assert caught.value.code == code
    return str(caught.value)


def test_response_by_the_counterpart_passes() -> None:
    check_refs(entry(PRC, "contact.response", ACCEPT, 1, [REQUEST]), KNOWN)
    check_refs(entry(PRC, "contact.response", DECLINE, 0, [REQUEST]), KNOWN)  # same instant


def test_response_to_an_unknown_request_is_an_unknown_ref() -> None:
    response = entry(PRC, "contact.response", ACCEPT, 1, [REQUEST])
    refused(response, "unknown-ref", Transcript([]))


def test_response_by_the_requester_to_its_own_request_is_a_bad_ref() -> None:
    message = refused(entry(US, "contact.response", ACCEPT, 1, [REQUEST], seq=3), "bad-ref")
    assert PRC in message  # only what prc-mnd sent may be answered by us-dod


def test_response_to_a_hotline_message_is_a_bad_ref() -> None:
    message = refused(entry(PRC, "contact.response", ACCEPT, 1, [MESSAGE]), "bad-ref")
    assert "contact.request" in message


def test_response_to_an_explanation_request_is_a_bad_ref() -> None:
    refused(entry(PRC, "contact.response", DEFER, 1, [QUESTION]), "bad-ref")
    refused(entry(PRC, "explain.response", EXPLANATION, 1, [REQUEST]), "bad-ref")


def test_response_dated_before_the_request_is_a_bad_ref() -> None:
    message = refused(entry(PRC, "contact.response", ACCEPT, -0.001, [REQUEST]), "bad-ref")
    assert "before" in message


def test_ref_to_another_links_entry_is_a_bad_ref() -> None:
    message = refused(entry(US, "contact.response", ACCEPT, 1, [OTHER_LINK_REQUEST]), "bad-ref")
    assert "another link" in message
    refused(entry(US, "explain.request", EXPLAIN, 1, [OTHER_LINK_REQUEST]), "bad-ref")


def test_withdrawal_by_the_requester_passes() -> None:
    check_refs(entry(US, "contact.update", WITHDRAWN, 2, [REQUEST], seq=3), KNOWN)


def test_withdrawal_by_the_counterpart_is_a_bad_ref() -> None:
    message = refused(entry(PRC, "contact.update", WITHDRAWN, 2, [REQUEST]), "bad-ref")
    assert "withdraw" in message


@pytest.mark.parametrize("body", [SCHEDULED, HELD, CANCELLED], ids=lambda body: body["status"])
@pytest.mark.parametrize("sender", [US, PRC])
def test_scheduled_held_or_cancelled_by_either_party_passes(sender: str, body: Obj) -> None:
    check_refs(entry(sender, "contact.update", body, 30, [REQUEST], seq=3), KNOWN)


def test_update_of_something_not_a_contact_request_is_a_bad_ref() -> None:
    refused(entry(US, "contact.update", HELD, 30, [MESSAGE], seq=3), "bad-ref")
    refused(entry(PRC, "contact.update", HELD, 30, [QUESTION]), "bad-ref")
    refused(entry(PRC, "contact.update", HELD, -1, [REQUEST]), "bad-ref")


def test_read_receipt_of_either_request_kind_passes() -> None:
    check_refs(entry(PRC, "receipt.read", READ, 1, [QUESTION]), KNOWN)
    check_refs(entry(PRC, "receipt.read", READ, 1, [REQUEST]), KNOWN)
    check_refs(entry(PRC, "explain.response", EXPLANATION, 1, [QUESTION]), KNOWN)


def test_read_receipt_of_a_message_or_of_ones_own_request_is_a_bad_ref() -> None:
    refused(entry(PRC, "receipt.read", READ, 1, [MESSAGE]), "bad-ref")
    refused(entry(US, "receipt.read", READ, 1, [QUESTION], seq=3), "bad-ref")


def test_explanation_request_may_ref_any_entry_of_its_link() -> None:
    incident = entry(PRC, "hotline.message", {"text": "i", "lang": "en", "precedence": "flash"}, 0)
    lookup = Transcript([*KNOWN.entries, incident])
    check_refs(entry(US, "explain.request", EXPLAIN, 1, [incident, MESSAGE], seq=3), lookup)
