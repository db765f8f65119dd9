"""The command line: ``openline verify DIR [--full] [--json]``."""

from __future__ import annotations

import json
import sys
from typing import IO, TYPE_CHECKING

from openline.node.verify.marks import Mark
from openline.node.verify.run import verify_store

if TYPE_CHECKING:
    from openline.node.app import Node


def run_verify_command(
    node: Node,
    *,
    full: bool,
    as_json: bool,
    out: IO[str] | None = None,
    err: IO[str] | None = None,
) -> int:
    """``openline verify DIR [--full] [--json]``: run, draw a progress bar on stderr when it
    is a terminal, print the outcome, and return the exit code (1 naming the first bad
    row)."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    stdout = out or sys.stdout
    stderr = err or sys.stderr
    console = Console(file=stderr)
    bar = Progress(
        TextColumn("verify {task.fields[log]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    with bar:
        task = bar.add_task("verify", total=None, log="")

        def progress(done: int, total: int, log: str) -> None:
            bar.update(task, completed=done, total=total, log=log)

        report = verify_store(
            node.store,
            node.peers.all_cards(),
            full=full,
            key=node.key,
            progress=progress,
            clock=node.clock,
        )
    if as_json:
        stdout.write(json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n")
    elif report.ok:
        workers = f"{report.workers} worker{'s' if report.workers > 1 else ''}"
        stdout.write(
            f"ok: {report.logs} logs, {report.entries} entries, {report.checkpoints} "
            f"checkpoints, {report.cosignatures} cosignatures verified ({report.mode}, "
            f"{report.seconds:.1f} s, {report.entries_per_second:,.0f} entries/s, {workers})\n"
        )
        for log, mark in sorted(report.marks.items()):
            stdout.write(f"  {log}: {_proven_line(mark)}\n")
    if not report.ok:
        stderr.write(f"verify failed: {report.problems[0]}\n")
        return 1
    return 0


def _proven_line(mark: Mark) -> str:
    if mark.checkpoint_size is None:
        return f"{mark.size} entries verified, no checkpoint yet (at {mark.verified_at})"
    shown = mark.to_json()["checkpoint"]
    when = f" at {shown['time']}" if shown and shown["time"] else ""
    return (
        f"proven up to checkpoint {mark.checkpoint_size}{when}; "
        f"{mark.size} entries verified at {mark.verified_at}"
    )
