"""``openline verify``: what the incremental run (the mark's check, the new rows, the scrub)
and ``--full`` each find, on real SQLite files written by two in-process nodes and then
tampered with by hand."""

from __future__ import annotations

import base64
import dataclasses
import io
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import delete, func, insert, select, update

from openline.core.entry import Entry
from openline.core.errors import EntryError
from openline.core.keys import PrivateKey
from openline.core.merkle import Frontier, compact_range_coordinates
from openline.node import verify
from openline.node.app import Node
from openline.node.hotline import NewMessage, send_messages
from openline.node.verify import (
    MARK_DOMAIN,
    VerifyReport,
    forget_marks,
    last_verify,
    proven_marks,
    run_verify_command,
    verify_new,
    verify_store,
)
from openline.node.verify.entries import _parse_leaf, _signing_input
from openline.node.verify.marks import keys_digest, mark_message
from openline.store import audit, schema
from pair import FakeClock, make_pair, pump

US, PRC = "us-dod", "prc-mnd"


# --- helpers ---------------------------------------------------------------------------------


def traffic(us: Node, prc: Node, clock: FakeClock, messages: int, rounds: int = 1) -> None:
    """``rounds`` batches of ``messages`` from us-dod, each delivered, receipted and followed
    by a heartbeat; and one reply the other way per round."""
    for round_ in range(rounds):
        send_messages(us, [PRC], [NewMessage(f"m{round_}-{i}") for i in range(messages)])
        pump(us, prc)
        clock.advance(seconds=30)
        pump(us, prc)  # heartbeat: the same size cosigned again, later
        send_messages(prc, [US], [NewMessage(f"reply {round_}")])
        pump(prc, us)
        clock.advance(seconds=30)


def run(node: Node, **options: Any) -> VerifyReport:
    options.setdefault("key", node.key)
    return verify_store(node.store, node.peers.all_cards(), clock=node.clock, **options)


def check(node: Node, **options: Any) -> VerifyReport:
    report = run(node, **options)
    assert report.ok, report.problems
    return report


def only_problem(report: VerifyReport) -> str:
    assert not report.ok, "expected a problem"
    (problem,) = report.problems
    return problem


def entry_row(node: Node, sender: str, recipient: str, seq: int) -> Any:
    table = schema.entries
    with node.store.read() as connection:
        return connection.execute(
            select(table).where(
                table.c.log_sender == sender, table.c.log_recipient == recipient, table.c.seq == seq
            )
        ).one()


def set_entry(node: Node, sender: str, recipient: str, at: int, **values: Any) -> None:
    table = schema.entries
    with node.store.write() as connection:
        done = connection.execute(
            update(table)
            .where(
                table.c.log_sender == sender, table.c.log_recipient == recipient, table.c.seq == at
            )
            .values(**values)
        )
        assert done.rowcount == 1


def flip_leaf_byte(node: Node, sender: str, recipient: str, seq: int) -> str:
    """Change one letter of the entry's text; returns the entry's id."""
    row = entry_row(node, sender, recipient, seq)
    leaf = bytes(row.leaf)
    at = leaf.index(b'"text":"') + len(b'"text":"')
    altered = leaf[:at] + bytes([leaf[at] ^ 0x20]) + leaf[at + 1 :]
    set_entry(node, sender, recipient, seq, leaf=altered)
    return str(row.id)


def mark_row(node: Node, sender: str, recipient: str) -> audit.MarkRow:
    with node.store.read() as connection:
        mark = audit.read_mark(connection, sender, recipient)
    assert mark is not None
    return mark


def fill_nodes(node: Node, sender: str, recipient: str) -> int:
    """Store the log's interior Merkle nodes, as ``openline.store.tree`` does."""
    table = schema.merkle_nodes
    with node.store.read() as connection:
        size = audit.log_size(connection, sender, recipient)
        ids = [
            entry_id
            for chunk in audit.id_chunks(connection, sender, recipient, 0, size, 500)
            for _, entry_id in chunk
        ]
    frontier = Frontier()
    rows = []
    for entry_id in ids:
        for level, index, node_hash in frontier.append(bytes.fromhex(entry_id)):
            rows.append(
                {
                    "log_sender": sender,
                    "log_recipient": recipient,
                    "level": level,
                    "idx": index,
                    "hash": node_hash,
                }
            )
    with node.store.write() as connection:
        connection.execute(
            delete(table).where(table.c.log_sender == sender, table.c.log_recipient == recipient)
        )
        if rows:
            connection.execute(insert(table), rows)
    return len(rows)


def drop_nodes(node: Node) -> None:
    with node.store.write() as connection:
        connection.execute(delete(schema.merkle_nodes))


def set_node(
    node: Node, sender: str, recipient: str, level: int, index: int, value: bytes | None
) -> None:
    table = schema.merkle_nodes
    where = (
        table.c.log_sender == sender,
        table.c.log_recipient == recipient,
        table.c.level == level,
        table.c.idx == index,
    )
    with node.store.write() as connection:
        statement = delete(table) if value is None else update(table).values(hash=value)
        assert connection.execute(statement.where(*where)).rowcount == 1


def cosignature_rows(node: Node, sender: str, recipient: str) -> list[Any]:
    table = schema.cosignatures
    with node.store.read() as connection:
        return list(
            connection.execute(
                select(table)
                .where(table.c.log_sender == sender, table.c.log_recipient == recipient)
                .order_by(table.c.seen)
            )
        )


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[Node, Node, FakeClock]]:
    us, prc, clock = make_pair(tmp_path)
    yield us, prc, clock
    us.close()
    prc.close()


# --- the marks --------------------------------------------------------------------------------


def test_without_a_key_the_check_is_full_and_no_mark_is_written(nodes: Any) -> None:
    us, prc, clock = nodes
    traffic(us, prc, clock, 5, rounds=2)
    report = check(us, key=None)
    assert report.mode == "full"
    assert (report.entries, report.logs) == (12, 2)
    assert report.marks == {}
    with us.store.read() as connection:
        assert audit.read_marks(connection) == []


def test_marks_advance_and_rows_added_after_a_mark_are_checked_next_time(nodes: Any) -> None:
    us, prc, clock = nodes
    traffic(us, prc, clock, 5)
    first = check(us)
    assert first.mode == "incremental"
    assert first.entries == 6  # no mark yet: every entry of both logs
    mark = first.marks[f"{US}→{PRC}"]
    assert (mark.size, mark.checkpoint_size) == (5, 5)
    assert mark.checkpoint_cosigner is not None
    assert mark.checkpoint_time is not None
    shown = first.to_json()["marks"][f"{US}→{PRC}"]  # type: ignore[index]
    assert shown["checkpoint"]["size"] == 5
    assert shown["checkpoint"]["time"].endswith("Z")

    traffic(us, prc, clock, 7)
    second = check(us, scrub_budget=0)
    assert second.entries == 8  # only what is new: 7 + 1 reply
    assert second.marks[f"{US}→{PRC}"].size == 12
    assert second.marks[f"{PRC}→{US}"].size == 2
    assert mark_row(us, US, PRC).cosignatures_seen > 0

    # A new entry altered after it was stored but before the next run is found at once.
    send_messages(us, [PRC], [NewMessage("late")])
    entry_id = flip_leaf_byte(us, US, PRC, 12)
    problem = only_problem(run(us, scrub_budget=0))
    assert problem == (
        f"entry {US}→{PRC} seq 12 (id {entry_id[:16]}…): stored bytes do not hash to the "
        "entry id (altered)"
    )
    # A failed log loses its mark: the next run checks it from its first entry, so the
    # problem, once found, stays found until the row is mended.
    with us.store.read() as connection:
        assert audit.read_mark(connection, US, PRC) is None
    assert only_problem(run(us, scrub_budget=0)) == problem
    assert last_verify(us.store) == {
        "ok": False,
        "mode": "incremental",
        "at": last_verify(us.store)["at"],  # type: ignore[index]
        "problem": problem,
    }


def test_a_forged_mark_is_found_by_the_marks_check(nodes: Any) -> None:
    us, prc, clock = nodes
    traffic(us, prc, clock, 6)
    check(us)
    table = schema.verified_marks
    with us.store.write() as connection:
        connection.execute(
            update(table)
            .where(table.c.log_sender == US, table.c.log_recipient == PRC)
            .values(size=9, root=b"\x07" * 32)
        )
    assert (US, PRC) not in proven_marks(us.store, us.peers.all_cards(), us.key)
    assert (PRC, US) in proven_marks(us.store, us.peers.all_cards(), us.key.public_key)
    # --full reports it once, and replaces it with a mark of its own.
    assert "signature does not verify" in only_problem(run(us, full=True))
    check(us)
    assert mark_row(us, US, PRC).size == 6
    # An incremental run finds a forged mark too, and drops it: the next run checks the
    # log from its first entry and marks it again.
    with us.store.write() as connection:
        connection.execute(
            update(table)
            .where(table.c.log_sender == US, table.c.log_recipient == PRC)
            .values(size=9, root=b"\x07" * 32)
        )
    problem = only_problem(run(us))
    assert problem.startswith(
        f"verified mark of log {US}→{PRC} (size 9): signature does not verify"
    )
    check(us)
    assert mark_row(us, US, PRC).size == 6


def test_a_mark_signed_by_another_key_does_not_count(nodes: Any) -> None:
    us, prc, clock = nodes
    traffic(us, prc, clock, 3)
    check(us)
    assert proven_marks(us.store, us.peers.all_cards(), PrivateKey.generate()) == {}
    assert "signature does not verify" in only_problem(run(us, key=PrivateKey.generate()))


def test_the_mark_signs_a_domain_separated_text(nodes: Any) -> None:
    us, prc, clock = nodes
    traffic(us, prc, clock, 2)
    check(us)
    row = mark_row(us, US, PRC)
    message = mark_message(row, keys_digest(us.peers.all_cards(), US, PRC))
    assert message.startswith(MARK_DOMAIN.encode())
    for other in (b"{", b"openline/", b"cosignature/v1\n", b"openline-fed/v1\n"):
        assert not message.startswith(other)
    assert us.key.public_key.verify(message, row.signature)


def test_a_replaced_card_invalidates_the_mark_until_it_is_forgotten(nodes: Any) -> None:
    us, prc, clock = nodes
    traffic(us, prc, clock, 3)
    check(us)
    cards = us.peers.all_cards()
    rotated = dict(cards)
    from dataclasses import replace as replace_card

    rotated[PRC] = replace_card(cards[PRC], previous_key=PrivateKey.generate().public_key)
    report = verify_store(us.store, rotated, key=us.key)
    assert "signature does not verify" in only_problem(report)
    # The failed log lost its mark; the other one is forgotten on purpose.
    assert forget_marks(us.store, PRC) == 1
    assert verify_store(us.store, rotated, key=us.key).ok


# --- what the mark's check finds at once -------------------------------------------------------


def test_a_deleted_or_moved_entry_below_the_mark_is_found_by_the_marks_check(nodes: Any) -> None:
    us, prc, clock = nodes
    traffic(us, prc, clock, 8)
    check(us)
    set_entry(us, US, PRC, 3, seq=100)  # moved past the end
    problem = only_problem(run(us, scrub_budget=0))
    assert problem == (
        f"verified mark of log {US}→{PRC} (size 8): 1 of the entries below it are missing "
        "(deleted or moved)"
    )
    set_entry(us, US, PRC, 100, seq=3)
    check(us, scrub_budget=0)
    table = schema.entries
    with us.store.write() as connection:
        connection.execute(
            delete(table).where(
                table.c.log_sender == US, table.c.log_recipient == PRC, table.c.seq == 5
            )
        )
    assert "missing (deleted or moved)" in only_problem(run(us, scrub_budget=0))
    assert "the log has a hole" in only_problem(run(us, full=True))


def test_a_changed_id_is_found_by_the_marks_check_while_nodes_are_not_stored(nodes: Any) -> None:
    us, prc, clock = nodes
    traffic(us, prc, clock, 8)
    drop_nodes(us)  # as in a store written before migration 0006, not yet filled in
    check(us)
    set_entry(us, US, PRC, 2, id="ab" * 32)  # the root is recomputed from the stored ids
    problem = only_problem(run(us, scrub_budget=0))
    assert problem.startswith(f"verified mark of log {US}→{PRC} (size 8): root does not match")
    full = only_problem(run(us, full=True))
    assert full == (
        f"entry {US}→{PRC} seq 2 (id {'ab' * 8}…): stored bytes do not hash to the entry id "
        "(altered)"
    )


def test_stored_nodes_are_checked_against_the_leaves(nodes: Any) -> None:
    us, prc, clock = nodes
    traffic(us, prc, clock, 12)  # 12 = 8 + 4: the mark's root is two stored nodes
    assert fill_nodes(us, US, PRC) == 12 - 2
    check(us)
    assert compact_range_coordinates(12) == [(3, 0), (2, 2)]

    # On the path of the mark's root: found by the mark's check at once.
    set_node(us, US, PRC, 3, 0, b"\x01" * 32)
    problem = only_problem(run(us, scrub_budget=0))
    assert problem.startswith(f"verified mark of log {US}→{PRC} (size 12): root does not match")
    assert only_problem(run(us, full=True)) == (
        f"merkle node level 3 index 0 of log {US}→{PRC}: does not match the entries "
        "(proofs are built from it)"
    )
    fill_nodes(us, US, PRC)
    check(us, scrub_budget=0)

    # Off that path: not seen by the mark's check, found by the scrub and by --full.
    set_node(us, US, PRC, 1, 4, b"\x02" * 32)
    assert run(us, scrub_budget=0).ok
    assert "merkle node level 1 index 4" in only_problem(run(us, scrub_budget=100))
    assert "merkle node level 1 index 4" in only_problem(run(us, full=True))

    # A missing node, where the stored nodes reach, is a problem; none stored is not.
    fill_nodes(us, US, PRC)
    set_node(us, US, PRC, 2, 0, None)
    assert only_problem(run(us, full=True)) == (
        f"merkle node level 2 index 0 of log {US}→{PRC}: missing (proofs are built from it)"
    )
    drop_nodes(us)
    check(us, full=True)
    check(us)


def test_the_proven_checkpoint_is_rechecked_by_the_marks_check(nodes: Any) -> None:
    us, prc, clock = nodes
    traffic(us, prc, clock, 4, rounds=2)
    check(us)
    table = schema.checkpoints
    with us.store.write() as connection:
        connection.execute(
            update(table)
            .where(table.c.log_sender == US, table.c.log_recipient == PRC, table.c.size == 8)
            .values(root=b"\x05" * 32)
        )
    assert only_problem(run(us, scrub_budget=0)) == (
        f"checkpoint {US}→{PRC} size 8: indexed size or root differ from the signed note"
    )


# --- the scrub and --full -------------------------------------------------------------------


def test_tampering_below_the_mark_is_found_by_full_and_within_the_predicted_scrub_runs(
    nodes: Any,
) -> None:
    us, prc, clock = nodes
    traffic(us, prc, clock, 40)
    check(us)
    entry_id = flip_leaf_byte(us, US, PRC, 33)
    expected = (
        f"entry {US}→{PRC} seq 33 (id {entry_id[:16]}…): stored bytes do not hash to the entry "
        "id (altered)"
    )
    # Not part of the mark's check (the ids and the root are intact)...
    assert run(us, scrub_budget=0).ok
    # ...always found by --full...
    assert only_problem(run(us, full=True)) == expected
    # ...and by the scrub, 10 old entries a run, within ceil(40 / 10) runs.
    budget, size = 10, 40
    runs = 0
    while True:
        runs += 1
        report = run(us, scrub_budget=budget)
        if not report.ok:
            assert report.problems == [expected]
            break
        assert runs < math.ceil(size / budget), "the scrub missed the altered entry"
    assert runs <= math.ceil(size / budget)
    # Found once, it stays found: the log lost its mark, and is checked from the start.
    assert run(us, scrub_budget=0).problems == [expected]


def test_the_scrub_cycles_through_the_log(nodes: Any) -> None:
    us, prc, clock = nodes
    traffic(us, prc, clock, 25)
    check(us)
    starts = []
    for _ in range(4):
        start = mark_row(us, US, PRC).scrub_next
        starts.append(start)
        report = check(us, scrub_budget=10)
        # Up to 10 old entries of us-dod's log, and the 1-entry reply log whole.
        assert report.entries == min(10, 25 - start) + 1
    assert starts == [0, 10, 20, 0]


def test_a_bad_signature_is_found_by_full_with_todays_message(nodes: Any) -> None:
    us, prc, clock = nodes
    traffic(us, prc, clock, 3)
    fill_nodes(us, US, PRC)
    check(us)
    row = entry_row(us, US, PRC, 1)
    obj = orjson.loads(row.leaf)
    obj["body"]["text"] = "forged"
    forged = Entry.from_json(obj)  # well formed, signature copied from another text
    set_entry(us, US, PRC, 1, leaf=forged.leaf, id=forged.id)
    assert only_problem(run(us, full=True)) == (
        f"entry {US}→{PRC} seq 1 (id {forged.id[:16]}…): signature does not verify under {US}'s key"
    )
    # The scrub finds it too (3 entries: each run re-checks all of them).
    assert only_problem(run(us)) == only_problem(run(us, full=True))


def test_checkpoint_and_cosignature_rows_are_checked(nodes: Any) -> None:
    us, prc, clock = nodes
    traffic(us, prc, clock, 4)
    check(us)
    # A heartbeat after the mark adds a cosignature of the marked size: checked by seen.
    pump(us, prc)
    newest = cosignature_rows(us, US, PRC)[-1]
    table = schema.cosignatures
    line = newest.line
    altered = line[:-6] + ("A" if line[-6] != "A" else "B") + line[-5:]
    with us.store.write() as connection:
        connection.execute(
            update(table)
            .where(table.c.seen == newest.seen, table.c.log_sender == US)
            .values(line=altered)
        )
    problem = only_problem(run(us, scrub_budget=0))
    assert problem.startswith(f"cosignature by {newest.cosigner} of {US}→{PRC} size 4 at ")
    assert problem.endswith(": does not verify")
    assert only_problem(run(us, full=True)) == problem


def test_a_checkpoint_beyond_the_entries_is_found(nodes: Any) -> None:
    us, prc, clock = nodes
    traffic(us, prc, clock, 4)
    check(us)
    table = schema.entries
    with us.store.write() as connection:
        connection.execute(
            delete(table).where(
                table.c.log_sender == US, table.c.log_recipient == PRC, table.c.seq == 3
            )
        )
    assert only_problem(run(us, full=True)) == (
        f"checkpoint {US}→{PRC} size 4: beyond the 3 entries held"
    )


def test_compacted_heartbeat_cosignatures_are_not_a_problem(nodes: Any) -> None:
    us, prc, clock = nodes
    traffic(us, prc, clock, 5, rounds=2)
    for _ in range(3):
        pump(us, prc)  # idle heartbeats
        clock.advance(seconds=30)
    check(us)
    rows = cosignature_rows(us, US, PRC)
    sizes = [row.size for row in rows]
    redundant = [row for row in rows if sizes.count(row.size) > 2][:-2]
    assert redundant
    table = schema.cosignatures
    with us.store.write() as connection:
        for row in redundant:
            connection.execute(
                delete(table).where(
                    table.c.log_sender == US,
                    table.c.log_recipient == PRC,
                    table.c.size == row.size,
                    table.c.cosigner == row.cosigner,
                    table.c.timestamp == row.timestamp,
                )
            )
    check(us)
    check(us, full=True)
    pump(us, prc)
    check(us)


def test_a_smaller_checkpoint_stored_later_is_checked(nodes: Any) -> None:
    us, prc, clock = nodes
    traffic(us, prc, clock, 6)
    check(us)
    # A resend after a gap: a checkpoint of an older size, stored after the mark.
    checkpoint, note = us.checkpoint_for(PRC, 3)
    with us.store.write() as connection:
        us.store.insert_checkpoint(connection, US, PRC, checkpoint, note)
    check(us, scrub_budget=0)
    other_checkpoint, other_note = us.checkpoint_for(PRC, 2)
    table = schema.checkpoints
    with us.store.write() as connection:
        us.store.insert_checkpoint(connection, US, PRC, other_checkpoint, other_note)
        connection.execute(
            update(table)
            .where(table.c.log_sender == US, table.c.size == 2)
            .values(note=note.replace(b"\n3\n", b"\n2\n"))
        )
    assert only_problem(run(us, scrub_budget=0)).startswith(f"checkpoint {US}→{PRC} size 2: ")


def test_forgetting_marks_checks_again_from_the_first_entry(nodes: Any) -> None:
    us, prc, clock = nodes
    traffic(us, prc, clock, 5)
    check(us)
    assert check(us, scrub_budget=0).entries == 0
    assert forget_marks(us.store) == 2
    assert check(us, scrub_budget=0).entries == 6


def test_the_receivers_mirror_is_verified_too(nodes: Any) -> None:
    us, prc, clock = nodes
    traffic(us, prc, clock, 5)
    report = check(prc)
    assert set(report.marks) == {f"{US}→{PRC}", f"{PRC}→{US}"}
    entry_id = flip_leaf_byte(prc, US, PRC, 2)
    assert only_problem(run(prc)).endswith(
        f"seq 2 (id {entry_id[:16]}…): stored bytes do not hash to the entry id (altered)"
    )


# --- the worker processes ---------------------------------------------------------------------


def test_worker_processes_find_the_same_as_this_process(nodes: Any) -> None:
    us, prc, clock = nodes
    traffic(us, prc, clock, 30, rounds=2)
    seen: list[tuple[int, int, str]] = []
    pooled = check(
        us,
        full=True,
        workers=2,
        pool_threshold=0,
        chunk=7,
        progress=lambda done, total, log: seen.append((done, total, log)),
    )
    assert pooled.workers == 2
    alone = check(us, full=True, workers=1)
    assert (pooled.entries, pooled.checkpoints, pooled.cosignatures) == (
        alone.entries,
        alone.checkpoints,
        alone.cosignatures,
    )
    assert seen[-1][0] == seen[-1][1] == 62
    assert [done for done, _, _ in seen] == sorted(done for done, _, _ in seen)
    entry_id = flip_leaf_byte(us, US, PRC, 45)
    problem = only_problem(run(us, full=True, workers=2, pool_threshold=0, chunk=7))
    assert problem == (
        f"entry {US}→{PRC} seq 45 (id {entry_id[:16]}…): stored bytes do not hash to the entry "
        "id (altered)"
    )


def test_the_fast_parse_agrees_with_entry_from_leaf(nodes: Any) -> None:
    us, prc, clock = nodes
    traffic(us, prc, clock, 5)
    leaf = bytes(entry_row(us, US, PRC, 0).leaf)
    entry = Entry.from_leaf(leaf)
    assert _parse_leaf(leaf) == entry
    assert _signing_input(entry) == entry.signing_input()
    spaced = leaf.replace(b'","', b'", "', 1)
    reordered = orjson.dumps(dict(reversed(orjson.loads(leaf).items())))
    for bad in (b"not json", b"[]", spaced, reordered, leaf[:-1], leaf + b" ", b'{"a":1.5}'):
        with pytest.raises(EntryError):
            Entry.from_leaf(bad)
        with pytest.raises(EntryError):
            _parse_leaf(bad)
    # The cut takes the top-level member: the last one, right before "time". A nested
    # "sig" member with the same value (no kind's body allows one; built by hand here) is
    # left in place, and anything that does not look as expected falls back to re-encoding.
    member = b',"sig":"' + base64.b64encode(entry.signature) + b'"'
    nested = leaf.replace(b'{"lang":', b'{"x":{"a":1' + member + b',"time":1},"lang":', 1)
    assert nested.count(member) == 2
    crafted = dataclasses.replace(entry, leaf=nested)
    assert _signing_input(crafted) == nested.replace(member + b',"time":"', b',"time":"')
    odd = dataclasses.replace(entry, leaf=leaf.replace(member, b""))
    assert _signing_input(odd) == entry.signing_input()


# --- reports, pages, background, command line -----------------------------------------------------


def test_proven_marks_read_no_entry(nodes: Any) -> None:
    us, prc, clock = nodes
    traffic(us, prc, clock, 5)
    check(us)
    with us.store.write() as connection:
        connection.execute(update(schema.entries).values(leaf=b"gone"))
    marks = proven_marks(us.store, us.peers.all_cards(), us.key)
    assert marks[(US, PRC)].size == 5
    assert marks[(US, PRC)].to_json()["checkpoint"]["size"] == 5


def test_verify_new_keeps_the_marks_current(nodes: Any) -> None:
    us, prc, clock = nodes
    traffic(us, prc, clock, 5)
    report = verify_new(us.store, us.peers.all_cards(), us.key, budget=2)
    assert report.ok
    assert report.workers == 1
    traffic(us, prc, clock, 3)
    assert verify_new(us.store, us.peers.all_cards(), us.key, budget=0).entries == 4
    assert last_verify(us.store)["ok"] is True  # type: ignore[index]


def test_the_old_callers_still_work(nodes: Any) -> None:
    us, prc, clock = nodes
    traffic(us, prc, clock, 2)
    logs: list[str] = []
    report = verify_store(us.store, us.peers.all_cards(), logs.append)
    assert report.ok
    assert logs == [f"{PRC}→{US}", f"{US}→{PRC}"]
    assert set(report.to_json()) >= {
        "ok",
        "logs",
        "entries",
        "checkpoints",
        "cosignatures",
        "problems",
    }
    assert verify.logs_to_verify(us.store, us.peers.all_cards()) == [(PRC, US), (US, PRC)]


def test_run_verify_command(nodes: Any) -> None:
    us, prc, clock = nodes
    traffic(us, prc, clock, 3)
    out, err = io.StringIO(), io.StringIO()
    assert run_verify_command(us, full=False, as_json=False, out=out, err=err) == 0
    assert out.getvalue().startswith("ok: 2 logs, 4 entries, ")
    assert "(incremental, " in out.getvalue()
    assert f"{US}→{PRC}: proven up to checkpoint 3 at 2026-11-29T08:" in out.getvalue()
    assert err.getvalue() == ""
    flip_leaf_byte(us, US, PRC, 0)
    out, err = io.StringIO(), io.StringIO()
    assert run_verify_command(us, full=True, as_json=True, out=out, err=err) == 1
    shown = orjson.loads(out.getvalue())
    assert shown["ok"] is False
    assert shown["mode"] == "full"
    assert err.getvalue().startswith(f"verify failed: entry {US}→{PRC} seq 0 ")


def test_an_empty_store_verifies(tmp_path: Path) -> None:
    us, prc, _ = make_pair(tmp_path)
    report = check(us)
    assert (report.logs, report.entries) == (0, 0)
    assert check(us, full=True).marks == {}
    with us.store.read() as connection:
        assert (
            connection.execute(select(func.count()).select_from(schema.verified_marks)).scalar()
            == 0
        )
    us.close()
    prc.close()
