"""What every app of a node starts from: the FastAPI app, the node on its state, and the JSON
error shapes (``{"error": {"code", "message"}}``) that every part of it answers with."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from openline.api.acts import WRITES
from openline.node.app import Node
from openline.node.errors import CommandError

API_BOUND = (("/api/v1",), ("GET", "POST", "PUT", "PATCH", "DELETE"), WRITES)
"""Every method of every officers' API route names its act, and every write but a query's
names its command too (``openline.api.acts.check_bound``)."""


def base_app(
    node: Node, lifespan: Callable[[FastAPI], AbstractAsyncContextManager[Any]] | None = None
) -> FastAPI:
    app = FastAPI(
        title=f"openline node {node.party}",
        version="1",
        lifespan=lifespan,
        description="Federation endpoint (/fed/v1), officers' API (/api/v1), console (/console).",
        # FastAPI's /docs and /redoc pages load their scripts from a CDN, and a node serves
        # every asset itself: the schema stays at /openapi.json for any local viewer.
        docs_url=None,
        redoc_url=None,
    )
    app.state.stopping = lambda: False  # run_node points it at the server's exit flag
    app.state.node = node
    app.add_exception_handler(CommandError, command_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, validation_error)  # type: ignore[arg-type]
    return app


async def command_error(_request: Request, error: CommandError) -> JSONResponse:
    return JSONResponse(error.to_json(), status_code=error.status)


async def validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
    first = error.errors()[0] if error.errors() else {"loc": (), "msg": "invalid"}
    where = ".".join(str(part) for part in first["loc"] if part != "body")
    return JSONResponse(
        {"error": {"code": "invalid-request", "message": f"{where}: {first['msg']}"}},
        status_code=422,
    )
