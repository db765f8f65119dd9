"""Helpers for end-to-end tests of contact requests, proofs and reports on real nodes.

Times given to the CLI are absolute RFC 3339 strings computed from the wall clock, so a
deadline "a few seconds from now" is :func:`moment` of a few seconds. A request is read
through the running node's officers' API (cheap to poll) or, for a stopped node, through
``openline requests --json`` (the in-process path).
"""

from __future__ import annotations

import json
import math
import subprocess
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from harness import NodeProcess, run_cli, wait_for

US, PRC, RU = "us-dod", "prc-mnd", "ru-mod"
UNKNOWN_ID = "0" * 64

View = dict[str, Any]

VOLATILE = frozenset({"direction", "evidence_until", "provable", "note"})
"""Fields of a request view that legitimately differ between the two parties (direction)
or move with every heartbeat (how far the counterpart's log is proven)."""


def moment(seconds: float) -> str:
    """An RFC 3339 UTC time ``seconds`` from now, rounded up to a whole second."""
    when = datetime.now(UTC) + timedelta(seconds=seconds)
    whole = datetime.fromtimestamp(math.ceil(when.timestamp()), UTC)
    return whole.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def same_time(a: str, b: str) -> bool:
    return parse(a) == parse(b)


def slot(start_in: float, hours: float = 1.0) -> tuple[str, str]:
    return moment(start_in), moment(start_in + hours * 3600)


def slot_arg(pair: tuple[str, str]) -> str:
    return f"{pair[0]}/{pair[1]}"


def as_slot(pair: tuple[str, str]) -> dict[str, str]:
    return {"start": pair[0], "end": pair[1]}


def slot_equals(stored: Any, pair: tuple[str, str]) -> bool:
    return bool(
        isinstance(stored, dict)
        and same_time(stored["start"], pair[0])
        and same_time(stored["end"], pair[1])
    )


def last_word(result: subprocess.CompletedProcess[str]) -> str:
    """The id a creating command prints as the last word of its output."""
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr}"
    assert result.stderr == "", result.stderr
    return result.stdout.split()[-1]


def request(
    node: NodeProcess,
    to: str = PRC,
    *,
    fmt: str = "phone-call",
    level: str = "working",
    subject: str = "Maritime safety call",
    slots: Sequence[tuple[str, str]] | None = None,
    respond_by: str | None = None,
    extra: Sequence[str] = (),
) -> str:
    """``openline request``: returns the id it prints."""
    slots = slots if slots is not None else [slot(3600)]
    args = [
        "request",
        "--to",
        to,
        "--format",
        fmt,
        "--level",
        level,
        "--subject",
        subject,
        "--from-official",
        "Adm. Paparo, Commander INDOPACOM",
        "--to-official",
        "Gen. Wu, Commander Southern Theater",
        "--respond-by",
        respond_by or moment(3600),
        *extra,
    ]
    for pair in slots:
        args += ["--slot", slot_arg(pair)]
    return last_word(node.cli(*args))


def api_request(
    node: NodeProcess,
    to: str = PRC,
    *,
    fmt: str = "phone-call",
    level: str = "working",
    subject: str = "Maritime safety call",
    slots: Sequence[tuple[str, str]] | None = None,
    respond_by: str | None = None,
    **fields: Any,
) -> str:
    """``POST /api/v1/requests`` on a running node: returns the new request's id."""
    body: dict[str, Any] = {
        "to": to,
        "format": fmt,
        "level": level,
        "subject": subject,
        "from_official": {"name": "Adm. Paparo", "title": "Commander INDOPACOM"},
        "to_official": {"name": "Gen. Wu", "title": "Commander Southern Theater"},
        "slots": [as_slot(pair) for pair in (slots if slots is not None else [slot(3600)])],
        "respond_by": respond_by or moment(3600),
        **fields,
    }
    response = node.api("POST", "/api/v1/requests", body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def api_post(node: NodeProcess, path: str, body: Any) -> str:
    """A creating POST on the officers' API that must succeed: returns the entry id."""
    response = node.api("POST", path, body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def views(node: NodeProcess, *args: str) -> list[View]:
    """``openline requests --json`` (works whether the node runs or not)."""
    result = node.cli("requests", "--json", *args)
    assert result.returncode == 0, result.stderr
    return list(json.loads(result.stdout)["requests"])


def view(node: NodeProcess, request_id: str) -> View:
    """One request as the node folds it now."""
    if node.running:
        response = node.api("GET", f"/api/v1/requests/{request_id}", timeout=20)
        assert response.status_code == 200, response.text
        return dict(response.json())
    (found,) = [row for row in views(node) if row["id"] == request_id]
    return found


def wait_view(
    node: NodeProcess,
    request_id: str,
    predicate: Callable[[View], bool],
    what: str,
    timeout: float = 30,
) -> View:
    """Poll until the node's view of the request meets ``predicate``; returns that view."""
    seen: list[View] = []

    def check() -> bool:
        current = view(node, request_id)
        seen[:] = [current]
        return predicate(current)

    try:
        wait_for(check, timeout, f"{node.party}: {what}", interval=0.2)
    except AssertionError as error:
        raise AssertionError(f"{error}; last view: {json.dumps(seen, indent=1)}") from None
    return seen[0]


def wait_state(node: NodeProcess, request_id: str, state: str, timeout: float = 30) -> View:
    return wait_view(node, request_id, lambda v: v["state"] == state, f"state {state}", timeout)


def comparable(row: View) -> View:
    return {key: value for key, value in row.items() if key not in VOLATILE}


def folds_agree(a: NodeProcess, b: NodeProcess, request_id: str, state: str) -> View:
    """Both parties fold the request to ``state`` and to the same facts; returns a's view."""
    wait_state(a, request_id, state)
    wait_state(b, request_id, state)
    both: list[tuple[View, View]] = []

    def agree() -> bool:
        pair = (view(a, request_id), view(b, request_id))
        both[:] = [pair]
        return comparable(pair[0]) == comparable(pair[1])

    try:
        wait_for(agree, 30, f"{a.party} and {b.party} to agree on {request_id[:16]}")
    except AssertionError:
        first, second = both[0]
        differing = {
            key: (first.get(key), second.get(key))
            for key in set(first) | set(second)
            if key not in VOLATILE and first.get(key) != second.get(key)
        }
        raise AssertionError(f"the folds differ: {differing}") from None
    mine, theirs = both[0]
    assert {mine["direction"], theirs["direction"]} == {"in", "out"}
    return mine


def events(row: View) -> list[tuple[str, bool]]:
    return [(step["event"], step["applied"]) for step in row["history"]]


def alarms(node: NodeProcess) -> list[dict[str, Any]]:
    response = node.api("GET", "/api/v1/alarms", timeout=20)
    assert response.status_code == 200, response.text
    return list(response.json()["alarms"])


def alarm_for(node: NodeProcess, entry_id: str) -> dict[str, Any] | None:
    return next((alarm for alarm in alarms(node) if alarm["id"] == entry_id), None)


def prove(
    node: NodeProcess, claim: str, entry_id: str, out: Path
) -> subprocess.CompletedProcess[str]:
    return node.cli("prove", claim, entry_id, "--out", out)


def check_proof(
    proof: Path, cards: Iterable[Path], *extra: str
) -> subprocess.CompletedProcess[str]:
    args: list[str | Path] = ["check-proof", proof]
    for card in cards:
        args += ["--card", card]
    return run_cli(*args, *extra)


def store_sizes(node: NodeProcess) -> tuple[int, ...]:
    """How many entries each log of the node holds (from ``status``)."""
    peers = node.status()["peers"]
    return tuple(value for peer in peers for value in (peer["sent"], peer["received"]))


def pause_past(when: str) -> None:
    """Sleep until the wall clock is past ``when`` (for a state that needs a passed time)."""
    while datetime.now(UTC) <= parse(when):
        time.sleep(0.1)
