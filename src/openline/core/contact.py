"""Body schemas of contact requests, their answers and requests for explanation.

A ``contact.request`` asks the counterpart for a phone call, video call, meeting or a
dialogue (a named recurring series) at a stated level, with proposed slots and a
``respond_by`` deadline. The counterpart answers with a ``contact.response`` (accept one
slot, decline with a reason and conditions, counter-propose, or defer to a promised time).
Either side then records what happened with ``contact.update`` (scheduled, held,
cancelled); only the requester may withdraw. An ``explain.request`` asks for an explanation
within an agreed window that runs from delivery (48 h in the Vienna Document); it is
answered by an ``explain.response``. A ``receipt.read`` records that an officer has read a
request: read is not an answer.

Every body names the officer who acted and the language of its free text: free text is
kept as written, never translated.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openline.core.errors import EncodingError, EntryError
from openline.core.precedence import PRECEDENCES
from openline.core.schema import (
    LANGUAGE_TAG,
    require_choice,
    require_exact_keys,
    require_object,
    require_pattern,
    require_text,
)
from openline.core.timefmt import parse_time

FORMATS: tuple[str, ...] = ("phone-call", "video-call", "meeting", "dialogue")
LEVELS: tuple[str, ...] = ("minister", "chief-of-defence", "commander", "working")
ANSWERS: tuple[str, ...] = ("accept", "decline", "counter", "defer")
UPDATES: tuple[str, ...] = ("scheduled", "held", "cancelled", "withdrawn")

MAX_SLOTS = 20
MAX_CONDITIONS = 10
MAX_SHORT = 200
MAX_LONG = 5_000
MAX_REPLY_HOURS = 24 * 30
DEFAULT_EXPLAIN_HOURS = 48


def _require_time(obj: Mapping[str, Any], key: str, where: str) -> str:
    value = obj[key]
    try:
        parse_time(value)
    except EncodingError as error:
        raise EntryError(f"{where}.{key}: {error}", code="invalid-body") from error
    assert isinstance(value, str)
    return value


def _require_officer_and_lang(body: Mapping[str, Any], where: str) -> None:
    require_text(body, "officer", where, max_length=MAX_SHORT)
    require_pattern(body, "lang", where, LANGUAGE_TAG, "a language tag such as en or zh-Hans")


def _optional_text(body: Mapping[str, Any], key: str, where: str, max_length: int) -> None:
    if key in body:
        require_text(body, key, where, max_length=max_length)


def _official(body: Mapping[str, Any], key: str, where: str) -> None:
    official = require_object(body[key], f"{where}.{key}")
    require_exact_keys(official, f"{where}.{key}", ("name", "title"))
    require_text(official, "name", f"{where}.{key}", max_length=MAX_SHORT)
    require_text(official, "title", f"{where}.{key}", max_length=MAX_SHORT)


def validate_slot(slot: object, where: str) -> None:
    """A proposed time: ``{"start", "end"}`` with start strictly before end."""
    obj = require_object(slot, where)
    require_exact_keys(obj, where, ("start", "end"))
    start = _require_time(obj, "start", where)
    end = _require_time(obj, "end", where)
    if parse_time(end) <= parse_time(start):
        raise EntryError(f"{where} ends at or before it starts", code="invalid-body")


def _slots(body: Mapping[str, Any], key: str, where: str) -> None:
    slots = body[key]
    if not isinstance(slots, list) or not 1 <= len(slots) <= MAX_SLOTS:
        raise EntryError(
            f"{where}.{key} must be a list of 1 to {MAX_SLOTS} slots", code="invalid-body"
        )
    for index, slot in enumerate(slots):
        validate_slot(slot, f"{where}.{key}[{index}]")


def request_subject(body: Mapping[str, Any]) -> str:
    """A contact request's or a request for explanation's subject, as the requester put it."""
    return str(body["subject"])


def contact_request(body: Mapping[str, Any]) -> None:
    where = "contact.request body"
    require_exact_keys(
        body,
        where,
        (
            "format",
            "level",
            "from_official",
            "to_official",
            "subject",
            "slots",
            "respond_by",
            "precedence",
            "lang",
            "officer",
        ),
        ("agenda", "location", "series"),
    )
    fmt = require_choice(body, "format", where, FORMATS)
    require_choice(body, "level", where, LEVELS)
    _official(body, "from_official", where)
    _official(body, "to_official", where)
    require_text(body, "subject", where, max_length=MAX_SHORT * 2)
    _optional_text(body, "agenda", where, MAX_LONG)
    if fmt == "meeting" and "location" not in body:
        raise EntryError(f"{where} for a meeting must name its location", code="invalid-body")
    if fmt in ("phone-call", "video-call") and "location" in body:
        raise EntryError(f"{where}: a {fmt} has no location", code="invalid-body")
    _optional_text(body, "location", where, MAX_SHORT)
    if fmt == "dialogue" and "series" not in body:
        raise EntryError(f"{where} for a dialogue must name its series", code="invalid-body")
    if fmt != "dialogue" and "series" in body:
        raise EntryError(f"{where}: only a dialogue belongs to a series", code="invalid-body")
    _optional_text(body, "series", where, MAX_SHORT)
    _slots(body, "slots", where)
    _require_time(body, "respond_by", where)
    require_choice(body, "precedence", where, PRECEDENCES)
    _require_officer_and_lang(body, where)


def contact_response(body: Mapping[str, Any]) -> None:
    where = "contact.response body"
    answer = body.get("answer")
    common = ("answer", "officer", "lang")
    if answer == "accept":
        require_exact_keys(body, where, (*common, "slot"), ("note",))
        slot = body["slot"]
        if isinstance(slot, bool) or not isinstance(slot, int) or not 1 <= slot <= MAX_SLOTS:
            raise EntryError(
                f"{where}.slot must be the number of a proposed slot, 1 to {MAX_SLOTS}",
                code="invalid-body",
            )
    elif answer == "decline":
        require_exact_keys(body, where, (*common, "reason"), ("conditions", "note"))
        require_text(body, "reason", where, max_length=MAX_LONG)
        if "conditions" in body:
            conditions = body["conditions"]
            if not isinstance(conditions, list) or not 1 <= len(conditions) <= MAX_CONDITIONS:
                raise EntryError(
                    f"{where}.conditions must be a list of 1 to {MAX_CONDITIONS} texts",
                    code="invalid-body",
                )
            for index, condition in enumerate(conditions):
                key = f"conditions[{index}]"
                require_text({key: condition}, key, where, max_length=MAX_LONG)
    elif answer == "counter":
        require_exact_keys(body, where, common, ("slots", "format", "note"))
        if "slots" not in body and "format" not in body:
            raise EntryError(
                f"{where}: a counter proposes new slots or a new format", code="invalid-body"
            )
        if "slots" in body:
            _slots(body, "slots", where)
        if "format" in body:
            require_choice(body, "format", where, FORMATS)
    elif answer == "defer":
        require_exact_keys(body, where, (*common, "until"), ("note",))
        _require_time(body, "until", where)
    else:
        raise EntryError(f"{where}.answer must be one of {', '.join(ANSWERS)}", code="invalid-body")
    _optional_text(body, "note", where, MAX_LONG)
    _require_officer_and_lang(body, where)


def contact_update(body: Mapping[str, Any]) -> None:
    where = "contact.update body"
    status = body.get("status")
    common = ("status", "officer", "lang")
    if status == "scheduled":
        require_exact_keys(body, where, (*common, "slot"), ("note",))
        validate_slot(body["slot"], f"{where}.slot")
    elif status == "held":
        require_exact_keys(body, where, (*common, "summary"))
        require_text(body, "summary", where, max_length=MAX_LONG)
    elif status == "cancelled":
        require_exact_keys(body, where, (*common, "reason"))
        require_text(body, "reason", where, max_length=MAX_LONG)
    elif status == "withdrawn":
        require_exact_keys(body, where, common, ("reason",))
    else:
        raise EntryError(f"{where}.status must be one of {', '.join(UPDATES)}", code="invalid-body")
    _optional_text(body, "note", where, MAX_LONG)
    _optional_text(body, "reason", where, MAX_LONG)
    _require_officer_and_lang(body, where)


def explain_request(body: Mapping[str, Any]) -> None:
    where = "explain.request body"
    require_exact_keys(
        body,
        where,
        ("subject", "text", "reply_within_hours", "precedence", "lang", "officer"),
    )
    require_text(body, "subject", where, max_length=MAX_SHORT * 2)
    require_text(body, "text", where, max_length=MAX_LONG)
    hours = body["reply_within_hours"]
    if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= MAX_REPLY_HOURS:
        raise EntryError(
            f"{where}.reply_within_hours must be a whole number of hours, 1 to {MAX_REPLY_HOURS}",
            code="invalid-body",
        )
    require_choice(body, "precedence", where, PRECEDENCES)
    _require_officer_and_lang(body, where)


def explain_response(body: Mapping[str, Any]) -> None:
    where = "explain.response body"
    require_exact_keys(body, where, ("text", "lang", "officer"))
    require_text(body, "text", where, max_length=MAX_LONG)
    _require_officer_and_lang(body, where)


def read_receipt(body: Mapping[str, Any]) -> None:
    where = "receipt.read body"
    require_exact_keys(body, where, ("officer",))
    require_text(body, "officer", where, max_length=MAX_SHORT)
