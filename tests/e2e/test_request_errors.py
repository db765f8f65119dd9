"""Bad input on every new CLI flag and API field of contact requests, explanations, proofs
and reports, on real nodes.

The contract (docs/architecture.md, "The command-line contract"): the CLI exits 2 with one line on
stderr, ``openline: <reason>``, never a traceback; the officers' API answers 4xx with
``{"error": {"code", "message"}}``. And a refused command stores nothing: after every case
the nodes' logs have the sizes they had before, and ``verify`` still exits 0.

us-dod and prc-mnd run for the whole module; ru-mod is pinned by us-dod but never runs, so
what us-dod sends it stays undelivered. The scenario holds one request in each state that a
mistake needs: delivered, read and accepted, withdrawn; an explanation request; a hotline
message; a request to ru-mod.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from contact_harness import (
    PRC,
    RU,
    UNKNOWN_ID,
    US,
    api_post,
    api_request,
    moment,
    slot,
    slot_arg,
    wait_state,
    wait_view,
)
from harness import NodeProcess, pin_all

pytestmark = pytest.mark.e2e

STRANGER = "ch-dnd"  # a well-formed party id that nobody pinned


@dataclass(frozen=True)
class World:
    root: Path
    us: NodeProcess
    prc: NodeProcess
    ru: NodeProcess
    ids: dict[str, str]

    def node(self, name: str) -> NodeProcess:
        return {"us": self.us, "prc": self.prc}[name]

    def values(self) -> dict[str, str]:
        """What a case's arguments may name; times are taken now, when the case runs."""
        return {
            **self.ids,
            "unknown": UNKNOWN_ID,
            "future": slot_arg(slot(3600)),
            "past": slot_arg(slot(-7200)),
            "past_start": moment(-7200),
            "past_end": moment(-3600),
            "backwards": f"{moment(7200)}/{moment(3600)}",
            "in_an_hour": moment(3600),
            "a_minute_ago": moment(-60),
            "missing_dir": str(self.root / "missing" / "proof.json"),
        }

    def sizes(self) -> dict[str, list[tuple[str, int, int]]]:
        """Every log's size on both nodes (us-dod's outgoing log to ru-mod too)."""
        sizes = {}
        for node in (self.us, self.prc):
            peers = node.api_status()["peers"] if node.running else node.status()["peers"]
            sizes[node.party] = [(p["party"], p["sent"], p["received"]) for p in peers]
        return sizes


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("request-errors")
    us, prc, ru = NodeProcess(root, US), NodeProcess(root, PRC), NodeProcess(root, RU)
    pin_all([us, prc])
    us.cli("peer", "add", ru.card_path, check=True)
    try:
        us.start()
        prc.start()
        slots = [slot(3600), slot(7200)]
        ids = {
            "open": api_request(us, slots=slots, subject="Left open"),
            "accepted": api_request(us, slots=slots, subject="Accepted"),
            "withdrawn": api_request(us, slots=slots, subject="Withdrawn"),
            "undelivered": api_request(us, RU, subject="Never delivered"),
        }
        ids["explain"] = api_post(
            us, "/api/v1/explanations", {"to": PRC, "subject": "Radar", "text": "Why?"}
        )
        ids["message"] = us.send_batch([PRC], ["A hotline message"])[0]["id"]
        for name in ("open", "accepted", "withdrawn", "explain"):
            wait_view(us, ids[name], lambda v: v["delivered_at"] is not None, f"{name} receipt")
        api_post(prc, f"/api/v1/requests/{ids['accepted']}/read", {"officer": "Col. Li"})
        api_post(
            prc, f"/api/v1/requests/{ids['accepted']}/respond", {"answer": "accept", "slot": 1}
        )
        api_post(us, f"/api/v1/requests/{ids['withdrawn']}/update", {"status": "withdrawn"})
        for name, state in (("accepted", "accepted"), ("withdrawn", "withdrawn")):
            wait_state(us, ids[name], state)
            wait_state(prc, ids[name], state)
        yield World(root, us, prc, ru, ids)
    finally:
        us.stop()
        prc.stop()


def assert_usage_error(result: subprocess.CompletedProcess[str], reasons: tuple[str, ...]) -> None:
    """Exit 2, one line ``openline: …`` on stderr naming the problem, nothing on stdout."""
    shown = f"exit {result.returncode}\nstdout: {result.stdout!r}\nstderr: {result.stderr!r}"
    assert result.returncode == 2, shown
    assert "Traceback" not in result.stderr, shown
    assert result.stderr.startswith("openline: "), shown
    assert result.stderr.endswith("\n"), shown
    assert len(result.stderr.splitlines()) == 1, shown
    assert "internal error" not in result.stderr, shown
    assert result.stdout == "", shown
    for words in reasons:
        assert words.lower() in result.stderr.lower(), shown


# --- the CLI -------------------------------------------------------------------------------

REQUEST = [
    "request",
    "--to",
    PRC,
    "--format",
    "phone-call",
    "--subject",
    "A call",
    "--from-official",
    "Adm. Paparo, Commander INDOPACOM",
    "--to-official",
    "Gen. Wu, Commander Southern Theater",
    "--respond-by",
    "{in_an_hour}",
    "--slot",
    "{future}",
]


def with_option(base: list[str], option: str, value: str | None) -> list[str]:
    """``base`` with ``option`` set to ``value`` (replacing it), or removed when None."""
    at = base.index(option)
    rest = [*base[:at], *base[at + 2 :]]
    return rest if value is None else [*rest, option, value]


def request_with(option: str, value: str | None) -> list[str]:
    return with_option(REQUEST, option, value)


@dataclass(frozen=True)
class Case:
    node: str
    args: list[str]
    reasons: tuple[str, ...]


def case(name: str, node: str, args: list[str], *reasons: str) -> Any:
    return pytest.param(Case(node, args, reasons), id=name)


CLI_CASES = [
    # request: every flag
    case("request-format", "us", request_with("--format", "fax"), "format", "fax"),
    case("request-level", "us", [*REQUEST, "--level", "king"], "level", "king"),
    case("request-precedence", "us", [*REQUEST, "--precedence", "urgent"], "precedence"),
    case("request-lang", "us", [*REQUEST, "--lang", "english!"], "english!"),
    case("request-slot-no-slash", "us", request_with("--slot", "tomorrow"), "--slot", "START/END"),
    case("request-slot-not-a-time", "us", request_with("--slot", "x/y"), "'x'", "RFC 3339"),
    case("request-slot-backwards", "us", request_with("--slot", "{backwards}"), "invalid-slot"),
    case("request-slot-in-past", "us", request_with("--slot", "{past}"), "slot-in-past"),
    case("request-slot-two-bad", "us", [*REQUEST, "--slot", "{past}"], "slot 2", "past"),
    case("request-no-slot", "us", request_with("--slot", None), "--slot"),
    case("request-respond-by-past", "us", request_with("--respond-by", "{a_minute_ago}"), "past"),
    case("request-respond-by-bad", "us", request_with("--respond-by", "Friday"), "Friday"),
    case(
        "request-respond-by-no-offset",
        "us",
        request_with("--respond-by", "2031-01-01T10:00:00"),
        "offset",
    ),
    case(
        "request-from-official-no-comma",
        "us",
        request_with("--from-official", "The Secretary"),
        "--from-official",
        "Name, Title",
    ),
    case(
        "request-to-official-no-title",
        "us",
        request_with("--to-official", "Gen. Wu,"),
        "--to-official",
    ),
    case(
        "request-meeting-without-location",
        "us",
        request_with("--format", "meeting"),
        "location",
    ),
    case("request-call-with-location", "us", [*REQUEST, "--location", "Paris"], "location"),
    case("request-dialogue-without-series", "us", request_with("--format", "dialogue"), "series"),
    case("request-series-not-dialogue", "us", [*REQUEST, "--series", "MMCA"], "series"),
    case("request-subject-empty", "us", request_with("--subject", ""), "subject"),
    case("request-agenda-empty", "us", [*REQUEST, "--agenda", ""], "agenda"),
    case("request-officer-empty", "us", [*REQUEST, "--officer", ""], "officer"),
    case("request-to-unknown-peer", "us", request_with("--to", STRANGER), STRANGER),
    case("request-to-not-a-party", "us", request_with("--to", "US DoD"), "US DoD"),
    case("request-to-ourselves", "us", request_with("--to", US), US),
    # respond: every action and flag
    case("accept-slot-0", "prc", ["respond", "{open}", "accept", "--slot", "0"], "1..2"),
    case("accept-slot-too-big", "prc", ["respond", "{open}", "accept", "--slot", "3"], "1..2"),
    case(
        "accept-slot-not-a-number",
        "prc",
        ["respond", "{open}", "accept", "--slot", "x"],
        "number",
    ),
    case("accept-no-slot", "prc", ["respond", "{open}", "accept"], "--slot"),
    case(
        "accept-two-slots",
        "prc",
        ["respond", "{open}", "accept", "--slot", "1", "--slot", "2"],
        "--slot",
    ),
    case(
        "accept-with-until",
        "prc",
        ["respond", "{open}", "accept", "--slot", "1", "--until", "{in_an_hour}"],
        "until",
        "unexpected-field",
    ),
    case("decline-no-reason", "prc", ["respond", "{open}", "decline"], "reason"),
    case("decline-empty-reason", "prc", ["respond", "{open}", "decline", "--reason", ""], "reason"),
    case(
        "decline-empty-condition",
        "prc",
        ["respond", "{open}", "decline", "--reason", "No", "--condition", ""],
        "conditions",
    ),
    case(
        "decline-with-slot",
        "prc",
        ["respond", "{open}", "decline", "--reason", "No", "--slot", "1"],
        "--slot",
    ),
    case("counter-no-slots", "prc", ["respond", "{open}", "counter"], "counter", "no-slot"),
    case(
        "counter-slot-malformed",
        "prc",
        ["respond", "{open}", "counter", "--slot", "next week"],
        "next week",
    ),
    case(
        "counter-slot-in-past", "prc", ["respond", "{open}", "counter", "--slot", "{past}"], "past"
    ),
    case(
        "counter-format",
        "prc",
        ["respond", "{open}", "counter", "--format", "carrier-pigeon"],
        "carrier-pigeon",
    ),
    case("defer-no-until", "prc", ["respond", "{open}", "defer"], "--until"),
    case(
        "defer-until-past",
        "prc",
        ["respond", "{open}", "defer", "--until", "{a_minute_ago}"],
        "until-past",
    ),
    case(
        "defer-until-malformed", "prc", ["respond", "{open}", "defer", "--until", "later"], "later"
    ),
    case(
        "reply-to-a-contact-request",
        "prc",
        ["respond", "{open}", "reply", "--text", "Because"],
        "invalid-answer",
    ),
    case(
        "accept-an-explanation",
        "prc",
        ["respond", "{explain}", "accept", "--slot", "1"],
        "invalid-answer",
    ),
    case("reply-without-text", "prc", ["respond", "{explain}", "reply"], "text"),
    case("respond-bogus-action", "prc", ["respond", "{open}", "ignore"], "answer"),
    case(
        "respond-lang",
        "prc",
        ["respond", "{open}", "accept", "--slot", "1", "--lang", "?"],
        "'?'",
    ),
    case(
        "respond-officer-empty",
        "prc",
        ["respond", "{open}", "accept", "--slot", "1", "--officer", ""],
        "officer",
    ),
    case(
        "respond-note-empty",
        "prc",
        ["respond", "{open}", "accept", "--slot", "1", "--note", ""],
        "note",
    ),
    case(
        "respond-to-own-request",
        "us",
        ["respond", "{open}", "accept", "--slot", "1"],
        "not-recipient",
    ),
    case(
        "respond-unknown-id",
        "prc",
        ["respond", "{unknown}", "accept", "--slot", "1"],
        "unknown-request",
    ),
    case("respond-malformed-id", "prc", ["respond", "no-such", "decline", "--reason", "x"], "id"),
    case(
        "respond-to-withdrawn",
        "prc",
        ["respond", "{withdrawn}", "decline", "--reason", "Too late"],
        "withdrawn",
        "invalid-transition",
    ),
    case(
        "respond-twice-accept",
        "prc",
        ["respond", "{accepted}", "accept", "--slot", "1"],
        "accepted",
        "invalid-transition",
    ),
    # update: every status and flag
    case("update-bogus-status", "us", ["update", "{accepted}", "postponed"], "status"),
    case("update-scheduled-no-slot", "us", ["update", "{accepted}", "scheduled"], "--slot"),
    case(
        "update-scheduled-slot-malformed",
        "us",
        ["update", "{accepted}", "scheduled", "--slot", "soon"],
        "soon",
    ),
    case(
        "update-scheduled-slot-past",
        "us",
        ["update", "{accepted}", "scheduled", "--slot", "{past}"],
        "past",
    ),
    case(
        "update-scheduled-slot-backwards",
        "us",
        ["update", "{accepted}", "scheduled", "--slot", "{backwards}"],
        "invalid-slot",
    ),
    case(
        "update-scheduled-with-summary",
        "us",
        ["update", "{accepted}", "scheduled", "--slot", "{future}", "--summary", "Done"],
        "summary",
        "unexpected-field",
    ),
    case(
        "update-scheduled-lang",
        "us",
        ["update", "{accepted}", "scheduled", "--slot", "{future}", "--lang", "!"],
        "'!'",
    ),
    case("update-held-no-summary", "us", ["update", "{accepted}", "held"], "summary"),
    case(
        "update-held-empty-summary",
        "us",
        ["update", "{accepted}", "held", "--summary", ""],
        "summary",
    ),
    case("update-cancelled-no-reason", "prc", ["update", "{accepted}", "cancelled"], "reason"),
    case(
        "update-withdrawn-by-counterpart",
        "prc",
        ["update", "{accepted}", "withdrawn"],
        "not-requester",
    ),
    case(
        "update-an-explanation",
        "us",
        ["update", "{explain}", "cancelled", "--reason", "x"],
        "invalid-update",
    ),
    case(
        "update-held-before-accepted",
        "us",
        ["update", "{open}", "held", "--summary", "Met"],
        "delivered",
        "invalid-transition",
    ),
    case(
        "update-withdrawn-twice",
        "us",
        ["update", "{withdrawn}", "withdrawn"],
        "invalid-transition",
    ),
    case("update-unknown-id", "us", ["update", "{unknown}", "withdrawn"], "unknown-request"),
    # explain
    case(
        "explain-unknown-peer",
        "us",
        ["explain", "--to", STRANGER, "--subject", "s", "--text", "t"],
        STRANGER,
    ),
    case(
        "explain-empty-subject",
        "us",
        ["explain", "--to", PRC, "--subject", "", "--text", "t"],
        "subject",
    ),
    case(
        "explain-empty-text", "us", ["explain", "--to", PRC, "--subject", "s", "--text", ""], "text"
    ),
    *(
        case(
            f"explain-within-{hours}",
            "us",
            ["explain", "--to", PRC, "--subject", "s", "--text", "t", "--within-hours", hours],
            "within",
        )
        for hours in ("0", "721", "two", "-5")
    ),
    case(
        "explain-ref-malformed",
        "us",
        ["explain", "--to", PRC, "--subject", "s", "--text", "t", "--ref", "abc"],
        "abc",
    ),
    case(
        "explain-ref-unknown",
        "us",
        ["explain", "--to", PRC, "--subject", "s", "--text", "t", "--ref", "{unknown}"],
        "unknown-ref",
    ),
    case(
        "explain-precedence",
        "us",
        ["explain", "--to", PRC, "--subject", "s", "--text", "t", "--precedence", "now"],
        "precedence",
    ),
    case(
        "explain-lang",
        "us",
        ["explain", "--to", PRC, "--subject", "s", "--text", "t", "--lang", "!"],
        "'!'",
    ),
    # requests
    case("requests-state", "us", ["requests", "--state", "ignored"], "--state"),
    case("requests-peer-malformed", "us", ["requests", "--peer", "PRC MND"], "PRC MND"),
    case("requests-peer-unknown", "us", ["requests", "--peer", STRANGER], STRANGER),
    # prove
    case("prove-claim", "us", ["prove", "receipt", "{open}"], "claim"),
    case("prove-malformed-id", "us", ["prove", "delivery", "xyz"], "xyz"),
    case("prove-unknown-id", "us", ["prove", "delivery", "{unknown}"], "unknown-entry"),
    case("prove-undelivered", "us", ["prove", "delivery", "{undelivered}"], "not-delivered"),
    case(
        "prove-unanswered-message",
        "us",
        ["prove", "unanswered", "{message}"],
        "no-provable-deadline",
    ),
    case("prove-answer-of-open", "us", ["prove", "answer", "{open}"], "no answer"),
    case("prove-unanswered-too-soon", "us", ["prove", "unanswered", "{open}"], "not-provable-yet"),
    case(
        "prove-unanswered-withdrawn",
        "us",
        ["prove", "unanswered", "{withdrawn}"],
        "withdrew",
        "(withdrawn)",
    ),
    case(
        "prove-out-missing-folder",
        "us",
        ["prove", "delivery", "{open}", "--out", "{missing_dir}"],
        "cannot write",
    ),
    # report
    case("report-format", "us", ["report", "--counterpart", PRC, "--format", "pdf"], "--format"),
    case(
        "report-since-malformed",
        "us",
        ["report", "--counterpart", PRC, "--since", "last week"],
        "last week",
    ),
    case(
        "report-until-no-offset",
        "us",
        ["report", "--counterpart", PRC, "--until", "2031-01-01"],
        "offset",
    ),
    case(
        "report-until-before-since",
        "us",
        ["report", "--counterpart", PRC, "--since", "{in_an_hour}", "--until", "{a_minute_ago}"],
        "--until",
    ),
    case("report-unknown-counterpart", "us", ["report", "--counterpart", STRANGER], STRANGER),
    case("report-malformed-counterpart", "us", ["report", "--counterpart", "P R C"], "P R C"),
    case("report-ourselves", "us", ["report", "--counterpart", US], US),
    # ack of a request is a read receipt; only once
    case("ack-read-twice", "prc", ["ack", "{accepted}"], "already read", "Col. Li"),
    case("ack-own-request", "us", ["ack", "{open}"], "acknowledged"),
]


def run_case(world: World, item: Case) -> subprocess.CompletedProcess[str]:
    values = world.values()
    args = [arg.format(**values) for arg in item.args]
    return world.node(item.node).cli(*args)


@pytest.mark.parametrize("item", CLI_CASES)
def test_cli_bad_input_exits_2_and_stores_nothing(world: World, item: Case) -> None:
    before = world.sizes()
    assert_usage_error(run_case(world, item), item.reasons)
    assert world.sizes() == before
    assert not (world.root / "missing").exists()


# --- the API -------------------------------------------------------------------------------


def request_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "to": PRC,
        "format": "phone-call",
        "level": "working",
        "subject": "A call",
        "from_official": {"name": "Adm. Paparo", "title": "Commander INDOPACOM"},
        "to_official": {"name": "Gen. Wu", "title": "Commander Southern Theater"},
        "slots": [{"start": "{start}", "end": "{end}"}],
        "respond_by": "{in_an_hour}",
    }
    for key, value in changes.items():
        if value is None:
            del body[key]
        else:
            body[key] = value
    return body


@dataclass(frozen=True)
class Call:
    node: str
    method: str
    path: str
    body: Any
    status: int
    code: str
    words: tuple[str, ...] = ()


def call(
    name: str, node: str, method: str, path: str, body: Any, status: int, code: str, *words: str
) -> Any:
    return pytest.param(Call(node, method, path, body, status, code, words), id=name)


def filled(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**values) if "{" in value else value
    if isinstance(value, list):
        return [filled(item, values) for item in value]
    if isinstance(value, dict):
        return {key: filled(item, values) for key, item in value.items()}
    return value


TWO_SLOTS_AHEAD = [{"start": "{start}", "end": "{end}"}]
INVALID = "invalid-request"

API_CASES = [
    # POST /requests
    call("req-unknown-field", "us", "POST", "/requests", request_body(mood="tense"), 422, INVALID),
    call(
        "req-unknown-official-field",
        "us",
        "POST",
        "/requests",
        request_body(from_official={"name": "A", "title": "B", "rank": "C"}),
        422,
        INVALID,
        "rank",
    ),
    call(
        "req-unknown-slot-field",
        "us",
        "POST",
        "/requests",
        request_body(slots=[{"start": "{start}", "end": "{end}", "tz": "UTC"}]),
        422,
        INVALID,
        "tz",
    ),
    call("req-no-to", "us", "POST", "/requests", request_body(to=None), 422, INVALID, "to"),
    call("req-to-number", "us", "POST", "/requests", request_body(to=7), 422, INVALID, "to"),
    call(
        "req-to-stranger", "us", "POST", "/requests", request_body(to=STRANGER), 404, "unknown-peer"
    ),
    call("req-slots-string", "us", "POST", "/requests", request_body(slots="soon"), 422, INVALID),
    call("req-slots-empty", "us", "POST", "/requests", request_body(slots=[]), 422, INVALID),
    call(
        "req-slots-too-many",
        "us",
        "POST",
        "/requests",
        request_body(slots=TWO_SLOTS_AHEAD * 21),
        422,
        INVALID,
    ),
    call(
        "req-slot-start-number",
        "us",
        "POST",
        "/requests",
        request_body(slots=[{"start": 1, "end": "{end}"}]),
        422,
        INVALID,
    ),
    call(
        "req-slot-backwards",
        "us",
        "POST",
        "/requests",
        request_body(slots=[{"start": "{end}", "end": "{start}"}]),
        422,
        "invalid-slot",
    ),
    call(
        "req-slot-past",
        "us",
        "POST",
        "/requests",
        request_body(slots=[{"start": "{past_start}", "end": "{past_end}"}]),
        422,
        "slot-in-past",
    ),
    call("req-respond-by-int", "us", "POST", "/requests", request_body(respond_by=5), 422, INVALID),
    call(
        "req-respond-by-bad",
        "us",
        "POST",
        "/requests",
        request_body(respond_by="soon"),
        422,
        "invalid-time",
    ),
    call(
        "req-respond-by-past",
        "us",
        "POST",
        "/requests",
        request_body(respond_by="{a_minute_ago}"),
        422,
        "respond-by-past",
    ),
    call(
        "req-format", "us", "POST", "/requests", request_body(format="fax"), 422, "invalid-format"
    ),
    call("req-level", "us", "POST", "/requests", request_body(level="king"), 422, "invalid-level"),
    call(
        "req-precedence",
        "us",
        "POST",
        "/requests",
        request_body(precedence="now"),
        422,
        "invalid-precedence",
    ),
    call("req-lang", "us", "POST", "/requests", request_body(lang="!"), 422, "invalid-lang"),
    call("req-subject-empty", "us", "POST", "/requests", request_body(subject=""), 422, INVALID),
    call(
        "req-subject-too-long",
        "us",
        "POST",
        "/requests",
        request_body(subject="x" * 401),
        422,
        INVALID,
    ),
    call(
        "req-meeting-no-location",
        "us",
        "POST",
        "/requests",
        request_body(format="meeting"),
        422,
        "invalid-body",
        "location",
    ),
    call(
        "req-location-number",
        "us",
        "POST",
        "/requests",
        request_body(format="meeting", location=3),
        422,
        INVALID,
    ),
    call("req-not-an-object", "us", "POST", "/requests", [1, 2], 422, INVALID),
    # POST /requests/{id}/respond
    call(
        "ans-slot-string",
        "prc",
        "POST",
        "/requests/{open}/respond",
        {"answer": "accept", "slot": "1"},
        422,
        INVALID,
        "slot",
    ),
    call(
        "ans-slot-bool",
        "prc",
        "POST",
        "/requests/{open}/respond",
        {"answer": "accept", "slot": True},
        422,
        INVALID,
        "slot",
    ),
    call(
        "ans-slot-0",
        "prc",
        "POST",
        "/requests/{open}/respond",
        {"answer": "accept", "slot": 0},
        422,
        "invalid-slot",
    ),
    call(
        "ans-slot-3",
        "prc",
        "POST",
        "/requests/{open}/respond",
        {"answer": "accept", "slot": 3},
        422,
        "invalid-slot",
    ),
    call(
        "ans-unknown-field",
        "prc",
        "POST",
        "/requests/{open}/respond",
        {"answer": "accept", "slot": 1, "mood": "grudging"},
        422,
        INVALID,
        "mood",
    ),
    call(
        "ans-field-of-another-answer",
        "prc",
        "POST",
        "/requests/{open}/respond",
        {"answer": "accept", "slot": 1, "conditions": ["None"]},
        422,
        "unexpected-field",
        "conditions",
    ),
    call(
        "ans-answer-bogus",
        "prc",
        "POST",
        "/requests/{open}/respond",
        {"answer": "ignore"},
        422,
        INVALID,
    ),
    call(
        "ans-conditions-string",
        "prc",
        "POST",
        "/requests/{open}/respond",
        {"answer": "decline", "reason": "No", "conditions": "lift sanctions"},
        422,
        INVALID,
    ),
    call(
        "ans-conditions-too-many",
        "prc",
        "POST",
        "/requests/{open}/respond",
        {"answer": "decline", "reason": "No", "conditions": ["c"] * 11},
        422,
        INVALID,
    ),
    call(
        "ans-decline-no-reason",
        "prc",
        "POST",
        "/requests/{open}/respond",
        {"answer": "decline"},
        422,
        "no-reason",
    ),
    call(
        "ans-counter-nothing",
        "prc",
        "POST",
        "/requests/{open}/respond",
        {"answer": "counter"},
        422,
        "no-slot",
    ),
    call(
        "ans-counter-slots-not-list",
        "prc",
        "POST",
        "/requests/{open}/respond",
        {"answer": "counter", "slots": {"start": "{start}", "end": "{end}"}},
        422,
        INVALID,
    ),
    call(
        "ans-defer-past",
        "prc",
        "POST",
        "/requests/{open}/respond",
        {"answer": "defer", "until": "{a_minute_ago}"},
        422,
        "until-past",
    ),
    call(
        "ans-defer-until-number",
        "prc",
        "POST",
        "/requests/{open}/respond",
        {"answer": "defer", "until": 1700000000},
        422,
        INVALID,
    ),
    call(
        "ans-reply-no-text",
        "prc",
        "POST",
        "/requests/{explain}/respond",
        {"answer": "reply"},
        422,
        "no-text",
    ),
    call(
        "ans-reply-with-note",
        "prc",
        "POST",
        "/requests/{explain}/respond",
        {"answer": "reply", "text": "Because", "note": "n"},
        422,
        "unexpected-field",
    ),
    call(
        "ans-by-requester",
        "us",
        "POST",
        "/requests/{open}/respond",
        {"answer": "decline", "reason": "No"},
        403,
        "not-recipient",
    ),
    call(
        "ans-unknown-request",
        "prc",
        "POST",
        "/requests/{unknown}/respond",
        {"answer": "decline", "reason": "No"},
        404,
        "unknown-request",
    ),
    call(
        "ans-to-withdrawn",
        "prc",
        "POST",
        "/requests/{withdrawn}/respond",
        {"answer": "decline", "reason": "No"},
        409,
        "invalid-transition",
    ),
    # POST /requests/{id}/update
    call(
        "upd-status-bogus",
        "us",
        "POST",
        "/requests/{accepted}/update",
        {"status": "postponed"},
        422,
        INVALID,
    ),
    call(
        "upd-unknown-field",
        "us",
        "POST",
        "/requests/{accepted}/update",
        {"status": "held", "summary": "Met", "minutes": "..."},
        422,
        INVALID,
    ),
    call(
        "upd-slot-string",
        "us",
        "POST",
        "/requests/{accepted}/update",
        {"status": "scheduled", "slot": "{start}/{end}"},
        422,
        INVALID,
    ),
    call(
        "upd-scheduled-no-slot",
        "us",
        "POST",
        "/requests/{accepted}/update",
        {"status": "scheduled"},
        422,
        "no-slot",
    ),
    call(
        "upd-held-no-summary",
        "us",
        "POST",
        "/requests/{accepted}/update",
        {"status": "held"},
        422,
        "no-summary",
    ),
    call(
        "upd-held-with-slot",
        "us",
        "POST",
        "/requests/{accepted}/update",
        {"status": "held", "summary": "Met", "slot": {"start": "{start}", "end": "{end}"}},
        422,
        "unexpected-field",
    ),
    call(
        "upd-withdrawn-by-counterpart",
        "prc",
        "POST",
        "/requests/{accepted}/update",
        {"status": "withdrawn"},
        403,
        "not-requester",
    ),
    call(
        "upd-invalid-transition",
        "us",
        "POST",
        "/requests/{open}/update",
        {"status": "held", "summary": "Met"},
        409,
        "invalid-transition",
    ),
    # POST /requests/{id}/read
    call(
        "read-unknown-field",
        "prc",
        "POST",
        "/requests/{open}/read",
        {"officer": "x", "rank": "y"},
        422,
        INVALID,
    ),
    call(
        "read-empty-officer", "prc", "POST", "/requests/{open}/read", {"officer": ""}, 422, INVALID
    ),
    call("read-by-requester", "us", "POST", "/requests/{open}/read", {}, 403, "not-recipient"),
    call("read-twice", "prc", "POST", "/requests/{accepted}/read", {}, 409, "already-read"),
    # POST /explanations
    *(
        call(
            f"exp-within-{value!r}",
            "us",
            "POST",
            "/explanations",
            {"to": PRC, "subject": "s", "text": "t", "within_hours": value},
            422,
            INVALID,
            "within_hours",
        )
        for value in ("2", 0, 721, 1.5, True)
    ),
    call(
        "exp-refs-malformed",
        "us",
        "POST",
        "/explanations",
        {"to": PRC, "subject": "s", "text": "t", "refs": ["abc"]},
        422,
        INVALID,
    ),
    call(
        "exp-refs-unknown",
        "us",
        "POST",
        "/explanations",
        {"to": PRC, "subject": "s", "text": "t", "refs": ["{unknown}"]},
        422,
        "unknown-ref",
    ),
    call(
        "exp-unknown-field",
        "us",
        "POST",
        "/explanations",
        {"to": PRC, "subject": "s", "text": "t", "deadline": "{in_an_hour}"},
        422,
        INVALID,
    ),
    call(
        "exp-to-stranger",
        "us",
        "POST",
        "/explanations",
        {"to": STRANGER, "subject": "s", "text": "t"},
        404,
        "unknown-peer",
    ),
    # GET /requests and /requests/{id}
    call("list-state", "us", "GET", "/requests?state=ignored", None, 422, "invalid-state"),
    call("list-direction", "us", "GET", "/requests?direction=up", None, 422, "invalid-direction"),
    call("list-peer", "us", "GET", f"/requests?peer={STRANGER}", None, 404, "unknown-peer"),
    call("show-unknown", "us", "GET", "/requests/{unknown}", None, 404, "unknown-request"),
    # GET /proofs/{claim}/{id}
    call("proof-claim", "us", "GET", "/proofs/receipt/{open}", None, 422, "invalid-claim"),
    call("proof-unknown", "us", "GET", "/proofs/delivery/{unknown}", None, 404, "unknown-entry"),
    call(
        "proof-undelivered",
        "us",
        "GET",
        "/proofs/delivery/{undelivered}",
        None,
        409,
        "not-delivered",
    ),
    call(
        "proof-too-soon",
        "us",
        "GET",
        "/proofs/unanswered/{open}",
        None,
        409,
        "not-provable-yet",
    ),
    call("proof-withdrawn", "us", "GET", "/proofs/unanswered/{withdrawn}", None, 409, "withdrawn"),
    # GET /report
    call("report-format", "us", "GET", f"/report?counterpart={PRC}&format=pdf", None, 422, INVALID),
    call("report-no-counterpart", "us", "GET", "/report", None, 422, INVALID, "counterpart"),
    call(
        "report-since", "us", "GET", f"/report?counterpart={PRC}&since=x", None, 422, "invalid-time"
    ),
    call(
        "report-period",
        "us",
        "GET",
        f"/report?counterpart={PRC}&since={{in_an_hour}}&until={{a_minute_ago}}",
        None,
        422,
        "invalid-period",
    ),
    call(
        "report-stranger", "us", "GET", f"/report?counterpart={STRANGER}", None, 404, "unknown-peer"
    ),
]


@pytest.mark.parametrize("item", API_CASES)
def test_api_bad_input_is_4xx_and_stores_nothing(world: World, item: Call) -> None:
    values = world.values()
    start, end = slot(3600)
    values.update(start=start, end=end)
    path = "/api/v1" + item.path.format(**values).replace("+", "%2B")
    before = world.sizes()
    response = world.node(item.node).api(item.method, path, filled(item.body, values))
    shown = f"{response.status_code} {response.text}"
    assert response.status_code == item.status, shown
    error = response.json()["error"]
    assert set(error) == {"code", "message"}, shown
    assert error["code"] == item.code, shown
    assert isinstance(error["message"], str), shown
    assert error["message"], shown
    for word in item.words:
        assert word in error["message"], shown
    assert world.sizes() == before


# --- the same contract on stopped nodes (the CLI opens the store itself) --------------------

STOPPED_CASES = [
    case("request-slot-in-past", "us", request_with("--slot", "{past}"), "slot-in-past"),
    case("request-to-unknown-peer", "us", request_with("--to", STRANGER), STRANGER),
    case("accept-slot-too-big", "prc", ["respond", "{open}", "accept", "--slot", "3"], "1..2"),
    case(
        "respond-to-withdrawn",
        "prc",
        ["respond", "{withdrawn}", "accept", "--slot", "1"],
        "invalid-transition",
    ),
    case("update-held-no-summary", "us", ["update", "{accepted}", "held"], "summary"),
    case(
        "update-withdrawn-by-counterpart",
        "prc",
        ["update", "{accepted}", "withdrawn"],
        "not-requester",
    ),
    case(
        "explain-within-0",
        "us",
        ["explain", "--to", PRC, "--subject", "s", "--text", "t", "--within-hours", "0"],
        "within",
    ),
    case("requests-peer-unknown", "us", ["requests", "--peer", STRANGER], STRANGER),
    case("prove-undelivered", "us", ["prove", "delivery", "{undelivered}"], "not-delivered"),
    case(
        "report-until-before-since",
        "us",
        ["report", "--counterpart", PRC, "--since", "{in_an_hour}", "--until", "{a_minute_ago}"],
        "--until",
    ),
    case("ack-read-twice", "prc", ["ack", "{accepted}"], "already read"),
]


def test_bad_input_on_stopped_nodes_exits_2_and_stores_nothing(world: World) -> None:
    world.us.stop()
    world.prc.stop()
    before = world.sizes()
    for param in STOPPED_CASES:
        (item,) = param.values
        assert isinstance(item, Case)
        assert_usage_error(run_case(world, item), item.reasons)
    assert world.sizes() == before


def test_nothing_refused_was_stored_and_both_nodes_verify(world: World) -> None:
    """Runs last: every log holds exactly what the scenario put there, and verifies."""
    us_log = [(row["direction"], row["kind"]) for row in world.us.log(PRC)]
    assert sorted(us_log) == sorted(
        [("out", "contact.request")] * 3
        + [("out", "explain.request"), ("out", "hotline.message"), ("out", "contact.update")]
        + [("in", "receipt.read"), ("in", "contact.response")]
    )
    ru_log = world.us.log(RU)
    assert [(row["direction"], row["kind"]) for row in ru_log] == [("out", "contact.request")]
    assert json.loads(world.prc.cli("requests", "--json", check=True).stdout)["requests"]
    for node in (world.us, world.prc):
        result = node.verify()
        assert result.returncode == 0, f"{node.party}: {result.stderr}"
