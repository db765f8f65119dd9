"""The officers' API alone, for the CLI on a stopped node: the same routes, models and
commands as a running node's ``/api/v1``, in process. No federation, console, senders or
watcher, so a command on a stopped node loads and builds only what it calls."""

from __future__ import annotations

from fastapi import FastAPI

from openline.api.acts import check_bound
from openline.api.officers import mount_api
from openline.node.app import Node
from openline.server.base import API_BOUND, base_app


def create_local_api(node: Node, token: str) -> FastAPI:
    app = base_app(node)  # no lifespan runs: senders and the watcher stay off
    mount_api(app, token)
    check_bound(app.routes, *API_BOUND)
    return app
