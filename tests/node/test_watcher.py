"""The deadline watcher's tick on a quiet node: it re-reads the open obligations only when
the store changed, a deadline passed, or its belt of FULL_SECONDS ran out; and an alarm is
never late for it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from test_requests_node import ask, exchange

from openline.node import watcher
from openline.node.hotline import NewMessage, send_messages
from pair import make_pair, pump


@pytest.fixture
def evaluations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One item per full evaluation of the open obligations (a call of ``overdue``)."""
    counted: list[int] = []
    evaluate = watcher.overdue

    def counting(node: Any, now: Any) -> list[watcher.Alarm]:
        counted.append(1)
        return evaluate(node, now)

    monkeypatch.setattr(watcher, "overdue", counting)
    return counted


def test_a_quiet_tick_reads_nothing_until_a_deadline_passes_or_the_store_changes(
    tmp_path: Path, evaluations: list[int]
) -> None:
    us, prc, clock = make_pair(tmp_path)
    request_id = ask(us, clock, timedelta(minutes=10))
    exchange(us, prc)
    assert us.watcher.tick() == []
    assert len(evaluations) == 1
    for _ in range(5):  # nothing stored, nothing due: the ticks read nothing
        clock.advance(minutes=1)
        assert us.watcher.tick() == []
    assert len(evaluations) == 1

    clock.advance(minutes=6)  # past the deadline, with nothing stored meanwhile
    raised = us.watcher.tick()
    assert [(alarm.id, alarm.kind) for alarm in raised] == [(request_id, "unanswered")]
    assert len(evaluations) == 2
    assert [alarm.id for alarm in us.watcher.alarms()] == [request_id]  # kept while quiet

    send_messages(us, ["prc-mnd"], [NewMessage("a new entry")])  # the store changed
    assert us.watcher.tick() == []
    assert len(evaluations) == 3
    pump(us, prc)  # a receipt is a change too
    us.watcher.tick()
    assert len(evaluations) == 4


def test_a_quiet_node_is_evaluated_afresh_after_full_seconds(
    tmp_path: Path, evaluations: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    us, _prc, _clock = make_pair(tmp_path)
    us.watcher.tick()
    us.watcher.tick()
    assert len(evaluations) == 1
    monkeypatch.setattr(watcher, "FULL_SECONDS", 0.0)
    us.watcher.tick()
    assert len(evaluations) == 2
