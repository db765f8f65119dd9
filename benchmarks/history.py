"""History benchmark (issue 11, ``make bench-history``): what a node costs as its history grows.

For each size (``--sizes``, default 10,000 and 100,000 entries in the link) a history is
built with the node's own code (``history_build.py``: two nodes on a simulated clock, a
million entries spanning about a year, every entry signed, delivered, cosigned and
receipted as over HTTP) and cached under ``benchmarks/.cache/``. A copy of the cached
folders is then served by real processes (``python -m openline.cli run DIR``, both nodes,
each pinning the other through a tap of ``throughput.py`` that watches the receipts) and
this benchmark times, several times each (first call, median and max):

* start-up: process start → ``run.json`` written and "serving on" printed;
* console pages (signed in as a duty officer through the login form): the counterpart's
  page, the watch floor and its live fragment, the transcript;
* the officers' API (admin token): the link's log, requests, notifications;
* the command line against the running node: ``report``, ``log`` (and ``--json``),
  ``prove delivery`` of the oldest and of a recent message, ``status``, ``requests``,
  ``notifications``;
* with the nodes stopped: ``verify`` (its first run, again at once, after the session's
  traffic) and ``verify --full`` (when that flag exists), ``status`` and ``report``;
* the node's RSS (VmRSS, and the peak VmHWM) after each;
* delivery on top of the big history: one direction, messages/s delivered and cosigned
  over ``--duration`` seconds, against a fresh pair measured the same way
  (``throughput.throughput``).

Besides, ``heartbeat``: rows that an idle link's heartbeats add to ``checkpoints`` and
``cosignatures`` (both nodes) after a simulated day, week, month and year, with two
in-process nodes and a simulated clock.

Operations slower than ``--profile-over`` seconds are run once more under py-spy (when it is
installed) and the node's functions where that time went are printed.

    .venv/bin/python benchmarks/history.py [--sizes 10000,100000,1000000] [--only PART]
        [--keep] [--rebuild] [--answers commands|direct] [--duration 15]

It is a benchmark, not a test: figures depend on the machine, which is printed with them.
"""

from __future__ import annotations

import argparse
import collections
import compileall
import contextlib
import json
import os
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

import openline
from history_build import (
    A,
    B,
    Built,
    Costs,
    SimClock,
    deliver,
    ensure_history,
    make_folders,
    print_costs,
    relax_durability,
    schema_fingerprint,
)
from openline.core.timefmt import format_time
from openline.node.app import Node
from openline.node.home import NodeHome
from openline.node.hotline import NewMessage, send_messages
from throughput import (
    NODE_OVERRIDES,
    BenchNode,
    Loader,
    Settings,
    Tap,
    code_version,
    cpu_seconds,
    free_port,
    load_average,
    machine,
    throughput,
)

OPENLINE = [sys.executable, "-m", "openline.cli"]
PARTS = ("build", "offline", "serve", "delivery", "heartbeat")
OFFICER, PASSWORD = "watch", "correct horse battery staple 11"
HTTP_TIMEOUT = 900.0
CLI_TIMEOUT = 1800.0
SPY = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")


def say(text: str = "") -> None:
    print(text, flush=True)


# --- measuring -----------------------------------------------------------------------------


def memory(pid: int) -> tuple[float, float]:
    """VmRSS and VmHWM (the peak) of a process, in MB."""
    values = {"VmRSS": 0.0, "VmHWM": 0.0}
    with suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in values:
                values[key] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


@dataclass
class Outcome:
    """What one call returned: success, and how many bytes."""

    ok: bool
    size: int = 0
    note: str = ""


@dataclass
class Row:
    """One line of a size's table."""

    name: str
    times: list[float] = field(default_factory=list)  # seconds; times[0] is the first call
    size: int = 0
    rss: tuple[float, float] | None = None
    note: str = ""
    failed: str = ""
    profile: list[str] = field(default_factory=list)
    profile_first: list[str] = field(default_factory=list)  # of the first (cold) call

    def cells(self) -> list[str]:
        if not self.times:
            first = median = longest = "-"
            runs = "0"
        else:
            first = seconds_text(self.times[0])
            rest = self.times[1:] or self.times
            median = seconds_text(statistics.median(rest))
            longest = seconds_text(max(rest))
            runs = f"1+{len(self.times) - 1}"
        rss = "-" if self.rss is None else f"{self.rss[0]:,.0f} ({self.rss[1]:,.0f})"
        size = "-" if not self.size else bytes_text(self.size)
        note = "; ".join(text for text in (self.failed, self.note) if text)
        return [self.name, first, median, longest, runs, size, rss, note]


def seconds_text(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.2f} s"


def bytes_text(size: int) -> str:
    if size < 10_000:
        return f"{size} B"
    if size < 10_000_000:
        return f"{size / 1000:,.0f} kB"
    return f"{size / 1e6:,.0f} MB"


def print_table(title: str, rows: Sequence[Row]) -> None:
    header = ["operation", "first", "median", "max", "runs", "output", "RSS MB (peak)", "note"]
    lines = [header] + [row.cells() for row in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    say(title)
    for n, line in enumerate(lines):
        cells = [
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(line[:-1], widths, strict=True))
        ]
        say("  " + "  ".join(cells) + ("  " + line[-1] if line[-1] else ""))
        if n == 0:
            say("  " + "  ".join("-" * width for width in widths))
    for row in rows:
        if row.profile_first:
            say(f"  where the first {row.name} spent its time (py-spy, share of samples):")
            for text in row.profile_first:
                say(f"      {text}")
        if row.profile:
            say(f"  where {row.name} spends its time (py-spy, share of samples):")
            for text in row.profile:
                say(f"      {text}")


class Timer:
    """Runs operations: a first call, then more while within the budget of the size."""

    def __init__(
        self,
        runs: int,
        budget: float,
        pid: Callable[[], int | None],
        profile_over: float,
        spy_first: Path | None = None,
    ) -> None:
        self.runs = runs
        self.budget = budget
        self.pid = pid
        self.profile_over = profile_over
        self.spy_first = spy_first  # py-spy every first call into this folder (cold costs)
        self.rows: list[Row] = []

    def time(
        self,
        name: str,
        call: Callable[[], Outcome],
        runs: int | None = None,
        profile: Callable[[], list[str]] | None = None,
    ) -> Row:
        row = Row(name)
        self.rows.append(row)
        wanted = 1 + (self.runs if runs is None else runs)
        began = time.perf_counter()
        say(f"    {name} …")
        first_out: Path | None = None
        for n in range(wanted):
            pid = self.pid()
            spy: Any = contextlib.nullcontext()
            if n == 0 and self.spy_first is not None and pid is not None:
                first_out = self.spy_first / f"first-{len(self.rows)}.txt"
                spy = spying(pid, first_out)
            with spy:
                started = time.perf_counter()
                try:
                    outcome = call()
                except (httpx.HTTPError, subprocess.TimeoutExpired, OSError) as error:
                    outcome = Outcome(False, note=f"{type(error).__name__}: {error}")
                seconds = time.perf_counter() - started
            if not outcome.ok:
                row.failed = outcome.note or "failed"
                if n == 0:
                    row.times.append(seconds)
                break
            row.times.append(seconds)
            row.size = outcome.size
            row.note = outcome.note
            if n >= 1 and time.perf_counter() - began > self.budget:
                break
        pid = self.pid()
        if pid is not None:
            row.rss = memory(pid)
        if first_out is not None and row.times[0] >= self.profile_over:
            row.profile_first = summarize_profile(first_out)
        if profile is not None and statistics.median(row.times[1:] or row.times) >= (
            self.profile_over
        ):
            row.profile = profile()
        return row


# --- py-spy --------------------------------------------------------------------------------


def spy_available() -> bool:
    return Path(SPY).exists() or shutil.which("py-spy") is not None


ENTRY_FRAMES = ("<module> (cli.py", "main (cli.py", "run (cli.py", "run_node (server/run.py")
"""The node's and the CLI's entry points: in every sample of their main thread, so not shown."""


def summarize_profile(path: Path, top: int = 10) -> list[str]:
    """The node's functions (openline's own, inclusive) that most samples were in, from
    py-spy's raw collapsed stacks; and the leaf functions (exclusive) overall."""
    inclusive: collections.Counter[str] = collections.Counter()
    leaves: collections.Counter[str] = collections.Counter()
    total = 0
    try:
        text = path.read_text()
    except OSError:
        return ["(no profile written)"]
    for line in text.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = stack.split(";")
        seen = set()
        for frame in frames:
            if "openline/" in frame and frame not in seen:
                seen.add(frame)
                short = _short(frame)
                if not short.startswith(ENTRY_FRAMES):
                    inclusive[short] += count
        if frames:
            leaves[_short(frames[-1])] += count
    if not total:
        return ["(no samples)"]
    lines = [f"{total} samples; openline functions (inclusive):"]
    lines += [f"{100 * c / total:5.1f}%  {name}" for name, c in inclusive.most_common(top)]
    lines.append("leaf functions (exclusive):")
    lines += [f"{100 * c / total:5.1f}%  {name}" for name, c in leaves.most_common(5)]
    return lines


def _short(frame: str) -> str:
    """``func (path/to/openline/x/y.py:12)`` → ``func (x/y.py:12)``."""
    match = re.match(r"(.*) \((.*?):(\d+)\)$", frame)
    if not match:
        return frame
    name, path, line = match.groups()
    path = path.split("openline/", 1)[1] if "openline/" in path else Path(path).name
    return f"{name} ({path}:{line})"


@contextmanager
def spying(pid: int, out: Path) -> Iterator[None]:
    """py-spy record of ``pid`` (all threads, not idle) while the body runs."""
    process = subprocess.Popen(
        [
            *(SPY, "record", "--pid", str(pid), "--rate", "200", "--format", "raw"),
            *("--output", str(out), "--nonblocking", "--duration", "3600"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(0.5)  # let it attach
    try:
        yield
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- the command line ------------------------------------------------------------------------


def run_cli(
    *args: str | Path, stdin: str | None = None, timeout: float = CLI_TIMEOUT
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*OPENLINE, *(str(arg) for arg in args)],
        input=None if stdin is None else stdin.encode(),
        capture_output=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )


def cli_ok(*args: str | Path) -> str:
    result = run_cli(*args)
    if result.returncode != 0:
        words = " ".join(str(arg) for arg in args)
        raise RuntimeError(f"openline {words} exited {result.returncode}: {result.stderr!r}")
    return result.stdout.decode()


def cli_call(*args: str | Path) -> Callable[[], Outcome]:
    def call() -> Outcome:
        result = run_cli(*args)
        if result.returncode != 0:
            text = result.stderr.decode(errors="replace").strip().splitlines()
            return Outcome(False, note=f"exit {result.returncode}: {text[-1] if text else ''}")
        return Outcome(True, len(result.stdout))

    return call


def has_flag(command: str, flag: str) -> bool:
    result = run_cli(command, "--help", timeout=60)
    return flag in result.stdout.decode(errors="replace")


# --- the nodes of a copied history ------------------------------------------------------------


class HistoryNode(BenchNode):
    """A node of a copied history, served by ``openline run``: the throughput benchmark's
    node (its loader and tap work on it) without ``openline init``."""

    def __init__(self, directory: Path, party: str) -> None:  # no BenchNode.__init__: no init here
        self.party = party
        self.dir = directory
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.token = (directory / "admin.token").read_text().strip()
        self.card_path = directory.parent / f"{party}.card.json"
        self.tap = Tap(self.port)
        self.serving_at: float | None = None  # perf_counter when "serving on" was printed
        self.spawned_at = 0.0
        self._reader: threading.Thread | None = None

    def configure(self) -> None:
        """Listen on this run's port, with the throughput benchmark's node.json overrides
        (so that delivery compares with its fresh pair), and write the card for it."""
        path = self.dir / "node.json"
        settings = json.loads(path.read_text())
        settings.update(NODE_OVERRIDES)
        settings["listen"] = f"127.0.0.1:{self.port}"
        settings["url"] = self.url
        path.write_text(json.dumps(settings, indent=2))
        (self.dir / "run.json").unlink(missing_ok=True)
        cli_ok("card", self.dir, "--out", self.card_path)

    def spawn(self) -> None:
        log = (self.dir / "node.log").open("ab")
        self.spawned_at = time.perf_counter()
        self.process = subprocess.Popen(
            [*OPENLINE, "run", str(self.dir)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        process = self.process

        def read() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                if self.serving_at is None and b"serving on" in line:
                    self.serving_at = time.perf_counter()
                log.write(line)
                log.flush()
            log.close()

        self._reader = threading.Thread(target=read, daemon=True, name=f"log-{self.party}")
        self._reader.start()

    def wait_started(self, timeout: float = 1800) -> tuple[float, float]:
        """Seconds from process start to ``run.json`` and to "serving on"."""
        assert self.process is not None
        run_json: float | None = None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.party} exited; see {self.dir / 'node.log'}")
            if run_json is None and (self.dir / "run.json").exists():
                run_json = time.perf_counter()
            if run_json is not None and self.serving_at is not None:
                return run_json - self.spawned_at, self.serving_at - self.spawned_at
            time.sleep(0.005)
        raise RuntimeError(f"{self.party} did not start within {timeout:g} s")

    def stop(self) -> None:
        super().stop()
        if self._reader is not None:
            self._reader.join(timeout=10)


def copy_history(built: Built, work: Path) -> None:
    """A disposable copy (the timing part adds traffic, officers, proofs and verify marks)."""
    work.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["cp", "-a", "--reflink=auto", str(built.root), str(work)], check=True)


def prepare(work: Path) -> dict[str, HistoryNode]:
    nodes = {party: HistoryNode(work / party, party) for party in (A, B)}
    for node in nodes.values():
        node.configure()
    # Each pins the other's new card (same key, new URL) at the other's tap.
    nodes[A].pin(nodes[B])
    nodes[B].pin(nodes[A])
    result = run_cli(
        "officer", "add", nodes[A].dir, OFFICER, "--role", "duty-officer", stdin=PASSWORD + "\n"
    )
    if result.returncode != 0:
        raise RuntimeError(f"officer add: {result.stderr!r}")
    return nodes


# --- the console and the API -------------------------------------------------------------------


def console_client(node: HistoryNode) -> httpx.Client:
    """Signed in as the duty officer through the login form (its double-submit token)."""
    client = httpx.Client(base_url=node.url, timeout=HTTP_TIMEOUT)
    form = client.get("/console/login")
    form.raise_for_status()
    match = re.search(r'name="login_token" value="([^"]+)"', form.text)
    if match is None:
        raise RuntimeError("no login_token in the login form")
    answer = client.post(
        "/console/login",
        data={
            "username": OFFICER,
            "password": PASSWORD,
            "login_token": match.group(1),
            "next": "/console/",
        },
    )
    if answer.status_code != 303 or "openline_session" not in client.cookies:
        raise RuntimeError(f"console login failed: HTTP {answer.status_code}")
    return client


def http_call(
    client: httpx.Client, path: str, headers: dict[str, str] | None = None
) -> Callable[[], Outcome]:
    def call() -> Outcome:
        response = client.get(path, headers=headers or {})
        if response.status_code != 200:
            return Outcome(False, len(response.content), f"HTTP {response.status_code}")
        return Outcome(True, len(response.content), _entries_note(response))

    return call


def _entries_note(response: httpx.Response) -> str:
    """How many rows a JSON listing returned (a paged listing returns a page)."""
    if "json" not in response.headers.get("content-type", ""):
        return ""
    try:
        data = response.json()
    except ValueError:
        return ""
    if isinstance(data, dict):
        for key in ("entries", "requests", "notifications"):
            if isinstance(data.get(key), list):
                more = " (+ next page)" if data.get("next") or data.get("next_cursor") else ""
                return f"{len(data[key]):,} {key}{more}"
    return ""


# --- one size -------------------------------------------------------------------------------


@dataclass
class SizeResult:
    size: int
    built: Built
    rows: list[Row] = field(default_factory=list)
    delivery: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def run_size(size: int, args: argparse.Namespace, scratch: Path, parts: set[str]) -> SizeResult:
    say(f"\n=== {size:,} entries ===")
    started = time.perf_counter()
    built = ensure_history(size, rebuild=args.rebuild, answers=args.answers)
    fetched = time.perf_counter() - started
    info = built.info
    say(
        f"history {built.root.name}: {info['entries']:,} entries, {info['sim_start']} → "
        f"{info['sim_end']} ({info['rounds']:,} simulated hours); built in "
        f"{info['build_seconds']:,.0f} s at {info['entries_per_second']:,.0f} entries/s "
        f"(answers via {info['answers']})" + ("" if fetched > 5 else "; from the cache")
    )
    result = SizeResult(size, built)
    if not parts & {"offline", "serve", "delivery"}:
        print_costs(info)
        return result
    work = scratch / f"history-{size}"
    say(f"copying to {work} …")
    copy_history(built, work)
    nodes = prepare(work)
    alpha = nodes[A]
    runs = args.runs if size < 1_000_000 else max(1, args.runs // 2)
    budget = args.budget
    profile_over = args.profile_over if spy_available() and not args.no_profile else float("inf")
    full_flag = has_flag("verify", "--full")
    if not full_flag:
        result.notes.append("openline verify has no --full flag in this code: not measured")
    scratch_proofs = work / "proofs-out"
    scratch_proofs.mkdir()

    def offline_profile(*cli_args: str | Path) -> Callable[[], list[str]]:
        def profile() -> list[str]:
            out = work / f"spy-{len(os.listdir(work))}.txt"
            subprocess.run(
                [
                    *(SPY, "record", "--rate", "200", "--format", "raw", "--output", str(out)),
                    *("--", *OPENLINE, *(str(a) for a in cli_args)),
                ],
                capture_output=True,
                timeout=CLI_TIMEOUT,
                check=False,
            )
            return summarize_profile(out)

        return profile

    if "offline" in parts:
        say("  with the nodes stopped:")
        timer = Timer(runs, budget, lambda: None, profile_over)
        timer.time(
            "openline verify (first run)",
            cli_call("verify", alpha.dir),
            runs=0,
            profile=offline_profile("verify", alpha.dir),
        )
        timer.time(
            "openline verify (again, nothing new)",
            cli_call("verify", alpha.dir),
            profile=offline_profile("verify", alpha.dir),
        )
        if full_flag:
            timer.time(
                "openline verify --full",
                cli_call("verify", alpha.dir, "--full"),
                runs=min(runs, 2),
                profile=offline_profile("verify", alpha.dir, "--full"),
            )
        timer.time(
            "openline status (node stopped)",
            cli_call("status", alpha.dir),
            profile=offline_profile("status", alpha.dir),
        )
        timer.time(
            "openline report --counterpart bravo (stopped)",
            cli_call("report", alpha.dir, "--counterpart", B),
            profile=offline_profile("report", alpha.dir, "--counterpart", B),
        )
        result.rows += timer.rows

    if parts & {"serve", "delivery"}:
        try:
            serve(result, nodes, args, parts, runs, budget, profile_over, scratch_proofs)
        finally:
            for node in nodes.values():
                node.stop()

    if "offline" in parts:
        say("  with the nodes stopped again:")
        timer = Timer(runs, budget, lambda: None, profile_over)
        timer.time(
            "openline verify (after the session's traffic)",
            cli_call("verify", alpha.dir),
            runs=0,
            profile=offline_profile("verify", alpha.dir),
        )
        result.rows += timer.rows
    if args.keep:
        say(f"kept {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return result


def serve(
    result: SizeResult,
    nodes: dict[str, HistoryNode],
    args: argparse.Namespace,
    parts: set[str],
    runs: int,
    budget: float,
    profile_over: float,
    proofs: Path,
) -> None:
    alpha, bravo = nodes[A], nodes[B]
    info = result.built.info
    for node in nodes.values():
        node.spawn()
    for node in nodes.values():
        to_run_json, to_serving = node.wait_started()
        row = Row(f"start-up {node.party} (to run.json; to 'serving on')", [to_run_json])
        row.note = f"'serving on' after {to_serving:.2f} s"
        assert node.process is not None
        row.rss = memory(node.process.pid)
        result.rows.append(row)

    def pid() -> int | None:
        return None if alpha.process is None else alpha.process.pid

    def node_profile(call: Callable[[], Outcome]) -> Callable[[], list[str]]:
        def profile() -> list[str]:
            node_pid = pid()
            if node_pid is None:
                return []
            out = alpha.dir.parent / f"spy-node-{time.monotonic_ns()}.txt"
            with spying(node_pid, out):
                call()
            return summarize_profile(out)

        return profile

    if "serve" in parts:
        say("  with the nodes running:")
        spy_first = alpha.dir.parent if args.profile_first and profile_over < 1e9 else None
        timer = Timer(runs, budget, pid, profile_over, spy_first)
        console = console_client(alpha)
        api = alpha.client(timeout=HTTP_TIMEOUT)
        d = alpha.dir
        peer = B
        operations: list[tuple[str, Callable[[], Outcome]]] = [
            (f"console /console/peers/{peer}", http_call(console, f"/console/peers/{peer}")),
            (f"openline report --counterpart {peer}", cli_call("report", d, "--counterpart", peer)),
            ("console /console/ (watch floor)", http_call(console, "/console/")),
            (
                "console /console/fragments/floor",
                http_call(console, "/console/fragments/floor", {"hx-request": "true"}),
            ),
            (
                f"console /console/transcript?peer={peer}",
                http_call(console, f"/console/transcript?peer={peer}"),
            ),
            (f"GET /api/v1/peers/{peer}/log", http_call(api, f"/api/v1/peers/{peer}/log")),
            (f"openline log --peer {peer}", cli_call("log", d, "--peer", peer)),
            (f"openline log --peer {peer} --json", cli_call("log", d, "--peer", peer, "--json")),
        ]
        for label, entry_id in (
            ("oldest", info["first_message"]),
            ("recent", info["last_message"]),
        ):
            out = proofs / f"delivery-{label}.json"
            operations.append(
                (
                    f"openline prove delivery ({label} message)",
                    cli_call("prove", d, "delivery", entry_id, "--out", out),
                )
            )
        operations += [
            ("openline status", cli_call("status", d)),
            ("openline requests", cli_call("requests", d)),
            ("openline notifications", cli_call("notifications", d)),
            ("GET /api/v1/requests", http_call(api, "/api/v1/requests")),
            ("GET /api/v1/notifications", http_call(api, "/api/v1/notifications")),
        ]
        for name, call in operations:
            timer.time(name, call, profile=node_profile(call))
        console.close()
        api.close()
        result.rows += timer.rows

    if "delivery" in parts:
        say(f"  delivery on top of the history, {args.duration:g} s …")
        result.delivery = delivery_on_history(alpha, bravo, args.duration, args.warmup)
        row = Row("delivery alpha→bravo on the history (msg/s)")
        row.note = f"{result.delivery['rate']:,.0f} msg/s delivered and cosigned"
        row.rss = memory(pid() or 0)
        result.rows.append(row)


def delivery_on_history(
    alpha: HistoryNode, bravo: HistoryNode, duration: float, warmup: float
) -> dict[str, Any]:
    """The throughput benchmark's one-direction load (1 KiB messages through the batch API,
    bounded backlog, receipts seen at the tap) on nodes holding the history."""
    with alpha.client() as client:
        status = client.get("/api/v1/status").json()
    base = next(p["sent"] for p in status["peers"] if p["party"] == B)
    deadline = time.monotonic() + 120
    while bravo.tap.size < base and time.monotonic() < deadline:
        time.sleep(0.05)  # the first heartbeat after start-up shows the receipted size
    loader = Loader(alpha, bravo, chunk=500, backlog=4000)
    loader.submitted = bravo.tap.size  # the backlog counts from what is already receipted
    loader.start()
    time.sleep(warmup)
    assert alpha.process is not None
    assert bravo.process is not None
    cpu0 = (cpu_seconds(alpha.process.pid), cpu_seconds(bravo.process.pid))
    t0 = time.perf_counter()
    time.sleep(duration)
    t1 = time.perf_counter()
    cpu1 = (cpu_seconds(alpha.process.pid), cpu_seconds(bravo.process.pid))
    loader.stop()
    if loader.error is not None:
        raise RuntimeError(f"loader: {loader.error}")
    span = t1 - t0
    delivered = bravo.tap.size_at(t1) - bravo.tap.size_at(t0)
    return {
        "rate": delivered / span,
        "delivered": round(delivered),
        "seconds": span,
        "cpu": {A: (cpu1[0] - cpu0[0]) / span, B: (cpu1[1] - cpu0[1]) / span},
        "base": base,
    }


def fresh_delivery(scratch: Path, duration: float, warmup: float) -> float:
    """The same load on a fresh pair (``throughput.throughput``, one direction)."""
    root = scratch / "fresh-pair"
    root.mkdir(parents=True, exist_ok=True)
    settings = Settings(
        duration=duration, warmup=warmup, rate=100.0, chunk=500, backlog=4000, profile=None
    )
    outcome = throughput(root, settings, both=False)
    shutil.rmtree(root, ignore_errors=True)
    return outcome.directions[0].rate


def fresh_startup(scratch: Path) -> tuple[float, float]:
    """Start-up of a node with an empty history, for comparison."""
    root = scratch / "fresh-node"
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    cli_ok("init", root / A, "--party", A, "--name", "Alpha", "--listen", f"127.0.0.1:{port}")
    node = HistoryNode(root / A, A)
    node.configure()
    node.spawn()
    try:
        return node.wait_started(120)
    finally:
        node.stop()
        shutil.rmtree(root, ignore_errors=True)


# --- heartbeat growth -------------------------------------------------------------------------

DAY = 24 * 3600
MARKS = (
    ("0", 0),
    ("1 day", DAY),
    ("1 week", 7 * DAY),
    ("1 month", 30 * DAY),
    ("1 year", 365 * DAY),
)


def heartbeat_rows(root: Path) -> dict[str, int]:
    counts = {"checkpoints": 0, "cosignatures": 0}
    for party in (A, B):
        connection = sqlite3.connect(root / party / "openline.db")
        try:
            for table in counts:
                counts[table] += int(
                    connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                )
        finally:
            connection.close()
    return counts


@dataclass
class Growth:
    """The heartbeat table: printed lines, and the rows added at each mark."""

    lines: list[str] = field(default_factory=list)
    added: dict[str, int] = field(default_factory=dict)
    beats: dict[str, int] = field(default_factory=dict)

    def verdict(self) -> str:
        if len(self.added) < len(MARKS):
            return ""
        day, month, year = self.added["1 day"], self.added["1 month"], self.added["1 year"]
        if year > 1.5 * month and year > 2 * day:
            per = (year - day) / max(1, self.beats["1 year"] - self.beats["1 day"])
            return (
                f"GROWS WITHOUT BOUND: {per:.1f} rows per heartbeat (both directions) after the "
                f"first day; at 30 s that is about {per * 1_051_200:,.0f} rows per link per year"
            )
        return (
            f"bounded: {year:,} rows added in a simulated year of idle heartbeats, "
            f"{day:,} of them in the first day"
        )


def heartbeat_growth(scratch: Path, step: float, full: bool) -> Growth:
    """Rows that idle heartbeats add, both nodes together, over a simulated year.

    Two in-process nodes (made by the CLI) exchange a few messages, then only heartbeats,
    both directions, as the sender loop does: ``checkpoint_for(peer, size)``, the peer's
    ``receive_batch(party, [], note)``, ``record_receipt``. The first day has one every
    30 s (the default ``heartbeat_seconds``); after that one every ``step`` seconds (each
    standing for ``step / 30`` real ones) unless ``full``. The latest receipt time shows
    that every heartbeat was recorded."""
    root = scratch / "heartbeat"
    shutil.rmtree(root, ignore_errors=True)
    make_folders(root)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=400)
    clock = SimClock(start)
    nodes = {party: Node.open(NodeHome(root / party), clock=clock) for party in (A, B)}
    for node in nodes.values():
        relax_durability(node)
    costs = Costs()
    growth = Growth()
    try:
        for side, peer in ((A, B), (B, A)):
            send_messages(nodes[side], [peer], [NewMessage(f"message {n}") for n in range(5)])
        clock.set(start + timedelta(seconds=5))
        deliver(nodes[A], nodes[B], costs)
        deliver(nodes[B], nodes[A], costs)
        base = heartbeat_rows(root)
        beats = 0
        elapsed = 0.0
        wall = time.perf_counter()
        growth.lines.append(
            f"{'idle for':<9} {'heartbeats':>10} {'simulated':>9} {'checkpoints':>11} "
            f"{'cosignatures':>12} {'rows added':>10}  latest receipt (alpha's log)"
        )
        for label, until in MARKS:
            while elapsed < until:
                interval = 30.0 if (full or elapsed < DAY) else step
                elapsed += interval
                clock.set(start + timedelta(seconds=5 + elapsed))
                deliver(nodes[A], nodes[B], costs, heartbeat=True)
                deliver(nodes[B], nodes[A], costs, heartbeat=True)
                beats += 1
            rows = heartbeat_rows(root)
            added = sum(rows.values()) - sum(base.values())
            growth.added[label] = added
            growth.beats[label] = beats
            latest = nodes[A].store.latest_cosignature_time(A, B, B)
            shown = "-" if latest is None else format_time(datetime.fromtimestamp(latest, UTC))
            growth.lines.append(
                f"{label:<9} {int(until // 30):>10,} {beats:>9,} {rows['checkpoints']:>11,} "
                f"{rows['cosignatures']:>12,} {added:>10,}  {shown}"
            )
            say(f"  {growth.lines[-1]}  ({time.perf_counter() - wall:.0f} s)")
    finally:
        for node in nodes.values():
            node.close()
    per_beat = costs.total["receive_batch"] / max(1, costs.calls["receive_batch"])
    growth.lines.append(
        f"(heartbeats each way; 'heartbeats' is what a year at 30 s sends, 'simulated' what "
        f"was run: every 30 s for the first day, then one per {30.0 if full else step:g} s; "
        f"rows counted on both nodes; {per_beat * 1000:.1f} ms per heartbeat receive_batch)"
    )
    shutil.rmtree(root, ignore_errors=True)
    return growth


# --- main -----------------------------------------------------------------------------------


def machine_lines() -> list[str]:
    info = machine()
    ram = "unknown"
    with suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    info["ram"] = ram
    info["schema"] = schema_fingerprint()
    return [f"  {name:<7} {value}" for name, value in info.items()]


def cache_bytecode() -> None:
    """Measure what an installed node costs: pip compiles a package's modules when it
    installs it, but an editable checkout (or PYTHONDONTWRITEBYTECODE=1, which some shells
    set) makes every CLI call and node start compile openline's ~200 modules again, about
    a second each time. Compile them once, and let the children use the cache."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    package = Path(openline.__file__).parent
    compileall.compile_dir(package, quiet=1, workers=0)
    say(f"  bytecode compiled for {package} (as an installed package has it)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated entry counts")
    parser.add_argument("--only", choices=PARTS, action="append", help="run only this part")
    parser.add_argument("--keep", action="store_true", help="keep the work copies")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached histories")
    parser.add_argument("--answers", choices=["commands", "direct"], default="commands")
    parser.add_argument("--runs", type=int, default=5, help="timed calls after the first")
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per operation")
    parser.add_argument("--duration", type=float, default=15.0, help="delivery seconds")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--profile-over", type=float, default=2.0, help="py-spy slower ops")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument(
        "--profile-first", action="store_true", help="py-spy the first (cold) call of each page"
    )
    parser.add_argument("--heartbeat-step", type=float, default=1800.0)
    parser.add_argument("--heartbeat-full", action="store_true", help="every 30 s for a year")
    args = parser.parse_args(argv)
    cache_bytecode()
    sizes = [int(text.replace("_", "")) for text in args.sizes.split(",") if text.strip()]
    parts = set(args.only or PARTS)
    say("openline history benchmark (issue 11)")
    for line in machine_lines():
        say(line)
    say(f"  parts   {', '.join(p for p in PARTS if p in parts)}; sizes {sizes}")
    scratch = Path(tempfile.mkdtemp(prefix="openline-history-"))
    sys.setswitchinterval(0.0005)  # the taps relay in this process
    results: list[SizeResult] = []
    fresh: dict[str, Any] = {}
    heartbeat: Growth | None = None
    failures: list[str] = []
    try:
        if parts & {"serve", "delivery"}:
            say("\nfresh node start-up …")
            fresh["startup"] = fresh_startup(scratch)
        if "delivery" in parts:
            say(f"fresh pair delivery, one direction, {args.duration:g} s …")
            fresh["rate"] = fresh_delivery(scratch, args.duration, args.warmup)
        if parts & {"build", "offline", "serve", "delivery"}:
            for size in sizes:
                try:
                    result = run_size(size, args, scratch, parts)
                except Exception as error:  # noqa: BLE001 - report it, go on with the next size
                    failures.append(f"{size:,} entries: {type(error).__name__}: {error}")
                    say(f"FAILED: {failures[-1]}")
                    continue
                results.append(result)
                report_size(result, fresh)  # at once, in case a later size fails
        if "heartbeat" in parts:
            say("\nheartbeat growth of an idle link …")
            try:
                heartbeat = heartbeat_growth(scratch, args.heartbeat_step, args.heartbeat_full)
            except Exception as error:  # noqa: BLE001
                failures.append(f"heartbeat: {type(error).__name__}: {error}")
                say(f"FAILED: {failures[-1]}")
    finally:
        if args.keep:
            say(f"work folders kept in {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    report(results, fresh, heartbeat, failures)
    return 1 if failures else 0


def report(
    results: list[SizeResult],
    fresh: dict[str, Any],
    heartbeat: Growth | None,
    failures: list[str],
) -> None:
    say("\n" + "=" * 100)
    say("openline history benchmark: results")
    for line in machine_lines():
        say(line)
    if "startup" in fresh:
        run_json, serving = fresh["startup"]
        say(
            f"fresh node (empty history): start-up {run_json:.2f} s to run.json, "
            f"{serving:.2f} s to 'serving on'"
        )
    if "rate" in fresh:
        say(f"fresh pair delivery, one direction: {fresh['rate']:,.0f} msg/s")
    for result in results:
        report_size(result, fresh)
    if heartbeat is not None:
        say()
        say("heartbeat growth of an idle link (rows in checkpoints + cosignatures, both nodes):")
        for line in heartbeat.lines:
            say(f"  {line}")
        verdict = heartbeat.verdict()
        if verdict:
            say(f"  verdict: {verdict}")
    for failure in failures:
        say(f"FAILED: {failure}")
    say(f"at the end: load average {load_average()}; code {code_version()}")


def report_size(result: SizeResult, fresh: dict[str, Any]) -> None:
    info = result.built.info
    say()
    say(
        f"--- {info['entries']:,} entries ({info['sim_start'][:10]} → {info['sim_end'][:10]}); "
        f"built in {info['build_seconds']:,.0f} s, {info['entries_per_second']:,.0f} entries/s "
        f"(answers via {info['answers']}; load average at its end "
        f"{info.get('load_at_end', '?')}); database {bytes_text(info['bytes'][A])} per node"
    )
    say(f"    kinds: {', '.join(f'{k} {v:,}' for k, v in info['kinds'].items())}")
    tables = info["tables"][A]
    say(f"    alpha's tables: {', '.join(f'{k} {v:,}' for k, v in tables.items())}")
    if result.rows:
        print_table("", result.rows)
    if result.delivery:
        d = result.delivery
        versus = f" vs {fresh['rate']:,.0f} msg/s on a fresh pair" if "rate" in fresh else ""
        say(
            f"  delivery on the history: {d['rate']:,.0f} msg/s{versus} "
            f"({d['delivered']:,} in {d['seconds']:.1f} s on top of {d['base']:,} entries; "
            f"CPU alpha {d['cpu'][A]:.0%}, bravo {d['cpu'][B]:.0%})"
        )
    for note in result.notes:
        say(f"  note: {note}")
    print_costs(info)


if __name__ == "__main__":
    sys.exit(main())
