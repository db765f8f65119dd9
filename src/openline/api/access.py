"""Who is calling the officers' API, and whether they may do what they ask.

Two kinds of bearer token are accepted: the node's admin token (``DIR/admin.token``, the
operator's key, used by the CLI; it may do everything) and an officer's API token
(``openline officer token``), which may do what the officer's role allows
(``openline.core.roles``). The act a route performs follows from its method and path:
reading is ``GET``; exporting is a proof or a report; managing is accounts (listing them
too), peers and rebuilds; anything else that writes sends on behalf of the party, and a
contact request or an answer at minister level needs an approver.
"""

from __future__ import annotations

import hmac
import json
import re
from dataclasses import dataclass

from openline.core.roles import AccountError, Action, action_for_level, require
from openline.node.app import Node
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
    return bool(presented) and hmac.compare_digest(presented, admin_token)


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


_EXPORT = re.compile(r"\A/api/v1/(proofs/(delivery|answer|unanswered)/[^/]+|report)\Z")
_MANAGE = re.compile(r"\A/api/v1/(officers(/.*)?|peers|rebuild)\Z")
_READ_POSTS = re.compile(r"\A/api/v1/(proofs/check|verify)\Z")
_RESPOND = re.compile(r"\A/api/v1/requests/([0-9a-f]{64})/respond\Z")


def act_of(node: Node, method: str, path: str, body: bytes) -> Action:
    """The act a request performs (see the module docstring)."""
    if _EXPORT.match(path):
        return Action.EXPORT
    if _MANAGE.match(path):
        return Action.MANAGE  # even listing the accounts is an admin's business
    if method in ("GET", "HEAD"):
        return Action.READ
    if _READ_POSTS.match(path):
        return Action.READ
    if path == "/api/v1/requests":
        return action_for_level(_level_of(body))
    answered = _RESPOND.match(path)
    if answered:
        view = node.contacts.views().get(answered.group(1))
        return action_for_level(None if view is None else view.level)
    return Action.SEND


def _level_of(body: bytes) -> str | None:
    try:
        level = json.loads(body or b"{}").get("level")
    except (ValueError, AttributeError):
        return None  # the route's own validation answers for a malformed body
    return level if isinstance(level, str) else None


def authorize(caller: Caller, act: Action) -> None:
    if caller.officer is None:
        return
    try:
        require(caller.officer.role, act)
    except AccountError as error:
        raise CommandError(
            f"{caller.officer.username}: {error}", code=error.code, status=403
        ) from error
