"""The commands of contact requests and requests for explanation, declared once.

Each is a frozen pydantic model (``openline.node.commands``): the officers' API takes it as
its request body, the console validates its form with it, and Python callers (tests, the
benchmarks) build it directly. What a command needs of the officer's role is declared with
it: minister-level work, a new request at that level or any answer, update or read receipt
of a request at that level, needs an approver (``openline.core.roles.action_for_level``).

The acts themselves, folding the request's state first, are :class:`openline.node.contacts
.Contacts`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

from openline.core.contact import DEFAULT_EXPLAIN_HOURS, FORMATS, LEVELS
from openline.core.precedence import PRECEDENCES
from openline.core.roles import Action, action_for_level
from openline.core.timefmt import format_time
from openline.node.commands import DUTY_OFFICER, Command, Short, Text, Title, When
from openline.node.errors import CommandError, choice, invalid, language_tag

if TYPE_CHECKING:
    from openline.node.app import Node


class _Value(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Official(_Value):
    """Who the request is from, or for: a name and a title."""

    name: Short
    title: Short

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "title": self.title}


class Slot(_Value):
    """A time proposed or agreed for the contact."""

    start: When
    end: When


def slot_json(slot: Slot, now: datetime, what: str = "slot") -> dict[str, str]:
    """A proposed or agreed slot as signed, refused if it is backwards or already over."""
    start, end = format_time(slot.start), format_time(slot.end)
    if slot.end <= slot.start:
        raise invalid(f"{what} {start}/{end} ends before it starts", "invalid-slot")
    if slot.end <= now:
        raise invalid(f"{what} {start}/{end} is in the past", "slot-in-past")
    return {"start": start, "end": end}


class NewRequest(Command):
    """``POST /requests``: a contact request to ``to``, as an officer fills it in."""

    to: Short
    format: str
    level: str
    subject: Title
    from_official: Official
    to_official: Official
    slots: list[Slot] = Field(min_length=1, max_length=20)
    respond_by: When
    precedence: str = "routine"
    lang: str = "en"
    officer: Short = DUTY_OFFICER
    agenda: Text | None = None
    location: Short | None = None
    series: Short | None = None

    def action(self, node: Node) -> Action:
        return action_for_level(self.level)

    def run(self, node: Node, officer: str | None) -> object:
        return node.contacts.request(self.signed_by(officer))

    def body(self, now: datetime) -> dict[str, Any]:
        choice(self.format, FORMATS, "format", "invalid-format")
        choice(self.level, LEVELS, "level", "invalid-level")
        choice(self.precedence, PRECEDENCES, "precedence", "invalid-precedence")
        if self.respond_by <= now:
            raise invalid(
                f"respond-by {format_time(self.respond_by)} is not in the future", "respond-by-past"
            )
        # The core's rule (and its code), named by its field before anything is signed: a
        # form shows it beside the location or series field.
        if self.format == "meeting" and self.location is None:
            raise invalid("location: a meeting must name where it is held", "invalid-body")
        if self.format in ("phone-call", "video-call") and self.location is not None:
            raise invalid(f"location: a {self.format} has no location", "invalid-body")
        if self.format == "dialogue" and self.series is None:
            raise invalid(
                "series: a dialogue must name the series it is a round of", "invalid-body"
            )
        if self.format != "dialogue" and self.series is not None:
            raise invalid("series: only a dialogue belongs to a series", "invalid-body")
        body: dict[str, Any] = {
            "format": self.format,
            "level": self.level,
            "from_official": self.from_official.to_json(),
            "to_official": self.to_official.to_json(),
            "subject": self.subject,
            "slots": [slot_json(slot, now, f"slot {n}") for n, slot in enumerate(self.slots, 1)],
            "respond_by": format_time(self.respond_by),
            "precedence": self.precedence,
            "lang": language_tag(self.lang),
            "officer": self.officer,
        }
        for key in ("agenda", "location", "series"):
            value = getattr(self, key)
            if value is not None:
                body[key] = value
        return body


_COMMON = frozenset({"answer", "status", "officer", "lang", "request_id"})


def _only_fields_of(model: BaseModel, choice: str, allowed: frozenset[str]) -> None:
    """Refuse a field given for another kind of answer or update (``--until`` with accept):
    silently dropping what an officer typed would sign something other than they meant."""
    given = model.model_fields_set - _COMMON - allowed
    # A field given as null (or an empty list) says nothing that would be dropped.
    stray = sorted(name for name in given if getattr(model, name) not in (None, []))
    if stray:
        takes = ", ".join(sorted(allowed)) or "nothing else"
        raise CommandError(
            f"{', '.join(stray)} {'is' if len(stray) == 1 else 'are'} not for {choice} "
            f"({choice} takes {takes})",
            code="unexpected-field",
            status=422,
        )


class _Chosen(Command):
    """An answer or an update: the fields it takes, and the one it needs, follow from what
    it chose (its ``answer``, or its ``status``)."""

    FIELDS: ClassVar[Mapping[str, frozenset[str]]]
    NEEDS: ClassVar[Mapping[str, str]]

    def chosen(self) -> str:
        raise NotImplementedError

    @model_validator(mode="after")
    def _fields_of_the_choice(self) -> Self:
        choice = self.chosen()
        _only_fields_of(self, choice, self.FIELDS[choice])
        needed = self.NEEDS.get(choice)
        if needed is not None and getattr(self, needed) is None:
            raise CommandError(f"{choice} needs {needed}", code=f"no-{needed}", status=422)
        return self


class _OfARequest(Command):
    """A command about a stored request: it needs what the request's level needs."""

    request_id: str

    def action(self, node: Node) -> Action:
        view = node.contacts.find(self.request_id)
        return action_for_level(None if view is None else view.level)


ANSWER_FIELDS: dict[str, frozenset[str]] = {
    "accept": frozenset({"slot", "note"}),
    "decline": frozenset({"reason", "conditions", "note"}),
    "counter": frozenset({"slots", "format", "note"}),
    "defer": frozenset({"until", "note"}),
    "reply": frozenset({"text"}),
}


class Answer(_Chosen):
    """A response to a contact request, or a reply to a request for explanation."""

    FIELDS: ClassVar[Mapping[str, frozenset[str]]] = ANSWER_FIELDS
    NEEDS: ClassVar[Mapping[str, str]] = {"decline": "reason", "reply": "text"}

    answer: Literal["accept", "decline", "counter", "defer", "reply"]
    slot: StrictInt | None = None  # a number, not "1" or true
    reason: Text | None = None
    conditions: list[Text] = Field(default_factory=list, max_length=10)
    slots: list[Slot] = Field(default_factory=list, max_length=20)
    format: str | None = None
    until: When | None = None
    text: Text | None = None
    note: Text | None = None
    officer: Short = DUTY_OFFICER
    lang: str = "en"

    def chosen(self) -> str:
        return self.answer


class Respond(Answer, _OfARequest):
    """``POST /requests/{id}/respond``: answer the request ``request_id``."""

    def run(self, node: Node, officer: str | None) -> object:
        return node.contacts.respond(self.request_id, self.signed_by(officer))


UPDATE_FIELDS: dict[str, frozenset[str]] = {
    "scheduled": frozenset({"slot", "note"}),
    "held": frozenset({"summary"}),
    "cancelled": frozenset({"reason"}),
    "withdrawn": frozenset({"reason"}),
}


UpdateStatus = Literal["scheduled", "held", "cancelled", "withdrawn"]


class Update(_Chosen):
    """What became of a contact request: scheduled, held, cancelled or withdrawn."""

    FIELDS: ClassVar[Mapping[str, frozenset[str]]] = UPDATE_FIELDS
    NEEDS: ClassVar[Mapping[str, str]] = {"held": "summary", "cancelled": "reason"}

    status: UpdateStatus
    slot: Slot | None = None
    summary: Text | None = None
    reason: Text | None = None
    note: Text | None = None
    officer: Short = DUTY_OFFICER
    lang: str = "en"

    def chosen(self) -> str:
        return self.status


class UpdateRequest(Update, _OfARequest):
    """``POST /requests/{id}/update``: record what became of the request ``request_id``."""

    def run(self, node: Node, officer: str | None) -> object:
        return node.contacts.update(self.request_id, self.signed_by(officer))


class ReadAs(Command):
    """The body of a read receipt: who read the request."""

    officer: Short = DUTY_OFFICER


class ReadReceipt(ReadAs, _OfARequest):
    """``POST /requests/{id}/read``: tell the requester the request ``request_id`` was read."""

    def run(self, node: Node, officer: str | None) -> object:
        return node.contacts.read(self.request_id, officer or DUTY_OFFICER)


EntryId = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class Explain(Command):
    """``POST /explanations``: ask ``to`` to explain, with a reply owed within hours."""

    to: Short
    subject: Title
    text: Text
    within_hours: StrictInt = Field(default=DEFAULT_EXPLAIN_HOURS, ge=1, le=720)
    refs: list[EntryId] = Field(default_factory=list, max_length=4)
    precedence: str = "priority"
    lang: str = "en"
    officer: Short = DUTY_OFFICER

    def run(self, node: Node, officer: str | None) -> object:
        return node.contacts.explain(self.signed_by(officer))

    def body(self) -> dict[str, Any]:
        choice(self.precedence, PRECEDENCES, "precedence", "invalid-precedence")
        return {
            "subject": self.subject,
            "text": self.text,
            "reply_within_hours": self.within_hours,
            "precedence": self.precedence,
            "lang": language_tag(self.lang),
            "officer": self.officer,
        }
