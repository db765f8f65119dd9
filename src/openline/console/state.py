"""What every console route works with: the node, the sign-in guard, the floor cache and
the server's stopping flag, kept on ``app.state`` by :func:`openline.console.app.mount_console`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, cast

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response

from openline.console import views
from openline.console.auth import Guard, Signed
from openline.console.templating import render
from openline.core.roles import Action, may
from openline.node.app import Node


@dataclass
class Console:
    node: Node
    guard: Guard
    stopping: Callable[[], bool]
    floors: views.FloorCache = field(default_factory=views.FloorCache)

    async def signed(self, request: Request, touch: bool | None = None) -> Signed:
        """The signed-in officer (raises ``NotSignedIn``)."""
        return await self.guard.signed(request, touch=touch)

    async def posted(self, request: Request) -> tuple[Signed, list[tuple[str, str]]]:
        """A console form, checked: signed in, same site, its act allowed; and its fields."""
        return await self.guard.posted(request)

    def show(
        self, signed: Signed | None, template: str, status: int = 200, **context: Any
    ) -> Response:
        context.setdefault("party", self.node.party)
        return page(signed, template, status, **context)


async def console_of(request: Request) -> Console:
    return cast(Console, request.app.state.console)


CurrentConsole = Annotated[Console, Depends(console_of)]


def page(signed: Signed | None, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    fallback = context.pop("lang", "en")
    lang = signed.lang if signed else fallback
    html = render(lang, template, me=signed, may=permissions(signed), **context)
    return HTMLResponse(html, status_code=status)


def permissions(signed: Signed | None) -> dict[str, bool]:
    role = signed.officer.role if signed else ""
    # Keys a template can name: "send_minister", not "send-minister".
    return {
        action.value.replace("-", "_"): bool(signed) and may(role, action)
        for action in (
            Action.READ,
            Action.EXPORT,
            Action.SEND,
            Action.SEND_MINISTER,
            Action.MANAGE,
        )
    }
