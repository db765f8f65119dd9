"""The one table of acts: every route of ``/api/v1`` and every console POST names its act,
and the act says what the officer's role must allow (``openline.core.roles``).

A route binds itself with ``openapi_extra=bound("send-message")`` (the binding is also in
the OpenAPI schema, as ``x-openline-act``). :func:`check_bound` runs when the app is built
and refuses to serve one that names no act, or an unknown one: a new write route cannot fall
through to some default permission. Permission is never guessed from the URL.

Minister-level work needs an approver wherever it appears: a new request at that level
(the level is in the body), and every answer, update or read receipt of a request at that
level (the level is the stored request's).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi.routing import iter_route_contexts
from starlette.routing import BaseRoute

from openline.core.roles import Action, action_for_level
from openline.node.app import Node

EXTRA = "x-openline-act"

Needs = Callable[[Node, bytes, Mapping[str, str]], Action]
"""What an act needs, from the node, the request body and the route's path parameters."""


def always(action: Action) -> Needs:
    def needs(_node: Node, _body: bytes, _params: Mapping[str, str]) -> Action:
        return action

    return needs


def _level_in_body(_node: Node, body: bytes, _params: Mapping[str, str]) -> Action:
    try:
        level = json.loads(body or b"{}").get("level")
    except (ValueError, AttributeError):
        level = None  # the route's own validation answers for a malformed body
    return action_for_level(level if isinstance(level, str) else None)


def _level_of_request(node: Node, _body: bytes, params: Mapping[str, str]) -> Action:
    view = node.contacts.find(params.get("request_id", ""))
    return action_for_level(None if view is None else view.level)


@dataclass(frozen=True, slots=True)
class Act:
    name: str
    needs: Needs

    def action(self, node: Node, body: bytes, params: Mapping[str, str]) -> Action:
        return self.needs(node, body, params)


def _acts(*acts: Act) -> dict[str, Act]:
    return {act.name: act for act in acts}


READ, EXPORT, SEND, MANAGE = (
    always(a) for a in (Action.READ, Action.EXPORT, Action.SEND, Action.MANAGE)
)

ACTS: Mapping[str, Act] = _acts(
    # reading
    Act("read", READ),
    Act("check-proof", READ),
    Act("verify", READ),
    # exporting evidence
    Act("prove", EXPORT),
    Act("report", EXPORT),
    # sending on behalf of the party
    Act("send-message", SEND),
    Act("acknowledge", SEND),
    Act("new-request", _level_in_body),
    Act("answer-request", _level_of_request),
    Act("update-request", _level_of_request),
    Act("read-request", _level_of_request),
    Act("explain", SEND),
    Act("notify", SEND),
    Act("report-incident", SEND),
    Act("desk-check", SEND),
    Act("send-catalogue-message", SEND),
    Act("pin-catalogue", SEND),
    # running the node
    Act("list-officers", MANAGE),
    Act("add-officer", MANAGE),
    Act("disable-officer", MANAGE),
    Act("enable-officer", MANAGE),
    Act("set-password", MANAGE),
    Act("issue-token", MANAGE),
    Act("add-peer", MANAGE),
    Act("rebuild", MANAGE),
    # the console: its compose form needs at least SEND, and then the act of the form's kind
    # (send-message, new-request, notify, send-catalogue-message); signing in and out and
    # choosing a language need no role
    Act("compose", SEND),
    Act("session", READ),
)


def bound(name: str) -> dict[str, Any]:
    """The ``openapi_extra`` that binds a route to the act ``name``."""
    if name not in ACTS:
        raise KeyError(f"no act {name!r} in the table")
    return {EXTRA: name}


def act_of_route(route: object) -> Act | None:
    extra = getattr(route, "openapi_extra", None) or {}
    name = extra.get(EXTRA) if isinstance(extra, dict) else None
    return ACTS.get(name) if isinstance(name, str) else None


def routes_of(routes: Sequence[BaseRoute]) -> Iterator[Any]:
    """Every route an app serves, with the routers it includes flattened (their path is the
    full path, their ``openapi_extra`` the route's own)."""
    return iter(iter_route_contexts(routes))


def check_bound(
    routes: Sequence[BaseRoute], prefixes: tuple[str, ...], methods: Iterable[str]
) -> None:
    """Refuse an app in which a route under ``prefixes`` answering one of ``methods`` names
    no act (or an unknown one).

    Raises:
        RuntimeError: naming the route.
    """
    wanted = set(methods)
    for route in routes_of(routes):
        path = str(route.path or "")
        answers = set(route.methods or ())
        if path.startswith(prefixes) and answers & wanted and act_of_route(route) is None:
            shown = ",".join(sorted(answers))
            raise RuntimeError(f"{shown} {path} is bound to no act of openline.api.acts")
