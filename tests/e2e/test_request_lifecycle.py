"""Contact requests and requests for explanation between real nodes, through every state.

Each test drives one request (or a few) through the CLI of two real ``openline run``
processes and checks, at every step, that the requester's and the counterpart's folds of
the transcript agree: proposed → delivered (cosigned) → read → accepted / declined /
countered / deferred → scheduled → held / cancelled / withdrawn, and the states that time
alone brings: unanswered, overdue-deferred. Deadlines are a few seconds away; a non-answer
becomes provable once the counterpart's heartbeat carries a checkpoint timed after it.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from contact_harness import (
    PRC,
    US,
    View,
    alarm_for,
    api_post,
    api_request,
    check_proof,
    comparable,
    events,
    folds_agree,
    last_word,
    moment,
    parse,
    pause_past,
    prove,
    request,
    same_time,
    slot,
    slot_arg,
    slot_equals,
    view,
    views,
    wait_state,
    wait_view,
)
from harness import NodeFactory, NodeProcess, pin_all, wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[NodeProcess, NodeProcess]]:
    """us-dod and prc-mnd, pinned and running (1 s heartbeat) for the whole module."""
    root = tmp_path_factory.mktemp("requests")
    us, prc = NodeProcess(root, US), NodeProcess(root, PRC)
    pin_all([us, prc])
    try:
        us.start()
        prc.start()
        yield us, prc
    finally:
        us.stop()
        prc.stop()


def delivered(us: NodeProcess, prc: NodeProcess, request_id: str) -> View:
    """The request is cosigned by prc-mnd, and both sides say so."""
    row = folds_agree(us, prc, request_id, "delivered")
    assert row["delivered_at"] is not None
    assert parse(row["delivered_at"]) >= parse(row["time"]).replace(microsecond=0)
    assert events(row) == [("deliver", True)]
    return row


def test_accepted_then_scheduled_then_held(pair: tuple[NodeProcess, NodeProcess]) -> None:
    us, prc = pair
    slots = [slot(3600), slot(7200, hours=2)]
    request_id = request(
        us,
        fmt="meeting",
        level="commander",
        subject="Unsafe intercepts over the South China Sea",
        slots=slots,
        extra=["--location", "Honolulu", "--agenda", "Rules of the road", "--officer", "Maj. Ray"],
    )

    row = delivered(us, prc, request_id)
    assert (row["requester"], row["counterpart"], row["kind"]) == (US, PRC, "contact.request")
    assert (row["format"], row["level"]) == ("meeting", "commander")
    assert row["body"]["location"] == "Honolulu"
    assert row["body"]["officer"] == "Maj. Ray"
    assert row["read_at"] is None
    assert row["answer"] is None
    assert view(us, request_id)["direction"] == "out"
    assert view(prc, request_id)["direction"] == "in"
    listed = views(us, "--state", "delivered", "--peer", PRC)
    assert request_id in [item["id"] for item in listed]
    assert {item["state"] for item in listed} == {"delivered"}

    acked = prc.cli("ack", request_id, "--officer", "Col. Li")
    read_receipt = last_word(acked)
    row = folds_agree(us, prc, request_id, "read")
    assert row["read_by"] == "Col. Li"
    assert row["read_at"] is not None
    assert row["history"][-1]["entry_id"] == read_receipt
    assert row["answer"] is None  # reading is not answering

    accept = last_word(prc.cli("respond", request_id, "accept", "--slot", "2"))
    row = folds_agree(us, prc, request_id, "accepted")
    assert slot_equals(row["accepted_slot"], slots[1])
    assert (row["answer"], row["answer_id"], row["late"]) == ("accept", accept, False)
    assert row["answered_at"] is not None
    assert parse(row["answered_at"]) >= parse(row["read_at"])

    agreed = slot(7200, hours=1)
    scheduled = last_word(us.cli("update", request_id, "scheduled", "--slot", slot_arg(agreed)))
    row = folds_agree(us, prc, request_id, "scheduled")
    assert slot_equals(row["scheduled_slot"], agreed)

    summary = "Agreed to exchange intercept procedures; next round in May."
    held = last_word(prc.cli("update", request_id, "held", "--summary", summary))
    row = folds_agree(us, prc, request_id, "held")
    assert row["summary"] == summary
    assert events(row) == [
        ("deliver", True),
        ("read", True),
        ("accept", True),
        ("schedule", True),
        ("hold", True),
    ]
    assert [step["actor"] for step in row["history"]] == ["system", PRC, PRC, US, PRC]
    assert [step["entry_id"] for step in row["history"][1:]] == [
        read_receipt,
        accept,
        scheduled,
        held,
    ]
    assert [step["state"] for step in row["history"]] == [
        "delivered",
        "read",
        "accepted",
        "scheduled",
        "held",
    ]
    times = [parse(step["time"]) for step in row["history"]]
    assert times == sorted(times)


def test_declined_with_reason_and_conditions(pair: tuple[NodeProcess, NodeProcess]) -> None:
    us, prc = pair
    request_id = request(us, level="minister", subject="Secretary of Defense call")
    delivered(us, prc, request_id)
    conditions = ["Sanctions on the minister must be lifted first", "No reconnaissance flights"]
    declined = prc.cli(
        "respond",
        request_id,
        "decline",
        "--reason",
        "Little chance while sanctions stand",
        "--condition",
        conditions[0],
        "--condition",
        conditions[1],
        "--officer",
        "Sr. Col. Zhang",
        "--lang",
        "en",
    )
    answer_id = last_word(declined)
    row = folds_agree(us, prc, request_id, "declined")
    assert (row["answer"], row["answer_id"]) == ("decline", answer_id)
    assert row["reason"] == "Little chance while sanctions stand"
    assert row["conditions"] == conditions
    assert row["late"] is False
    assert row["read_at"] is None  # answered without a read receipt: still an answer
    assert events(row) == [("deliver", True), ("decline", True)]
    assert [item["id"] for item in views(us, "--state", "declined")].count(request_id) == 1


def test_countered_then_scheduled_then_cancelled(pair: tuple[NodeProcess, NodeProcess]) -> None:
    us, prc = pair
    request_id = request(us, fmt="video-call", level="chief-of-defence", subject="CJCS call")
    delivered(us, prc, request_id)
    proposals = [slot(86_400), slot(90_000)]
    countered = prc.cli(
        "respond",
        request_id,
        "counter",
        "--slot",
        slot_arg(proposals[0]),
        "--slot",
        slot_arg(proposals[1]),
        "--format",
        "phone-call",
        "--note",
        "A phone call first",
    )
    answer_id = last_word(countered)
    row = folds_agree(us, prc, request_id, "countered")
    assert (row["answer"], row["answer_id"]) == ("counter", answer_id)
    assert row["counter"]["format"] == "phone-call"
    assert len(row["counter"]["slots"]) == len(proposals)
    for got, want in zip(row["counter"]["slots"], proposals, strict=True):
        assert slot_equals(got, want), (got, want)

    us.cli("update", request_id, "scheduled", "--slot", slot_arg(proposals[0]), check=True)
    row = folds_agree(us, prc, request_id, "scheduled")
    assert slot_equals(row["scheduled_slot"], proposals[0])

    reason = "The chairman is travelling"
    last_word(us.cli("update", request_id, "cancelled", "--reason", reason))
    row = folds_agree(us, prc, request_id, "cancelled")
    assert row["reason"] == reason
    assert events(row) == [
        ("deliver", True),
        ("counter", True),
        ("schedule", True),
        ("cancel", True),
    ]
    assert [step["actor"] for step in row["history"]] == ["system", PRC, US, US]


def test_read_then_withdrawn_by_the_requester(pair: tuple[NodeProcess, NodeProcess]) -> None:
    us, prc = pair
    request_id = request(
        us,
        fmt="dialogue",
        level="working",
        subject="Military Maritime Consultative Agreement talks",
        extra=["--series", "MMCA"],
    )
    delivered(us, prc, request_id)
    last_word(prc.cli("ack", request_id))
    folds_agree(us, prc, request_id, "read")
    reason = "Overtaken by events"
    withdrawn = last_word(us.cli("update", request_id, "withdrawn", "--reason", reason))
    row = folds_agree(us, prc, request_id, "withdrawn")
    assert row["body"]["series"] == "MMCA"
    assert row["reason"] == reason
    assert row["answer"] is None
    assert row["history"][-1] == {
        **row["history"][-1],
        "event": "withdraw",
        "actor": US,
        "entry_id": withdrawn,
        "applied": True,
    }
    # An answer racing the withdrawal is refused at the door, and nothing is signed.
    sizes = prc.api_peer_status(US)["sent"]
    late_answer = prc.cli("respond", request_id, "decline", "--reason", "No")
    assert late_answer.returncode == 2
    assert "invalid-transition" in late_answer.stderr
    assert prc.api_peer_status(US)["sent"] == sizes


def test_deferred_then_overdue_then_answered_late(pair: tuple[NodeProcess, NodeProcess]) -> None:
    us, prc = pair
    request_id = request(us, subject="Port visit consultations")
    delivered(us, prc, request_id)
    until = moment(5)
    defer_id = last_word(prc.cli("respond", request_id, "defer", "--until", until))
    row = folds_agree(us, prc, request_id, "deferred")
    assert same_time(row["deferred_until"], until)
    assert same_time(row["due"], until)  # the promise is now the deadline
    assert (row["answer"], row["answer_id"], row["late"]) == ("defer", defer_id, False)
    first_answer = row["answered_at"]

    row = wait_state(us, request_id, "overdue-deferred")
    alarm = wait_for_alarm(us, request_id)
    assert (alarm["kind"], alarm["owed_by"], alarm["owed_to"]) == ("overdue-deferred", PRC, US)
    assert same_time(alarm["due"], until)
    assert parse(alarm["raised_at"]) >= parse(until)
    folds_agree(us, prc, request_id, "overdue-deferred")

    accept_id = last_word(prc.cli("respond", request_id, "accept", "--slot", "1"))
    row = folds_agree(us, prc, request_id, "accepted")
    assert (row["answer"], row["answer_id"]) == ("accept", accept_id)
    assert row["answered_at"] == first_answer  # time to answer counts from the first answer
    assert events(row) == [
        ("deliver", True),
        ("defer", True),
        ("deadline", True),
        ("accept", True),
    ]
    deadline_step, accept_step = row["history"][2], row["history"][3]
    assert deadline_step["state"] == "overdue-deferred"
    assert same_time(deadline_step["time"], until)
    assert accept_step["late"] is True  # it came after the promised time
    assert row["history"][1]["late"] is False
    wait_for(lambda: alarm_for(us, request_id) is None, 20, "the alarm to clear")


def wait_for_alarm(node: NodeProcess, entry_id: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = []

    def raised() -> bool:
        alarm = alarm_for(node, entry_id)
        found[:] = [] if alarm is None else [alarm]
        return alarm is not None

    wait_for(raised, 30, f"{node.party} to raise an alarm for {entry_id[:16]}")
    return found[0]


def test_unanswered_is_alarmed_provable_and_a_late_answer_keeps_the_old_proof(
    pair: tuple[NodeProcess, NodeProcess], tmp_path: Path
) -> None:
    us, prc = pair
    respond_by = moment(6)
    request_id = request(
        us, fmt="video-call", level="chief-of-defence", subject="CJCS", respond_by=respond_by
    )
    before = us.api_status()
    if parse(before["time"]) < parse(respond_by):
        assert request_id not in [alarm["id"] for alarm in before["alarms"]]
    delivered_row = wait_view(us, request_id, lambda v: v["delivered_at"] is not None, "receipt")
    assert parse(delivered_row["delivered_at"]) <= parse(respond_by)

    # The watcher raises the alarm on both sides: the requester is owed an answer, the
    # counterpart owes one.
    for node in (us, prc):
        alarm = wait_for_alarm(node, request_id)
        assert (alarm["kind"], alarm["owed_by"], alarm["owed_to"]) == ("unanswered", PRC, US)
        assert same_time(alarm["due"], respond_by)
        assert parse(alarm["raised_at"]) >= parse(respond_by)
        assert alarm["subject"] == "CJCS"
    status = us.status()  # the CLI's `status --json`
    assert request_id in [alarm["id"] for alarm in status["alarms"]]
    shown = us.cli("status")
    assert shown.returncode == 0, shown.stderr
    assert f"ALARM unanswered: {PRC} owes {US}" in shown.stdout
    assert request_id[:16] in shown.stdout
    assert re.search(r"alarms: .*unanswered [1-9]", shown.stdout), shown.stdout
    listed = us.cli("alarms")  # every raised alarm, one row each
    assert listed.returncode == 0, listed.stderr
    row_of = [line for line in listed.stdout.splitlines() if request_id[:16] in line]
    assert len(row_of) == 1, listed.stdout
    assert row_of[0].split()[:3] == ["unanswered", PRC, US]
    as_json = json.loads(us.cli("alarms", "--json").stdout)
    assert request_id in [alarm["id"] for alarm in as_json["alarms"]]
    assert status["requests"]["out"].get("unanswered", 0) >= 1
    assert prc.status()["requests"]["in"].get("unanswered", 0) >= 1

    row = wait_view(us, request_id, lambda v: v["provable"] is True, "a provable non-answer")
    assert row["state"] == "unanswered"
    assert parse(row["evidence_until"]) > parse(respond_by)
    assert row["evidence_until"] in row["note"]
    assert "provable" in row["note"]
    folds_agree(us, prc, request_id, "unanswered")
    assert [item["id"] for item in views(us, "--state", "unanswered")].count(request_id) == 1

    early = tmp_path / "unanswered.json"
    assert prove(us, "unanswered", request_id, early).returncode == 0
    proof_before = early.read_bytes()
    checked = check_proof(early, [us.card_path, prc.card_path])
    assert checked.returncode == 0, checked.stderr
    assert "UNANSWERED" in checked.stdout

    late = prc.cli("respond", request_id, "decline", "--reason", "Too late for this week")
    answer_id = last_word(late)
    row = folds_agree(us, prc, request_id, "declined")
    assert row["late"] is True
    assert row["answer_id"] == answer_id
    assert parse(row["answered_at"]) > parse(respond_by)
    assert "after its deadline" in row["note"]
    assert events(row) == [("deliver", True), ("deadline", True), ("decline", True)]
    assert row["history"][1]["state"] == "unanswered"
    assert row["history"][2]["late"] is True
    wait_for(lambda: alarm_for(us, request_id) is None, 20, "us-dod's alarm to clear")
    wait_for(lambda: alarm_for(prc, request_id) is None, 20, "prc-mnd's alarm to clear")

    # The proof exported before the answer still holds: it speaks of its checkpoint's time.
    assert early.read_bytes() == proof_before
    checked = check_proof(early, [us.card_path, prc.card_path])
    assert checked.returncode == 0, checked.stderr
    answer_proof = tmp_path / "answer.json"
    assert prove(us, "answer", request_id, answer_proof).returncode == 0
    checked = check_proof(answer_proof, [us.card_path, prc.card_path])
    assert checked.returncode == 0, checked.stderr
    assert answer_id in checked.stdout
    assert "LATE" in checked.stdout


def test_explanation_is_read_and_replied(pair: tuple[NodeProcess, NodeProcess]) -> None:
    us, prc = pair
    about = prc.send_batch([US], ["Live-fire exercise east of Hainan, 10-12 May"])[0]["id"]
    wait_for(lambda: any(r["id"] == about for r in us.log(PRC)), 20, "the notice to arrive")
    asked = us.cli(
        "explain",
        "--to",
        PRC,
        "--subject",
        "Exercise area",
        "--text",
        "Why does the area overlap the shipping lane?",
        "--within-hours",
        "1",
        "--ref",
        about,
    )
    request_id = last_word(asked)
    row = folds_agree(us, prc, request_id, "delivered")
    assert (row["kind"], row["format"], row["level"]) == ("explain.request", "explanation", None)
    assert row["body"]["reply_within_hours"] == 1
    # The window runs from delivery, not from the request's own time.
    assert (parse(row["due"]) - parse(row["delivered_at"])).total_seconds() == 3600

    last_word(prc.cli("ack", request_id, "--officer", "Duty Officer Sun"))
    row = folds_agree(us, prc, request_id, "read")
    assert row["read_by"] == "Duty Officer Sun"

    text = "The lane is closed during the exercise; notice to mariners issued."
    reply_id = last_word(prc.cli("respond", request_id, "reply", "--text", text, "--lang", "en"))
    row = folds_agree(us, prc, request_id, "answered")
    assert (row["answer"], row["answer_id"], row["late"]) == ("reply", reply_id, False)
    assert events(row) == [("deliver", True), ("read", True), ("reply", True)]
    reply = next(r for r in us.log(PRC) if r["id"] == reply_id)
    assert (reply["kind"], reply["body"]["text"], reply["refs"]) == (
        "explain.response",
        text,
        [request_id],
    )
    asked_entry = next(r for r in prc.log(US) if r["id"] == request_id)
    assert asked_entry["refs"] == [about]
    assert [item["id"] for item in views(prc, "--state", "answered")].count(request_id) == 1


def test_status_counts_match_the_listed_states(pair: tuple[NodeProcess, NodeProcess]) -> None:
    us, prc = pair
    request_id = api_request(us, subject="One more, to be sure there is something to count")
    folds_agree(us, prc, request_id, "delivered")  # no state moves while we count
    table = us.cli("requests", "--peer", PRC)
    assert table.returncode == 0, table.stderr
    assert request_id[:16] in table.stdout
    for node in (us, prc):
        rows = views(node)
        status = node.status()
        for direction in ("out", "in"):
            listed = Counter(row["state"] for row in rows if row["direction"] == direction)
            assert status["requests"][direction] == dict(listed), (node.party, direction)
        outgoing = node.api("GET", "/api/v1/requests?direction=out")
        assert {row["direction"] for row in outgoing.json()["requests"]} <= {"out"}
        assert len(outgoing.json()["requests"]) == sum(status["requests"]["out"].values())


def test_rebuild_leaves_every_request_state_the_same(
    pair: tuple[NodeProcess, NodeProcess],
) -> None:
    """Request states are folds of the transcript: rebuilding the caches changes none."""
    us, prc = pair
    declined = api_request(us, subject="To be declined")
    withdrawn = api_request(us, subject="To be withdrawn")
    for request_id in (declined, withdrawn):
        wait_view(us, request_id, lambda v: v["delivered_at"] is not None, "a receipt")
    api_post(prc, f"/api/v1/requests/{declined}/respond", {"answer": "decline", "reason": "No"})
    api_post(us, f"/api/v1/requests/{withdrawn}/update", {"status": "withdrawn"})
    folds_agree(us, prc, declined, "declined")
    folds_agree(us, prc, withdrawn, "withdrawn")

    for node in (us, prc):
        before = [comparable(row) for row in views(node)]
        assert len({row["state"] for row in before}) >= 2
        rebuilt = node.cli("rebuild")
        assert rebuilt.returncode == 0, rebuilt.stderr
        after = [comparable(row) for row in views(node)]
        assert after == before, node.party
        verified = node.verify()
        assert verified.returncode == 0, verified.stderr


def test_counterpart_down_at_the_deadline(nodes: NodeFactory, tmp_path: Path) -> None:
    us, prc = nodes(US, PRC)
    respond_by = moment(8)
    request_id = request(us, level="minister", respond_by=respond_by)
    row = wait_view(us, request_id, lambda v: v["delivered_at"] is not None, "the receipt")
    assert parse(row["delivered_at"]) <= parse(respond_by)
    prc.stop()

    row = wait_state(us, request_id, "unanswered")
    pause_past(respond_by)
    row = view(us, request_id)  # the CLI path, as the duty officer sees it
    assert row["state"] == "unanswered"
    assert row["provable"] is False
    assert row["evidence_until"] is not None
    assert parse(row["evidence_until"]) <= parse(respond_by)
    note = row["note"]
    assert row["delivered_at"] in note
    assert row["due"] in note
    assert row["evidence_until"] in note
    assert "unproven" in note
    alarm = wait_for_alarm(us, request_id)
    assert alarm["kind"] == "unanswered"

    out = tmp_path / "unanswered.json"
    refused = prove(us, "unanswered", request_id, out)
    assert refused.returncode == 2, refused.stderr
    assert "not-provable-yet" in refused.stderr
    assert len(refused.stderr.splitlines()) == 1
    assert "Traceback" not in refused.stderr
    assert not out.exists()
    delivery = tmp_path / "delivery.json"
    assert prove(us, "delivery", request_id, delivery).returncode == 0
    checked = check_proof(delivery, [us.card_path, prc.card_path])
    assert checked.returncode == 0, checked.stderr

    prc.start()
    row = wait_view(us, request_id, lambda v: v["provable"] is True, "provable once prc is back")
    assert parse(row["evidence_until"]) > parse(respond_by)
    assert row["state"] == "unanswered"
    assert "provable" in row["note"]
    assert "unproven" not in row["note"]
    assert prove(us, "unanswered", request_id, out).returncode == 0
    checked = check_proof(out, [us.card_path, prc.card_path])
    assert checked.returncode == 0, checked.stderr
    folds_agree(us, prc, request_id, "unanswered")


def test_cli_works_while_the_nodes_are_stopped(nodes: NodeFactory, tmp_path: Path) -> None:
    us, prc = nodes(US, PRC, start=False)
    slots = [slot(3600), slot(7200)]
    request_id = request(us, fmt="phone-call", slots=slots, subject="Queued while stopped")
    row = view(us, request_id)
    assert row["state"] == "proposed"
    assert row["delivered_at"] is None
    assert row["note"] == "not yet delivered: no receipt from the counterpart"
    assert us.status()["requests"]["out"] == {"proposed": 1}

    us.start()
    prc.start()
    folds_agree(us, prc, request_id, "delivered")

    prc.stop()
    last_word(prc.cli("ack", request_id, "--officer", "Col. Li"))  # straight to the store
    answer_id = last_word(prc.cli("respond", request_id, "accept", "--slot", "1"))
    assert view(prc, request_id)["state"] == "accepted"  # its own fold sees it at once
    assert view(us, request_id)["state"] == "delivered"  # not sent yet
    prc.start()
    row = folds_agree(us, prc, request_id, "accepted")
    assert row["answer_id"] == answer_id
    assert row["read_by"] == "Col. Li"

    us.stop()
    scheduled = us.cli("update", request_id, "scheduled", "--slot", slot_arg(slots[0]))
    last_word(scheduled)
    assert view(us, request_id)["state"] == "scheduled"
    assert view(prc, request_id)["state"] == "accepted"
    explained = us.cli(
        "explain", "--to", PRC, "--subject", "Radar lock", "--text", "Explain the radar lock."
    )
    explain_id = last_word(explained)
    assert view(us, explain_id)["state"] == "proposed"
    us.start()
    folds_agree(us, prc, request_id, "scheduled")
    folds_agree(us, prc, explain_id, "delivered")

    # Proofs come from a stopped node too, the same bytes as from the running one.
    running_proof, stopped_proof = tmp_path / "running.json", tmp_path / "stopped.json"
    assert prove(us, "delivery", request_id, running_proof).returncode == 0
    us.stop()
    prc.stop()
    assert prove(us, "delivery", request_id, stopped_proof).returncode == 0
    assert stopped_proof.read_bytes() == running_proof.read_bytes()
    checked = check_proof(stopped_proof, [us.card_path, prc.card_path])
    assert checked.returncode == 0, checked.stderr

    # Rebuilding a stopped node's caches changes no state, in full (nothing moves now).
    for node in (us, prc):
        before = views(node)
        assert node.cli("rebuild").returncode == 0
        assert views(node) == before
        assert {row["id"] for row in before} == {request_id, explain_id}
