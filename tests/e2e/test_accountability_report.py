"""The accountability report of a real node, after a small scenario on two real nodes.

us-dod asks prc-mnd for five contacts and prc-mnd answers four of them in four different
ways (decline with reason and conditions, accept, counter, defer) and leaves one
unanswered past its deadline; prc-mnd asks us-dod for two, and us-dod accepts one. The
report's figures must say exactly that, per format and level and both ways; the HTML
carries its charts inline; a period filters by the requests' signed times; and a store
that fails ``verify`` gets no report at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from contact_harness import (
    PRC,
    US,
    last_word,
    moment,
    parse,
    request,
    views,
    wait_state,
    wait_view,
)
from harness import NodeProcess, pin_all

pytestmark = pytest.mark.e2e

REASON = "Little chance of a meeting while sanctions stand"
CONDITIONS = ["Sanctions on the minister must be lifted first", "Stop close-in reconnaissance"]


@dataclass(frozen=True)
class Scenario:
    us: NodeProcess
    prc: NodeProcess
    asked: dict[str, str]  # us-dod → prc-mnd, by outcome
    were_asked: dict[str, str]  # prc-mnd → us-dod, by outcome


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    root = tmp_path_factory.mktemp("report")
    us, prc = NodeProcess(root, US), NodeProcess(root, PRC)
    pin_all([us, prc])
    try:
        us.start()
        prc.start()
        asked = {
            "declined": request(us, fmt="phone-call", level="minister", subject="SecDef call"),
            "unanswered": request(
                us,
                fmt="video-call",
                level="chief-of-defence",
                subject="CJCS video call",
                respond_by=moment(6),
            ),
            "accepted": request(
                us,
                fmt="meeting",
                level="commander",
                subject="INDOPACOM meeting",
                extra=["--location", "Honolulu"],
            ),
            "countered": request(us, fmt="phone-call", level="working", subject="Desk call"),
            "deferred": request(
                us,
                fmt="dialogue",
                level="working",
                subject="MMCA round",
                extra=["--series", "MMCA"],
            ),
        }
        for request_id in asked.values():
            wait_view(prc, request_id, lambda v: v["delivered_at"] is not None, "arrival")
        decline = [
            "respond",
            asked["declined"],
            "decline",
            "--reason",
            REASON,
            "--lang",
            "zh",
        ]
        for condition in CONDITIONS:
            decline += ["--condition", condition]
        last_word(prc.cli(*decline))
        last_word(prc.cli("ack", asked["accepted"]))
        last_word(prc.cli("respond", asked["accepted"], "accept", "--slot", "1"))
        counter_slot = f"{moment(90_000)}/{moment(93_600)}"
        last_word(prc.cli("respond", asked["countered"], "counter", "--slot", counter_slot))
        last_word(prc.cli("respond", asked["deferred"], "defer", "--until", moment(86_400)))

        were_asked = {
            "accepted": request(prc, US, fmt="phone-call", level="working", subject="PLAN call"),
            "pending": request(
                prc,
                US,
                fmt="meeting",
                level="minister",
                subject="Ministers",
                extra=["--location", "Beijing"],
            ),
        }
        wait_view(us, were_asked["accepted"], lambda v: v["delivered_at"] is not None, "arrival")
        last_word(us.cli("respond", were_asked["accepted"], "accept", "--slot", "1"))

        wait_state(us, asked["unanswered"], "unanswered")
        for outcome in ("declined", "accepted", "countered", "deferred"):
            wait_state(us, asked[outcome], outcome)
        wait_state(prc, were_asked["accepted"], "accepted")
        wait_view(
            prc,
            were_asked["pending"],
            lambda v: v["delivered_at"] is not None,
            "the pending request's receipt",
        )
        yield Scenario(us, prc, asked, were_asked)
    finally:
        us.stop()
        prc.stop()


def report(node: NodeProcess, *args: str) -> dict[str, Any]:
    result = node.cli("report", "--counterpart", PRC if node.party == US else US, *args)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return dict(json.loads(result.stdout))


def nearest_rank(values: list[float], percent: int) -> float:
    ordered = sorted(values)
    rank = max(1, -(-percent * len(ordered) // 100))
    return ordered[rank - 1]


def group(groups: list[dict[str, Any]], **key: str | None) -> dict[str, Any]:
    (found,) = [g for g in groups if all(g[name] == value for name, value in key.items())]
    return found


def test_json_figures_match_what_happened(scenario: Scenario) -> None:
    us = scenario.us
    data = report(us, "--format", "json")
    assert (data["party"], data["counterpart"], data["verified"]) == (US, PRC, True)
    assert data["period"] == {"since": None, "until": None}

    asked = data["directions"]["asked"]
    assert (asked["requester"], asked["counterpart"]) == (US, PRC)
    assert {row["id"] for row in asked["requests"]} == set(scenario.asked.values())
    outcomes = {row["id"]: row["outcome"] for row in asked["requests"]}
    assert outcomes == {request_id: name for name, request_id in scenario.asked.items()}
    total = asked["total"]
    counts = total["counts"]
    assert counts["requests"] == len(scenario.asked)
    assert counts["delivered"] == len(scenario.asked)
    assert counts["read"] == 1
    assert counts["answered"] == 4
    for name in ("accepted", "declined", "countered", "deferred", "unanswered"):
        assert counts[name] == 1, name
        assert total["outcomes"][name] == 1, name
    assert counts["answered_late"] == 0
    assert sum(total["outcomes"].values()) == len(scenario.asked)

    # Per format and per level, as asked.
    by_format = asked["by_format"]
    phone = group(by_format, format="phone-call")["counts"]
    assert (phone["requests"], phone["declined"], phone["countered"]) == (2, 1, 1)
    assert group(by_format, format="video-call")["counts"]["unanswered"] == 1
    assert group(by_format, format="meeting")["counts"]["accepted"] == 1
    assert group(by_format, format="dialogue")["counts"]["deferred"] == 1
    by_level = asked["by_level"]
    assert group(by_level, level="minister")["counts"]["declined"] == 1
    assert group(by_level, level="chief-of-defence")["counts"]["unanswered"] == 1
    assert group(by_level, level="commander")["counts"]["accepted"] == 1
    working = group(by_level, level="working")["counts"]
    assert (working["requests"], working["countered"], working["deferred"]) == (2, 1, 1)
    pair = group(asked["by_format_level"], format="phone-call", level="minister")
    assert pair["outcomes"]["declined"] == 1

    # The decline, with its reason and conditions verbatim, in their language.
    (declined,) = [row for row in asked["requests"] if row["answer"] == "decline"]
    assert declined["id"] == scenario.asked["declined"]
    assert declined["reason"] == REASON
    assert declined["conditions"] == CONDITIONS
    assert declined["reason_lang"] == "zh"

    # Times to answer: from delivery to the first answer, as the node's own fold has them.
    folded = {row["id"]: row for row in views(us)}
    seconds = [
        (parse(row["answered_at"]) - parse(row["delivered_at"])).total_seconds()
        for request_id in scenario.asked.values()
        if (row := folded[request_id])["answered_at"] is not None
    ]
    times = total["answer_times"]
    assert times["answered"] == len(seconds) == 4
    assert times["median_seconds"] == pytest.approx(nearest_rank(seconds, 50))
    assert times["p90_seconds"] == pytest.approx(nearest_rank(seconds, 90))
    (unanswered,) = [row for row in asked["requests"] if row["state"] == "unanswered"]
    assert unanswered["answer_seconds"] is None
    assert parse(unanswered["deadline"]) < parse(data["generated_at"])

    # The other direction: what we were asked, and how we answered.
    were_asked = data["directions"]["were_asked"]
    assert (were_asked["requester"], were_asked["counterpart"]) == (PRC, US)
    theirs = {row["id"]: row["outcome"] for row in were_asked["requests"]}
    assert theirs == {request_id: name for name, request_id in scenario.were_asked.items()}
    assert were_asked["total"]["counts"]["awaiting"] == 1
    assert were_asked["total"]["answer_times"]["answered"] == 1

    # Proven up to the cosigned checkpoints that cover everything both logs hold.
    peer = us.peer_status(PRC)
    proven = {item["log"]: item for item in data["proven"]}
    assert proven[f"{US}→{PRC}"]["size"] == peer["sent"]
    assert proven[f"{PRC}→{US}"]["size"] == peer["received"]
    assert all(item["time"] is not None for item in proven.values())

    # The counterpart's report is the mirror image.
    mirror = report(scenario.prc, "--format", "json")
    assert mirror["directions"]["were_asked"]["total"] == total
    assert mirror["directions"]["asked"]["total"] == were_asked["total"]


def test_markdown_and_html_say_the_same_and_html_has_charts(
    scenario: Scenario, tmp_path: Path
) -> None:
    us = scenario.us
    markdown = us.cli("report", "--counterpart", PRC, "--format", "md")
    assert markdown.returncode == 0, markdown.stderr
    page = tmp_path / "report.html"
    written = us.cli("report", "--counterpart", PRC, "--format", "html", "--out", page)
    assert written.returncode == 0, written.stderr
    assert str(page) in written.stdout
    html = page.read_text("utf-8")
    for text in (markdown.stdout, html):
        assert REASON in text
        assert all(condition in text for condition in CONDITIONS)
        assert "SecDef call" in text
        assert PRC in text
    assert markdown.stdout.lstrip().startswith("#")
    assert "<svg" not in markdown.stdout
    assert html.lstrip().lower().startswith("<!doctype html>")
    assert html.count("<svg") >= 2  # a timeline and outcomes, inline
    assert "<img" not in html  # self-contained: nothing to fetch
    assert "src=" not in html
    assert 'lang="zh"' in html  # the reason is quoted in its own language


def test_period_filters_by_the_requests_signed_time(scenario: Scenario) -> None:
    us = scenario.us
    folded = {row["id"]: row for row in views(us)}
    since = folded[scenario.asked["accepted"]]["time"]
    until = folded[scenario.asked["deferred"]]["time"]
    data = report(us, "--format", "json", "--since", since, "--until", until)
    assert parse(data["period"]["since"]) == parse(since)
    assert parse(data["period"]["until"]) == parse(until)
    inside = [
        request_id
        for request_id in scenario.asked.values()
        if parse(since) <= parse(folded[request_id]["time"]) < parse(until)
    ]
    assert sorted(inside) == sorted([scenario.asked["accepted"], scenario.asked["countered"]])
    asked = data["directions"]["asked"]
    assert sorted(row["id"] for row in asked["requests"]) == sorted(inside)
    assert asked["total"]["counts"]["requests"] == 2
    assert data["directions"]["were_asked"]["requests"] == []
    after = report(us, "--format", "json", "--since", moment(3600))
    assert after["empty"] is True
    assert after["directions"]["asked"]["total"]["counts"]["requests"] == 0


def test_a_store_that_fails_verify_gets_no_report(scenario: Scenario) -> None:
    """Runs last: it stops the nodes and edits a byte of us-dod's database."""
    us = scenario.us
    us.stop()
    scenario.prc.stop()
    assert report(us, "--format", "json")["directions"]["asked"]["requests"]  # stopped: fine

    altered = us.alter_stored_entry(US, PRC, 0, b'"subject":"SecDef call"')
    try:
        assert us.verify().returncode == 1
        for fmt in ("json", "md", "html"):
            refused = us.cli("report", "--counterpart", PRC, "--format", fmt)
            assert refused.returncode == 2, refused.stdout
            assert refused.stdout == ""
            assert refused.stderr.startswith("openline: ")
            assert len(refused.stderr.splitlines()) == 1
            assert "Traceback" not in refused.stderr
            assert "does not verify" in refused.stderr
            assert "transcript-unverified" in refused.stderr
    finally:
        us.restore_byte(altered)
    assert us.verify().returncode == 0
    assert report(us, "--format", "json")["verified"] is True
