"""Officers' API for notifications, incident reports, desk checks and rendering.

The same application commands as the CLI (``openline.node.notices``,
``openline.node.rendering``). Areas and positions are ordinary GeoJSON in degrees (a
geometry, a Feature, or a FeatureCollection of one Feature); the node converts them to the
signed microdegree form. Acknowledging goes through ``POST /entries/{id}/ack``, as for
hotline messages. Every error is ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

from typing import Any, Literal

import anyio.to_thread
from fastapi import APIRouter, Request

from openline.api.acts import bound
from openline.api.idempotency import executed
from openline.api.paging import After, Cursor, Limit, paged
from openline.api.results import EntriesResult, entries_result
from openline.node.errors import CommandError
from openline.node.notices import DeskCheck, Notify, ReportIncident
from openline.node.rendering import render_entry_for
from openline.wiring import CurrentNode

router = APIRouter()


@router.post("/notifications", status_code=201, openapi_extra=bound("notify", Notify))
async def notify(node: CurrentNode, request: Request, body: Notify) -> dict[str, Any]:
    return node.notices.sent(await executed(request, node, body))


@router.post("/incidents", status_code=201, openapi_extra=bound("report-incident", ReportIncident))
async def incident(node: CurrentNode, request: Request, body: ReportIncident) -> dict[str, Any]:
    return node.notices.sent(await executed(request, node, body))


@router.get("/notifications", openapi_extra=bound("read"))
async def notifications(
    node: CurrentNode,
    request: Request,
    direction: Literal["in", "out"] | None = None,
    limit: Limit = None,
    cursor: Cursor = None,
    after: After = None,
) -> dict[str, Any]:
    """Notifications (each broadcast's copies together), newest first, a page at a time."""
    page = await anyio.to_thread.run_sync(
        lambda: node.notices.notifications_page(direction, limit=limit, before=cursor, after=after)
    )
    return paged(request, "notifications", page)


@router.get("/notifications/{ref}", openapi_extra=bound("read"))
async def notification(node: CurrentNode, ref: str) -> dict[str, Any]:
    shown: dict[str, Any] = await anyio.to_thread.run_sync(node.notices.notification, ref)
    return shown


@router.post("/desk-checks", status_code=201, openapi_extra=bound("desk-check", DeskCheck))
async def desk_check(
    node: CurrentNode, request: Request, body: DeskCheck | None = None
) -> EntriesResult:
    return entries_result(await executed(request, node, body or DeskCheck()))


@router.get("/desk-checks", openapi_extra=bound("read"))
async def desk_checks(
    node: CurrentNode,
    request: Request,
    peer: str | None = None,
    limit: Limit = None,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Each desk's record, and the desk checks both ways, newest first, paged."""

    def listing() -> dict[str, Any]:
        if peer is not None:
            node.peers.peer(peer)  # 404 unknown-peer
        page = node.notices.desk_checks_page(peer, limit=limit, before=cursor)
        return {
            "desks": {party: node.notices.desk(party) for party in sorted(node.peers.pinned())},
            **paged(request, "checks", page),
        }

    result: dict[str, Any] = await anyio.to_thread.run_sync(listing)
    return result


@router.get("/entries/{entry_id}/render", openapi_extra=bound("read"))
async def render(node: CurrentNode, entry_id: str, lang: str | None = None) -> dict[str, Any]:
    if lang is not None and not lang:
        raise CommandError("lang is empty", code="unsupported-language", status=422)
    shown: dict[str, Any] = await anyio.to_thread.run_sync(render_entry_for, node, entry_id, lang)
    return shown
