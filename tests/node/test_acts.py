"""Declared or refused (``openline.api.acts``): every route of the officers' API and every
console POST is bound to an act of the one table, and the role check reads that binding,
never the URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from test_officers_node import PASSWORD, request_body

from openline.api.acts import (
    ACTS,
    WRITES,
    act_of_route,
    bound,
    check_bound,
    commands_of_route,
    routes_of,
)
from openline.api.client import ApiError, OfficerClient
from openline.core.roles import Action
from openline.node.app import Node
from openline.node.commands import Command
from openline.server.app import create_app
from pair import make_pair, pump

# The contract: each mutating route, the act it performs, the commands it runs (every write
# of /api/v1 but a query's runs them through openline.node.commands.execute), and what the
# officer's role must allow: the act's floor, checked before the body is read, then the
# command's own rule. A new write route must be added here, on purpose, with its act and
# command.
MUTATING: dict[str, tuple[str, tuple[str, ...], str]] = {
    "POST /api/v1/messages": ("send-message", ("SendMessage",), "send"),
    "POST /api/v1/messages/batch": ("send-message", ("SendBatch",), "send"),
    "POST /api/v1/entries/{entry_id}/ack": (
        "acknowledge",
        ("Acknowledge",),
        "send; the request's level for a request",
    ),
    "POST /api/v1/requests": (
        "new-request",
        ("NewRequest",),
        "send; send-minister at minister level",
    ),
    "POST /api/v1/requests/{request_id}/respond": (
        "answer-request",
        ("Respond",),
        "send; the request's level",
    ),
    "POST /api/v1/requests/{request_id}/update": (
        "update-request",
        ("UpdateRequest",),
        "send; the request's level",
    ),
    "POST /api/v1/requests/{request_id}/read": (
        "read-request",
        ("ReadReceipt",),
        "send; the request's level",
    ),
    "POST /api/v1/explanations": ("explain", ("Explain",), "send"),
    "POST /api/v1/notifications": ("notify", ("Notify",), "send"),
    "POST /api/v1/incidents": ("report-incident", ("ReportIncident",), "send"),
    "POST /api/v1/desk-checks": ("desk-check", ("DeskCheck",), "send"),
    "POST /api/v1/catalogues": ("pin-catalogue", ("PinCatalogue",), "send"),
    "POST /api/v1/catalogue-messages": (
        "send-catalogue-message",
        ("SendCatalogueMessage",),
        "send",
    ),
    "POST /api/v1/peers": ("add-peer", ("AddPeer",), "manage"),
    "POST /api/v1/officers": ("add-officer", ("AddOfficer",), "manage"),
    "POST /api/v1/officers/{username}/disable": (
        "disable-officer",
        ("DisableOfficer",),
        "manage",
    ),
    "POST /api/v1/officers/{username}/enable": ("enable-officer", ("EnableOfficer",), "manage"),
    "POST /api/v1/officers/{username}/password": ("set-password", ("SetPassword",), "manage"),
    "POST /api/v1/officers/{username}/token": ("issue-token", ("IssueToken",), "manage"),
    "POST /api/v1/rebuild": ("rebuild", ("Rebuild",), "manage"),
    "POST /api/v1/verify": ("verify", (), "read"),
    "POST /api/v1/proofs/check": ("check-proof", (), "read"),
    "POST /console/login": ("session", (), "read"),
    "POST /console/logout": ("session", (), "read"),
    "POST /console/language": ("session", (), "read"),
    "POST /console/ack/{entry_id}": (
        "acknowledge",
        ("Acknowledge",),
        "send; the request's level for a request",
    ),
    "POST /console/compose/{form}": (
        "compose",
        (
            "SendMessage",
            "NewRequest",
            "Notify",
            "ReportIncident",
            "Explain",
            "DeskCheck",
            "SendCatalogueMessage",
        ),
        "send; then the form's command",
    ),
    "POST /console/requests/{request_id}/respond": (
        "answer-request",
        ("Respond",),
        "send; the request's level",
    ),
    "POST /console/requests/{request_id}/update": (
        "update-request",
        ("UpdateRequest",),
        "send; the request's level",
    ),
    "POST /console/requests/{request_id}/read": (
        "read-request",
        ("ReadReceipt",),
        "send; the request's level",
    ),
    "POST /console/verify": ("verify", (), "read"),
}


@pytest.fixture
def node(tmp_path: Path) -> Node:
    us, _, _ = make_pair(tmp_path)
    return us


def bindings(app: FastAPI) -> dict[str, tuple[str, tuple[str, ...]]]:
    found: dict[str, tuple[str, tuple[str, ...]]] = {}
    for route in routes_of(app.routes):
        act = act_of_route(route)
        for method in sorted(route.methods or ()):
            if act is not None:
                found[f"{method} {route.path}"] = (act.name, tuple(commands_of_route(route)))
    return found


def test_every_mutating_route_and_console_post_names_its_act(node: Node) -> None:
    bound = bindings(create_app(node, node.home.load_token()))
    mutating = {
        route: act
        for route, act in bound.items()
        if not route.startswith(("GET ", "HEAD "))
        and route.split()[1].startswith(("/api", "/console"))
    }
    assert mutating == {route: (act, commands) for route, (act, commands, _) in MUTATING.items()}


def test_every_read_route_of_the_api_is_bound_too(node: Node) -> None:
    app = create_app(node, node.home.load_token())
    reads = {
        f"{method} {route.path}": act_of_route(route)
        for route in routes_of(app.routes)
        for method in route.methods or ()
        if str(route.path).startswith("/api/v1") and method == "GET"
    }
    assert reads, "no read routes found"
    assert all(act is not None for act in reads.values()), reads
    exporting = {
        route for route, act in reads.items() if act is not None and act.name in ("prove", "report")
    }
    assert exporting == {"GET /api/v1/proofs/{claim}/{entry_id}", "GET /api/v1/report"}
    assert reads["GET /api/v1/officers"] is not None
    assert reads["GET /api/v1/officers"].name == "list-officers"


def test_an_unbound_write_route_cannot_be_mounted() -> None:
    app = FastAPI()
    router = APIRouter(prefix="/api/v1")

    @router.post("/launch")
    async def launch() -> dict[str, Any]:
        return {}

    app.include_router(router)
    with pytest.raises(RuntimeError, match="POST /api/v1/launch is bound to no act"):
        check_bound(app.routes, ("/api/v1",), ("GET", "POST"))


def test_a_signing_route_without_its_command_cannot_be_mounted() -> None:
    with pytest.raises(KeyError, match="signs"):
        bound("notify")
    app = FastAPI()
    router = APIRouter(prefix="/api/v1")

    @router.post("/notifications", openapi_extra={"x-openline-act": "notify"})
    async def notify() -> dict[str, Any]:
        return {}

    app.include_router(router)
    with pytest.raises(RuntimeError, match=r"signs \(notify\) but names no command"):
        check_bound(app.routes, ("/api/v1",), ("POST",))


# The acts whose commands sign no entries: they change the node's own records.
SIGN_NOTHING = frozenset(
    {
        "add-officer",
        "disable-officer",
        "enable-officer",
        "set-password",
        "issue-token",
        "add-peer",
        "rebuild",
    }
)


def test_each_act_floor_matches_the_contract() -> None:
    for route, (name, commands, needs) in MUTATING.items():
        act = ACTS[name]
        assert act.action == Action(needs.split(";")[0]), route
        assert act.signs == (bool(commands) and name not in SIGN_NOTHING), route
        if route.split()[1].startswith("/api/v1"):
            assert act.query == (not commands), route


def test_each_command_declares_its_route_floor() -> None:
    """A command's declared action is its act's floor, wherever the command is run from;
    what it needs beyond that (the level rule) is its ``action``'s to say."""
    declared = {cls.__name__: cls for cls in _commands(Command)}
    for route, (name, commands, _) in MUTATING.items():
        for command in commands:
            assert ACTS[name].action == declared[command].ACTION, (route, command)


def _commands(root: type[Command]) -> list[type[Command]]:
    found = []
    for sub in root.__subclasses__():
        found += [sub, *_commands(sub)]
    return found


def _app(*routes: tuple[str, str]) -> FastAPI:
    app = FastAPI()
    router = APIRouter(prefix="/api/v1")

    async def endpoint() -> dict[str, Any]:
        return {}

    for path, act in routes:
        router.add_api_route(path, endpoint, methods=["POST"], openapi_extra=bound(act))
    app.include_router(router)
    return app


def test_a_write_route_that_runs_no_command_cannot_be_mounted() -> None:
    unbound = _app(("/rebuild", "rebuild"))
    check_bound(unbound.routes, ("/api/v1",), ("GET", "POST"))  # only when asked for
    with pytest.raises(RuntimeError, match=r"POST /api/v1/rebuild writes \(rebuild\) but names"):
        check_bound(unbound.routes, ("/api/v1",), ("GET", "POST"), commanded=WRITES)
    # A query answers by a write method and runs no command: verify, check a proof.
    queries = _app(("/verify", "verify"), ("/proofs/check", "check-proof"))
    check_bound(queries.routes, ("/api/v1",), ("GET", "POST"), commanded=WRITES)


def client(node: Node, token: str) -> OfficerClient:
    return OfficerClient("http://local", token, app=create_app(node, node.home.load_token()))


def refusal(api: OfficerClient, path: str, body: Any) -> str | None:
    try:
        api.request("POST", path, body)
    except ApiError as error:
        return error.code
    return None


def test_minister_level_updates_and_read_receipts_need_an_approver(tmp_path: Path) -> None:
    us, prc, _clock = make_pair(tmp_path)
    operator = client(us, us.home.load_token())
    asked = operator.request("POST", "/api/v1/requests", request_body(us, "minister"))
    pump(us, prc)
    us.officers.add("duty", "duty-officer", PASSWORD)
    us.officers.add("chief", "approver", PASSWORD)
    duty = client(us, us.officers.issue_token("duty"))
    chief = client(us, us.officers.issue_token("chief"))
    withdraw = {"status": "withdrawn", "reason": "overtaken by events"}
    path = f"/api/v1/requests/{asked['id']}/update"
    assert refusal(duty, path, withdraw) == "forbidden"
    assert refusal(chief, path, withdraw) is None
    prc.officers.add("duty", "duty-officer", PASSWORD)
    prc_duty = client(prc, prc.officers.issue_token("duty"))
    assert refusal(prc_duty, f"/api/v1/requests/{asked['id']}/read", {}) == "forbidden"
    # Acknowledging a request is its read receipt: the same rule, by the other road.
    assert refusal(prc_duty, f"/api/v1/entries/{asked['id']}/ack", {}) == "forbidden"
    assert prc.contacts.view(asked["id"]).read_at is None
    prc.officers.add("chief", "approver", PASSWORD)
    prc_chief = client(prc, prc.officers.issue_token("chief"))
    assert refusal(prc_chief, f"/api/v1/entries/{asked['id']}/ack", {}) is None
    assert prc.contacts.view(asked["id"]).read_by == "chief"
