"""The node's background work while it serves: deadlines every second, desk checks on
their cadence, and a verify of what is new every ``verify_seconds``."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

import anyio.to_thread

from openline.node.app import Node

log = logging.getLogger("openline.node")
WATCH_SECONDS = 1.0


async def watch_deadlines(node: Node) -> None:
    """Re-evaluate deadlines every second: an alarm is raised within a second of one passing.
    The same tick sends the desk checks that the cadence calls for."""
    started = node.clock()
    while True:
        try:
            await anyio.to_thread.run_sync(node.watcher.tick)
        except Exception:  # a watcher never dies; the next tick tries again
            log.exception("deadline watcher tick failed")
        try:
            await anyio.to_thread.run_sync(send_due_desk_checks, node, started)
        except Exception:
            log.exception("desk check on the cadence failed")
        await asyncio.sleep(WATCH_SECONDS)


BACKGROUND_SCRUB = 2000  # old entries per background run: a 1M log every 500 runs, <2 days


async def keep_verified(node: Node) -> None:
    """Every ``verify_seconds``, check what was stored since the last verify (and a slice
    of the rest) in one worker thread, so reports and the counterpart page can say "proven
    up to checkpoint N at T" without verifying on a page load."""
    period = node.config.verify_seconds
    if period <= 0:
        return
    while True:
        await asyncio.sleep(period)
        try:
            report = await anyio.to_thread.run_sync(
                lambda: node.verify(scrub_budget=BACKGROUND_SCRUB, workers=1, wait=False)
            )
        except Exception:
            log.exception("background verify failed")
            continue
        if report is not None and not report.ok:
            log.error("VERIFY FAILED: %s", report.problems[0])


def send_due_desk_checks(node: Node, since: datetime) -> None:
    due = node.notices.due_desk_checks(since)
    if due:
        node.notices.desk_check(due)
        log.info("desk check sent to %s", ", ".join(due))
