"""``openline run``: one process serving federation, the officers' API and the senders
until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Iterator

import uvicorn
import uvloop

from openline.node.app import Node
from openline.node.home import HomeError, NodeHome
from openline.server.app import create_app


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
    node = Node.open(home)
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
