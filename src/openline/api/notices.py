"""Officers' API for notifications, incident reports, desk checks and rendering.

The same application commands as the CLI (``openline.node.notices``,
``openline.node.rendering``). Areas and positions are ordinary GeoJSON in degrees (a
geometry, a Feature, or a FeatureCollection of one Feature); the node converts them to the
signed microdegree form. Acknowledging goes through ``POST /entries/{id}/ack``, as for
hotline messages. Every error is ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import anyio.to_thread
from fastapi import APIRouter, Request
from pydantic import Field, StrictInt

from openline.api.access import acting_officer, given_officer
from openline.api.acts import bound
from openline.api.idempotency import entries_once
from openline.api.paging import After, Cursor, Limit, paged
from openline.api.requests import DUTY_OFFICER, Short, Strict, Text, parse_when
from openline.api.results import entries_result
from openline.node.errors import CommandError
from openline.node.notices import NewActivity, NewIncident
from openline.node.rendering import render_entry_for
from openline.wiring import CurrentNode

Recipients = Annotated[list[Short], Field(min_length=1, max_length=100)]
Title = Annotated[str, Field(min_length=1, max_length=400)]
Units = Annotated[list[Short], Field(min_length=1, max_length=10)]


class ActivityIn(Strict):
    to: Recipients
    activity: str
    title: Title
    participants: Annotated[list[Short], Field(min_length=1, max_length=100)]
    area: dict[str, Any]
    start: str
    end: str
    contact_channel: Title
    label: Short | None = None
    forces: dict[str, StrictInt] | None = None
    ack_within_minutes: StrictInt | None = None
    precedence: str = "priority"
    lang: str = "en"
    officer: Short = DUTY_OFFICER

    def command(self, officer: str) -> NewActivity:
        return NewActivity(
            activity=self.activity,
            title=self.title,
            participants=self.participants,
            area=self.area,
            start=parse_when(self.start, "start"),
            end=parse_when(self.end, "end"),
            contact_channel=self.contact_channel,
            label=self.label,
            forces=self.forces,
            ack_within_minutes=self.ack_within_minutes,
            precedence=self.precedence,
            lang=self.lang,
            officer=officer,
        )


class IncidentIn(Strict):
    to: Recipients
    time: str
    position: dict[str, Any]
    domain: str
    own_units: Units
    other_units: Units
    category: str
    description: Text
    label: Short | None = None
    distance_m: StrictInt | None = None
    ack_within_minutes: StrictInt | None = None
    precedence: str = "immediate"
    lang: str = "en"
    officer: Short = DUTY_OFFICER

    def command(self, officer: str) -> NewIncident:
        return NewIncident(
            time=parse_when(self.time, "time"),
            position=self.position,
            domain=self.domain,
            own_units=self.own_units,
            other_units=self.other_units,
            category=self.category,
            description=self.description,
            label=self.label,
            distance_m=self.distance_m,
            ack_within_minutes=self.ack_within_minutes,
            precedence=self.precedence,
            lang=self.lang,
            officer=officer,
        )


class DeskCheckIn(Strict):
    to: Annotated[list[Short], Field(max_length=100)] = Field(default_factory=list)
    officer: Short = DUTY_OFFICER


router = APIRouter()


@router.post("/notifications", status_code=201, openapi_extra=bound("notify"))
async def notify(node: CurrentNode, request: Request, body: ActivityIn) -> dict[str, Any]:
    officer = acting_officer(request, given_officer(body), DUTY_OFFICER)
    new = body.command(officer)
    return node.notices.sent(
        await entries_once(request, node, lambda: node.notices.notify(body.to, new))
    )


@router.post("/incidents", status_code=201, openapi_extra=bound("report-incident"))
async def incident(node: CurrentNode, request: Request, body: IncidentIn) -> dict[str, Any]:
    officer = acting_officer(request, given_officer(body), DUTY_OFFICER)
    new = body.command(officer)
    entries = await entries_once(request, node, lambda: node.notices.incident(body.to, new))
    return node.notices.sent(entries)


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


@router.post("/desk-checks", status_code=201, openapi_extra=bound("desk-check"))
async def desk_check(
    node: CurrentNode, request: Request, body: DeskCheckIn | None = None
) -> dict[str, Any]:
    asked = body or DeskCheckIn()
    officer = acting_officer(request, given_officer(body), DUTY_OFFICER)
    return entries_result(
        await entries_once(request, node, lambda: node.notices.desk_check(asked.to, officer))
    )


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
            node.peer(peer)  # 404 unknown-peer
        page = node.notices.desk_checks_page(peer, limit=limit, before=cursor)
        return {
            "desks": {party: node.notices.desk(party) for party in sorted(node.peers())},
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
