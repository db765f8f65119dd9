"""Requests, deadlines, alarms and proofs on in-process nodes with an explicit clock.

The end-to-end suite drives the same commands through real processes; here a fake clock
lets a deadline pass without waiting, and every step is checked on both nodes.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import delete, select

from openline.core.cosignature import find_cosignatures
from openline.core.note import Note
from openline.core.proofs import check_proof
from openline.core.timefmt import parse_time
from openline.node import reads
from openline.node.app import Node
from openline.node.errors import CommandError
from openline.node.hotline import NewMessage, acknowledge, send_messages
from openline.node.projections import CACHE_VERSION
from openline.node.proving import Prover
from openline.node.request_commands import Answer, NewRequest, Official, Slot, Update
from openline.store import Store, schema
from pair import FakeClock, make_pair, pump


def ask(node: Node, clock: FakeClock, respond_in: timedelta, **changes: object) -> str:
    now = clock()
    fields: dict[str, object] = {
        "to": "prc-mnd",
        "format": "video-call",
        "level": "chief-of-defence",
        "subject": "Risk reduction",
        "from_official": Official(
            name="Gen. Dan Caine", title="Chairman of the Joint Chiefs of Staff"
        ),
        "to_official": Official(
            name="Gen. Liu Zhenli", title="Chief of the Joint Staff Department"
        ),
        "slots": [Slot(start=now + timedelta(days=2), end=now + timedelta(days=2, hours=1))],
        "respond_by": now + respond_in,
        **changes,
    }
    return node.contacts.request(NewRequest(**fields)).id  # type: ignore[arg-type]


def exchange(us: Node, prc: Node) -> None:
    """Both directions once: entries (or a heartbeat) and their receipts."""
    pump(us, prc)
    pump(prc, us)


def test_migrations_build_exactly_the_declared_schema(tmp_path: Path) -> None:
    store = Store.open_sqlite(tmp_path / "fresh.db")
    try:
        with store.read() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), schema.metadata)
    finally:
        store.close()
    assert differences == []


def test_a_node_rebuilds_caches_written_by_another_release(tmp_path: Path) -> None:
    us, prc, _ = make_pair(tmp_path)
    send_messages(us, ["prc-mnd"], [NewMessage("hello", "flash")])
    pump(us, prc)
    with prc.store.write() as connection:
        before = connection.execute(select(schema.messages)).all()
        connection.execute(delete(schema.messages))
        Store.set_meta(connection, "cache_version", "1")
    prc.close()
    reopened = Node.open(prc.home, clock=prc.clock)
    try:
        with reopened.store.read() as connection:
            assert connection.execute(select(schema.messages)).all() == before
            assert Store.get_meta(connection, "cache_version") == CACHE_VERSION
    finally:
        reopened.close()


def test_acknowledgement_objective_runs_from_delivery(tmp_path: Path) -> None:
    us, prc, clock = make_pair(tmp_path)
    (message,) = send_messages(us, ["prc-mnd"], [NewMessage("line was down", "flash")])
    clock.advance(minutes=30)  # undelivered for longer than the flash objective
    assert reads.status(us)["overdue_acks"] == {"ours": 0, "theirs": 0}
    pump(us, prc)
    row = reads.message(us, message.id)
    assert row is not None
    assert row["delivered_at"] is not None
    assert row["ack_due"] > row["delivered_at"]
    clock.advance(minutes=9)
    assert reads.status(prc)["overdue_acks"]["ours"] == 0
    clock.advance(minutes=2)
    assert reads.status(prc)["overdue_acks"]["ours"] == 1
    assert reads.status(us)["overdue_acks"]["theirs"] == 1


def test_a_request_unanswered_past_its_deadline_alarms_once_and_is_provable(
    tmp_path: Path,
) -> None:
    us, prc, clock = make_pair(tmp_path)
    exchange(us, prc)  # timed checkpoints of both logs from before the request
    clock.advance(seconds=5)
    request_id = ask(us, clock, timedelta(minutes=10))
    assert us.contacts.view(request_id).state == "proposed"
    exchange(us, prc)
    assert us.contacts.view(request_id).state == "delivered"
    assert prc.contacts.view(request_id).state == "delivered"
    acknowledge(prc, request_id, "Sr. Col. Zhang Wei")  # for a request, acknowledging is reading
    exchange(us, prc)
    assert us.contacts.view(request_id).read_by == "Sr. Col. Zhang Wei"

    assert us.watcher.tick() == []
    clock.advance(minutes=11)
    raised = us.watcher.tick()
    assert [(a.id, a.kind, a.owed_by) for a in raised] == [(request_id, "unanswered", "prc-mnd")]
    assert us.watcher.tick() == []  # raised once, then kept
    assert [a.id for a in prc.watcher.tick()] == [request_id]  # the debtor sees it too

    with pytest.raises(CommandError) as early:
        Prover(us).prove("unanswered", request_id)
    assert early.value.code == "not-provable-yet"  # nothing from prc-mnd since the deadline
    exchange(us, prc)  # a heartbeat: prc-mnd's log, timed after the deadline
    shown = us.contacts.to_json(us.contacts.view(request_id))
    assert shown["state"] == "unanswered"
    assert shown["provable"] is True
    proof = Prover(us).prove("unanswered", request_id)
    verdict = check_proof(proof, [us.peers.card(), prc.peers.card()])
    assert verdict.claim == "unanswered"

    clock.advance(minutes=1)
    prc.contacts.respond(request_id, Answer(answer="decline", reason="Not now", officer="Col. Li"))
    exchange(us, prc)
    view = us.contacts.view(request_id)
    assert (view.state, view.late) == ("declined", True)
    assert us.watcher.tick() == []
    assert us.watcher.alarms() == []  # cleared by the answer
    assert (
        check_proof(proof, [us.peers.card(), prc.peers.card()]).claim == "unanswered"
    )  # still true
    answer = Prover(us).prove("answer", request_id)
    assert check_proof(answer, [us.peers.card(), prc.peers.card()]).late is True


def test_commands_refuse_what_the_state_does_not_allow(tmp_path: Path) -> None:
    us, prc, clock = make_pair(tmp_path)
    request_id = ask(us, clock, timedelta(hours=1))
    exchange(us, prc)
    with pytest.raises(CommandError) as own:
        us.contacts.respond(request_id, Answer(answer="accept", slot=1))
    assert own.value.code == "not-recipient"
    with pytest.raises(CommandError) as slot:
        prc.contacts.respond(request_id, Answer(answer="accept", slot=2))
    assert slot.value.code == "invalid-slot"
    with pytest.raises(CommandError) as withdraw:
        prc.contacts.update(request_id, Update(status="withdrawn"))
    assert withdraw.value.code == "not-requester"
    us.contacts.update(request_id, Update(status="withdrawn", reason="Overtaken by events"))
    exchange(us, prc)
    with pytest.raises(CommandError) as late:
        prc.contacts.respond(request_id, Answer(answer="accept", slot=1))
    assert late.value.code == "invalid-transition"
    assert prc.store.entries("prc-mnd", "us-dod") == []  # nothing signed for the refusals


def test_request_views_follow_new_entries_without_a_stale_cache(tmp_path: Path) -> None:
    us, prc, clock = make_pair(tmp_path)
    request_id = ask(us, clock, timedelta(hours=1), format="meeting", location="Honolulu")
    exchange(us, prc)
    assert prc.contacts.view(request_id).state == "delivered"  # cached now
    prc.contacts.respond(request_id, Answer(answer="accept", slot=1, officer="Col. Li"))
    assert prc.contacts.view(request_id).state == "accepted"
    exchange(us, prc)
    agreed = us.contacts.view(request_id).accepted_slot
    assert agreed is not None
    assert us.contacts.view(request_id).state == "accepted"


def test_own_checkpoints_are_never_timed_before_their_entries(tmp_path: Path) -> None:
    us, _, clock = make_pair(tmp_path)
    (message,) = send_messages(us, ["prc-mnd"], [NewMessage("before the clock stepped back")])
    written = int(parse_time(message.time).timestamp())
    clock.advance(hours=-1)  # the host clock steps back after the entry was signed
    _, note = us.checkpoint_for("prc-mnd", 1)
    (own,) = find_cosignatures(Note.from_bytes(note))
    assert own.name == "us-dod"
    assert own.timestamp >= written
    assert own.timestamp > int(clock().timestamp())  # the clamp, not the clock, decided


def test_a_desk_check_left_unanswered_is_provable_and_its_answer_too(tmp_path: Path) -> None:
    us, prc, clock = make_pair(tmp_path)
    exchange(us, prc)
    clock.advance(seconds=5)
    (check,) = us.append("prc-mnd", [("desk.check", {"answer_within_seconds": 300}, ())])
    exchange(us, prc)
    clock.advance(minutes=6)
    exchange(us, prc)  # prc-mnd's log, timed after the deadline, with no answer in it
    proof = Prover(us).prove("unanswered", check.id)
    assert check_proof(proof, [us.peers.card(), prc.peers.card()]).claim == "unanswered"

    (answer,) = prc.append("us-dod", [("desk.answer", {"officer": "Lt. Chen"}, (check.id,))])
    exchange(us, prc)
    verdict = check_proof(Prover(us).prove("answer", check.id), [us.peers.card(), prc.peers.card()])
    assert verdict.answer_id == answer.id
    assert verdict.late is True
    # The silence stays proven for the checkpoint that showed it: the late answer came after.
    still = check_proof(
        Prover(us).prove("unanswered", check.id), [us.peers.card(), prc.peers.card()]
    )
    assert still.unanswered_as_of is not None
    assert still.unanswered_as_of <= parse_time(answer.time)
