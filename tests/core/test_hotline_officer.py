"""The sending officer in ``hotline.message`` and ``catalogue.message`` bodies.

Optional, so that transcripts signed before officers were recorded stay valid; validated like
every other kind's ``officer`` when present; carried by the hotline fold for the views.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from openline.core.catalogue import (
    Catalogue,
    CatalogueError,
    load_starter,
    validate_message,
    validate_message_body,
)
from openline.core.entry import Entry, sign_entry
from openline.core.errors import EntryError
from openline.core.hotline import fold_hotline, message_view
from openline.core.keys import PrivateKey
from openline.core.kinds import MAX_NAME_LENGTH, validate_body
from openline.core.precedence import DEFAULT_ACK_OBJECTIVES
from openline.core.timefmt import format_time

US, PRC = "us-dod", "prc-mnd"
KEY = PrivateKey.from_seed(bytes([7]) * 32)
PRC_KEY = PrivateKey.from_seed(bytes([8]) * 32)
TIME = format_time(datetime(2026, 11, 29, 1, 0, tzinfo=UTC))
OLD_BODY = {"text": "Unsafe intercept reported", "lang": "en", "precedence": "flash"}
STARTER = Catalogue.from_dict(load_starter())
PINNED = {STARTER.hash: STARTER}


def signed(body: dict[str, Any], seq: int = 0) -> Entry:
    return sign_entry(
        sender=US,
        recipient=PRC,
        seq=seq,
        time=TIME,
        kind="hotline.message",
        body=body,
        refs=(),
        key=KEY,
    )


BAD_OFFICERS = [
    pytest.param("", id="empty"),
    pytest.param("x" * (MAX_NAME_LENGTH + 1), id="too-long"),
    pytest.param("Lt.\x00Chen", id="control-char"),
    pytest.param(7, id="not-a-string"),
    pytest.param(None, id="null"),
    pytest.param(["chen"], id="a-list"),
]


# --- hotline.message --------------------------------------------------------------------------


def test_a_message_without_officer_still_validates_and_round_trips() -> None:
    validate_body("hotline.message", OLD_BODY)  # what every stored transcript holds
    entry = signed(dict(OLD_BODY))
    again = Entry.from_json(entry.to_json())
    assert again.id == entry.id
    assert "officer" not in again.body


def test_a_message_with_officer_validates_and_the_officer_is_signed() -> None:
    body = OLD_BODY | {"officer": "zhang.wei"}
    validate_body("hotline.message", body)
    validate_body("hotline.message", OLD_BODY | {"officer": "x" * MAX_NAME_LENGTH})
    entry = signed(body)
    again = Entry.from_json(entry.to_json())
    assert again.body["officer"] == "zhang.wei"
    assert again.id != signed(dict(OLD_BODY)).id  # the officer is part of what is signed


@pytest.mark.parametrize("officer", BAD_OFFICERS)
def test_a_bad_officer_is_refused_as_invalid_body(officer: object) -> None:
    with pytest.raises(EntryError) as refused:
        validate_body("hotline.message", OLD_BODY | {"officer": officer})
    assert refused.value.code == "invalid-body"
    assert "officer" in str(refused.value)
    # and at the door, where a peer's entry is parsed
    forged = signed(dict(OLD_BODY)).to_json()
    forged["body"] = OLD_BODY | {"officer": officer}
    with pytest.raises(EntryError) as at_door:
        Entry.from_json(forged)
    assert at_door.value.code == "invalid-body"


def test_no_other_field_is_admitted_alongside_officer() -> None:
    with pytest.raises(EntryError) as refused:
        validate_body("hotline.message", OLD_BODY | {"officer": "chen", "sender": "chen"})
    assert refused.value.code == "invalid-body"


# --- the fold ---------------------------------------------------------------------------------


def test_the_fold_carries_the_sending_officer_or_none() -> None:
    old = signed(dict(OLD_BODY), seq=0)
    new = signed(OLD_BODY | {"officer": "zhang.wei"}, seq=1)
    assert message_view(old, DEFAULT_ACK_OBJECTIVES).officer is None
    assert message_view(new, DEFAULT_ACK_OBJECTIVES).officer == "zhang.wei"
    ack = sign_entry(
        sender=PRC,
        recipient=US,
        seq=0,
        time=TIME,
        kind="hotline.ack",
        body={"officer": "Col. Wang"},
        refs=(new.id,),
        key=PRC_KEY,
    )
    views = fold_hotline([old, new, ack], DEFAULT_ACK_OBJECTIVES)
    assert views[old.id].officer is None
    assert (views[new.id].officer, views[new.id].ack_officer) == ("zhang.wei", "Col. Wang")


# --- catalogue.message ------------------------------------------------------------------------


def catalogue_body(**extra: Any) -> dict[str, Any]:
    return {"catalogue": STARTER.hash, "code": "M10", "params": {"distance": 5}} | extra


def test_a_catalogue_message_may_name_its_officer() -> None:
    validate_message_body(catalogue_body())  # as before: no officer
    validate_message_body(catalogue_body(officer="zhang.wei"))
    assert validate_message(catalogue_body(officer="zhang.wei"), PINNED).code == "M10"
    validate_body("catalogue.message", catalogue_body(officer="zhang.wei"))


@pytest.mark.parametrize("officer", BAD_OFFICERS)
def test_a_catalogue_message_with_a_bad_officer_is_refused(officer: object) -> None:
    for check in (validate_message_body, lambda body: validate_message(body, PINNED)):
        with pytest.raises(CatalogueError) as refused:
            check(catalogue_body(officer=officer))
        assert refused.value.code == "invalid-body"
        assert "officer" in str(refused.value)
