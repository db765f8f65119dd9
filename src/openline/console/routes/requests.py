"""The requests board, a request's page, answering it, and its proofs."""

from __future__ import annotations

from typing import Any

from anyio.to_thread import run_sync
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from openline.api.access import Caller, authorize
from openline.api.acts import bound
from openline.console import views
from openline.console.auth import (
    Signed,
)
from openline.console.forms import (
    FormErrors,
    body_from_form,
    form_values,
    placed_refusal,
    shown_beside,
    validated,
)
from openline.console.state import Console, CurrentConsole
from openline.core.contact import FORMATS, LEVELS
from openline.core.roles import Action
from openline.node.commands import Actor, Command, execute
from openline.node.errors import CommandError
from openline.node.request_commands import ReadReceipt, Respond, UpdateRequest

router = APIRouter()


@router.get("/requests")
async def requests_board(console: CurrentConsole, request: Request) -> Response:
    signed = await console.signed(request)
    chosen = _board_filter(request)
    columns = await run_sync(views.board, console.node, chosen)
    return console.show(
        signed,
        "requests.html",
        columns=columns,
        chosen=chosen,
        peers=sorted(console.node.peers.pinned()),
        formats=FORMATS,
        levels=LEVELS,
        party=console.node.party,
        claims=views.proof_claims,
        title_key="requests",
    )


@router.get("/fragments/requests")
async def requests_fragment(console: CurrentConsole, request: Request) -> Response:
    signed = await console.signed(request)
    chosen = _board_filter(request)
    columns = await run_sync(views.board, console.node, chosen)
    return console.show(
        signed, "_board.html", columns=columns, party=console.node.party, claims=views.proof_claims
    )


async def request_view(
    console: Console,
    signed: Signed,
    request_id: str,
    status: int = 200,
    values: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
) -> Response:
    shown = await run_sync(
        lambda: console.node.contacts.to_json(console.node.contacts.view(request_id))
    )
    return console.show(
        signed,
        "request.html",
        status=status,
        request=shown,
        claims=views.proof_claims(shown, console.node.party),
        values=values or {},
        errors={} if errors is None else errors.fields,
        general=[] if errors is None else errors.general,
        error_code=None if errors is None else errors.code,
        formats=FORMATS,
        title_key="requests",
    )


@router.get("/requests/{request_id}")
async def request_page(console: CurrentConsole, request: Request, request_id: str) -> Response:
    return await request_view(console, await console.signed(request), request_id)


@router.post("/requests/{request_id}/respond", openapi_extra=bound("answer-request", Respond))
async def respond(console: CurrentConsole, request: Request, request_id: str) -> Response:
    return await acted(console, request, request_id, Respond)


@router.post("/requests/{request_id}/update", openapi_extra=bound("update-request", UpdateRequest))
async def update(console: CurrentConsole, request: Request, request_id: str) -> Response:
    return await acted(console, request, request_id, UpdateRequest)


@router.post("/requests/{request_id}/read", openapi_extra=bound("read-request", ReadReceipt))
async def read(console: CurrentConsole, request: Request, request_id: str) -> Response:
    return await acted(console, request, request_id, ReadReceipt)


async def acted(
    console: Console, request: Request, request_id: str, command: type[Command]
) -> Response:
    """Run the form as ``command`` on the request ``request_id``, then show the request;
    a mistake is shown beside its field, on the request's page."""
    signed, fields = await console.posted(request)
    await run_sync(console.node.contacts.view, request_id)  # 404 unknown-request first
    try:
        chosen = validated(command, body_from_form(fields) | {"request_id": request_id})
        await run_sync(execute, console.node, chosen, Actor(signed.officer), None)
    except FormErrors as errors:
        placed = shown_beside(errors, [name for name, _value in fields])
        return await request_view(console, signed, request_id, 422, form_values(fields), placed)
    except CommandError as error:
        if error.status == 403:
            raise
        placed = placed_refusal(error, fields)
        return await request_view(console, signed, request_id, 422, form_values(fields), placed)
    return RedirectResponse(f"/console/requests/{request_id}", status_code=303)


@router.get("/proofs/{claim}/{entry_id}")
async def proof(console: CurrentConsole, request: Request, claim: str, entry_id: str) -> Response:
    signed = await console.signed(request)
    authorize(Caller(signed.officer), Action.EXPORT)
    from openline.node.proving import Prover

    data = await run_sync(lambda: Prover(console.node).prove(claim, entry_id))
    name = f"openline-{claim}-{entry_id[:12]}.proof.json"
    return Response(
        data,
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _board_filter(request: Request) -> views.BoardFilter:
    query = request.query_params

    def value(name: str) -> str | None:
        return query.get(name) or None

    return views.BoardFilter(
        counterpart=value("counterpart"),
        format=value("format"),
        level=value("level"),
        direction=value("direction"),
    )
