"""Once per key (``openline.node.idempotency``): in process, through the node and its API.

The end-to-end proof, with a node killed between the commit and the answer, is in
``tests/e2e/test_retry_after_kill.py``.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from starlette.exceptions import StarletteDeprecationWarning

from openline.node import idempotency
from openline.node.app import Node
from openline.node.errors import CommandError
from openline.node.hotline import NewMessage, send_messages
from openline.node.idempotency import RETENTION, Attempt, fingerprint, parse_key
from openline.server.app import create_app
from openline.store import idempotency as stored
from openline.store import schema
from pair import FakeClock, make_pair, pump

with warnings.catch_warnings():
    # Starlette would rather have the httpx2 fork; the httpx it falls back on works the same.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

TOKEN = "admin-token-for-tests"


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[Node, Node, FakeClock]]:
    a, b, clock = make_pair(tmp_path)
    yield a, b, clock
    a.close()
    b.close()


def sent(node: Node) -> int:
    return len(node.store.entries(node.party, "prc-mnd"))


def keys_stored(node: Node) -> int:
    with node.store.read() as connection:
        return int(
            connection.execute(select(func.count()).select_from(schema.idempotency_keys)).scalar()
            or 0
        )


def send(node: Node, text: str) -> Any:
    return lambda: send_messages(node, ["prc-mnd"], [NewMessage(text, "routine", "en", "ops")])


def test_the_same_key_and_request_signs_once_and_returns_the_same_entries(nodes: Any) -> None:
    us, _prc, _clock = nodes
    attempt = Attempt("operator", "k-1", fingerprint("send", "hello"))
    first = us.keys.once(attempt, send(us, "hello"))
    again = us.keys.once(attempt, send(us, "hello"))
    assert not first.replayed
    assert again.replayed
    assert [entry.id for entry in again.entries] == [entry.id for entry in first.entries]
    assert again.entries == first.entries
    assert sent(us) == 1


def test_the_same_key_with_another_request_is_refused_and_signs_nothing(nodes: Any) -> None:
    us, _prc, _clock = nodes
    us.keys.once(Attempt("operator", "k-1", fingerprint("hello")), send(us, "hello"))
    with pytest.raises(CommandError) as refused:
        us.keys.once(Attempt("operator", "k-1", fingerprint("other")), send(us, "other"))
    assert (refused.value.status, refused.value.code) == (409, "idempotency-conflict")
    assert sent(us) == 1


def test_keys_belong_to_one_actor(nodes: Any) -> None:
    us, _prc, _clock = nodes
    same = fingerprint("hello")
    us.keys.once(Attempt("officer:miller", "k-1", same), send(us, "hello"))
    other = us.keys.once(Attempt("officer:chen", "k-1", same), send(us, "hello"))
    assert not other.replayed
    assert sent(us) == 2


def test_without_a_key_every_request_signs(nodes: Any) -> None:
    us, _prc, _clock = nodes
    first = us.keys.once(None, send(us, "hello"))
    second = us.keys.once(None, send(us, "hello"))
    assert len(first.entries) == len(second.entries) == 1
    assert first.entries[0].id != second.entries[0].id
    assert keys_stored(us) == 0


def test_a_refused_command_stores_no_key_and_may_be_tried_again(nodes: Any) -> None:
    us, _prc, _clock = nodes
    attempt = Attempt("operator", "k-1", fingerprint("x"))
    with pytest.raises(CommandError):
        us.keys.once(attempt, lambda: send_messages(us, ["nobody"], [NewMessage("x", "routine")]))
    assert keys_stored(us) == 0
    assert len(us.keys.once(attempt, send(us, "x")).entries) == 1


def test_the_key_commits_with_the_entries_or_neither_does(
    nodes: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    us, _prc, _clock = nodes

    def broken(*_args: object) -> None:
        raise OSError("disk gone while writing the key")

    monkeypatch.setattr(stored, "record", broken)
    with pytest.raises(OSError, match="disk gone"):
        us.keys.once(Attempt("operator", "k-1", fingerprint("x")), send(us, "x"))
    assert sent(us) == 0  # the entries rolled back with the key
    monkeypatch.undo()
    assert (
        len(us.keys.once(Attempt("operator", "k-1", fingerprint("x")), send(us, "x")).entries) == 1
    )
    assert sent(us) == 1


def test_every_entry_of_a_command_that_appends_twice_comes_back(nodes: Any) -> None:
    us, _prc, _clock = nodes

    def twice() -> None:
        send(us, "one")()
        send(us, "two")()

    attempt = Attempt("operator", "k-1", fingerprint("twice"))
    first = us.keys.once(attempt, twice)
    again = us.keys.once(attempt, twice)
    assert [e.body["text"] for e in again.entries] == ["one", "two"]
    assert again.entries == first.entries
    assert sent(us) == 2


def test_keys_are_kept_two_days_and_then_dropped(nodes: Any) -> None:
    us, _prc, clock = nodes
    attempt = Attempt("operator", "old", fingerprint("x"))
    us.keys.once(attempt, send(us, "x"))
    clock.advance(hours=24)
    assert us.keys.once(attempt, send(us, "x")).replayed  # the draft's 24 hours at least
    clock.advance(seconds=RETENTION.total_seconds() - 24 * 3600 + 1)
    # Expired: the key is free again, and the next keyed write drops the old rows.
    assert not us.keys.once(attempt, send(us, "x")).replayed
    us.keys.once(Attempt("operator", "new", fingerprint("y")), send(us, "y"))
    assert keys_stored(us) == 2
    clock.advance(seconds=RETENTION.total_seconds() + 1)
    us.keys.once(Attempt("operator", "newest", fingerprint("z")), send(us, "z"))
    assert keys_stored(us) == 1


def test_two_copies_sent_at_once_sign_once(nodes: Any) -> None:
    us, _prc, _clock = nodes
    attempt = Attempt("operator", "k-1", fingerprint("x"))
    results: list[Any] = []
    threads = [
        threading.Thread(target=lambda: results.append(us.keys.once(attempt, send(us, "x"))))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sent(us) == 1
    assert len({done.entries[0].id for done in results}) == 1
    assert sorted(done.replayed for done in results) == [False] + [True] * 7


@pytest.mark.parametrize("header", ['"8e03978e-40d5-43e8"', "plain-token", '"' + "k" * 255 + '"'])
def test_good_keys_parse(header: str) -> None:
    assert parse_key(header) == header.strip('"')


@pytest.mark.parametrize("header", ["", '""', "two words", '"unbalanced', "k" * 256, "ключ"])
def test_bad_keys_are_refused(header: str) -> None:
    with pytest.raises(CommandError) as refused:
        parse_key(header)
    assert (refused.value.status, refused.value.code) == (400, "invalid-idempotency-key")


def test_the_fault_point_is_off_unless_asked(nodes: Any) -> None:
    us, _prc, _clock = nodes
    assert us.keys.fault != idempotency.KILL_AFTER_COMMIT


# --- through the officers' API ---------------------------------------------------------------


@pytest.fixture
def api(nodes: Any) -> Iterator[TestClient]:
    us, _prc, _clock = nodes
    with TestClient(create_app(us, TOKEN)) as client:
        client.headers["authorization"] = f"Bearer {TOKEN}"
        yield client


BATCH = {"to": ["prc-mnd"], "messages": [{"text": "one"}, {"text": "two"}]}


def test_a_retried_batch_answers_the_same_and_signs_once(nodes: Any, api: TestClient) -> None:
    us, _prc, _clock = nodes
    key = {"idempotency-key": '"batch-1"'}
    first = api.post("/api/v1/messages/batch", json=BATCH, headers=key)
    again = api.post("/api/v1/messages/batch", json=BATCH, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert sent(us) == 2
    other = api.post(
        "/api/v1/messages/batch", json={**BATCH, "to": ["prc-mnd", "prc-mnd"]}, headers=key
    )
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency-conflict"
    assert sent(us) == 2


def test_without_the_header_a_retry_signs_again(nodes: Any, api: TestClient) -> None:
    us, _prc, _clock = nodes
    api.post("/api/v1/messages/batch", json=BATCH)
    api.post("/api/v1/messages/batch", json=BATCH)
    assert sent(us) == 4


def test_a_bad_key_is_a_400_and_signs_nothing(nodes: Any, api: TestClient) -> None:
    us, _prc, _clock = nodes
    refused = api.post(
        "/api/v1/messages",
        json={"to": ["prc-mnd"], "text": "x"},
        headers={"idempotency-key": '"a b"'},
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "invalid-idempotency-key"
    assert sent(us) == 0


def test_every_creating_route_answers_a_retry_as_the_first(nodes: Any, api: TestClient) -> None:
    us, _prc, clock = nodes
    start = clock().replace(microsecond=0).isoformat().replace("+00:00", "Z")
    notification = {
        "to": ["prc-mnd"],
        "activity": "exercise",
        "title": "Northern Shield",
        "participants": ["us-dod"],
        "area": {"type": "Point", "coordinates": [20.0, 55.0], "radius_nm": 5},
        "start": start.replace("08:", "09:"),
        "end": start.replace("08:", "10:"),
        "contact_channel": "hotline",
    }
    posts: list[tuple[str, dict[str, Any]]] = [
        ("/api/v1/messages", {"to": ["prc-mnd"], "text": "x"}),
        ("/api/v1/desk-checks", {"to": ["prc-mnd"]}),
        ("/api/v1/notifications", notification),
        (
            "/api/v1/explanations",
            {"to": "prc-mnd", "subject": "why", "text": "please explain"},
        ),
    ]
    for n, (path, body) in enumerate(posts):
        key = {"idempotency-key": f'"route-{n}"'}
        before = sent(us)
        first = api.post(path, json=body, headers=key)
        assert first.status_code == 201, (path, first.text)
        clock.advance(seconds=5)  # a retry comes later: its answer must not change with time
        again = api.post(path, json=body, headers=key)
        assert (again.status_code, again.json()) == (201, first.json()), path
        assert sent(us) == before + 1, path


def test_a_retried_acknowledgement_answers_the_same_instead_of_already_acknowledged(
    nodes: Any, api: TestClient
) -> None:
    us, prc, _clock = nodes
    (message,) = send_messages(prc, ["us-dod"], [NewMessage("ack me", "routine")])
    pump(prc, us)
    key = {"idempotency-key": '"ack-1"'}
    first = api.post(f"/api/v1/entries/{message.id}/ack", json={}, headers=key)
    again = api.post(f"/api/v1/entries/{message.id}/ack", json={}, headers=key)
    assert first.status_code == 201
    assert (again.status_code, again.json()) == (201, first.json())
    unkeyed = api.post(f"/api/v1/entries/{message.id}/ack", json={})
    assert unkeyed.json()["error"]["code"] == "already-acknowledged"
