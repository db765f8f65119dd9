"""Build big two-party histories for the history benchmark (issue 11) with the node's own code.

Two data folders are made by the real command line (``openline init``, ``openline card``,
``openline peer add``), then opened in this one process as ``Node.open(home, clock=sim)`` on a
shared simulated clock. Traffic is signed and stored by the application commands and by
``Node.append_to_many`` (for the bulk: hotline messages and their acknowledgements), and is
delivered exactly as the sender loop does it over HTTP: the stored leaves go to the peer's
``receive_batch`` in batches of up to 1000 entries under ``checkpoint_for``, and the peer's
cosignature comes back through ``record_receipt``. Every entry is thus signed, validated at
the peer's door, cosigned and projected by today's code.

The simulated clock moves one hour per *round*, and a million entries span about a year
(~114 entries an hour, both directions together). Each round, each side:

* at the top of the hour: a desk check on the node's cadence, ~28 hotline messages, now and
  then an activity notification, an incident report, a contact request or a request for
  explanation, and the answers the plan has due (accept, decline, counter, defer, late
  answers; scheduled / held / cancelled / withdrawn updates); everything is delivered;
* three minutes later: acknowledgements of most messages just received (some come an hour
  late, some never), desk check answers (most; a few late, a few never), notification
  acknowledgements and read receipts; everything is delivered again;
* at half past: a heartbeat each way (an empty batch, checkpoint and cosignatures).

``--answers commands`` (the default) answers through the application commands
(``hotline.acknowledge``, ``contacts.read/respond/update``), each of which folds every
request or every notice again first; ``--answers direct`` appends the same bodies in the
bulk batch instead (the core still validates and signs each), for histories where the folds
are too slow.

Builds are cached in ``benchmarks/.cache/history-<N>-<fingerprint>`` (the fingerprint
covers the store's migrations, the cache version and this builder), built under a temporary
name and renamed when complete. While building, SQLite runs with ``synchronous=OFF`` (the
content is the same; ``--durable`` keeps the node's FULL).

    .venv/bin/python benchmarks/history_build.py --size 10000 [--answers direct] [--rebuild]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import event

from openline.core.entry import Entry
from openline.core.link import Accepted, Duplicate
from openline.core.timefmt import format_time
from openline.node import projections
from openline.node.app import Node
from openline.node.errors import CommandError
from openline.node.home import NodeHome
from openline.node.hotline import NewMessage, acknowledge
from openline.node.notices import NewActivity, NewIncident
from openline.node.request_commands import (
    Answer,
    Explain,
    NewRequest,
    Official,
    Slot,
    Update,
    UpdateStatus,
)

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / "benchmarks" / ".cache"
OPENLINE = [sys.executable, "-m", "openline.cli"]
A, B = "alpha", "bravo"
BUILDER_VERSION = "1"  # bump when the traffic plan changes
ROUND = timedelta(hours=1)
MESSAGES_PER_ROUND = 28  # per side; with the rest, ~114 entries a round in the link
ENTRIES_PER_ROUND = 114.0  # what the plan below adds per round, both directions (measured)
SEND_BATCH = 1000  # entries per federation batch (the receiver's max_batch_entries)

Item = tuple[str, dict[str, Any], tuple[str, ...]]

PRECEDENCES = ("routine", "priority", "immediate", "flash")
PRECEDENCE_WEIGHTS = (70, 20, 8, 2)
OFFICERS = {A: ("Cdr. J. Miller", "Lt. K. Osei", "Maj. R. Alvarez"), B: ("Col. Li", "Lt. Chen")}
WORDS = (
    "request confirmation of the vessel's course and speed near the agreed line; "
    "our patrol aircraft will keep the published separation; "
    "please acknowledge the change of watch officer at the desk; "
    "the exercise area notified last week is now active until further notice; "
    "we propose a call between the duty officers to discuss the close approach; "
    "weather forces a delay of the scheduled transit by six hours; "
    "the unmanned aircraft reported earlier has returned to base; "
    "radio checks on the backup channel were completed without fault; "
)
PATROL_AREA = {
    "type": "Polygon",
    "coordinates": [
        [[125.5, 24.5], [131.0, 24.5], [132.5, 27.0], [131.0, 29.0], [125.5, 29.0], [125.5, 24.5]]
    ],
}


def say(text: str = "") -> None:
    print(text, flush=True)


# --- the cache -----------------------------------------------------------------------------


def schema_fingerprint() -> str:
    """The store's migrations, the cache version and this builder's plan: a cached history
    made by another schema is not reused (it would be migrated, not built, by today's code)."""
    import openline.store

    versions = Path(openline.store.__file__).parent / "migrations" / "versions"
    digest = hashlib.sha256(BUILDER_VERSION.encode())
    for path in sorted(versions.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    digest.update(projections.CACHE_VERSION.encode())
    return digest.hexdigest()[:12]


def cache_path(size: int) -> Path:
    return CACHE / f"history-{size}-{schema_fingerprint()}"


@dataclass
class Built:
    """A cached history: ``root`` holds ``alpha/``, ``bravo/``, their cards and build.json."""

    root: Path
    info: dict[str, Any]

    @property
    def size(self) -> int:
        return int(self.info["size"])


def load_built(root: Path) -> Built | None:
    info_path = root / "build.json"
    if not info_path.exists():
        return None
    return Built(root, json.loads(info_path.read_text()))


def ensure_history(
    size: int, *, rebuild: bool = False, answers: str = "commands", durable: bool = False
) -> Built:
    """The cached history of ``size`` entries, built first when missing (or ``rebuild``)."""
    target = cache_path(size)
    if not rebuild:
        found = load_built(target)
        if found is not None:
            return found
    CACHE.mkdir(parents=True, exist_ok=True)
    work = CACHE / f".building-{target.name}-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    info = build(work, size, answers=answers, durable=durable)
    (work / "build.json").write_text(json.dumps(info, indent=2) + "\n")
    if target.exists():
        shutil.rmtree(target)
    work.rename(target)
    return Built(target, info)


# --- the simulated clock and the nodes -------------------------------------------------------


@dataclass
class SimClock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = moment


def cli(*args: str | Path) -> str:
    result = subprocess.run(
        [*OPENLINE, *(str(arg) for arg in args)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        words = " ".join(str(arg) for arg in args)
        raise RuntimeError(f"openline {words} exited {result.returncode}: {result.stderr}")
    return result.stdout


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_folders(root: Path) -> None:
    """Two nodes exactly as operators make them, each pinning the other's card."""
    root.mkdir(parents=True)
    for party, name in ((A, "Alpha"), (B, "Bravo")):
        port = free_port()
        cli("init", root / party, "--party", party, "--name", name, "--listen", f"127.0.0.1:{port}")
        cli("card", root / party, "--out", root / f"{party}.card.json")
    cli("peer", "add", root / A, root / f"{B}.card.json")
    cli("peer", "add", root / B, root / f"{A}.card.json")


def relax_durability(node: Node) -> None:
    """``synchronous=OFF`` on the node's connections from now on (after the node's own
    pragmas, which set FULL): a build need not wait for the disk at every commit."""
    engine = node.store.engine
    engine.dispose()

    def pragma(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA synchronous=OFF")

    event.listen(engine, "connect", pragma)


# --- timing of where the build's time goes -------------------------------------------------


@dataclass
class Costs:
    """Seconds and calls per operation, overall and per tenth of the build."""

    total: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    tenths: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    tenth: int = 0
    refused: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @contextmanager
    def timed(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            seconds = time.perf_counter() - started
            self.total[name] += seconds
            self.calls[name] += 1
            per = self.tenths.setdefault(name, [(0, 0.0)] * 10)
            calls, spent = per[self.tenth]
            per[self.tenth] = (calls + 1, spent + seconds)

    def to_json(self) -> dict[str, Any]:
        rows = {}
        for name in sorted(self.total, key=lambda n: -self.total[n]):
            per = self.tenths.get(name, [])
            rows[name] = {
                "seconds": round(self.total[name], 3),
                "calls": self.calls[name],
                "mean_ms": round(1000 * self.total[name] / max(1, self.calls[name]), 3),
                "mean_ms_by_tenth": [
                    None if calls == 0 else round(1000 * spent / calls, 3) for calls, spent in per
                ],
            }
        return {"operations": rows, "refused": dict(self.refused)}


# --- the traffic plan ----------------------------------------------------------------------

Command = tuple[str, Callable[[], Any]]  # a name for the cost table, and the call


@dataclass
class Agenda:
    """What each side does in a coming phase: commands, run one by one, and items appended
    together in one bulk batch. Keyed by (round, phase): phase 0 at the top of the hour,
    phase 1 three minutes later (after the first delivery)."""

    commands: dict[tuple[int, int, str], list[Command]] = field(
        default_factory=lambda: defaultdict(list)
    )
    items: dict[tuple[int, int, str], list[Item]] = field(default_factory=lambda: defaultdict(list))

    def command(self, at: tuple[int, int], side: str, name: str, call: Callable[[], Any]) -> None:
        self.commands[(at[0], at[1], side)].append((name, call))

    def item(self, at: tuple[int, int], side: str, item: Item) -> None:
        self.items[(at[0], at[1], side)].append(item)

    def take(self, at: tuple[int, int], side: str) -> tuple[list[Command], list[Item]]:
        key = (at[0], at[1], side)
        return self.commands.pop(key, []), self.items.pop(key, [])


class Plan:
    """The mix of traffic between the two nodes, drawn from a seeded random generator."""

    def __init__(
        self, nodes: dict[str, Node], clock: SimClock, start: datetime, direct: bool, seed: int
    ) -> None:
        self.nodes = nodes
        self.clock = clock
        self.start = start
        self.direct = direct
        self.rng = random.Random(seed)
        self.agenda = Agenda()
        self.costs = Costs()
        self.round = 0
        self.kinds: dict[str, int] = defaultdict(int)
        self.first_message: str | None = None  # alpha→bravo, for ``prove delivery``
        self.last_message: str | None = None

    # -- helpers --

    @staticmethod
    def other(side: str) -> str:
        return B if side == A else A

    def officer(self, side: str) -> str:
        return self.rng.choice(OFFICERS[side])

    def top(self, round_: int) -> datetime:
        return self.start + round_ * ROUND

    def text(self, low: int = 40, high: int = 600) -> str:
        length = self.rng.randint(low, high)
        offset = self.rng.randrange(len(WORDS))
        doubled = WORDS * (high // len(WORDS) + 2)
        return doubled[offset : offset + length].strip() or "radio check"

    def run(self, side: str, name: str, call: Callable[[], Any]) -> Any:
        """An application command, timed; a refusal is counted (the plan got ahead of the
        state the fold computes) and the build goes on."""
        with self.costs.timed(name):
            try:
                return call()
            except CommandError as error:
                self.costs.refused[f"{name}: {error.code}"] += 1
                return None

    def answer(
        self, at: tuple[int, int], side: str, name: str, call: Callable[[], Any], item: Item
    ) -> None:
        """An answer by ``side``: its application command, or in direct mode the same body
        appended with the bulk."""
        if self.direct:
            self.agenda.item(at, side, item)
        else:
            self.agenda.command(at, side, name, call)

    def later(self, rounds: int) -> tuple[int, int]:
        return (self.round + rounds, 0)

    # -- phases --

    def phase(self, phase: int) -> None:
        """Everything both sides do in this phase of this round."""
        at = (self.round, phase)
        for side in (A, B):
            node = self.nodes[side]
            peer = self.other(side)
            commands, items = self.agenda.take(at, side)
            if phase == 0:
                commands = self.new_traffic(side) + commands
            for name, call in commands:
                self.run(side, name, call)
            if phase == 0:
                items = items + self.messages(side)
            if items:
                with self.costs.timed("append_to_many (bulk)"):
                    (appended,) = node.append_to_many([(peer, items)])
                self.after_bulk(side, appended)

    def new_traffic(self, side: str) -> list[Command]:
        """Commands that start something at the top of the hour."""
        rng = self.rng
        commands: list[Command] = [
            ("notices.desk_check", lambda: self.desk_check(side)),
        ]
        if rng.random() < 0.22:
            commands.append(("notices.notify", lambda: self.notify(side)))
        if rng.random() < 0.12:
            commands.append(("notices.incident", lambda: self.incident(side)))
        if rng.random() < 0.10:
            commands.append(("contacts.request", lambda: self.request(side)))
        if rng.random() < 0.03:
            commands.append(("contacts.explain", lambda: self.explain(side)))
        return commands

    # -- hotline messages and their acknowledgements (the bulk) --

    def messages(self, side: str) -> list[Item]:
        count = self.rng.randint(MESSAGES_PER_ROUND - 8, MESSAGES_PER_ROUND + 8)
        items: list[Item] = []
        for _ in range(count):
            precedence = self.rng.choices(PRECEDENCES, PRECEDENCE_WEIGHTS)[0]
            officer = self.officer(side) if self.rng.random() < 0.5 else None
            message = NewMessage(self.text(), precedence, "en", officer)
            items.append(("hotline.message", message.body(), ()))
        return items

    def after_bulk(self, side: str, appended: list[Entry]) -> None:
        peer = self.other(side)
        for entry in appended:
            self.kinds[entry.kind] += 1
            if entry.kind != "hotline.message":
                continue
            if side == A:
                self.first_message = self.first_message or entry.id
                self.last_message = entry.id
            draw = self.rng.random()
            flash = entry.body.get("precedence") == "flash"
            ack: Item = ("hotline.ack", {"officer": self.officer(peer)}, (entry.id,))
            if draw < (0.98 if flash else 0.90):
                self.agenda.item((self.round, 1), peer, ack)
            elif draw < 0.95:
                self.agenda.item(self.later(1), peer, ack)  # an hour late
            # else never acknowledged: overdue for ever

    # -- desk checks --

    def desk_check(self, side: str) -> None:
        peer = self.other(side)
        (check,) = self.nodes[side].notices.desk_check([peer])
        self.kinds["desk.check"] += 1
        draw = self.rng.random()
        if draw >= 0.95:
            return  # nobody at the desk
        at = (self.round, 1) if draw < 0.92 else self.later(1)
        officer = self.officer(peer)
        self.answer(
            at,
            peer,
            "hotline.acknowledge (desk check)",
            lambda: self.counted(acknowledge(self.nodes[peer], check.id, officer)),
            ("desk.answer", {"officer": officer}, (check.id,)),
        )

    def counted(self, entry: Entry | None) -> Entry | None:
        if entry is not None:
            self.kinds[entry.kind] += 1
        return entry

    # -- notifications and incident reports --

    def notify(self, side: str) -> None:
        rng = self.rng
        now = self.clock()
        start = now + timedelta(days=rng.randint(15, 30))
        notice = NewActivity(
            activity=rng.choice(("exercise", "patrol", "missile-launch", "air-defence-test")),
            title=f"Activity {self.round}: {self.text(20, 80)}",
            participants=[side],
            area=PATROL_AREA,
            start=start,
            end=start + timedelta(days=rng.randint(1, 5)),
            contact_channel="VHF 16; INMARSAT +870 000 000 000",
            forces={"ships": rng.randint(1, 12), "aircraft": rng.randint(0, 20)},
            ack_within_minutes=60,
            officer=self.officer(side),
        )
        result = self.nodes[side].notices.send([self.other(side)], notice)
        self.kinds["notify.activity"] += 1
        self.acknowledge_notice(side, str(result["entries"][0]["id"]))

    def incident(self, side: str) -> None:
        rng = self.rng
        category = rng.choice(("unsafe-intercept", "close-approach", "laser"))
        report = NewIncident(
            time=self.clock() - timedelta(hours=2),
            position={"type": "Point", "coordinates": [114.25, 16.5]},
            domain=rng.choice(("air", "maritime")),
            own_units=["P-8A Poseidon"],
            other_units=["J-11"],
            category=category,
            description=self.text(40, 300),
            distance_m=rng.randint(5, 500) if category == "close-approach" else None,
            ack_within_minutes=30,
            officer=self.officer(side),
        )
        result = self.nodes[side].notices.send([self.other(side)], report)
        self.kinds["notify.incident"] += 1
        self.acknowledge_notice(side, str(result["entries"][0]["id"]))

    def acknowledge_notice(self, side: str, entry_id: str) -> None:
        peer = self.other(side)
        draw = self.rng.random()
        if draw >= 0.94:
            return
        at = (self.round, 1) if draw < 0.88 else self.later(2)  # two hours: late
        officer = self.officer(peer)
        self.answer(
            at,
            peer,
            "hotline.acknowledge (notification)",
            lambda: self.counted(acknowledge(self.nodes[peer], entry_id, officer)),
            ("notify.ack", {"officer": officer}, (entry_id,)),
        )

    # -- contact requests and requests for explanation --

    def request(self, side: str) -> None:
        rng = self.rng
        now = self.clock()
        peer = self.other(side)
        urgent = rng.random() < 0.2
        window = 6 if urgent else 24  # hours to answer
        days = rng.randint(3, 5)
        slots = [
            Slot(start=now + timedelta(days=days), end=now + timedelta(days=days, hours=1)),
            Slot(start=now + timedelta(days=days + 1), end=now + timedelta(days=days + 1, hours=1)),
        ]
        new = NewRequest(
            to=peer,
            format=rng.choice(("phone-call", "video-call")),
            level=rng.choice(("working", "commander")),
            subject=f"Call {self.round}: {self.text(20, 80)}",
            from_official=Official(name="Adm. S. Paparo", title="Commander"),
            to_official=Official(name="Gen. Wu", title="Commander"),
            slots=slots,
            respond_by=now + timedelta(hours=window),
            precedence="immediate" if urgent else "routine",
            officer=self.officer(side),
        )
        entry = self.nodes[side].contacts.request(new)
        self.kinds["contact.request"] += 1
        request_id = entry.id
        outcome = rng.choices(
            ("accept", "cancel", "decline", "counter", "defer", "withdraw", "late", "none"),
            (35, 8, 15, 10, 8, 7, 7, 10),
        )[0]
        if outcome != "withdraw" and rng.random() < (0.5 if outcome == "none" else 0.7):
            self.read(peer, request_id, (self.round, 1))
        answer_in = rng.randint(1, window - 4)
        slot_one = slots[0]
        if outcome in ("accept", "cancel"):
            self.respond(peer, request_id, self.later(answer_in), Answer(answer="accept", slot=1))
            if outcome == "accept":
                self.update(side, request_id, self.later(answer_in + 1), "scheduled", slot_one)
                held_round = self.round + days * 24 + 3
                self.update(side, request_id, (held_round, 0), "held")
            else:
                self.update(side, request_id, self.later(answer_in + 2), "cancelled")
        elif outcome == "decline":
            self.respond(
                peer,
                request_id,
                self.later(answer_in),
                Answer(answer="decline", reason="The commander is not available that week"),
            )
        elif outcome == "counter":
            counter_at = now + timedelta(days=days + 3)
            countered = Slot(start=counter_at, end=counter_at + timedelta(hours=1))
            self.respond(
                peer,
                request_id,
                self.later(answer_in),
                Answer(answer="counter", slots=[countered], note="Later that week suits us"),
            )
            self.update(side, request_id, self.later(answer_in + 1), "scheduled", countered)
            self.update(side, request_id, (self.round + (days + 3) * 24 + 3, 0), "held")
        elif outcome == "defer":
            until = self.top(self.round + answer_in) + timedelta(hours=48)
            self.respond(
                peer, request_id, self.later(answer_in), Answer(answer="defer", until=until)
            )
            self.respond(
                peer, request_id, self.later(answer_in + 24), Answer(answer="accept", slot=2)
            )
            self.update(side, request_id, self.later(answer_in + 25), "scheduled", slots[1])
        elif outcome == "withdraw":
            self.update(side, request_id, self.later(2), "withdrawn")
        elif outcome == "late":
            self.respond(
                peer,
                request_id,
                self.later(window + 3),
                Answer(answer="decline", reason="Answered late: the line was busy"),
            )

    def explain(self, side: str) -> None:
        peer = self.other(side)
        entry = self.nodes[side].contacts.explain(
            Explain(
                to=peer,
                subject=f"Explanation {self.round}: {self.text(20, 60)}",
                text=self.text(60, 300),
                within_hours=24,
                officer=self.officer(side),
            )
        )
        self.kinds["explain.request"] += 1
        draw = self.rng.random()
        if self.rng.random() < 0.6:
            self.read(peer, entry.id, (self.round, 1))
        if draw < 0.75:
            when = self.later(self.rng.randint(1, 20))
        elif draw < 0.85:
            when = self.later(30)  # after the 24 h window
        else:
            return
        self.respond(peer, entry.id, when, Answer(answer="reply", text=self.text(60, 400)))

    def read(self, side: str, request_id: str, at: tuple[int, int]) -> None:
        officer = self.officer(side)
        node = self.nodes[side]
        self.answer(
            at,
            side,
            "contacts.read",
            lambda: self.counted(node.contacts.read(request_id, officer)),
            ("receipt.read", {"officer": officer}, (request_id,)),
        )

    def respond(self, side: str, request_id: str, at: tuple[int, int], answer: Answer) -> None:
        """A response (or a reply) by ``side``, signed at ``at`` by one of its officers."""
        officer = self.officer(side)
        node = self.nodes[side]
        chosen = answer.signed_by(officer)
        if self.direct:
            self.agenda.item(at, side, self.response_item(request_id, chosen))
        else:
            self.agenda.command(
                at,
                side,
                "contacts.respond",
                lambda: self.counted(node.contacts.respond(request_id, chosen)),
            )

    def response_item(self, request_id: str, answer: Answer) -> Item:
        """The body ``contacts.respond`` signs for this answer (direct mode)."""
        body: dict[str, Any] = {"officer": answer.officer, "lang": answer.lang}
        if answer.answer == "reply":
            body["text"] = answer.text
            return ("explain.response", body, (request_id,))
        body["answer"] = answer.answer
        if answer.answer == "accept":
            body["slot"] = answer.slot
        elif answer.answer == "decline":
            body["reason"] = answer.reason
        elif answer.answer == "counter":
            body["slots"] = [
                {"start": format_time(slot.start), "end": format_time(slot.end)}
                for slot in answer.slots
            ]
        elif answer.answer == "defer":
            assert answer.until is not None
            body["until"] = format_time(answer.until)
        if answer.note is not None:
            body["note"] = answer.note
        return ("contact.response", body, (request_id,))

    def update(
        self,
        side: str,
        request_id: str,
        at: tuple[int, int],
        status: UpdateStatus,
        slot: Slot | None = None,
    ) -> None:
        officer = self.officer(side)
        node = self.nodes[side]
        reasons = {
            "cancelled": "Overtaken by events",
            "withdrawn": "No longer needed",
        }
        change = Update(
            status=status,
            slot=slot,
            summary="Both sides restated the separation rules" if status == "held" else None,
            reason=reasons.get(status),
            officer=officer,
        )  # what is None is not given
        body: dict[str, Any] = {"status": status, "officer": officer, "lang": "en"}
        if status == "scheduled":
            assert slot is not None
            body["slot"] = {"start": format_time(slot.start), "end": format_time(slot.end)}
        elif status == "held":
            body["summary"] = change.summary
        elif change.reason is not None:
            body["reason"] = change.reason
        self.answer(
            at,
            side,
            "contacts.update",
            lambda: self.counted(node.contacts.update(request_id, change)),
            ("contact.update", body, (request_id,)),
        )


# --- delivery, as the sender loop does it ------------------------------------------------------


def deliver(sender: Node, receiver: Node, costs: Costs, heartbeat: bool = False) -> int:
    """Everything pending from ``sender`` to ``receiver`` in batches of up to 1000, each
    cosigned and receipted; with ``heartbeat``, an empty batch when nothing is pending."""
    peer = receiver.party
    delivered = 0
    while True:
        start = sender.delivered_size(peer)
        size = sender.outgoing(peer).size
        if start >= size and not heartbeat:
            return delivered
        heartbeat = False
        leaves = sender.cached_leaves(peer, start, SEND_BATCH) if start < size else []
        if leaves is None:
            rows = sender.store.entries(sender.party, peer, start, SEND_BATCH)
            leaves = [row.leaf for row in rows]
        end = start + len(leaves)
        with costs.timed("checkpoint_for"):
            checkpoint, note = sender.checkpoint_for(peer, end)
        with costs.timed("receive_batch"):
            outcome = receiver.receive_batch(
                sender.party, [orjson.loads(leaf) for leaf in leaves], note
            )
        if not isinstance(outcome, Accepted | Duplicate):
            raise RuntimeError(f"{peer} refused a batch: {outcome}")
        with costs.timed("record_receipt"):
            recorded = sender.record_receipt(peer, checkpoint, note, outcome.cosignature)
        if not recorded:
            raise RuntimeError(f"{peer}'s cosignature does not verify")
        delivered += len(leaves)
        if end >= size:
            return delivered


def exchange(nodes: dict[str, Node], costs: Costs, heartbeat: bool = False) -> None:
    deliver(nodes[A], nodes[B], costs, heartbeat)
    deliver(nodes[B], nodes[A], costs, heartbeat)


# --- the build -----------------------------------------------------------------------------


def link_size(nodes: dict[str, Node]) -> int:
    return nodes[A].outgoing(B).size + nodes[B].outgoing(A).size


def build(root: Path, size: int, *, answers: str, durable: bool, seed: int = 11) -> dict[str, Any]:
    """Make the two folders in ``root`` and fill the link with ``size`` entries."""
    if answers not in ("commands", "direct"):
        raise ValueError("answers must be commands or direct")
    say(f"building a history of {size:,} entries in {root} (answers via {answers}) …")
    started = time.perf_counter()
    make_folders(root)
    rounds = math.ceil(size / ENTRIES_PER_ROUND)
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    start = end - ROUND * math.ceil(rounds * 1.05)
    clock = SimClock(start)
    nodes = {party: Node.open(NodeHome(root / party), clock=clock) for party in (A, B)}
    if not durable:
        for node in nodes.values():
            relax_durability(node)
    plan = Plan(nodes, clock, start, direct=answers == "direct", seed=seed)
    costs = plan.costs
    made = time.perf_counter()
    last_report = made
    try:
        while link_size(nodes) < size:
            top = plan.top(plan.round)
            plan.costs.tenth = min(9, 10 * link_size(nodes) // size)
            clock.set(top)
            plan.phase(0)
            clock.set(top + timedelta(seconds=5))
            exchange(nodes, costs)
            clock.set(top + timedelta(minutes=3))
            plan.phase(1)
            clock.set(top + timedelta(minutes=3, seconds=5))
            exchange(nodes, costs)
            clock.set(top + timedelta(minutes=30))
            exchange(nodes, costs, heartbeat=True)
            plan.round += 1
            now = time.perf_counter()
            if now - last_report >= 30:
                last_report = now
                done = link_size(nodes)
                rate = done / (now - made)
                eta = (size - done) / rate if rate else float("inf")
                say(
                    f"  {done:,} / {size:,} entries ({100 * done / size:.0f}%), round "
                    f"{plan.round}, {rate:,.0f} entries/s, about {eta / 60:.1f} min to go"
                )
        final = link_size(nodes)
        sim_end = clock()
    finally:
        for node in nodes.values():
            node.close()
    seconds = time.perf_counter() - made
    info: dict[str, Any] = {
        "size": size,
        "entries": final,
        "answers": answers,
        "durable": durable,
        "fingerprint": schema_fingerprint(),
        "built_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "sim_start": format_time(start),
        "sim_end": format_time(sim_end),
        "rounds": plan.round,
        "load_at_end": load_average(),
        "setup_seconds": round(made - started, 2),
        "build_seconds": round(seconds, 2),
        "entries_per_second": round(final / seconds, 1),
        "kinds": dict(sorted(plan.kinds.items())),
        "first_message": plan.first_message,
        "last_message": plan.last_message,
        "costs": costs.to_json(),
        "tables": table_counts(root),
        "bytes": {party: folder_bytes(root / party) for party in (A, B)},
    }
    say(
        f"built {final:,} entries over {plan.round:,} simulated hours in {seconds:,.1f} s "
        f"({final / seconds:,.0f} entries/s; folders made in {made - started:.1f} s)"
    )
    return info


def load_average() -> str:
    """Other work on the machine slows a build down: recorded with it."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def table_counts(root: Path) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for party in (A, B):
        connection = sqlite3.connect(root / party / "openline.db")
        try:
            counts[party] = {
                table: int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
                for table in ("entries", "checkpoints", "cosignatures", "messages")
            }
        finally:
            connection.close()
    return counts


def folder_bytes(path: Path) -> int:
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file())


def print_costs(info: dict[str, Any]) -> None:
    """Where the build's time went, most first, with the mean per call in each tenth."""
    rows = info["costs"]["operations"]
    say(f"where the build's {info['build_seconds']:,.0f} s went (mean ms per call by tenth):")
    for name, row in rows.items():
        tenths = " ".join("-" if ms is None else f"{ms:.1f}" for ms in row["mean_ms_by_tenth"])
        say(
            f"  {name:<24} {row['seconds']:>9,.1f} s {row['calls']:>8,} calls "
            f"{row['mean_ms']:>8.2f} ms  [{tenths}]"
        )
    for name, count in info["costs"]["refused"].items():
        say(f"  refused: {name} ×{count}")


def main() -> None:
    parser = argparse.ArgumentParser(description="Build (or show) a cached history.")
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--answers", choices=["commands", "direct"], default="commands")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--durable", action="store_true", help="keep synchronous=FULL")
    args = parser.parse_args()
    built = ensure_history(
        args.size, rebuild=args.rebuild, answers=args.answers, durable=args.durable
    )
    say(f"history in {built.root}")
    print_costs(built.info)
    say(json.dumps({k: v for k, v in built.info.items() if k != "costs"}, indent=2))


if __name__ == "__main__":
    main()
