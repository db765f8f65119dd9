"""One run of ``openline verify`` over every log: how much it will check, each log in its own
snapshot until the first problem, and the marks and outcome it writes."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from openline.core.card import Card
from openline.core.keys import PrivateKey, PublicKey
from openline.core.timefmt import format_time
from openline.node.verify.entries import EntryChecker, usable_cores
from openline.node.verify.log_check import LogCheck
from openline.node.verify.marks import LAST_VERIFY_META, mark_signed, proven_marks, sign_mark
from openline.node.verify.report import VerifyReport
from openline.node.verify.run_state import Problem, Progress, Run
from openline.store import Store, audit

DEFAULT_SCRUB_BUDGET = 2_000
"""Old entries re-checked per incremental run: about 0.1 s, so that ``openline verify`` stays
a quick command whatever the history; a log of up to this many entries is re-checked whole
every run, and a running node's background runs (every ``verify_seconds``) cycle through a
1M-entry log in under two days."""

CHUNK = 2048
"""Entries read per query and checked per worker job."""

POOL_THRESHOLD = 20_000
"""Below this many entries to check in one run, no worker process is started (starting two
costs about half a second; below this, checking in-process is about as fast)."""


def logs_to_verify(store: Store, cards: dict[str, Card]) -> list[tuple[str, str]]:
    """Every log with entries, checkpoints, cosignatures or a mark (the other side's log
    after heartbeats may have only checkpoints)."""
    del cards  # every log the store holds is checked, pinned or not
    with store.read() as connection:
        return audit.logs(connection)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def verify_store(
    store: Store,
    cards: dict[str, Card],
    on_log: Callable[[str], None] | None = None,
    /,
    *,
    full: bool = False,
    key: PrivateKey | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
    scrub_budget: int = DEFAULT_SCRUB_BUDGET,
    pool_threshold: int = POOL_THRESHOLD,
    chunk: int = CHUNK,
    clock: Callable[[], datetime] = _utc_now,
) -> VerifyReport:
    """Check every log in ``store`` against the parties' ``cards`` (ours included).

    Args:
        on_log: Called with ``sender→recipient`` as each log starts (the console's stream).
        full: Re-check everything, whatever the marks say (``--full``).
        key: This node's key: with it the run is incremental (unless ``full``) and writes a
            signed mark per log it finds sound; without it the run is full and marks are
            neither read nor written.
        progress: ``progress(done, total, log)`` after each chunk of entries.
        workers: Worker processes for entry signatures (default: the usable cores; 1 checks
            in this process). None are started for fewer than ``pool_threshold`` entries.
        scrub_budget: Old entries re-checked per incremental run.
    """
    started = time.perf_counter()
    marked = key is not None
    mode = "full" if full or not marked else "incremental"
    logs, marks, total = _plan(store, marked, mode, scrub_budget)
    wanted = usable_cores() if workers is None else max(1, workers)
    if total < pool_threshold:
        wanted = 1
    report = VerifyReport(mode=mode, workers=wanted)
    run = Run(cards, report, EntryChecker(wanted), max(1, chunk), total, progress)
    report.workers = run.checker.workers
    public_key = None if key is None else key.public_key
    try:
        written, failed = _check_logs(
            run, store, logs, marks, key, public_key, mode, scrub_budget, clock, on_log
        )
    finally:
        run.checker.close()
    if key is not None:
        _store_marks(store, key, cards, written, report, mode, clock, failed)
        report.marks = {
            f"{sender}→{recipient}": mark
            for (sender, recipient), mark in proven_marks(store, cards, key).items()
        }
    report.seconds = time.perf_counter() - started
    return report


def _plan(
    store: Store, marked: bool, mode: str, scrub_budget: int
) -> tuple[list[tuple[str, str]], dict[tuple[str, str], audit.MarkRow], int]:
    """The logs to check, their marks (read only when ``marked``), and how many entries the
    run will check, all read in one snapshot."""
    with store.read() as connection:
        logs = audit.logs(connection)
        marks = {
            (row.sender, row.recipient): row
            for row in (audit.read_marks(connection) if marked else [])
        }
        total = 0
        for sender, recipient in logs:
            size = audit.log_size(connection, sender, recipient)
            mark = marks.get((sender, recipient))
            if mode == "full" or mark is None or mark.size > size:
                total += size
            else:
                total += size - mark.size + min(max(scrub_budget, 0), mark.size)
    return logs, marks, total


def _check_logs(
    run: Run,
    store: Store,
    logs: Sequence[tuple[str, str]],
    marks: dict[tuple[str, str], audit.MarkRow],
    key: PrivateKey | None,
    public_key: PublicKey | None,
    mode: str,
    scrub_budget: int,
    clock: Callable[[], datetime],
    on_log: Callable[[str], None] | None,
) -> tuple[list[audit.MarkRow], tuple[str, str] | None]:
    """Each log in turn, up to the first problem (added to the report): the marks earned
    (signed with ``key``, when given) and the log that failed, if one did."""
    report = run.report
    written: list[audit.MarkRow] = []
    for sender, recipient in logs:
        report.logs += 1
        if on_log is not None:
            on_log(f"{sender}→{recipient}")
        mark = marks.get((sender, recipient))
        try:
            fresh, late = _check_log(
                run, store, sender, recipient, mark, public_key, mode, scrub_budget, clock
            )
        except Problem as problem:
            report.problems.append(str(problem))
            return written, (sender, recipient)
        if key is not None:
            written.append(sign_mark(fresh, key, run.cards))
        if late is not None:  # reported once: the fresh mark replaces the bad one
            report.problems.append(str(late))
            break
    return written, None


def _check_log(
    run: Run,
    store: Store,
    sender: str,
    recipient: str,
    mark: audit.MarkRow | None,
    public_key: PublicKey | None,
    mode: str,
    scrub_budget: int,
    clock: Callable[[], datetime],
) -> tuple[audit.MarkRow, Problem | None]:
    """One log in one snapshot: the mark it earns, and (``--full`` only) a problem of its
    old mark, which comes after the log's own rows. Raises :class:`Problem`."""
    late: Problem | None = None
    with store.read() as connection:
        check = LogCheck(run, connection, sender, recipient)
        if mode == "incremental" and mark is not None and public_key is not None:
            root, scrub_next = check.incremental(mark, public_key, scrub_budget)
        else:
            root, scrub_next = check.full(), 0
            if mark is not None and public_key is not None:
                try:
                    check.check_old_mark(mark, public_key)
                except Problem as problem:
                    late = problem
        return check.new_mark(root, scrub_next, clock), late


def _store_marks(
    store: Store,
    key: PrivateKey,
    cards: dict[str, Card],
    marks: Sequence[audit.MarkRow],
    report: VerifyReport,
    mode: str,
    clock: Callable[[], datetime],
    failed: tuple[str, str] | None,
) -> None:
    """One short write: the new marks (never moving one back, should a concurrent run have
    got further), the outcome of the run, and, for the log that failed, no mark at all: a
    problem once found stays found, since the next run checks that log from its first
    entry (until a clean run marks it again)."""
    outcome = {
        "ok": report.ok,
        "mode": mode,
        "at": format_time(clock()),
        "problem": report.problems[0] if report.problems else None,
    }
    with store.write() as connection:
        for mark in marks:
            current = audit.read_mark(connection, mark.sender, mark.recipient)
            if (
                current is not None
                and current.size > mark.size
                and mark_signed(current, key.public_key, cards)
            ):
                continue
            audit.write_mark(connection, mark)
        if failed is not None:
            audit.delete_mark(connection, *failed)
        Store.set_meta(connection, LAST_VERIFY_META, json.dumps(outcome, ensure_ascii=False))


def verify_new(
    store: Store,
    cards: dict[str, Card],
    key: PrivateKey,
    budget: int = DEFAULT_SCRUB_BUDGET,
) -> VerifyReport:
    """Keep the marks current from a background task: an incremental run in this process
    (it never takes both cores from the node), re-checking ``budget`` old entries."""
    return verify_store(store, cards, key=key, scrub_budget=budget, workers=1)
