"""What the record shows: a counterpart's page, the transcript, and Verify now."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import anyio.to_thread
from anyio.to_thread import run_sync
from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from openline.api.acts import bound
from openline.console import views
from openline.console.state import Console, CurrentConsole
from openline.node import reads
from openline.node.errors import CommandError
from openline.node.verify import logs_to_verify

router = APIRouter()


@router.get("/peers/{party}")
async def counterpart(
    console: CurrentConsole, request: Request, party: str, period: str | None = None
) -> Response:
    signed = await console.signed(request)
    from openline.console.counterpart import DEFAULT_PERIOD, counterpart_page

    context = await run_sync(
        counterpart_page, console.node, party, signed.lang, period or DEFAULT_PERIOD
    )
    return console.show(signed, "peer.html", title_key="counterparts", **context)


@router.get("/items/{entry_id}")
async def item(console: CurrentConsole, request: Request, entry_id: str) -> Response:
    """One item in full: its text in the reader's language, its refs, answer and proofs."""
    signed = await console.signed(request)
    from openline.console.item import item_page

    page = await run_sync(item_page, console.node, entry_id, signed.lang)
    return console.show(signed, "item.html", item=page, title_key="item")


@router.get("/transcript")
async def transcript(
    console: CurrentConsole, request: Request, peer: str | None = None, before: str | None = None
) -> Response:
    signed = await console.signed(request)
    peers = sorted(console.node.peers.pinned())
    chosen = peer or (peers[0] if peers else None)
    if chosen is not None:
        console.node.peers.peer(chosen)
    page = (
        None if chosen is None else await run_sync(views.transcript, console.node, chosen, before)
    )
    rows = [] if page is None else list(page.items)
    rendered = await run_sync(render_rows, console, rows, signed.lang)
    link = (
        None
        if chosen is None
        else await run_sync(reads.peer_status, console.node, chosen, console.node.clock())
    )
    equivocations = await run_sync(console.node.store.equivocations)
    return console.show(
        signed,
        "transcript.html",
        peers=peers,
        peer=chosen,
        rows=rendered,
        older=None if page is None else page.before,
        paged=before is not None,
        link=link,
        equivocations=equivocations,
        title_key="transcript",
    )


def render_rows(
    console: Console, rows: list[tuple[dict[str, Any], Any]], lang: str
) -> list[dict[str, Any]]:
    from openline.node.rendering import reader_language, render_page

    reader = reader_language(console.node, lang)
    shown = render_page(console.node, [entry for _row, entry in rows], reader)
    return [
        row | {"rendered": page["rendered"]}
        for (row, _entry), page in zip(rows, shown, strict=True)
    ]


@router.post("/verify", openapi_extra=bound("verify"))
async def verify(console: CurrentConsole, request: Request) -> Response:
    await console.posted(request)
    if console.guard.verifying:  # one at a time: each holds a worker thread for the whole walk
        raise CommandError(
            "a verification is already running on this console.node; try again when it ends",
            code="verify-running",
            status=409,
        )
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    loop = asyncio.get_running_loop()

    def progress(log: str) -> None:
        loop.call_soon_threadsafe(queue.put_nowait, json.dumps({"log": log}))

    def check() -> None:
        try:
            report = console.node.verify(on_log=progress)
            assert report is not None  # waited for its turn
            result = json.dumps({"done": report.to_json()})
        except Exception as error:  # noqa: BLE001 -- the stream ends with a verdict, never hangs
            result = json.dumps({"done": {"ok": False, "problems": [str(error)]}})
        loop.call_soon_threadsafe(queue.put_nowait, result)
        loop.call_soon_threadsafe(queue.put_nowait, None)

    async def stream() -> AsyncIterator[bytes]:
        # Claimed here, where the finally below releases it whatever becomes of the
        # response (a client gone before the stream starts never claims it).
        if console.guard.verifying:
            yield (
                json.dumps({"done": {"ok": False, "problems": ["verify-running"]}}) + "\n"
            ).encode()
            return
        console.guard.verifying = True
        try:
            logs = await run_sync(
                logs_to_verify, console.node.store, console.node.peers.all_cards()
            )
            yield (json.dumps({"total": len(logs)}) + "\n").encode()
            worker = asyncio.ensure_future(anyio.to_thread.run_sync(check))
            while (line := await queue.get()) is not None:
                yield (line + "\n").encode()
            await worker
        finally:
            console.guard.verifying = False

    return StreamingResponse(stream(), media_type="application/x-ndjson")
