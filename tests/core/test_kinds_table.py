"""The one table of kinds: its names, and that a ``Kind`` signs as its plain value."""

from __future__ import annotations

from openline.core.entry import sign_entry
from openline.core.keys import PrivateKey
from openline.core.kinds import KINDS, Kind, subject_of


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
