"""The fold tables kept incrementally equal what ``rebuild`` regenerates from the transcript,
and both equal the core's whole-history folds, after random histories (design note 24).

Each example plays a random sequence of officer acts on two in-process nodes (messages,
acknowledgements, contact requests and their answers, explanations, notifications,
incidents, desk checks and their answers), deliveries in either direction, partial
deliveries, heartbeats, and a clock that moves forward and sometimes steps back.
"""

from __future__ import annotations

import contextlib
import itertools
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from openline.core.entry import Entry
from openline.core.hotline import fold_hotline
from openline.core.notices import fold_notices
from openline.core.obligations import DeliveryTimes
from openline.core.requests import fold_requests
from openline.node import reads
from openline.node.app import Node
from openline.node.errors import CommandError
from openline.node.hotline import NewMessage, acknowledge, send_messages
from openline.node.notices import NewActivity, NewIncident
from openline.node.request_commands import Answer, Explain, NewRequest, Official, Slot, Update
from openline.store import Store, schema
from pair import FakeClock, make_pair, pump

_runs = itertools.count()

ACTS = st.sampled_from(
    [
        "message",
        "ack",
        "request",
        "explain",
        "answer",
        "update",
        "read",
        "notify",
        "incident",
        "notice-ack",
        "desk-check",
        "pump",
        "pump-one",
        "heartbeat",
        "wait",
        "step-back",
    ]
)
STEP = st.tuples(ACTS, st.booleans(), st.integers(min_value=0, max_value=10_000))


def fold_tables(node: Node) -> dict[str, list[dict[str, Any]]]:
    tables = {}
    with node.store.read() as connection:
        for table in schema.CACHE_TABLES:
            rows = connection.execute(select(table).order_by(*table.primary_key.columns))
            tables[table.name] = [dict(row._mapping) for row in rows]
    return tables


def all_entries(node: Node) -> list[Entry]:
    with node.store.read() as connection:
        logs = Store.logs(connection)
    return [
        Entry.from_leaf(stored.leaf)
        for sender, recipient in logs
        for stored in node.store.entries(sender, recipient)
    ]


def deliveries(node: Node) -> dict[tuple[str, str], DeliveryTimes]:
    with node.store.read() as connection:
        return {
            (sender, recipient): DeliveryTimes(
                list(Store.receipt_firsts(connection, sender, recipient))
            )
            for sender, recipient in Store.logs(connection)
        }


def official(name: str) -> Official:
    return Official(name=name, title="Officer")


def play(us: Node, prc: Node, clock: FakeClock, steps: list[tuple[str, bool, int]]) -> None:
    nodes = {True: (us, prc), False: (prc, us)}
    for act, side, number in steps:
        me, other = nodes[side]
        received = [
            row for row in reads.log_page(me, other.party, 1000).items if row["direction"] == "in"
        ]
        own = [
            row for row in reads.log_page(me, other.party, 1000).items if row["direction"] == "out"
        ]

        def pick(
            kinds: tuple[str, ...], rows: list[dict[str, Any]], number: int = number
        ) -> str | None:
            chosen = [row["id"] for row in rows if row["kind"] in kinds]
            return chosen[number % len(chosen)] if chosen else None

        now = clock()
        with contextlib.suppress(CommandError):
            if act == "message":
                precedence = ("flash", "immediate", "priority", "routine")[number % 4]
                send_messages(me, [other.party], [NewMessage(f"m{number}", precedence)])
            elif act == "ack":
                target = pick(
                    ("hotline.message", "notify.activity", "notify.incident", "desk.check"),
                    received,
                )
                if target is not None:
                    acknowledge(me, target, f"officer {number}")
            elif act == "request":
                me.contacts.request(
                    NewRequest(
                        to=other.party,
                        format="phone-call",
                        level="working",
                        subject=f"r{number}",
                        from_official=official("A"),
                        to_official=official("B"),
                        slots=[
                            Slot(
                                start=now + timedelta(days=1), end=now + timedelta(days=1, hours=1)
                            )
                        ],
                        respond_by=now + timedelta(minutes=1 + number % 90),
                    )
                )
            elif act == "explain":
                me.contacts.explain(
                    Explain(to=other.party, subject=f"e{number}", text="why?", within_hours=1)
                )
            elif act == "answer":
                target = pick(("contact.request", "explain.request"), received)
                if target is not None:
                    view = me.contacts.view(target)
                    if view.kind == "explain.request":
                        answer = Answer(answer="reply", text="because")
                    else:
                        answer = [
                            Answer(answer="accept", slot=1),
                            Answer(answer="decline", reason="no"),
                            Answer(answer="defer", until=now + timedelta(minutes=5 + number % 60)),
                            Answer(
                                answer="counter",
                                slots=[
                                    Slot(
                                        start=now + timedelta(days=2),
                                        end=now + timedelta(days=2, hours=1),
                                    )
                                ],
                            ),
                        ][number % 4]
                    me.contacts.respond(target, answer)
            elif act == "update":
                target = pick(("contact.request",), own + received)
                if target is not None:
                    slot = Slot(start=now + timedelta(days=3), end=now + timedelta(days=3, hours=1))
                    me.contacts.update(
                        target,
                        [
                            Update(status="withdrawn", reason="changed"),
                            Update(status="cancelled", reason="changed"),
                            Update(status="held", summary="met"),
                            Update(status="scheduled", slot=slot),
                        ][number % 4],
                    )
            elif act == "read":
                target = pick(("contact.request", "explain.request"), received)
                if target is not None:
                    me.contacts.read(target, "reader")
            elif act == "notify":
                me.notices.send(
                    [other.party],
                    NewActivity(
                        activity="patrol",
                        title=f"n{number}",
                        participants=[me.party],
                        area={"type": "Point", "coordinates": [120.0, 20.0], "radius_nm": 5},
                        start=now + timedelta(hours=number % 72),
                        end=now + timedelta(days=4),
                        contact_channel="VHF 16",
                        ack_within_minutes=1 + number % 30,
                    ),
                )
            elif act == "incident":
                me.notices.send(
                    [other.party],
                    NewIncident(
                        time=now - timedelta(minutes=1),
                        position={"type": "Point", "coordinates": [114.0, 16.0]},
                        domain="air",
                        own_units=["P-8A"],
                        other_units=["J-11"],
                        category="unsafe-intercept",
                        description=f"i{number}",
                        ack_within_minutes=1 + number % 20,
                    ),
                )
            elif act == "notice-ack":
                target = pick(("notify.activity", "notify.incident", "desk.check"), received)
                if target is not None:
                    acknowledge(me, target, "watch")
            elif act == "desk-check":
                me.notices.desk_check([other.party])
        if act == "pump":
            pump(me, other)
        elif act == "pump-one":
            pump(me, other, limit=1)
        elif act == "heartbeat":
            pump(me, other, limit=0)
        elif act == "wait":
            clock.advance(seconds=30 + number * 3)
        elif act == "step-back":
            clock.advance(seconds=-(1 + number % 200))  # within the 300 s skew bound


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(STEP, min_size=5, max_size=45))
def test_incremental_folds_equal_rebuild_and_the_whole_history_folds(
    tmp_path: Path, steps: list[tuple[str, bool, int]]
) -> None:
    us, prc, clock = make_pair(tmp_path / f"run{next(_runs)}")
    try:
        play(us, prc, clock, steps)
        for node in (us, prc):
            live = fold_tables(node)
            node.rebuild()
            assert fold_tables(node) == live

            # ... and both equal the core's folds over the whole transcript at once.
            entries = all_entries(node)
            times = deliveries(node)
            requests = fold_requests(entries, times)
            assert {row["id"]: orjson.loads(row["view"]) for row in live["requests"]} == {
                request_id: view.to_dict() for request_id, view in requests.items()
            }
            notices = fold_notices(entries, times, node.config.minimum_lead_times())
            assert {
                row["id"]: (row["delivered_at"], row["due"], row["answer_id"], row["answered_by"])
                for row in live["notices"]
            } == {
                view.id: (view.delivered_at, view.due, view.answer_id, view.answered_by)
                for view in notices.values()
            }
            messages = fold_hotline(entries, node.config.ack_objectives(), times)
            assert {
                row["id"]: (row["delivered_at"], row["ack_due"], row["ack_id"])
                for row in live["messages"]
            } == {
                view.id: (view.delivered_at, view.ack_due, view.ack_id)
                for view in messages.values()
            }
            owed = {
                *(v.id for v in requests.values() if v.owed),
                *(v.id for v in notices.values() if v.answer_id is None),
                *(v.id for v in messages.values() if v.ack_id is None),
            }
            assert {row["id"] for row in live["open_items"]} == owed
    finally:
        us.close()
        prc.close()
