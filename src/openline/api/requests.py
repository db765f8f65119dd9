"""Officers' API for contact requests, explanations, proofs, reports and alarms.

The same application commands as the CLI (``openline.node.contacts``,
``openline.node.proving``, ``openline.node.reporting``); times are RFC 3339 strings with an
offset, slots ``{"start", "end"}``. Every error is ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import anyio.to_thread
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from openline.api.acts import bound
from openline.api.idempotency import executed
from openline.api.paging import After, Cursor, Limit, paged
from openline.api.results import EntrySummary, entry_summary
from openline.core.card import Card
from openline.core.errors import CardError, OpenlineError
from openline.core.paging import Page
from openline.core.proofs import check_proof
from openline.core.requests import STATES
from openline.node import reads
from openline.node.app import Node
from openline.node.commands import Command, given, parse_when
from openline.node.errors import CommandError
from openline.node.proving import Prover
from openline.node.request_commands import (
    Answer,
    Explain,
    NewRequest,
    ReadAs,
    ReadReceipt,
    Respond,
    Update,
    UpdateRequest,
)
from openline.wiring import CurrentNode


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CheckProofIn(Strict):
    proof: Annotated[str, Field(min_length=1, max_length=16_000_000)]
    # The parties' cards; by default the cards this node has pinned, and its own.
    cards: list[dict[str, Any]] | None = Field(default=None, min_length=1, max_length=16)


router = APIRouter()


@router.post("/requests", status_code=201, openapi_extra=bound("new-request", NewRequest))
async def send_request(node: CurrentNode, request: Request, body: NewRequest) -> EntrySummary:
    return await created(request, node, body)


async def created(request: Request, node: Node, command: Command) -> EntrySummary:
    """The one entry a command signs, once per Idempotency-Key."""
    (entry,) = await executed(request, node, command)
    return entry_summary(entry)


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
        node.peers.peer(peer)  # 404 unknown-peer: an empty list would hide a typo

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
    "/requests/{request_id}/respond",
    status_code=201,
    openapi_extra=bound("answer-request", Respond),
)
async def respond(
    node: CurrentNode, request: Request, request_id: str, body: Answer
) -> EntrySummary:
    return await created(request, node, Respond(request_id=request_id, **given(body)))


@router.post(
    "/requests/{request_id}/update",
    status_code=201,
    openapi_extra=bound("update-request", UpdateRequest),
)
async def update(
    node: CurrentNode, request: Request, request_id: str, body: Update
) -> EntrySummary:
    return await created(request, node, UpdateRequest(request_id=request_id, **given(body)))


@router.post(
    "/requests/{request_id}/read",
    status_code=201,
    openapi_extra=bound("read-request", ReadReceipt),
)
async def read(
    node: CurrentNode, request: Request, request_id: str, body: ReadAs | None = None
) -> EntrySummary:
    return await created(request, node, ReadReceipt(request_id=request_id, **given(body)))


@router.post("/explanations", status_code=201, openapi_extra=bound("explain", Explain))
async def explain(node: CurrentNode, request: Request, body: Explain) -> EntrySummary:
    return await created(request, node, body)


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
            cards = list(node.peers.all_cards().values())
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
