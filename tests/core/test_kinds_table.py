"""The one table of kinds: its names, and that a ``Kind`` signs as its plain value."""

from __future__ import annotations

import re

from openline.core.entry import sign_entry
from openline.core.errors import EntryError
from openline.core.keys import PrivateKey
from openline.core.kinds import KINDS, Kind, subject_of, summary_of, type_field_of, validate_body


def test_every_kind_of_the_table_is_a_kind_and_back() -> None:
    assert set(KINDS) == {kind.value for kind in Kind}
    assert all(isinstance(name, Kind) for name in KINDS)


def test_a_kind_member_signs_the_same_bytes_as_its_value() -> None:
    key = PrivateKey.generate()
    fields = {
        "sender": "us-dod",
        "recipient": "prc-mnd",
        "seq": 0,
        "time": "2026-12-04T10:00:00.000Z",
        "body": {"text": "hello", "lang": "en", "precedence": "routine"},
        "refs": (),
        "key": key,
    }
    by_member = sign_entry(kind=Kind.HOTLINE_MESSAGE, **fields)  # type: ignore[arg-type]
    by_value = sign_entry(kind="hotline.message", **fields)  # type: ignore[arg-type]
    assert by_member.leaf == by_value.leaf
    assert type(by_member.kind) is str


def test_the_subject_an_officer_reads_comes_from_the_kind() -> None:
    assert subject_of(Kind.NOTIFY_ACTIVITY, {"title": "Exercise North"}) == "Exercise North"
    assert subject_of(Kind.NOTIFY_INCIDENT, {"category": "laser"}) == "laser"
    other = {"category": "other", "label": "Jamming"}
    assert subject_of(Kind.NOTIFY_INCIDENT, other) == "Jamming"
    assert subject_of(Kind.CONTACT_REQUEST, {"subject": "CJCS call"}) == "CJCS call"
    assert subject_of(Kind.EXPLAIN_REQUEST, {"subject": "Why?"}) == "Why?"
    assert subject_of(Kind.DESK_CHECK, {}) == ""
    assert subject_of("no.such-kind", {}) == ""


def _required_fields(kind: str) -> set[str]:
    """The fields a body of ``kind`` must have, found by asking the schema one at a time."""
    body: dict[str, object] = {}
    while True:
        try:
            validate_body(kind, body)
        except EntryError as error:
            missing = re.search(r"lacks field '([^']+)'", str(error))
            if missing is None:
                return set(body)
            body[missing.group(1)] = None
        else:
            return set(body)


def test_the_fields_readers_take_from_a_kind_are_required_by_its_schema() -> None:
    """The map, the notifications and the CLI read these fields of any body of the kind:
    each must be one that every valid body has."""
    named = 0
    for name, spec in KINDS.items():
        fields = [] if spec.type_field is None else [spec.type_field]
        if spec.place is not None:
            fields += [spec.place.geometry, spec.place.start]
        required = _required_fields(name)
        for field in fields:
            assert field in required, f"{name}: {field}"
            named += 1
    assert named >= 6  # activities and incidents each name three


def test_type_field_and_summary_come_from_the_kind() -> None:
    assert type_field_of(Kind.NOTIFY_ACTIVITY) == "activity"
    assert type_field_of(Kind.NOTIFY_INCIDENT) == "category"
    assert type_field_of(Kind.DESK_CHECK) is None
    assert type_field_of("no.such-kind") is None
    incident = {"category": "laser", "description": "x" * 150}
    assert summary_of(Kind.NOTIFY_INCIDENT, incident) == "laser: " + "x" * 100
    assert summary_of(Kind.NOTIFY_ACTIVITY, {"title": "Exercise North"}) == "Exercise North"
    assert summary_of(Kind.DESK_CHECK, {}) == ""
