"""The app of one node: federation (``/fed/v1``), the officers' API (``/api/v1``), the
console (``/console``), the sender loops and the background work, with the error shapes and
headers they share."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import Response

from openline.api.acts import check_bound
from openline.api.officers import mount_api
from openline.console.app import mount_console
from openline.federation.endpoint import mount_federation
from openline.federation.senders import Senders
from openline.node.app import Node
from openline.server.background import keep_verified, watch_deadlines
from openline.server.base import API_BOUND, base_app

CONSOLE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'"
)


def create_app(
    node: Node, token: str, transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    senders = Senders(node, transport)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        node.running = True
        senders.start()
        watcher = asyncio.create_task(watch_deadlines(node), name="deadline-watcher")
        verifier = asyncio.create_task(keep_verified(node), name="background-verify")
        try:
            yield
        finally:
            node.running = False
            watcher.cancel()
            verifier.cancel()
            await asyncio.gather(watcher, verifier, return_exceptions=True)
            await senders.stop()

    app = base_app(node, lifespan)
    mount_federation(app, node)
    mount_api(app, token, on_peers_changed=senders.sync_peers)
    mount_console(app, node, stopping=lambda: bool(app.state.stopping()))
    # Declared or refused: every route of the officers' API and every console form names
    # its act in the one table (openline.api.acts), or the node does not start.
    check_bound(app.routes, *API_BOUND)
    check_bound(app.routes, ("/console",), ("POST", "PUT", "PATCH", "DELETE"))

    app.middleware("http")(console_headers)
    app.add_api_route("/healthz", healthz, methods=["GET"])
    app.state.senders = senders
    return app


async def healthz(request: Request) -> dict[str, str]:
    node: Node = request.app.state.node
    return {"party": node.party, "status": "ok"}


async def console_headers(request: Request, call_next: Any) -> Response:
    response: Response = await call_next(request)
    if request.url.path.startswith("/console"):
        # Only this node's own scripts run on a console page, and no other site frames it.
        response.headers.setdefault("Content-Security-Policy", CONSOLE_CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response
