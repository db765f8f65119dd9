"""Every human act records the officer in the entry it produces (design note 22).

With an officer's token the entry names that officer (their user name), whatever the body
says: a body that leaves ``officer`` out gets theirs, and a body naming someone else is
refused with 403 ``officer-mismatch`` before anything is stored. With the admin token the
body's ``officer`` (the CLI's ``--officer``) or the route's old default stands.

In process: two nodes from ``pair``, the real FastAPI app through httpx's ASGI transport.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from openline.api.client import ApiError, OfficerClient
from openline.core.canonical import canonical_bytes
from openline.core.catalogue import load_starter
from openline.core.entry import Entry
from openline.core.kinds import MAX_NAME_LENGTH
from openline.core.link import Accepted, Rejected
from openline.core.timefmt import format_time
from openline.node import reads
from openline.node.app import Node
from openline.node.hotline import NewMessage, send_messages
from openline.server.app import create_app
from openline.store import Store
from pair import FakeClock, make_pair, pump

US, PRC = "us-dod", "prc-mnd"
PASSWORD = "correct horse battery staple"
DUTY = "zhang.wei"  # a duty officer at us-dod
STARTER_BYTES = json.dumps(load_starter(), ensure_ascii=False).encode()


_APPS: dict[str, Any] = {}  # by party, for one test: building an app takes a while


@pytest.fixture(autouse=True)
def _fresh_apps() -> Iterator[None]:
    _APPS.clear()
    yield
    _APPS.clear()


def api(node: Node, token: str) -> OfficerClient:
    app = _APPS.get(node.party)
    if app is None:
        app = _APPS[node.party] = create_app(node, node.home.load_token())
    return OfficerClient("http://local", token, app=app)


def officer_api(node: Node, username: str, role: str = "duty-officer") -> OfficerClient:
    node.officers.add(username, role, PASSWORD)
    return api(node, node.officers.issue_token(username))


def admin_api(node: Node) -> OfficerClient:
    return api(node, node.home.load_token())


def body_of(node: Node, entry_id: str) -> dict[str, Any]:
    stored = node.store.entry_by_id(entry_id)
    assert stored is not None
    return dict(Entry.from_leaf(stored.leaf).body)


def sizes(node: Node) -> dict[str, tuple[int, int]]:
    """(sent, received) of every log of the node, by peer."""
    with node.store.read() as connection:
        return {
            peer: (
                Store.log_size(connection, node.party, peer),
                Store.log_size(connection, peer, node.party),
            )
            for peer in node.peers.pinned()
        }


def when(clock: FakeClock, **delta: float) -> str:
    return format_time(clock() + timedelta(**delta))


def request_body(clock: FakeClock, to: str = PRC, **changes: Any) -> dict[str, Any]:
    return {
        "to": to,
        "format": "phone-call",
        "level": "working",
        "subject": "Call",
        "from_official": {"name": "A", "title": "B"},
        "to_official": {"name": "C", "title": "D"},
        "slots": [{"start": when(clock, days=1), "end": when(clock, days=1, hours=1)}],
        "respond_by": when(clock, hours=6),
    } | changes


def activity_body(clock: FakeClock, **changes: Any) -> dict[str, Any]:
    return {
        "to": [PRC],
        "activity": "joint-patrol",
        "title": "Joint patrol",
        "participants": [US, PRC],
        "area": {
            "type": "Polygon",
            "coordinates": [[[125.5, 24.5], [131.0, 24.5], [131.0, 29.0], [125.5, 24.5]]],
        },
        "start": when(clock, days=5),
        "end": when(clock, days=9),
        "contact_channel": "VHF 16",
        "ack_within_minutes": 60,
    } | changes


def incident_body(clock: FakeClock, **changes: Any) -> dict[str, Any]:
    return {
        "to": [PRC],
        "time": when(clock, hours=-2),
        "position": {"type": "Point", "coordinates": [114.25, 16.5]},
        "domain": "air",
        "own_units": ["P-8A Poseidon"],
        "other_units": ["J-11"],
        "category": "unsafe-intercept",
        "description": "Fighter passed within 6 m of the aircraft's nose.",
    } | changes


@dataclass
class World:
    """us-dod and prc-mnd with the starter catalogue agreed; us-dod has received a hotline
    message, a contact request and a notification from prc-mnd, and sent a request."""

    us: Node
    prc: Node
    clock: FakeClock
    message: str  # received by us-dod
    received_request: str  # prc-mnd → us-dod
    sent_request: str  # us-dod → prc-mnd, answered by nobody yet
    notification: str  # prc-mnd → us-dod
    duty: OfficerClient  # the duty officer DUTY at us-dod


@pytest.fixture
def world(tmp_path: Path) -> World:
    us, prc, clock = make_pair(tmp_path)
    us.catalogues.pin(STARTER_BYTES, "Lt. Cdr. Smith")
    prc.catalogues.pin(STARTER_BYTES, "Lt. Col. Wang")
    (message,) = send_messages(prc, [US], [NewMessage("Please confirm", "priority")])
    received = admin_api(prc).request("POST", "/api/v1/requests", request_body(clock, to=US))
    notice = admin_api(prc).request("POST", "/api/v1/notifications", activity_body(clock, to=[US]))
    sent = admin_api(us).request("POST", "/api/v1/requests", request_body(clock))
    pump(us, prc)
    pump(prc, us)
    (notified,) = notice["entries"]
    return World(
        us=us,
        prc=prc,
        clock=clock,
        message=message.id,
        received_request=received["id"],
        sent_request=sent["id"],
        notification=notified["id"],
        duty=officer_api(us, DUTY),
    )


def last_pin(node: Node) -> dict[str, Any]:
    pins = [
        entry
        for entry in (Entry.from_leaf(row.leaf) for row in node.store.entries(US, PRC))
        if entry.kind == "catalogue.pin"
    ]
    return dict(pins[-1].body)


def new_version(version: int) -> dict[str, Any]:
    """The starter catalogue as another version: pinning it again would tell nobody."""
    document = json.loads(STARTER_BYTES)
    document["version"] = version
    return {"document": document, "to": [PRC]}


def ids(answer: dict[str, Any]) -> list[str]:
    """The ids of the entries a writing route answered with."""
    if "entries" in answer:
        return [entry["id"] for entry in answer["entries"]]
    if "id" in answer:
        return [answer["id"]]
    return []


# Every writing route of the officers' API that produces an entry a person signs for: its
# method-less path and its body (without ``officer``), built from the world.
Route = Callable[[World], tuple[str, dict[str, Any] | None]]
ROUTES: dict[str, Route] = {
    "message": lambda w: ("/api/v1/messages", {"to": [PRC], "text": "Test"}),
    "batch": lambda w: (
        "/api/v1/messages/batch",
        {"to": [PRC], "messages": [{"text": "one"}, {"text": "two"}]},
    ),
    "ack": lambda w: (f"/api/v1/entries/{w.message}/ack", {}),
    "ack-notification": lambda w: (f"/api/v1/entries/{w.notification}/ack", {}),
    "request": lambda w: ("/api/v1/requests", request_body(w.clock)),
    "respond": lambda w: (
        f"/api/v1/requests/{w.received_request}/respond",
        {"answer": "decline", "reason": "Not now"},
    ),
    "update": lambda w: (
        f"/api/v1/requests/{w.sent_request}/update",
        {"status": "withdrawn", "reason": "Overtaken by events"},
    ),
    "read": lambda w: (f"/api/v1/requests/{w.received_request}/read", {}),
    "explanation": lambda w: (
        "/api/v1/explanations",
        {"to": PRC, "subject": "The intercept", "text": "Please explain."},
    ),
    "notification": lambda w: ("/api/v1/notifications", activity_body(w.clock)),
    "incident": lambda w: ("/api/v1/incidents", incident_body(w.clock)),
    "desk-check": lambda w: ("/api/v1/desk-checks", {"to": [PRC]}),
    "catalogue-pin": lambda w: (
        "/api/v1/catalogues",
        {"document": json.loads(STARTER_BYTES), "to": [PRC]},
    ),
    "catalogue-message": lambda w: (
        "/api/v1/catalogue-messages",
        {"to": PRC, "code": "M10", "params": {"distance": 5}},
    ),
}


def signed_officers(world: World, answer: dict[str, Any]) -> list[str | None]:
    bodies = [body_of(world.us, entry_id) for entry_id in ids(answer)]
    assert bodies, answer  # the route produced entries
    return [body.get("officer") for body in bodies]


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_an_officer_token_signs_as_its_officer_and_as_no_one_else(world: World, route: str) -> None:
    path, body = ROUTES[route](world)
    if route == "catalogue-pin":
        body = new_version(2)  # pinning the same catalogue again would tell nobody
    before = sizes(world.us)
    for other in ("Col. Wang", DUTY.upper(), "duty officer", "admin"):
        with pytest.raises(ApiError) as refused:
            world.duty.request("POST", path, (body or {}) | {"officer": other})
        assert (refused.value.status, refused.value.code) == (403, "officer-mismatch")
        assert DUTY in str(refused.value)
        assert "\n" not in str(refused.value)
    assert sizes(world.us) == before  # nothing stored
    answer = world.duty.request("POST", path, body)  # no officer in the body: theirs
    if route == "catalogue-pin":
        assert last_pin(world.us)["officer"] == DUTY
    else:
        assert set(signed_officers(world, answer)) == {DUTY}
    assert sizes(world.us) != before


@pytest.mark.parametrize("route", ["message", "ack", "respond", "desk-check", "catalogue-message"])
def test_an_officer_may_name_themself(world: World, route: str) -> None:
    path, body = ROUTES[route](world)
    answer = world.duty.request("POST", path, (body or {}) | {"officer": DUTY})
    assert set(signed_officers(world, answer)) == {DUTY}


@pytest.mark.parametrize("route", ["ack", "read", "desk-check"])
def test_an_officer_token_needs_no_body_at_all(world: World, route: str) -> None:
    path, _ = ROUTES[route](world)
    answer = world.duty.request("POST", path)
    assert set(signed_officers(world, answer)) == {DUTY}


def test_each_officer_signs_as_themself(world: World) -> None:
    chief = officer_api(world.us, "li.na", "approver")
    mine = world.duty.request("POST", "/api/v1/messages", {"to": [PRC], "text": "a"})
    theirs = chief.request("POST", "/api/v1/messages", {"to": [PRC], "text": "b"})
    assert signed_officers(world, mine) == [DUTY]
    assert signed_officers(world, theirs) == ["li.na"]


# --- the admin token: as before ----------------------------------------------------------


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_the_admin_token_signs_as_the_body_says(world: World, route: str) -> None:
    path, body = ROUTES[route](world)
    admin = admin_api(world.us)
    if route == "catalogue-pin":
        admin.request("POST", path, new_version(3) | {"officer": "Cdr. Miller"})
        assert last_pin(world.us)["officer"] == "Cdr. Miller"
        admin.request("POST", path, new_version(4))
        assert last_pin(world.us)["officer"] == "duty officer"  # the old default
        return
    answer = admin.request("POST", path, (body or {}) | {"officer": "Cdr. Miller"})
    assert set(signed_officers(world, answer)) == {"Cdr. Miller"}


@pytest.mark.parametrize(
    ("route", "default"),
    [
        ("message", None),  # as before officers were recorded: no officer in the body
        ("batch", None),
        ("catalogue-message", None),
        ("ack", "admin"),
        ("request", "duty officer"),
        ("respond", "duty officer"),
        ("read", "duty officer"),
        ("notification", "duty officer"),
        ("desk-check", "duty officer"),
    ],
)
def test_the_admin_token_keeps_the_old_defaults(
    world: World, route: str, default: str | None
) -> None:
    path, body = ROUTES[route](world)
    answer = admin_api(world.us).request("POST", path, body)
    assert set(signed_officers(world, answer)) == {default}


# --- hotline.message bodies with and without an officer ------------------------------------


def test_messages_with_and_without_officer_cross_the_link_and_survive_a_rebuild(
    world: World,
) -> None:
    old = admin_api(world.us).request("POST", "/api/v1/messages", {"to": [PRC], "text": "old"})
    new = world.duty.request("POST", "/api/v1/messages", {"to": [PRC], "text": "new"})
    (old_id,), (new_id,) = ids(old), ids(new)
    assert "officer" not in body_of(world.us, old_id)
    assert pump(world.us, world.prc) == 2  # both accepted at prc-mnd's door
    assert body_of(world.prc, new_id)["officer"] == DUTY
    assert "officer" not in body_of(world.prc, old_id)
    before = {entry_id: reads.message(world.prc, entry_id) for entry_id in (old_id, new_id)}
    world.prc.rebuild()
    after = {entry_id: reads.message(world.prc, entry_id) for entry_id in (old_id, new_id)}
    assert after == before
    assert None not in after.values()
    # The reader sees who sent it; the old message renders as before, with no officer.
    for node, entry_id, shown in ((world.prc, new_id, True), (world.prc, old_id, False)):
        rendered = admin_api(node).request(
            "GET", f"/api/v1/entries/{entry_id}/render", params={"lang": "en"}
        )
        assert (DUTY in rendered["text"]) is shown
        assert ("Officer" in rendered["text"]) is shown


def test_an_over_long_officer_is_refused_at_the_door(world: World) -> None:
    us, prc = world.us, world.prc
    # Craft what an honest node never signs: us-dod's next message with a 201-character
    # officer, signed with its key, offered with a valid checkpoint of the same size.
    (honest,) = send_messages(us, [PRC], [NewMessage("placeholder")])
    start = us.delivered_size(PRC)
    assert honest.seq == start
    _, note = us.checkpoint_for(PRC, start + 1)
    forged = honest.to_json()
    forged["body"] = {
        "text": "x",
        "lang": "en",
        "precedence": "routine",
        "officer": "o" * (MAX_NAME_LENGTH + 1),
    }
    del forged["sig"]
    forged["sig"] = base64.b64encode(us.key.sign(canonical_bytes(forged))).decode("ascii")
    before = sizes(prc)
    outcome = prc.receive_batch(US, [forged], note)
    assert isinstance(outcome, Rejected), outcome
    assert outcome.code == "invalid-body"
    assert "officer" in outcome.reason
    assert sizes(prc) == before
    # The honest entry still goes through.
    assert isinstance(prc.receive_batch(US, [honest.to_json()], note), Accepted)


def test_an_over_long_officer_is_refused_by_the_api(world: World) -> None:
    before = sizes(world.us)
    with pytest.raises(ApiError) as refused:
        admin_api(world.us).request(
            "POST",
            "/api/v1/messages",
            {"to": [PRC], "text": "x", "officer": "o" * (MAX_NAME_LENGTH + 1)},
        )
    assert refused.value.status == 422
    assert sizes(world.us) == before
