"""The commands that sign nothing, or whose answer is not in their entries
(``openline.node.account_commands``, ``openline.node.node_commands``, the catalogue pin):
run by ``execute`` like every command, with their own role rule, and never keyed."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.exceptions import StarletteDeprecationWarning

from openline.core.catalogue import load_starter
from openline.node.account_commands import AddOfficer, IssueToken, SetPassword
from openline.node.app import Node
from openline.node.catalogues import PinCatalogue
from openline.node.commands import Actor, Command, execute
from openline.node.errors import CommandError
from openline.node.idempotency import Attempt, fingerprint
from openline.node.node_commands import AddPeer, Rebuild
from openline.node.officers import Officer
from openline.server.app import create_app
from openline.store import idempotency as stored
from pair import make_pair

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

PASSWORD = "correct horse battery staple"
TOKEN = "admin-token-for-tests"
STARTER = load_starter()


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    us, prc, _ = make_pair(tmp_path)
    yield us, prc
    us.close()
    prc.close()


def duty(username: str = "duty") -> Actor:
    return Actor(Officer(username, "duty-officer"))


def refusal(node: Node, command: Command, actor: Actor) -> tuple[int, str]:
    with pytest.raises(CommandError) as refused:
        execute(node, command, actor, None)
    return refused.value.status, refused.value.code


def test_an_account_command_answers_with_what_it_returns(nodes: tuple[Node, Node]) -> None:
    us, _ = nodes
    command = AddOfficer(username="chen", role="duty-officer", password=PASSWORD)
    done = execute(us, command, Actor(), None)
    assert (done.entries, done.replayed) == ([], False)
    assert isinstance(done.result, dict)
    assert (done.result["username"], done.result["role"]) == ("chen", "duty-officer")
    assert "password" not in repr(SetPassword(username="chen", password=PASSWORD))


def test_managing_the_node_needs_a_role_that_may_manage(nodes: tuple[Node, Node]) -> None:
    us, prc = nodes
    commands: list[Command] = [
        AddOfficer(username="chen", role="admin", password=PASSWORD),
        IssueToken(username="chen"),
        AddPeer(card=json.loads(prc.peers.card().to_bytes()), replace=True),
        Rebuild(),
    ]
    for command in commands:
        assert refusal(us, command, duty()) == (403, "forbidden"), command
    assert us.store.officer("chen") is None  # refused before anything was stored
    admin = Actor(Officer("root", "admin"))
    assert execute(us, Rebuild(), admin, None).result == us.rebuild()


def test_an_account_command_is_never_keyed(nodes: tuple[Node, Node]) -> None:
    """A replay could give back only entries, and a token must exist nowhere but in the
    answer: the same key runs the command again, and no key is stored."""
    us, _ = nodes
    us.officers.add("chen", "duty-officer", PASSWORD)
    attempt = Attempt("operator", "token-1", fingerprint("POST", "/officers/chen/token"))
    first = execute(us, IssueToken(username="chen"), Actor(), attempt)
    again = execute(us, IssueToken(username="chen"), Actor(), attempt)
    assert not first.replayed
    assert not again.replayed
    assert isinstance(first.result, dict)
    assert isinstance(again.result, dict)
    assert first.result["token"] != again.result["token"]
    assert us.officers.by_token(first.result["token"]) is None  # replaced by the second
    assert us.officers.by_token(again.result["token"]) == Officer("chen", "duty-officer")
    with us.store.read() as connection:
        assert stored.find(connection, "operator", "token-1") is None


def test_a_pin_names_its_officer_as_every_command_does(nodes: tuple[Node, Node]) -> None:
    us, _ = nodes
    pin = PinCatalogue(document=STARTER, officer="someone else")
    assert refusal(us, pin, duty()) == (403, "officer-mismatch")
    done = execute(us, PinCatalogue(document=STARTER), duty(), None)
    (entry,) = done.entries
    assert (entry.kind, entry.body["officer"]) == ("catalogue.pin", "duty")
    assert isinstance(done.result, dict)
    assert done.result["sent_to"] == ["prc-mnd"]


@pytest.fixture
def api(nodes: tuple[Node, Node]) -> Iterator[TestClient]:
    us, _ = nodes
    with TestClient(create_app(us, TOKEN)) as client:
        client.headers["authorization"] = f"Bearer {TOKEN}"
        yield client


def test_a_retried_pin_tells_no_one_twice(nodes: tuple[Node, Node], api: TestClient) -> None:
    """Unkeyed, and idempotent by state: the retry signs nothing new and says so."""
    us, _ = nodes
    key = {"idempotency-key": '"pin-1"'}
    first = api.post("/api/v1/catalogues", json={"document": STARTER}, headers=key)
    again = api.post("/api/v1/catalogues", json={"document": STARTER}, headers=key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert (first.json()["newly_pinned"], first.json()["sent_to"]) == (True, ["prc-mnd"])
    assert again.json() | {"newly_pinned": True, "sent_to": ["prc-mnd"], "already_told": []} == (
        first.json()
    )
    assert again.json()["already_told"] == ["prc-mnd"]
    assert len(us.store.entries("us-dod", "prc-mnd")) == 1


def test_an_unkeyed_route_does_not_read_the_key(api: TestClient) -> None:
    """As before these routes were commands: their key header is ignored, a bad one too."""
    body: dict[str, Any] = {"username": "chen", "role": "duty-officer", "password": PASSWORD}
    added = api.post("/api/v1/officers", json=body, headers={"idempotency-key": '"a b"'})
    assert added.status_code == 201, added.text
    key = {"idempotency-key": '"token-1"'}
    first = api.post("/api/v1/officers/chen/token", headers=key)
    again = api.post("/api/v1/officers/chen/token", headers=key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["token"] != again.json()["token"]
