"""Who is calling the officers' API, and whether they may do what they ask.

Two kinds of bearer token are accepted: the node's admin token (``DIR/admin.token``, the
operator's key, used by the CLI; it may do everything) and an officer's API token
(``openline officer token``), which may do what the officer's role allows
(``openline.core.roles``). What each route's act needs is declared with the route, in the
one table of acts (``openline.api.acts``).

Every entry a person's act produces names the officer who acted (:func:`acting_officer`):
with an officer's token that is the officer's own user name, whatever the body says, and a
body that names someone else is refused (an officer cannot sign as another); with the admin
token it is the body's ``officer``, as the CLI's ``--officer`` passes it, or the route's
default.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import overload

from fastapi import Request
from pydantic import BaseModel

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


def given_officer(body: BaseModel | None) -> str | None:
    """The ``officer`` the request body gave, or None if it left the field to its default."""
    if body is None or "officer" not in body.model_fields_set:
        return None
    officer = getattr(body, "officer", None)
    return officer if isinstance(officer, str) else None


@overload
def acting_officer(request: Request, given: str | None, default: str) -> str: ...
@overload
def acting_officer(request: Request, given: str | None, default: None) -> str | None: ...
def acting_officer(request: Request, given: str | None, default: str | None) -> str | None:
    """The officer to write in the entry a request produces.

    Args:
        request: the request, whose caller the token check recorded.
        given: the ``officer`` the body gave (None if it gave none; see
            :func:`given_officer`).
        default: what the operator's request records when the body gives no officer.

    Raises:
        CommandError: 403 ``officer-mismatch`` when an officer's token names another officer.
    """
    officer = caller_of(request).officer
    if officer is None:
        return default if given is None else given
    if given is not None and given != officer.username:
        raise CommandError(
            f"{officer.username} cannot sign as {given!r}: leave officer out, or give your own "
            "user name",
            code="officer-mismatch",
            status=403,
        )
    return officer.username
