"""How a route finds what it serves.

Routes are module-level functions collected in routers (as in Starlette), not closures
inside factories. The composition root (``openline.server.app``) puts the node on
``app.state`` and each adapter's ``mount`` puts its own settings there; a route asks for
them by parameter type. The dependencies are ``async`` so that FastAPI resolves them on the
event loop, without a worker-thread hop per request.
"""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from openline.node.app import Node


async def current_node(request: Request) -> Node:
    return cast(Node, request.app.state.node)


CurrentNode = Annotated[Node, Depends(current_node)]
"""The node the app serves (``app.state.node``)."""
