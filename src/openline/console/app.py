"""The console, mounted by the node's server under ``/console``: its routes
(``openline.console.routes``), its static assets, its compression and its error pages.

Pages are rendered on the server (Jinja2); the page script swaps in fresh fragments when
the node says something changed (server-sent events on ``/console/events``). Every act goes
through the officers' API's models and the node's application commands, and is authorised
by the same role table as the API (``openline.api.acts``): the console signs nothing the
API would not.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from openline.console.auth import Guard, NotSignedIn
from openline.console.routes import ROUTERS
from openline.console.state import Console, page
from openline.node.app import Node
from openline.node.errors import CommandError

STATIC = Path(__file__).parent / "static"


class ConsoleCompression:
    """gzip for the console's pages and assets, for officers on a slow link (the assets
    shrink to a third); federation and the API are left as they are. The live streams (events,
    verify progress) are never compressed: a compressor would hold back their small chunks."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.gzip = GZipMiddleware(
            app,
            minimum_size=1000,
            compresslevel=6,
            exclude_content_types=(*DEFAULT_EXCLUDED_CONTENT_TYPES, "application/x-ndjson"),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and str(scope.get("path", "")).startswith("/console"):
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def mount_console(app: FastAPI, node: Node, stopping: Callable[[], bool]) -> None:
    """Serve the console on ``app``; ``stopping`` tells live streams the server is closing,
    so that an open browser tab never holds up a node's shutdown."""
    guard = Guard(node)
    app.state.console_guard = guard
    app.state.console = Console(node, guard, stopping)
    app.add_middleware(ConsoleCompression)
    app.mount("/console/static", StaticFiles(directory=STATIC), name="console-static")
    for router in ROUTERS:
        app.include_router(router, prefix="/console", include_in_schema=False)

    api_error = app.exception_handlers[CommandError]

    @app.exception_handler(CommandError)
    async def console_error(request: Request, error: Exception) -> Response:
        """A person at the console gets a page that says what went wrong (and its code);
        the page script and every other client get the API's JSON error."""
        assert isinstance(error, CommandError)
        wants_page = request.url.path.startswith("/console") and (
            "hx-request" not in request.headers
        )
        if not wants_page:
            answered = api_error(request, error)
            return await answered if inspect.isawaitable(answered) else answered
        signed = None
        with contextlib.suppress(NotSignedIn, CommandError):
            signed = await guard.signed(request)
        return page(
            signed,
            "error.html",
            status=error.status,
            party=node.party,
            lang=guard.language_of(None),
            code=error.code,
            message=str(error),
        )

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, _error: NotSignedIn) -> Response:
        page_load = "text/html" in request.headers.get("accept", "")
        if request.method == "GET" and page_load and "hx-request" not in request.headers:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/console/login?next={_quote(target)}", status_code=303)
        return JSONResponse(
            {"error": {"code": "not-signed-in", "message": "sign in to the console first"}},
            status_code=401,
        )


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="/")
