"""Officers' REST API, ``/api/v1``: the same application commands as the CLI.

Authenticated with ``Authorization: Bearer <token>``: the node-local admin token that
``openline init`` writes to ``DIR/admin.token``, or an officer's token (``openline officer
token``), which may do what the officer's role allows (``openline.api.access``). Errors are
``{"error": {"code", "message"}}`` with a 4xx status, exactly like the federation endpoint.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, cast

import anyio.to_thread
from fastapi import APIRouter, Depends, FastAPI, Header, Request

from openline.api import accounts, catalogues, notices, requests
from openline.api.access import (
    Caller,
    authorize,
    identify,
    is_operator,
    remember,
)
from openline.api.acts import act_of_route, bound
from openline.api.idempotency import answered, executed
from openline.api.paging import After, Cursor, Limit, paged
from openline.api.results import EntriesResult, entries_result
from openline.node import reads
from openline.node.commands import given
from openline.node.errors import CommandError
from openline.node.hotline import AckAs, Acknowledge, SendBatch, SendMessage
from openline.node.node_commands import AddPeer, Rebuild
from openline.wiring import CurrentNode


@dataclass(frozen=True, slots=True)
class ApiSettings:
    """What ``mount_api`` keeps on ``app.state`` for the routes."""

    token: str
    on_peers_changed: Callable[[], None]


def settings_of(request: Request) -> ApiSettings:
    return cast(ApiSettings, request.app.state.api)


async def require_token(
    node: CurrentNode, request: Request, authorization: Annotated[str | None, Header()] = None
) -> None:
    token = settings_of(request).token
    if is_operator(token, authorization):
        remember(request, Caller(None))
        return  # the hot path (the CLI, batches): no thread hop, no query
    caller = await anyio.to_thread.run_sync(identify, node, token, authorization)
    remember(request, caller)
    if caller.officer is not None:
        act = act_of_route(request.scope.get("route"))
        if act is None:  # check_bound makes this unreachable: fail closed all the same
            raise CommandError("this route is bound to no act", code="forbidden", status=403)
        authorize(caller, act.action)  # the floor; a command's own rule is execute's


router = APIRouter(prefix="/api/v1", dependencies=[Depends(require_token)])


@router.post("/messages", status_code=201, openapi_extra=bound("send-message", SendMessage))
async def send(node: CurrentNode, request: Request, message: SendMessage) -> EntriesResult:
    return entries_result(await executed(request, node, message))


@router.post("/messages/batch", status_code=201, openapi_extra=bound("send-message", SendBatch))
async def send_batch(node: CurrentNode, request: Request, batch: SendBatch) -> EntriesResult:
    return entries_result(await executed(request, node, batch))


@router.post(
    "/entries/{entry_id}/ack", status_code=201, openapi_extra=bound("acknowledge", Acknowledge)
)
async def ack(
    node: CurrentNode, request: Request, entry_id: str, body: AckAs | None = None
) -> EntriesResult:
    acknowledging = Acknowledge(entry_id=entry_id, **given(body))
    return entries_result(await executed(request, node, acknowledging))


@router.post("/peers", status_code=201, openapi_extra=bound("add-peer", AddPeer))
async def add_peer(node: CurrentNode, request: Request, peer: AddPeer) -> dict[str, Any]:
    pinned = await answered(request, node, peer, dict)
    settings_of(request).on_peers_changed()
    return pinned


@router.get("/status", openapi_extra=bound("read"))
async def status(node: CurrentNode) -> dict[str, Any]:
    return await anyio.to_thread.run_sync(reads.status, node)


@router.get("/peers/{peer}/log", openapi_extra=bound("read"))
async def peer_log(
    node: CurrentNode,
    request: Request,
    peer: str,
    limit: Limit = None,
    cursor: Cursor = None,
    after: After = None,
) -> dict[str, Any]:
    """Both directions of the transcript with ``peer`` in time order: the newest page,
    or the page before ``cursor`` (older), or after ``after`` (newer)."""
    page = await anyio.to_thread.run_sync(
        lambda: reads.log_page(node, peer, limit, before=cursor, after=after)
    )
    return {"peer": peer, **paged(request, "entries", page)}


@router.post("/verify", openapi_extra=bound("verify"))
async def verify(node: CurrentNode, full: bool = False) -> dict[str, Any]:
    """``openline verify``: what is new since the last run and a slice of the rest, or
    every row with ``?full=true``."""
    report = await anyio.to_thread.run_sync(lambda: node.verify(full=full))
    assert report is not None  # waited for its turn
    return report.to_json()


@router.post("/rebuild", openapi_extra=bound("rebuild", Rebuild))
async def rebuild(node: CurrentNode, request: Request) -> dict[str, Any]:
    return await answered(request, node, Rebuild(), dict)


for part in (requests.router, notices.router, catalogues.router, accounts.router):
    router.include_router(part)


def mount_api(
    app: FastAPI, token: str, on_peers_changed: Callable[[], None] = lambda: None
) -> None:
    """Serve ``/api/v1`` in ``app``: ``token`` is the operator's admin token, and
    ``on_peers_changed`` is called after a peer is pinned (to start its sender)."""
    app.state.api = ApiSettings(token, on_peers_changed)
    app.include_router(router)
