"""Who is calling the officers' API, and whether they may do what they ask.

Two kinds of bearer token are accepted: the node's admin token (``DIR/admin.token``, the
operator's key, used by the CLI; it may do everything) and an officer's API token
(``openline officer token``), which may do what the officer's role allows
(``openline.core.roles``). What each route's act needs is declared with the route, in the
one table of acts (``openline.api.acts``).

Every entry a person's act produces names the officer who acted
(``openline.node.commands.Actor.names``, for every command the routes run): with an
officer's token that is the officer's own user name, whatever the body says, and a body
that names someone else is refused (an officer cannot sign as another); with the admin
token it is the body's ``officer``, as the CLI's ``--officer`` passes it, or the command's
default.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from fastapi import Request

from openline.core.roles import Action
from openline.node.app import Node
from openline.node.commands import Actor
from openline.node.errors import CommandError
from openline.node.officers import Officer


@dataclass(frozen=True, slots=True)
class Caller:
    """The operator (admin token) or an officer (their token)."""

    officer: Officer | None

    @property
    def is_operator(self) -> bool:
        return self.officer is None


def _presented(authorization: str | None) -> str:
    return (authorization or "").removeprefix("Bearer ").strip()


def is_operator(admin_token: str, authorization: str | None) -> bool:
    presented = _presented(authorization)
    # Bytes: compare_digest refuses str holding anything but ASCII, and a header may.
    return bool(presented) and hmac.compare_digest(
        presented.encode("utf-8", "surrogateescape"), admin_token.encode("utf-8")
    )


def identify(node: Node, admin_token: str, authorization: str | None) -> Caller:
    if is_operator(admin_token, authorization):
        return Caller(None)
    presented = _presented(authorization)
    officer = node.officers.by_token(presented) if presented else None
    if officer is None:
        raise CommandError(
            "a valid admin or officer token is required", code="unauthorized", status=401
        )
    return Caller(officer)


def authorize(caller: Caller, act: Action) -> None:
    """Refuse an officer whose role does not allow ``act`` (403)."""
    Actor(caller.officer).authorize(act)


def remember(request: Request, caller: Caller) -> None:
    """Keep the caller for the route (the officers' router's token check calls this)."""
    request.state.caller = caller


def caller_of(request: Request) -> Caller:
    """The caller the token check recorded; refused if none did (fail closed).

    Raises:
        CommandError: 401 ``unauthorized``.
    """
    caller = getattr(request.state, "caller", None)
    if not isinstance(caller, Caller):
        raise CommandError("no caller was identified", code="unauthorized", status=401)
    return caller
