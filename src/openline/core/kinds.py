"""The kinds of entry, each with a strict body schema, the rule for its refs, and what it is
owed: the one table of kinds, from which every other list of kinds is derived.

A kind that answers another (an acknowledgement answers a message, a response answers a
contact request) names the kinds it may ref. With ``ref_scope="received"`` its refs must
point into the *counterpart's* log: one can only answer what one has received. With
``ref_scope="link"`` they may point into either log of the link (both sides record that a
meeting was held). The receiver checks this against its own transcript (``link.check_refs``;
docs/architecture.md, "Links, logs and entries"), so an answer to something never sent is
refused at the door.

A kind that expects an answer says so in its :class:`Owed`: the kinds whose entries
discharge it, its deadline rule (``core.deadlines``), whether that deadline follows from
signed data alone (so a third party can check a proof of non-answer), and which fold tracks
it. ``ANSWERED_BY``, ``PROVABLE_DEADLINES`` and the kinds of each fold are read from here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from openline.core import catalogue, contact, notify
from openline.core.canonical import MAX_SAFE_INTEGER
from openline.core.deadlines import DueRule, after_delivery, at_field, objective_after_delivery
from openline.core.errors import EntryError
from openline.core.precedence import PRECEDENCES
from openline.core.schema import (
    LANGUAGE_TAG,
    require_choice,
    require_exact_keys,
    require_object,
    require_pattern,
    require_text,
)

MAX_TEXT_LENGTH = 20_000
MAX_NAME_LENGTH = 200
MAX_CATALOGUE_REFS = 4


Fold = Literal["message", "request", "notice"]
"""Which fold tracks an obligation: hotline messages (acknowledged), requests (answered
through a state machine), notices (notifications, incident reports, desk checks:
acknowledged or answered once)."""


class Kind(StrEnum):
    """Every kind of entry. The values are what entries carry on the wire."""

    HOTLINE_MESSAGE = "hotline.message"
    HOTLINE_ACK = "hotline.ack"
    CONTACT_REQUEST = "contact.request"
    CONTACT_RESPONSE = "contact.response"
    CONTACT_UPDATE = "contact.update"
    EXPLAIN_REQUEST = "explain.request"
    EXPLAIN_RESPONSE = "explain.response"
    RECEIPT_READ = "receipt.read"
    NOTIFY_ACTIVITY = "notify.activity"
    NOTIFY_INCIDENT = "notify.incident"
    NOTIFY_ACK = "notify.ack"
    DESK_CHECK = "desk.check"
    DESK_ANSWER = "desk.answer"
    CATALOGUE_PIN = "catalogue.pin"
    CATALOGUE_MESSAGE = "catalogue.message"


@dataclass(frozen=True, slots=True)
class Owed:
    """What an entry of a kind is owed, and by when."""

    by: frozenset[str]
    """The kinds whose entries discharge it."""
    due: DueRule
    fold: Fold
    provable: bool = True
    """True when the deadline follows from signed data alone (a non-answer is provable)."""


@dataclass(frozen=True, slots=True)
class Place:
    """Where and when a notice's body says its subject happens, by field name: the map, the
    notification's JSON and the floor read these instead of knowing each kind."""

    geometry: str
    """The geometry in signed microdegrees (an activity's area, an incident's position)."""
    start: str
    end: str | None = None


@dataclass(frozen=True, slots=True)
class KindSpec:
    """What a kind's body must look like, what its refs may point at, and what it is owed."""

    name: str
    validate_body: Callable[[Mapping[str, Any]], None]
    answers: frozenset[str] = field(default_factory=frozenset)
    min_refs: int = 0
    max_refs: int = 0
    ref_scope: Literal["received", "link"] = "received"
    # True for a body that only the author of the ref'd entry may write (a withdrawal).
    author_only: Callable[[Mapping[str, Any]], bool] | None = None
    owed: Owed | None = None
    subject: Callable[[Mapping[str, Any]], str] | None = None
    """What an officer reads as an entry's subject in a list (None: the kind says it all)."""
    type_field: str | None = None
    """The body field whose value names what the entry is about (an activity's type, an
    incident's category); the translations label it in the group of the same name."""
    place: Place | None = None


def _hotline_message(body: Mapping[str, Any]) -> None:
    """Text, language and precedence; ``officer``, who sent it, when the node knew (messages
    signed before officers were recorded have none, and stay valid)."""
    where = "hotline.message body"
    require_exact_keys(body, where, ("text", "lang", "precedence"), optional=("officer",))
    require_text(body, "text", where, max_length=MAX_TEXT_LENGTH)
    require_pattern(body, "lang", where, LANGUAGE_TAG, "a language tag such as en or zh-Hans")
    require_choice(body, "precedence", where, PRECEDENCES)
    if "officer" in body:
        require_text(body, "officer", where, max_length=MAX_NAME_LENGTH)


def _catalogue_pin(body: Mapping[str, Any]) -> None:
    """ "I have pinned this catalogue": its hash, with its name and version for people."""
    where = "catalogue.pin body"
    require_exact_keys(body, where, ("catalogue", "name", "version", "officer"))
    require_pattern(
        body, "catalogue", where, catalogue.CATALOGUE_HASH, "the catalogue's hash, 64 hex digits"
    )
    require_pattern(body, "name", where, catalogue.CATALOGUE_NAME, "a catalogue name")
    version = body["version"]
    if type(version) is not int or not 1 <= version <= MAX_SAFE_INTEGER:
        raise EntryError(f"{where}.version must be a whole number from 1", code="invalid-body")
    require_text(body, "officer", where, max_length=MAX_NAME_LENGTH)


def _hotline_ack(body: Mapping[str, Any]) -> None:
    where = "hotline.ack body"
    require_exact_keys(body, where, ("officer",))
    require_text(body, "officer", where, max_length=MAX_NAME_LENGTH)


_ACKED_WITHIN_MINUTES = Owed(
    frozenset({Kind.NOTIFY_ACK}), after_delivery("ack_within_minutes", "minutes"), "notice"
)

KINDS: Mapping[str, KindSpec] = {
    spec.name: spec
    for spec in (
        KindSpec(
            Kind.HOTLINE_MESSAGE,
            _hotline_message,
            owed=Owed(
                frozenset({Kind.HOTLINE_ACK}), objective_after_delivery, "message", provable=False
            ),
        ),
        KindSpec(
            Kind.HOTLINE_ACK,
            _hotline_ack,
            answers=frozenset({Kind.HOTLINE_MESSAGE}),
            min_refs=1,
            max_refs=1,
        ),
        KindSpec(
            Kind.CONTACT_REQUEST,
            contact.contact_request,
            subject=contact.request_subject,
            owed=Owed(frozenset({Kind.CONTACT_RESPONSE}), at_field("respond_by"), "request"),
        ),
        KindSpec(
            Kind.CONTACT_RESPONSE,
            contact.contact_response,
            answers=frozenset({Kind.CONTACT_REQUEST}),
            min_refs=1,
            max_refs=1,
        ),
        KindSpec(
            Kind.CONTACT_UPDATE,
            contact.contact_update,
            answers=frozenset({Kind.CONTACT_REQUEST}),
            min_refs=1,
            max_refs=1,
            ref_scope="link",
            author_only=lambda body: body.get("status") == "withdrawn",
        ),
        # May ref what it asks about (an incident report, a notification) on the same link.
        KindSpec(
            Kind.EXPLAIN_REQUEST,
            contact.explain_request,
            max_refs=4,
            subject=contact.request_subject,
            owed=Owed(
                frozenset({Kind.EXPLAIN_RESPONSE}),
                after_delivery("reply_within_hours", "hours"),
                "request",
            ),
        ),
        KindSpec(
            Kind.EXPLAIN_RESPONSE,
            contact.explain_response,
            answers=frozenset({Kind.EXPLAIN_REQUEST}),
            min_refs=1,
            max_refs=1,
        ),
        KindSpec(
            Kind.RECEIPT_READ,
            contact.read_receipt,
            answers=frozenset({Kind.CONTACT_REQUEST, Kind.EXPLAIN_REQUEST}),
            min_refs=1,
            max_refs=1,
        ),
        KindSpec(
            Kind.NOTIFY_ACTIVITY,
            notify.notify_activity,
            owed=_ACKED_WITHIN_MINUTES,
            subject=notify.activity_subject,
            type_field="activity",
            place=Place("area", "start", "end"),
        ),
        KindSpec(
            Kind.NOTIFY_INCIDENT,
            notify.notify_incident,
            owed=_ACKED_WITHIN_MINUTES,
            subject=notify.incident_subject,
            type_field="category",
            place=Place("position", "time"),
        ),
        KindSpec(
            Kind.NOTIFY_ACK,
            notify.notify_ack,
            answers=frozenset({Kind.NOTIFY_ACTIVITY, Kind.NOTIFY_INCIDENT}),
            min_refs=1,
            max_refs=1,
        ),
        KindSpec(
            Kind.DESK_CHECK,
            notify.desk_check,
            owed=Owed(
                frozenset({Kind.DESK_ANSWER}),
                after_delivery("answer_within_seconds", "seconds"),
                "notice",
            ),
        ),
        KindSpec(
            Kind.DESK_ANSWER,
            notify.desk_answer,
            answers=frozenset({Kind.DESK_CHECK}),
            min_refs=1,
            max_refs=1,
        ),
        KindSpec(Kind.CATALOGUE_PIN, _catalogue_pin),
        # The shape only: the node checks code and parameters against its pinned catalogues
        # at the door (``Node``), since a core schema cannot know what this node pinned. It
        # may ref what it is about (a notification, an incident, another catalogue message).
        KindSpec(
            Kind.CATALOGUE_MESSAGE, catalogue.validate_message_body, max_refs=MAX_CATALOGUE_REFS
        ),
    )
}


def kind_spec(kind: str) -> KindSpec:
    """The spec of a known kind.

    Raises:
        EntryError: code ``unknown-kind``.
    """
    spec = KINDS.get(kind)
    if spec is None:
        raise EntryError(f"unknown kind {kind!r}", code="unknown-kind")
    return spec


def validate_body(kind: str, body: object) -> None:
    """Check a body against its kind's schema.

    Raises:
        EntryError: code ``unknown-kind`` or ``invalid-body``.
    """
    spec = kind_spec(kind)
    spec.validate_body(require_object(body, f"{kind} body"))


OWED: Mapping[str, Owed] = {
    name: spec.owed for name, spec in KINDS.items() if spec.owed is not None
}
"""For each kind that creates an obligation, what it is owed."""

ANSWERED_BY: Mapping[str, frozenset[str]] = {name: owed.by for name, owed in OWED.items()}
"""For each kind that creates an obligation, the kinds whose entries discharge it."""

PROVABLE_DEADLINES = frozenset(name for name, owed in OWED.items() if owed.provable)
"""Kinds whose deadline follows from signed data alone."""


def subject_of(kind: str, body: Mapping[str, Any]) -> str:
    """What an officer reads as the subject of an entry of ``kind`` ("" when its kind says
    it all, as for a desk check)."""
    spec = KINDS.get(kind)
    return "" if spec is None or spec.subject is None else spec.subject(body)


def type_field_of(kind: str) -> str | None:
    """The body field that names what an entry of ``kind`` is about, if its kind has one."""
    spec = KINDS.get(kind)
    return None if spec is None else spec.type_field


def summary_of(kind: str, body: Mapping[str, Any]) -> str:
    """One line for an alarm or a list: the entry's subject, and the start of its
    description when it has one."""
    subject = subject_of(kind, body)
    if "description" not in body:
        return subject
    return f"{subject}: {str(body['description'])[:100]}"


def kinds_of_fold(fold: Fold) -> frozenset[str]:
    """The kinds whose obligations the fold ``fold`` tracks."""
    return frozenset(name for name, owed in OWED.items() if owed.fold == fold)
