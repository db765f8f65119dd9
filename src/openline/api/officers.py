"""Officers' REST API, ``/api/v1``: the same application commands as the CLI.

Authenticated with ``Authorization: Bearer <token>``: the node-local admin token that
``openline init`` writes to ``DIR/admin.token``, or an officer's token (``openline officer
token``), which may do what the officer's role allows (``openline.api.access``). Errors are
``{"error": {"code", "message"}}`` with a 4xx status, exactly like the federation endpoint.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import anyio.to_thread
import orjson
from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel, ConfigDict, Field

from openline.api.access import (
    Caller,
    acting_officer,
    authorize,
    given_officer,
    identify,
    is_operator,
    remember,
)
from openline.api.accounts import accounts_router
from openline.api.acts import act_of_route, bound
from openline.api.catalogues import catalogues_router
from openline.api.idempotency import entries_once
from openline.api.notices import notices_router
from openline.api.paging import After, Cursor, Limit, paged
from openline.api.requests import requests_router
from openline.api.results import entries_result
from openline.node.app import NewMessage, Node
from openline.node.errors import CommandError

Officer = Annotated[str, Field(min_length=1, max_length=200)]


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=20_000)
    precedence: str = "routine"
    lang: str = "en"


class SendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: list[str] = Field(min_length=1)
    text: str = Field(min_length=1, max_length=20_000)
    precedence: str = "routine"
    lang: str = "en"
    officer: Officer | None = None  # who sends; an officer's token sends as its officer


class SendBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: list[str] = Field(min_length=1)
    messages: list[MessageIn] = Field(min_length=1, max_length=10_000)
    officer: Officer | None = None  # who sends every message of the batch


class PeerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    card: dict[str, Any]
    url: str | None = None
    replace: bool = False


class AckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    officer: Officer = "admin"


def officers_router(
    node: Node, token: str, on_peers_changed: Callable[[], None] = lambda: None
) -> APIRouter:
    async def require_token(
        request: Request, authorization: Annotated[str | None, Header()] = None
    ) -> None:
        if is_operator(token, authorization):
            remember(request, Caller(None))
            return  # the hot path (the CLI, batches): no thread hop, no query
        caller = await anyio.to_thread.run_sync(identify, node, token, authorization)
        remember(request, caller)
        if caller.officer is not None:
            act = act_of_route(request.scope.get("route"))
            if act is None:  # check_bound makes this unreachable: fail closed all the same
                raise CommandError("this route is bound to no act", code="forbidden", status=403)
            body = await request.body()  # cached: the route reads it again
            needed = await anyio.to_thread.run_sync(act.action, node, body, request.path_params)
            authorize(caller, needed)

    router = APIRouter(prefix="/api/v1", dependencies=[Depends(require_token)])

    @router.post("/messages", status_code=201, openapi_extra=bound("send-message"))
    async def send(request: Request, message: SendIn) -> dict[str, Any]:
        officer = acting_officer(request, given_officer(message), None)
        new = NewMessage(message.text, message.precedence, message.lang, officer)
        return entries_result(
            await entries_once(request, node, lambda: node.send_messages(message.to, [new]))
        )

    @router.post("/messages/batch", status_code=201, openapi_extra=bound("send-message"))
    async def send_batch(request: Request, batch: SendBatchIn) -> dict[str, Any]:
        officer = acting_officer(request, given_officer(batch), None)
        messages = [NewMessage(m.text, m.precedence, m.lang, officer) for m in batch.messages]
        return entries_result(
            await entries_once(request, node, lambda: node.send_messages(batch.to, messages))
        )

    @router.post("/entries/{entry_id}/ack", status_code=201, openapi_extra=bound("acknowledge"))
    async def ack(request: Request, entry_id: str, body: AckIn | None = None) -> dict[str, Any]:
        officer = acting_officer(request, given_officer(body), "admin")
        return entries_result(
            await entries_once(request, node, lambda: node.ack(entry_id, officer))
        )

    @router.post("/peers", status_code=201, openapi_extra=bound("add-peer"))
    async def add_peer(peer: PeerIn) -> dict[str, Any]:
        card_bytes = orjson.dumps(peer.card)
        pinned = await anyio.to_thread.run_sync(node.add_peer, card_bytes, peer.url, peer.replace)
        on_peers_changed()
        return {"party": pinned.party, "url": pinned.url, "fingerprint": pinned.card.fingerprint}

    @router.get("/status", openapi_extra=bound("read"))
    async def status() -> dict[str, Any]:
        return await anyio.to_thread.run_sync(node.status)

    @router.get("/peers/{peer}/log", openapi_extra=bound("read"))
    async def peer_log(
        request: Request, peer: str, limit: Limit = None, cursor: Cursor = None, after: After = None
    ) -> dict[str, Any]:
        """Both directions of the transcript with ``peer`` in time order: the newest page,
        or the page before ``cursor`` (older), or after ``after`` (newer)."""
        page = await anyio.to_thread.run_sync(
            lambda: node.log_page(peer, limit, before=cursor, after=after)
        )
        return {"peer": peer, **paged(request, "entries", page)}

    @router.post("/verify", openapi_extra=bound("verify"))
    async def verify(full: bool = False) -> dict[str, Any]:
        """``openline verify``: what is new since the last run and a slice of the rest, or
        every row with ``?full=true``."""
        report = await anyio.to_thread.run_sync(lambda: node.verify(full=full))
        assert report is not None  # waited for its turn
        return report.to_json()

    @router.post("/rebuild", openapi_extra=bound("rebuild"))
    async def rebuild() -> dict[str, Any]:
        return await anyio.to_thread.run_sync(node.rebuild)

    router.include_router(requests_router(node))
    router.include_router(notices_router(node))
    router.include_router(catalogues_router(node))
    router.include_router(accounts_router(node))
    return router
