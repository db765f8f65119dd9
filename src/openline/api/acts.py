"""The one table of acts: every route of ``/api/v1`` and every console POST names its act,
and every write of ``/api/v1`` (and any route that signs entries) also names the commands it
runs.

A route binds itself with ``openapi_extra=bound("send-message", SendMessage)`` (the binding is
also in the OpenAPI schema, as ``x-openline-act`` and ``x-openline-commands``).
:func:`check_bound` runs when the app is built and refuses to serve a route that names no
act, an unknown one, a signing act without its command, or (for the officers' API) a write
without its command unless its act is a query: a new write route cannot fall through to some
default permission, nor act beside the command layer. Permission is never guessed from the
URL.

An act's action is the floor its route checks before the body is read (an auditor is refused
a send at once). What a command needs beyond that floor is the command's own rule, checked
by ``openline.node.commands.execute``: minister-level work needs an approver wherever it
appears, a new request at that level and every answer, update or read receipt of a request
at that level.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi.routing import iter_route_contexts
from starlette.routing import BaseRoute

from openline.core.roles import Action
from openline.node.commands import Command

EXTRA = "x-openline-act"
COMMANDS = "x-openline-commands"


@dataclass(frozen=True, slots=True)
class Act:
    name: str
    action: Action
    signs: bool = False
    """True when the act signs entries: its routes must name the commands they run."""
    query: bool = False
    """True when the act only answers, though by a write method (for its body, or for its
    cost: ``verify``, ``check-proof``): it changes nothing an officer asked for and runs no
    command, so :func:`check_bound` lets its writes name none."""


def _acts(*acts: Act) -> dict[str, Act]:
    return {act.name: act for act in acts}


READ, EXPORT, SEND, MANAGE = Action.READ, Action.EXPORT, Action.SEND, Action.MANAGE

ACTS: Mapping[str, Act] = _acts(
    # reading
    Act("read", READ),
    Act("check-proof", READ, query=True),
    Act("verify", READ, query=True),
    # exporting evidence
    Act("prove", EXPORT),
    Act("report", EXPORT),
    # signing on behalf of the party: the command may need more (the level rule)
    Act("send-message", SEND, signs=True),
    Act("acknowledge", SEND, signs=True),
    Act("new-request", SEND, signs=True),
    Act("answer-request", SEND, signs=True),
    Act("update-request", SEND, signs=True),
    Act("read-request", SEND, signs=True),
    Act("explain", SEND, signs=True),
    Act("notify", SEND, signs=True),
    Act("report-incident", SEND, signs=True),
    Act("desk-check", SEND, signs=True),
    Act("send-catalogue-message", SEND, signs=True),
    Act("pin-catalogue", SEND, signs=True),
    # running the node: the writes run commands that sign nothing and answer with their result
    Act("list-officers", MANAGE),
    Act("add-officer", MANAGE),
    Act("disable-officer", MANAGE),
    Act("enable-officer", MANAGE),
    Act("set-password", MANAGE),
    Act("issue-token", MANAGE),
    Act("add-peer", MANAGE),
    Act("rebuild", MANAGE),
    # the console: its compose form runs the command of the form's kind; signing in and out
    # and choosing a language need no role
    Act("compose", SEND, signs=True),
    Act("session", READ),
)


def bound(name: str, *commands: type[Command]) -> dict[str, Any]:
    """The ``openapi_extra`` that binds a route to the act ``name`` and the ``commands`` it
    runs (a signing act must name at least one)."""
    if name not in ACTS:
        raise KeyError(f"no act {name!r} in the table")
    if ACTS[name].signs and not commands:
        raise KeyError(f"the act {name!r} signs: name the command the route runs")
    extra: dict[str, Any] = {EXTRA: name}
    if commands:
        extra[COMMANDS] = [command.__name__ for command in commands]
    return extra


def act_of_route(route: object) -> Act | None:
    extra = getattr(route, "openapi_extra", None) or {}
    name = extra.get(EXTRA) if isinstance(extra, dict) else None
    return ACTS.get(name) if isinstance(name, str) else None


def commands_of_route(route: object) -> list[str]:
    """The names of the commands a route runs (empty for a route that signs nothing)."""
    extra = getattr(route, "openapi_extra", None) or {}
    names = extra.get(COMMANDS) if isinstance(extra, dict) else None
    return [str(name) for name in names] if isinstance(names, list) else []


def routes_of(routes: Sequence[BaseRoute]) -> Iterator[Any]:
    """Every route an app serves, with the routers it includes flattened (their path is the
    full path, their ``openapi_extra`` the route's own)."""
    return iter(iter_route_contexts(routes))


WRITES = ("POST", "PUT", "PATCH", "DELETE")


def check_bound(
    routes: Sequence[BaseRoute],
    prefixes: tuple[str, ...],
    methods: Iterable[str],
    commanded: Iterable[str] = (),
) -> None:
    """Refuse an app in which a route under ``prefixes`` answering one of ``methods`` names
    no act (or an unknown one), or names a signing act but not the command it runs, or
    answers one of ``commanded`` (the officers' API passes :data:`WRITES`) and names no
    command though its act is no query.

    Raises:
        RuntimeError: naming the route.
    """
    wanted = set(methods)
    must_command = set(commanded)
    for route in routes_of(routes):
        path = str(route.path or "")
        answers = set(route.methods or ())
        if not (path.startswith(prefixes) and answers & wanted):
            continue
        shown = ",".join(sorted(answers))
        act = act_of_route(route)
        if act is None:
            raise RuntimeError(f"{shown} {path} is bound to no act of openline.api.acts")
        if act.signs and not commands_of_route(route):
            raise RuntimeError(f"{shown} {path} signs ({act.name}) but names no command")
        if answers & must_command and not act.query and not commands_of_route(route):
            raise RuntimeError(
                f"{shown} {path} writes ({act.name}) but names no command: run one through "
                "openline.node.commands.execute, or bind the route to a query act"
            )
