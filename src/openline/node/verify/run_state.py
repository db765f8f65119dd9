"""What one run shares across its logs (:class:`Run`), and how a log's check stops at its
first problem (:class:`Problem`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from openline.core.card import Card
from openline.node.verify.entries import EntryChecker
from openline.node.verify.report import VerifyReport

Progress = Callable[[int, int, str], None]
"""``progress(done, total, log)``: entries checked so far, entries this run will check, and
the log being checked (``sender→recipient``); called after each chunk."""


class Problem(Exception):
    """The first problem of a log: unwinds its check."""


@dataclass
class Run:
    """What a whole run shares: cards, key, the entry checker, counters and progress."""

    cards: dict[str, Card]
    report: VerifyReport
    checker: EntryChecker
    chunk: int
    total: int
    progress: Progress | None
    done: int = 0

    def advance(self, entries: int, where: str) -> None:
        self.done += entries
        self.report.entries += entries
        if self.progress is not None:
            self.progress(self.done, max(self.total, self.done), where)
