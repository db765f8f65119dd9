"""Officers' API for contact requests, explanations, proofs, reports and alarms.

The same application commands as the CLI (``openline.node.contacts``,
``openline.node.proving``, ``openline.node.reporting``); times are RFC 3339 strings with an
offset, slots ``{"start", "end"}``. Every error is ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

import anyio.to_thread
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from openline.api.access import acting_officer, given_officer
from openline.api.acts import bound
from openline.api.idempotency import entries_once
from openline.api.paging import After, Cursor, Limit, paged
from openline.api.results import entry_summary
from openline.core.card import Card
from openline.core.errors import CardError, OpenlineError
from openline.core.paging import Page
from openline.core.proofs import check_proof
from openline.core.requests import STATES
from openline.node import reads
from openline.node.app import Node
from openline.node.commands import DUTY_OFFICER, Short, Text, parse_when
from openline.node.contacts import Answer, NewRequest, Official, Update
from openline.node.errors import CommandError
from openline.node.proving import Prover
from openline.wiring import CurrentNode


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OfficialIn(Strict):
    name: Short
    title: Short


class SlotIn(Strict):
    start: str
    end: str


def _only_fields_of(model: BaseModel, choice: str, allowed: frozenset[str]) -> None:
    """Refuse a field given for another kind of answer or update (``--until`` with accept):
    silently dropping what an officer typed would sign something other than they meant."""
    common = {"answer", "status", "officer", "lang"}
    stray = sorted(model.model_fields_set - common - allowed)
    if stray:
        takes = ", ".join(sorted(allowed)) or "nothing else"
        raise CommandError(
            f"{', '.join(stray)} {'is' if len(stray) == 1 else 'are'} not for {choice} "
            f"({choice} takes {takes})",
            code="unexpected-field",
            status=422,
        )


def parse_slot(slot: SlotIn, field: str) -> tuple[datetime, datetime]:
    return parse_when(slot.start, f"{field}.start"), parse_when(slot.end, f"{field}.end")


class RequestIn(Strict):
    to: Short
    format: str
    level: str
    subject: Annotated[str, Field(min_length=1, max_length=400)]
    from_official: OfficialIn
    to_official: OfficialIn
    slots: list[SlotIn] = Field(min_length=1, max_length=20)
    respond_by: str
    precedence: str = "routine"
    lang: str = "en"
    officer: Short = DUTY_OFFICER
    agenda: Text | None = None
    location: Short | None = None
    series: Short | None = None

    def command(self, officer: str) -> NewRequest:
        """The command, sent by ``officer`` (:func:`openline.api.access.acting_officer`)."""
        return NewRequest(
            to=self.to,
            format=self.format,
            level=self.level,
            subject=self.subject,
            from_official=Official(self.from_official.name, self.from_official.title),
            to_official=Official(self.to_official.name, self.to_official.title),
            slots=[parse_slot(slot, f"slots[{n}]") for n, slot in enumerate(self.slots)],
            respond_by=parse_when(self.respond_by, "respond_by"),
            precedence=self.precedence,
            lang=self.lang,
            officer=officer,
            agenda=self.agenda,
            location=self.location,
            series=self.series,
        )


ANSWER_FIELDS: dict[str, frozenset[str]] = {
    "accept": frozenset({"slot", "note"}),
    "decline": frozenset({"reason", "conditions", "note"}),
    "counter": frozenset({"slots", "format", "note"}),
    "defer": frozenset({"until", "note"}),
    "reply": frozenset({"text"}),
}
UPDATE_FIELDS: dict[str, frozenset[str]] = {
    "scheduled": frozenset({"slot", "note"}),
    "held": frozenset({"summary"}),
    "cancelled": frozenset({"reason"}),
    "withdrawn": frozenset({"reason"}),
}


class AnswerIn(Strict):
    answer: Literal["accept", "decline", "counter", "defer", "reply"]
    slot: StrictInt | None = None  # a number, not "1" or true
    reason: Text | None = None
    conditions: list[Text] = Field(default_factory=list, max_length=10)
    slots: list[SlotIn] = Field(default_factory=list, max_length=20)
    format: str | None = None
    until: str | None = None
    text: Text | None = None
    note: Text | None = None
    officer: Short = DUTY_OFFICER
    lang: str = "en"

    def command(self, officer: str) -> Answer:
        _only_fields_of(self, self.answer, ANSWER_FIELDS[self.answer])
        required = {"decline": "reason", "reply": "text"}.get(self.answer)
        if required is not None and getattr(self, required) is None:
            raise CommandError(f"{self.answer} needs {required}", code=f"no-{required}", status=422)
        return Answer(
            answer=self.answer,
            slot=self.slot,
            reason=self.reason,
            conditions=self.conditions,
            slots=[parse_slot(slot, f"slots[{n}]") for n, slot in enumerate(self.slots)],
            format=self.format,
            until=None if self.until is None else parse_when(self.until, "until"),
            text=self.text,
            note=self.note,
            officer=officer,
            lang=self.lang,
        )


class UpdateIn(Strict):
    status: Literal["scheduled", "held", "cancelled", "withdrawn"]
    slot: SlotIn | None = None
    summary: Text | None = None
    reason: Text | None = None
    note: Text | None = None
    officer: Short = DUTY_OFFICER
    lang: str = "en"

    def command(self, officer: str) -> Update:
        _only_fields_of(self, self.status, UPDATE_FIELDS[self.status])
        required = {"held": "summary", "cancelled": "reason"}.get(self.status)
        if required is not None and getattr(self, required) is None:
            raise CommandError(f"{self.status} needs {required}", code=f"no-{required}", status=422)
        return Update(
            status=self.status,
            slot=None if self.slot is None else parse_slot(self.slot, "slot"),
            summary=self.summary,
            reason=self.reason,
            note=self.note,
            officer=officer,
            lang=self.lang,
        )


class ExplainIn(Strict):
    to: Short
    subject: Annotated[str, Field(min_length=1, max_length=400)]
    text: Text
    within_hours: StrictInt = Field(default=48, ge=1, le=720)
    refs: list[Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]] = Field(
        default_factory=list, max_length=4
    )
    precedence: str = "priority"
    lang: str = "en"
    officer: Short = DUTY_OFFICER


class ReadIn(Strict):
    officer: Short = DUTY_OFFICER


class CheckProofIn(Strict):
    proof: Annotated[str, Field(min_length=1, max_length=16_000_000)]
    # The parties' cards; by default the cards this node has pinned, and its own.
    cards: list[dict[str, Any]] | None = Field(default=None, min_length=1, max_length=16)


router = APIRouter()


async def created_once(
    node: Node, request: Request, command: Callable[[], object]
) -> dict[str, Any]:
    """The one entry a command signs, once per Idempotency-Key."""
    (entry,) = await entries_once(request, node, command)
    return entry_summary(entry)


@router.post("/requests", status_code=201, openapi_extra=bound("new-request"))
async def send_request(node: CurrentNode, request: Request, body: RequestIn) -> dict[str, Any]:
    officer = acting_officer(request, given_officer(body), DUTY_OFFICER)
    new = body.command(officer)
    return await created_once(node, request, lambda: node.contacts.request(new))


@router.get("/requests", openapi_extra=bound("read"))
async def list_requests(
    node: CurrentNode,
    request: Request,
    state: str | None = None,
    peer: str | None = None,
    direction: str | None = None,
    limit: Limit = None,
    cursor: Cursor = None,
    after: After = None,
) -> dict[str, Any]:
    """Requests, newest first by signed time, a page at a time."""
    if state is not None and state not in STATES:
        raise CommandError(
            f"state must be one of {', '.join(STATES)}, not {state!r}",
            code="invalid-state",
            status=422,
        )
    if direction is not None and direction not in ("in", "out"):
        raise CommandError(
            f"direction must be in or out, not {direction!r}",
            code="invalid-direction",
            status=422,
        )
    if peer is not None:
        node.peer(peer)  # 404 unknown-peer: an empty list would hide a typo

    def listing() -> dict[str, Any]:
        page = node.contacts.page(
            limit=limit,
            before=cursor,
            after=after,
            state=state,
            peer=peer,
            direction=direction,
        )
        shown = Page(node.contacts.to_json_all(page.items), page.before, page.after)
        return paged(request, "requests", shown)

    result: dict[str, Any] = await anyio.to_thread.run_sync(listing)
    return result


@router.get("/requests/{request_id}", openapi_extra=bound("read"))
async def show_request(node: CurrentNode, request_id: str) -> dict[str, Any]:
    shown: dict[str, Any] = await anyio.to_thread.run_sync(
        lambda: node.contacts.to_json(node.contacts.view(request_id))
    )
    return shown


@router.post(
    "/requests/{request_id}/respond", status_code=201, openapi_extra=bound("answer-request")
)
async def respond(
    node: CurrentNode, request: Request, request_id: str, body: AnswerIn
) -> dict[str, Any]:
    officer = acting_officer(request, given_officer(body), DUTY_OFFICER)
    answer = body.command(officer)
    return await created_once(node, request, lambda: node.contacts.respond(request_id, answer))


@router.post(
    "/requests/{request_id}/update", status_code=201, openapi_extra=bound("update-request")
)
async def update(
    node: CurrentNode, request: Request, request_id: str, body: UpdateIn
) -> dict[str, Any]:
    officer = acting_officer(request, given_officer(body), DUTY_OFFICER)
    change = body.command(officer)
    return await created_once(node, request, lambda: node.contacts.update(request_id, change))


@router.post("/requests/{request_id}/read", status_code=201, openapi_extra=bound("read-request"))
async def read(
    node: CurrentNode, request: Request, request_id: str, body: ReadIn | None = None
) -> dict[str, Any]:
    officer = acting_officer(request, given_officer(body), DUTY_OFFICER)
    return await created_once(node, request, lambda: node.contacts.read(request_id, officer))


@router.post("/explanations", status_code=201, openapi_extra=bound("explain"))
async def explain(node: CurrentNode, request: Request, body: ExplainIn) -> dict[str, Any]:
    officer = acting_officer(request, given_officer(body), DUTY_OFFICER)

    def send() -> Any:
        return node.contacts.explain(
            body.to,
            body.subject,
            body.text,
            within_hours=body.within_hours,
            refs=body.refs,
            precedence=body.precedence,
            lang=body.lang,
            officer=officer,
        )

    return await created_once(node, request, send)


@router.get("/proofs/{claim}/{entry_id}", openapi_extra=bound("prove"))
async def prove(node: CurrentNode, claim: str, entry_id: str) -> Response:
    data = await anyio.to_thread.run_sync(lambda: Prover(node).prove(claim, entry_id))
    return Response(data, media_type="application/json")


@router.post("/proofs/check", openapi_extra=bound("check-proof"))
async def check(node: CurrentNode, body: CheckProofIn) -> dict[str, Any]:
    """The same check as ``openline check-proof``; a failed check is an answer (200,
    ``valid: false``), not an error of the request."""

    def checking() -> dict[str, Any]:
        if body.cards is None:
            cards = list(node.all_cards().values())
        else:
            try:
                cards = [Card.from_json(card) for card in body.cards]
            except CardError as error:
                raise CommandError(f"bad card: {error}", code="bad-card", status=422) from error
        try:
            verdict = check_proof(body.proof.encode("utf-8"), cards)
        except OpenlineError as error:
            return {"valid": False, "code": error.code, "reason": str(error)}
        return {"valid": True, "lines": verdict.lines(), "verdict": verdict.to_json()}

    result: dict[str, Any] = await anyio.to_thread.run_sync(checking)
    return result


@router.get("/alarms", openapi_extra=bound("read"))
async def alarms(node: CurrentNode) -> dict[str, Any]:
    return {
        "alarms": [alarm.to_json() for alarm in await anyio.to_thread.run_sync(reads.alarms, node)]
    }


@router.get("/report", openapi_extra=bound("report"))
async def report(
    node: CurrentNode,
    counterpart: str,
    since: str | None = None,
    until: str | None = None,
    format: Annotated[Literal["html", "json", "md"], Query()] = "md",
) -> Response:
    from openline.node.reporting import MEDIA_TYPES, make_report

    start = None if since is None else parse_when(since, "since")
    end = None if until is None else parse_when(until, "until")
    text = await anyio.to_thread.run_sync(
        lambda: make_report(node, counterpart, start, end, format)
    )
    return Response(text, media_type=MEDIA_TYPES[format])
