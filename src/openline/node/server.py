"""``openline run``: one process serving federation, the officers' API and the senders."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import anyio.to_thread
import httpx
import uvicorn
import uvloop
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from openline.api.acts import check_bound
from openline.api.officers import officers_router
from openline.console.app import mount_console
from openline.node.app import Node
from openline.node.errors import CommandError
from openline.node.federation import federation_router
from openline.node.home import HomeError, NodeHome
from openline.node.sender import PeerSender

log = logging.getLogger("openline.node")


class Senders:
    """The sender loops, one per pinned peer, started and stopped with the server."""

    def __init__(self, node: Node, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.node = node
        self.client = httpx.AsyncClient(
            transport=transport, timeout=httpx.Timeout(30.0, connect=5.0)
        )
        self.loops: dict[str, PeerSender] = {}
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.node.listeners.append(self._on_append)
        self.sync_peers()

    def sync_peers(self) -> None:
        for party in self.node.peers():
            if party not in self.loops:
                sender = PeerSender(self.node, party, self.client)
                self.loops[party] = sender
                self.tasks[party] = asyncio.create_task(sender.run(), name=f"sender-{party}")

    def _on_append(self, peer: str) -> None:
        if self._loop is None:
            return
        self._loop.call_soon_threadsafe(self._poke, peer)

    def _poke(self, peer: str) -> None:
        self.sync_peers()
        sender = self.loops.get(peer)
        if sender is not None:
            sender.poke()

    async def stop(self) -> None:
        for task in self.tasks.values():
            task.cancel()
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)
        for sender in self.loops.values():
            await sender.finish()  # a receipt being stored is stored before the store closes
        await self.client.aclose()


WATCH_SECONDS = 1.0
CONSOLE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'"
)


async def watch_deadlines(node: Node) -> None:
    """Re-evaluate deadlines every second: an alarm is raised within a second of one passing.
    The same tick sends the desk checks that the cadence calls for."""
    started = node.clock()
    while True:
        try:
            await anyio.to_thread.run_sync(node.watcher.tick)
        except Exception:  # a watcher never dies; the next tick tries again
            log.exception("deadline watcher tick failed")
        try:
            await anyio.to_thread.run_sync(send_due_desk_checks, node, started)
        except Exception:
            log.exception("desk check on the cadence failed")
        await asyncio.sleep(WATCH_SECONDS)


BACKGROUND_SCRUB = 2000  # old entries per background run: a 1M log every 500 runs, <2 days


async def keep_verified(node: Node) -> None:
    """Every ``verify_seconds``, check what was stored since the last verify (and a slice
    of the rest) in one worker thread, so reports and the counterpart page can say "proven
    up to checkpoint N at T" without verifying on a page load."""
    period = node.config.verify_seconds
    if period <= 0:
        return
    while True:
        await asyncio.sleep(period)
        try:
            report = await anyio.to_thread.run_sync(
                lambda: node.verify(scrub_budget=BACKGROUND_SCRUB, workers=1, wait=False)
            )
        except Exception:
            log.exception("background verify failed")
            continue
        if report is not None and not report.ok:
            log.error("VERIFY FAILED: %s", report.problems[0])


def send_due_desk_checks(node: Node, since: datetime) -> None:
    due = node.notices.due_desk_checks(since)
    if due:
        node.notices.desk_check(due)
        log.info("desk check sent to %s", ", ".join(due))


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

    @app.exception_handler(CommandError)
    async def command_error(_request: Request, error: CommandError) -> JSONResponse:
        return JSONResponse(error.to_json(), status_code=error.status)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
        first = error.errors()[0] if error.errors() else {"loc": (), "msg": "invalid"}
        where = ".".join(str(part) for part in first["loc"] if part != "body")
        return JSONResponse(
            {"error": {"code": "invalid-request", "message": f"{where}: {first['msg']}"}},
            status_code=422,
        )

    app.include_router(federation_router(node))
    app.include_router(officers_router(node, token, senders.sync_peers))
    mount_console(app, node, stopping=lambda: bool(app.state.stopping()))
    # Declared or refused: every route of the officers' API and every console form names
    # its act in the one table (openline.api.acts), or the node does not start.
    check_bound(app.routes, ("/api/v1",), ("GET", "POST", "PUT", "PATCH", "DELETE"))
    check_bound(app.routes, ("/console",), ("POST", "PUT", "PATCH", "DELETE"))

    @app.middleware("http")
    async def console_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        if request.url.path.startswith("/console"):
            # Only this node's own scripts run on a console page, and no other site frames it.
            response.headers.setdefault("Content-Security-Policy", CONSOLE_CSP)
            response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers.setdefault("Referrer-Policy", "same-origin")
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"party": node.party, "status": "ok"}

    app.state.senders = senders
    return app


class _NodeServer(uvicorn.Server):
    """uvicorn re-raises a captured SIGTERM after its graceful shutdown, which would end the
    process before ``run_node`` removes ``run.json`` and closes the store. A node that was
    asked to stop has stopped: we return normally instead."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        with super().capture_signals():
            yield
            self._captured_signals.clear()


def run_node(home: NodeHome) -> None:
    """Serve until SIGINT or SIGTERM; uvicorn turns both into a clean shutdown."""
    logging.basicConfig(
        level=os.environ.get("OPENLINE_LOG", "WARNING").upper(),
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    # A bind failure is reported once, by us, as the one-line reason the CLI contract wants.
    logging.getLogger("uvicorn.error").addFilter(
        lambda record: "attempting to bind" not in record.getMessage()
    )
    lock = home.acquire_run_lock()
    node = Node(home)
    token = home.load_token()
    app = create_app(node, token)
    server_box: list[uvicorn.Server] = []
    app.state.stopping = lambda: bool(server_box and server_box[0].should_exit)
    config = uvicorn.Config(
        app,
        log_config=None,
        host=node.config.host,
        port=node.config.port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        loop="uvloop",
        http="httptools",
    )
    server = _NodeServer(config)
    server_box.append(server)

    async def serve() -> bool:
        task = asyncio.create_task(server.serve())
        while not server.started and not task.done():
            await asyncio.sleep(0.05)
        if server.started:
            home.write_run_info(os.getpid(), f"http://{node.config.listen}")
            print(f"openline node {node.party} serving on http://{node.config.listen}", flush=True)
        await task
        return server.started

    try:
        try:
            # uvicorn's loop="uvloop" only applies to loops uvicorn makes itself.
            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                served = runner.run(serve())
        except SystemExit:  # uvicorn exits this way when it cannot bind
            served = False
        if not served:
            raise HomeError(f"cannot serve on {node.config.listen} (address in use or not local)")
    finally:
        home.clear_run_info()
        node.close()
        lock.close()
