"""An idle link's heartbeats add a bounded number of rows, and keep what evidence needs
(design note 26): the first receipt of every size, the latest, and whatever a proof used."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from openline.core.proofs import check_proof
from openline.node import reads
from openline.node.app import Node
from openline.node.hotline import NewMessage, send_messages
from openline.node.proving import Prover
from openline.store import schema
from pair import FakeClock, make_pair, pump


def rows(node: Node) -> dict[str, int]:
    with node.store.read() as connection:
        return {
            table.name: int(
                connection.execute(select(func.count()).select_from(table)).scalar() or 0
            )
            for table in (schema.checkpoints, schema.cosignatures)
        }


def heartbeat(a: Node, b: Node, clock: FakeClock, times: int) -> None:
    for _ in range(times):
        clock.advance(seconds=30)
        pump(a, b, limit=0)
        pump(b, a, limit=0)


def test_idle_heartbeats_stop_adding_rows_after_the_first_few(tmp_path: Path) -> None:
    us, prc, clock = make_pair(tmp_path)
    send_messages(us, ["prc-mnd"], [NewMessage("before the silence")])
    pump(us, prc)
    heartbeat(us, prc, clock, 5)
    settled = {node.party: rows(node) for node in (us, prc)}
    heartbeat(us, prc, clock, 200)  # 100 minutes of an idle line
    assert {node.party: rows(node) for node in (us, prc)} == settled
    # What a row count cannot show: the latest heartbeat is still there, so the line is
    # shown up (and, for a self-timed checkpoint, the log unchanged) as late as it was.
    latest = us.store.latest_cosignature_time("us-dod", "prc-mnd", "prc-mnd")
    assert latest == int(clock().timestamp())


def test_the_first_receipt_of_each_size_survives_compaction(tmp_path: Path) -> None:
    us, prc, clock = make_pair(tmp_path)
    (first,) = send_messages(us, ["prc-mnd"], [NewMessage("one")])
    pump(us, prc)
    delivered = reads.message(us, first.id)
    assert delivered is not None
    heartbeat(us, prc, clock, 50)
    (second,) = send_messages(us, ["prc-mnd"], [NewMessage("two")])
    pump(us, prc)
    heartbeat(us, prc, clock, 50)
    # Delivery times are unchanged by compaction, and a delivery proof still shows the
    # first receipt, for either message.
    assert reads.message(us, first.id) == delivered
    prover = Prover(us)
    for entry in (first, second):
        verdict = check_proof(
            prover.prove("delivery", entry.id), list(us.peers.all_cards().values())
        )
        shown = reads.message(us, entry.id)
        assert shown is not None
        assert verdict.entry_id == entry.id
        assert verdict.to_json()["delivered_at"] == shown["delivered_at"]
    counted = rows(us)
    heartbeat(us, prc, clock, 20)
    assert rows(us) == counted


def test_a_cosignature_a_proof_used_is_kept(tmp_path: Path) -> None:
    us, prc, clock = make_pair(tmp_path)
    request = us.contacts.request(_request(clock))
    pump(us, prc)
    clock.advance(minutes=31)  # past the deadline; prc-mnd stays silent
    heartbeat(us, prc, clock, 3)
    proof = Prover(us).prove("unanswered", request.id)
    heartbeat(us, prc, clock, 30)
    # The same proof can be made again: its cosignatures were kept as evidence.
    assert Prover(us).prove("unanswered", request.id) == proof


def _request(clock: FakeClock):  # type: ignore[no-untyped-def]
    from openline.node.request_commands import NewRequest, Official, Slot

    now = clock()
    return NewRequest(
        to="prc-mnd",
        format="phone-call",
        level="working",
        subject="Silence",
        from_official=Official(name="A", title="Officer"),
        to_official=Official(name="B", title="Officer"),
        slots=[Slot(start=now + timedelta(days=1), end=now + timedelta(days=1, hours=1))],
        respond_by=now + timedelta(minutes=30),
    )
