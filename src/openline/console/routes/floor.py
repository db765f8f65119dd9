"""The watch floor, its live updates, acknowledging from it, and the map."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import orjson
from anyio.to_thread import run_sync
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from openline.api.acts import bound
from openline.console import views
from openline.console.auth import (
    NotSignedIn,
    safe_next,
)
from openline.console.state import CurrentConsole
from openline.node.commands import Actor, execute
from openline.node.hotline import Acknowledge

router = APIRouter()
LIVE_SECONDS = 1.0
KEEPALIVE_SECONDS = 15.0
SESSION_CHECK_SECONDS = 5.0


@router.get("/")
async def floor_page(console: CurrentConsole, request: Request) -> Response:
    signed = await console.signed(request)
    floor = await run_sync(views.floor, console.node, console.floors)
    return console.show(signed, "floor.html", floor=floor, title_key="floor")


@router.get("/fragments/floor")
async def floor_fragment(console: CurrentConsole, request: Request) -> Response:
    signed = await console.signed(request)
    floor = await run_sync(views.floor, console.node, console.floors)
    return console.show(signed, "_floor.html", floor=floor)


@router.get("/events")
async def events(console: CurrentConsole, request: Request) -> Response:
    await console.signed(request, touch=False)

    async def stream() -> AsyncIterator[bytes]:
        last = ""
        quiet = 0.0
        checked = 0.0
        yield b"retry: 2000\n\n"
        while not console.stopping():
            if checked >= SESSION_CHECK_SECONDS:
                # The stream ends with the session: a disabled officer, a changed
                # password, a sign-out or an idle timeout stops the updates too.
                checked = 0.0
                try:
                    await console.signed(request, touch=False)
                except NotSignedIn:
                    yield b"event: signed-out\ndata: {}\n\n"
                    return
            stamp = await run_sync(views.live_stamp, console.node)
            if stamp != last:
                last = stamp
                quiet = 0.0
                yield f"event: changed\ndata: {json.dumps(stamp)}\n\n".encode()
            elif quiet >= KEEPALIVE_SECONDS:
                quiet = 0.0
                yield b": keep-alive\n\n"
            if await request.is_disconnected():
                return
            await asyncio.sleep(LIVE_SECONDS)
            quiet += LIVE_SECONDS
            checked += LIVE_SECONDS

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.post("/ack/{entry_id}", openapi_extra=bound("acknowledge", Acknowledge))
async def acknowledge(console: CurrentConsole, request: Request, entry_id: str) -> Response:
    signed, fields = await console.posted(request)
    await run_sync(
        execute, console.node, Acknowledge(entry_id=entry_id), Actor(signed.officer), None
    )
    if "hx-request" in request.headers:
        floor = await run_sync(views.floor, console.node, console.floors)
        return console.show(signed, "_floor.html", floor=floor)
    return RedirectResponse(safe_next(dict(fields).get("next")), status_code=303)


@router.get("/map")
async def map_page(console: CurrentConsole, request: Request) -> Response:
    signed = await console.signed(request)
    features = await run_sync(views.map_features, console.node)
    return console.show(signed, "map.html", features=features["features"], title_key="map")


@router.get("/map.json")
async def map_json(console: CurrentConsole, request: Request) -> Response:
    await console.signed(request)
    features = await run_sync(views.map_features, console.node)
    return Response(orjson.dumps(features), media_type="application/geo+json")


@router.get("/fragments/map-list")
async def map_list(console: CurrentConsole, request: Request) -> Response:
    signed = await console.signed(request)
    features = await run_sync(views.map_features, console.node)
    return console.show(signed, "_map_list.html", features=features["features"])
