"""Delivery benchmark: two real openline nodes on loopback (``make bench``).

Every phase starts two fresh nodes exactly as operators would: ``openline init``,
``openline card``, ``openline peer add`` (each pins the other's card) and
``python -m openline.cli run DIR`` as child processes. Then it measures:

1. **one direction**: node A's officers' API is fed 1 KiB messages for A→B through
   ``POST /api/v1/messages/batch``, keeping a bounded backlog; delivered messages per second
   over ``--duration`` seconds, after a warm-up;
2. **both directions**: the same, A→B and B→A at once;
3. **latency**: single messages submitted to A through ``POST /api/v1/messages`` at a fixed
   ``--rate``; p50 and p99 of each message's time from submission to delivery;
4. **machine limits**: Ed25519 sign and verify with PyNaCl (the node's library) and durable
   SQLite commits (WAL, synchronous=FULL) on the nodes' disk;
5. **apart** (a diagnostic): A's batch API alone while B is down, then delivery alone from
   the full outbox, to show what each half costs without the other.

**Delivered** means signed and stored by the sender, then verified, durably stored and
cosigned by the receiver: the receiver sends its cosignature (the delivery receipt) only
after its commit returns. The benchmark sees each receipt on the wire: each node's pin of
its peer points at a *tap*, a transparent TCP relay in this process, which timestamps every
federation answer of the receiver and reads the cosigned size from it. Nothing polls the
nodes' APIs or databases while they are measured (a reader connection held open on a node's
SQLite file changes its behaviour: the node's last connection to close would no longer
checkpoint and remove the WAL). After each phase the figures are checked against both
nodes' ``GET /api/v1/status``: the sender's ``sent`` = ``delivered`` (receipts stored) =
the receiver's ``received`` = what was submitted.

**Latency** of a message = from just before its ``POST /api/v1/messages`` is sent to the
moment the receiver's cosignature covering its seq passes the tap. docs/benchmarks.md has
the details and the figures measured.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import platform
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import nacl.signing

OPENLINE = [sys.executable, "-m", "openline.cli"]
A, B = "alpha", "bravo"
TEXT_BYTES = 1024
ONE_WAY_TARGET = 3000.0  # delivered msg/s, one direction
TWO_WAY_TARGET = 2000.0  # delivered msg/s each way, both directions at once
P99_TARGET_MS = 20.0  # at 100 msg/s
LATENCY_WORKERS = 16  # concurrent single-message submitters of the latency run

# node.json overrides; everything else is what ``openline init`` writes.
NODE_OVERRIDES: dict[str, Any] = {
    # Entries per federation batch the sender posts (default 500). The receiver accepts up
    # to max_batch_entries (default 1000, unchanged). Bigger batches amortise the per-batch
    # work: request signature, checkpoint signature, cosignatures and transactions.
    "send_batch_entries": 1000,
    # An idle link sends an empty batch every heartbeat (default 30 s). Under load a sender
    # never idles, so this only matters between phases.
    "heartbeat_seconds": 5.0,
    # Back off at most 1 s after a failure (default 30 s), so a hiccup cannot stall a run.
    "retry_max_seconds": 1.0,
}


@dataclass(frozen=True, slots=True)
class Settings:
    duration: float
    warmup: float
    rate: float
    chunk: int
    backlog: int
    profile: Path | None


def say(text: str = "") -> None:
    print(text, flush=True)


def machine() -> dict[str, str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu": model,
        "cores": f"{os.cpu_count()} logical, {usable} usable",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "os": f"{platform.system()} {platform.release()}",
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load": load_average(),
        "code": code_version(),
    }


def code_version() -> str:
    """The commit the nodes run, and whether src/ differs from it."""
    repo = Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(
            ["git", "-C", str(repo), "log", "-1", "--format=%h %s"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit}{' (src/ modified)' if dirty else ''}"


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: other work on the machine skews every figure."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def cpu_seconds(pid: int | None = None) -> float:
    """User plus system CPU time of a process (all its threads); this one by default."""
    if pid is None:
        times = os.times()
        return times.user + times.system
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- machine limits ------------------------------------------------------------------------


def timed_loop(seconds: float, step: Callable[[], object]) -> float:
    """Run ``step`` repeatedly for about ``seconds``; returns calls per second."""
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(20):
            step()
        count += 20
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - start)


def ed25519_rates(seconds: float) -> dict[str, float]:
    """PyNaCl on a message the size of a 1 KiB-text entry's signing input."""
    key = nacl.signing.SigningKey.generate()
    verify_key = key.verify_key
    message = os.urandom(1300)
    signature = key.sign(message).signature

    def sign_and_verify() -> None:
        signed = key.sign(message)
        verify_key.verify(signed.message, signed.signature)

    return {
        "sign": timed_loop(seconds / 3, lambda: key.sign(message)),
        "verify": timed_loop(seconds / 3, lambda: verify_key.verify(message, signature)),
        "sign+verify": timed_loop(seconds / 3, sign_and_verify),
    }


def sqlite_rates(directory: Path, seconds: float) -> dict[str, float]:
    """Durable commits on the nodes' disk: WAL, synchronous=FULL, 1.4 KB rows (a leaf)."""
    path = directory / "sqlite-bench.db"
    row = os.urandom(1400)

    def configure(connection: sqlite3.Connection) -> None:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        connection.execute("PRAGMA busy_timeout=30000")

    connection = sqlite3.connect(path, isolation_level=None)
    configure(connection)
    connection.execute("CREATE TABLE rows (n INTEGER PRIMARY KEY, leaf BLOB NOT NULL)")

    def commit(rows: int) -> Callable[[], None]:
        def step() -> None:
            connection.execute("BEGIN IMMEDIATE")
            connection.executemany("INSERT INTO rows (leaf) VALUES (?)", [(row,)] * rows)
            connection.execute("COMMIT")

        return step

    def reconnect_commit() -> None:
        # What the node's store does per transaction (SQLAlchemy NullPool): connect, set the
        # pragmas, commit, close. ``connection`` stays open meanwhile, so this close does not
        # checkpoint and delete the WAL (see last_close_commit).
        own = sqlite3.connect(path, isolation_level=None)
        configure(own)
        own.execute("PRAGMA foreign_keys=ON")
        own.execute("BEGIN IMMEDIATE")
        own.execute("INSERT INTO rows (leaf) VALUES (?)", (row,))
        own.execute("COMMIT")
        own.close()

    single = timed_loop(seconds / 4, commit(1))
    batched = timed_loop(seconds / 4, commit(100)) * 100
    reconnecting = timed_loop(seconds / 4, reconnect_commit)
    connection.close()
    # The same with no other connection open: every close is the last one, so SQLite
    # checkpoints the WAL into the database and deletes it, as an idle node does.
    alone = timed_loop(seconds / 4, reconnect_commit)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return {
        "commit": single,
        "rows-batched": batched,
        "reconnect": reconnecting,
        "reconnect-last": alone,
    }


# --- nodes ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def openline(*args: str | Path) -> str:
    result = subprocess.run(
        [*OPENLINE, *(str(arg) for arg in args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        words = " ".join(str(arg) for arg in args)
        raise RuntimeError(f"openline {words} exited {result.returncode}: {result.stderr}")
    return result.stdout


class Tap:
    """A transparent TCP relay in front of a node, watching its federation answers.

    The peer's pin of this node points here. Requests go through untouched; each answer is
    timestamped as it arrives from the node, forwarded at once, then searched for the
    ``"size":N`` of an accepted batch: the size of the sender's log the node has just
    durably stored and cosigned. ``receipts`` lists (time, size) whenever the size grows;
    ``answers`` lists (time, seconds) for each answered batch, the seconds from the first
    byte of the request to its answer (transfer plus the receiver's work).
    """

    SIZE = re.compile(rb'"size"\s*:\s*(\d+)')

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.server.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.size = 0
        self.receipts: list[tuple[float, int]] = [(time.perf_counter(), 0)]
        self.answers: list[tuple[float, float]] = []
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True, name="tap").start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            except OSError:
                client.close()
                continue
            for sock in (client, upstream):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._sockets += [client, upstream]
            started: list[float | None] = [None]  # first byte of the open request
            for args in ((client, upstream, False, started), (upstream, client, True, started)):
                threading.Thread(target=self._pump, args=args, daemon=True).start()

    def _pump(
        self, source: socket.socket, sink: socket.socket, answers: bool, started: list[float | None]
    ) -> None:
        tail = b""
        try:
            while chunk := source.recv(1 << 16):
                seen = time.perf_counter()
                sink.sendall(chunk)
                if not answers:
                    if started[0] is None:
                        started[0] = seen
                    continue
                text = tail + chunk
                sizes = [int(size) for size in self.SIZE.findall(text)]
                tail = text[-24:]
                if not sizes:
                    if b'"error"' in chunk:  # a refusal (gap, …) ends the request too
                        started[0] = None
                    continue
                if started[0] is not None:
                    self.answers.append((seen, seen - started[0]))
                    started[0] = None
                if max(sizes) > self.size:
                    self.size = max(sizes)
                    self.receipts.append((seen, self.size))
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.server.close()
        with self._lock:
            for sock in self._sockets:
                sock.close()

    def size_at(self, moment: float) -> float:
        """Cosigned size at ``moment``, interpolated linearly between receipts."""
        receipts = self.receipts
        for (t0, s0), (t1, s1) in itertools.pairwise(receipts):
            if t0 <= moment <= t1:
                return s0 + (s1 - s0) * (moment - t0) / (t1 - t0) if t1 > t0 else float(s1)
        return float(receipts[-1][1] if moment > receipts[-1][0] else receipts[0][1])

    def covers(self, size: int) -> Callable[[], bool]:
        """A predicate: has a receipt for ``size`` entries passed?"""
        return lambda: self.size >= size

    def first_covering(self, seq: int) -> float:
        """When the first receipt covering ``seq`` passed."""
        return next(t for t, size in self.receipts if size > seq)


class BenchNode:
    """A node made with the real ``openline init`` and served by ``openline run``."""

    def __init__(self, root: Path, party: str) -> None:
        self.party = party
        self.dir = root / party
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        openline(
            "init",
            self.dir,
            "--party",
            party,
            "--name",
            party,
            "--listen",
            f"127.0.0.1:{self.port}",
        )
        config_path = self.dir / "node.json"
        settings = json.loads(config_path.read_text())
        settings.update(NODE_OVERRIDES)
        config_path.write_text(json.dumps(settings, indent=2))
        self.token = (self.dir / "admin.token").read_text().strip()
        self.card_path = root / f"{party}.card.json"
        openline("card", self.dir, "--out", self.card_path)
        self.tap = Tap(self.port)

    def pin(self, other: BenchNode) -> None:
        """Pin the other's card, reaching it through its tap."""
        openline("peer", "add", self.dir, other.card_path, "--url", other.tap.url)

    def spawn(self) -> None:
        """Start ``openline run`` without waiting for it to serve."""
        with (self.dir / "node.log").open("ab") as log:
            self.process = subprocess.Popen(
                [*OPENLINE, "run", str(self.dir)], stdout=log, stderr=subprocess.STDOUT
            )

    def wait_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.party} exited; see {self.dir / 'node.log'}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{self.party} did not serve within 30 s")

    def start(self) -> None:
        self.spawn()
        self.wait_ready()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.tap.close()

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def client(self, timeout: float = 120) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"authorization": f"Bearer {self.token}"}, timeout=timeout
        )

    def peer_status(self, peer: str) -> dict[str, Any]:
        with self.client() as client:
            response = client.get("/api/v1/status")
            response.raise_for_status()
            status: dict[str, Any] = response.json()
        return next(row for row in status["peers"] if row["party"] == peer)


@contextmanager
def node_pair(
    root: Path, phase: str, start_bravo: bool = True
) -> Iterator[tuple[BenchNode, BenchNode]]:
    """Two fresh, mutually pinned nodes, running (bravo only if ``start_bravo``)."""
    base = root / phase
    base.mkdir()
    alpha, bravo = BenchNode(base, A), BenchNode(base, B)
    try:
        alpha.pin(bravo)
        bravo.pin(alpha)
        # Both processes start together, so that neither sender meets a peer still starting.
        alpha.spawn()
        if start_bravo:
            bravo.spawn()
        alpha.wait_ready()
        if start_bravo:
            bravo.wait_ready()
        yield alpha, bravo
    finally:
        alpha.stop()
        bravo.stop()


@contextmanager
def profiling(
    out: Path | None, phase: str, nodes: Sequence[BenchNode], seconds: float
) -> Iterator[None]:
    """``py-spy record`` each node while the body runs: raw collapsed stacks at 200 Hz of
    the thread holding the GIL, the resource a node's Python code competes for. (C calls
    that release the GIL, such as fsync and Ed25519, then appear only by their Python
    overhead.) Nothing when ``out`` is None."""
    if out is None:
        yield
        return
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    out.mkdir(parents=True, exist_ok=True)
    recorders = [
        subprocess.Popen(
            [
                spy,
                "record",
                "--pid",
                str(node.pid),
                "--duration",
                str(max(1, round(seconds))),
                "--rate",
                "200",
                "--gil",
                "--format",
                "raw",
                "--nonblocking",
                "--output",
                str(out / f"{phase}-{node.party}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for node in nodes
    ]
    try:
        yield
    finally:
        for recorder in recorders:
            recorder.wait(timeout=seconds + 60)


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise RuntimeError(f"timed out after {timeout:g} s waiting for {what}")


def check_with_api(sender: BenchNode, receiver: BenchNode, submitted: int) -> str:
    """Once the sender has stored every receipt: both status APIs agree with the tap."""

    def receipts_stored() -> bool:
        view = sender.peer_status(receiver.party)
        return bool(view["delivered"] == view["sent"])

    wait_for(receipts_stored, 60, f"{sender.party} to store its last receipt")
    sent = sender.peer_status(receiver.party)
    received = receiver.peer_status(sender.party)
    agrees = (
        sent["sent"] == sent["delivered"] == submitted == received["received"] == receiver.tap.size
        and sent["pending"] == 0
    )
    errors = "".join(
        f"; {party} last_error {view['last_error']!r}"
        for party, view in ((sender.party, sent), (receiver.party, received))
        if view.get("last_error")
    )
    return (
        f"{'ok' if agrees else 'MISMATCH'}: submitted {submitted}; {sender.party} status "
        f"sent {sent['sent']}, delivered {sent['delivered']}, pending {sent['pending']}; "
        f"{receiver.party} status received {received['received']}; tap {receiver.tap.size}"
        f"{errors}"
    )


# --- throughput ----------------------------------------------------------------------------


def message_text(size: int = TEXT_BYTES) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789 .,;:"
    return (alphabet * (size // len(alphabet) + 1))[:size]


class Loader(threading.Thread):
    """Feeds one sender through ``POST /api/v1/messages/batch`` with a bounded backlog.

    The request body (``chunk`` messages) is built once and posted over one persistent
    connection. A call is made whenever the sender's backlog (messages submitted and not
    yet cosigned by the receiver, as seen by the tap) leaves room for another chunk under
    ``backlog``: the sender's outbox never runs dry and never grows without bound.
    """

    def __init__(self, sender: BenchNode, receiver: BenchNode, chunk: int, backlog: int) -> None:
        super().__init__(daemon=True, name=f"loader-{sender.party}")
        self.sender = sender
        self.tap = receiver.tap
        self.chunk = chunk
        self.backlog = backlog
        self.stopping = threading.Event()
        self.submitted = 0
        self.busy = 0.0  # seconds spent inside API calls
        self.error: str | None = None
        message = {"text": message_text(), "precedence": "routine", "lang": "en"}
        self.body = json.dumps({"to": [receiver.party], "messages": [message] * chunk}).encode()

    def run(self) -> None:
        with self.sender.client() as client:
            while not self.stopping.is_set():
                if self.submitted - self.tap.size + self.chunk > self.backlog:
                    time.sleep(0.001)
                    continue
                started = time.perf_counter()
                try:
                    response = client.post(
                        "/api/v1/messages/batch",
                        content=self.body,
                        headers={"content-type": "application/json"},
                    )
                except httpx.HTTPError as error:
                    self.error = f"{type(error).__name__}: {error}"
                    return
                self.busy += time.perf_counter() - started
                if response.status_code != 201:
                    self.error = f"HTTP {response.status_code}: {response.text[:200]}"
                    return
                self.submitted += self.chunk

    def stop(self) -> None:
        self.stopping.set()
        self.join()


@dataclass
class DirectionResult:
    name: str
    rate: float
    delivered: int
    seconds: float
    quarters: list[float]
    mean_backlog: float
    min_backlog: int
    low_backlog_share: float  # samples with less than one federation batch waiting
    loader_busy: float  # share of the window the loader spent in API calls
    batch_interval_ms: float  # mean time between receipts
    answer_ms: float  # median time from a batch's first byte to the receiver's answer
    check: str


@dataclass
class ThroughputResult:
    directions: list[DirectionResult]
    cpu: dict[str, float]  # share of one core per process over the window


def throughput(root: Path, settings: Settings, both: bool) -> ThroughputResult:
    phase = "both" if both else "one"
    batch = int(NODE_OVERRIDES["send_batch_entries"])
    with node_pair(root, phase) as (alpha, bravo):
        pairs = [(alpha, bravo), (bravo, alpha)] if both else [(alpha, bravo)]
        loaders = [
            Loader(sender, receiver, settings.chunk, settings.backlog) for sender, receiver in pairs
        ]
        backlogs: list[list[tuple[float, int]]] = [[] for _ in loaders]
        sampling = threading.Event()

        def sample() -> None:
            while not sampling.is_set():
                now = time.perf_counter()
                for loader, series in zip(loaders, backlogs, strict=True):
                    series.append((now, loader.submitted - loader.tap.size))
                time.sleep(0.01)

        sampler = threading.Thread(target=sample, daemon=True, name="sampler")
        for loader in loaders:
            loader.start()
        sampler.start()
        time.sleep(settings.warmup)
        pids = {A: alpha.pid, B: bravo.pid}
        cpu0 = {name: cpu_seconds(pid) for name, pid in pids.items()} | {"bench": cpu_seconds()}
        busy0 = [loader.busy for loader in loaders]
        t0 = time.perf_counter()
        with profiling(settings.profile, phase, [alpha, bravo], settings.duration):
            time.sleep(settings.duration)
            t1 = time.perf_counter()
            cpu1 = {name: cpu_seconds(pid) for name, pid in pids.items()}
            cpu1["bench"] = cpu_seconds()
            busy1 = [loader.busy for loader in loaders]
        for loader in loaders:
            loader.stop()
        sampling.set()
        sampler.join()
        for loader in loaders:
            if loader.error is not None:
                raise RuntimeError(f"{loader.name}: {loader.error}")
        span = t1 - t0
        results = []
        for (sender, receiver), loader, series, b0, b1 in zip(
            pairs, loaders, backlogs, busy0, busy1, strict=True
        ):
            tap = receiver.tap
            wait_for(tap.covers(loader.submitted), 120, "the outbox to drain")
            delivered = tap.size_at(t1) - tap.size_at(t0)
            edges = [t0 + k * span / 4 for k in range(5)]
            window = [pending for t, pending in series if t0 <= t <= t1]
            receipts_in_window = sum(1 for t, _ in tap.receipts if t0 <= t <= t1)
            answers = [seconds for t, seconds in tap.answers if t0 <= t <= t1]
            results.append(
                DirectionResult(
                    name=f"{sender.party}→{receiver.party}",
                    rate=delivered / span,
                    delivered=round(delivered),
                    seconds=span,
                    quarters=[
                        (tap.size_at(end) - tap.size_at(start)) / (end - start)
                        for start, end in itertools.pairwise(edges)
                    ],
                    mean_backlog=statistics.fmean(window) if window else 0.0,
                    min_backlog=min(window, default=0),
                    low_backlog_share=sum(1 for p in window if p < batch) / max(1, len(window)),
                    loader_busy=(b1 - b0) / span,
                    batch_interval_ms=1000 * span / max(1, receipts_in_window - 1),
                    answer_ms=1000 * statistics.median(answers) if answers else float("nan"),
                    check=check_with_api(sender, receiver, loader.submitted),
                )
            )
        cpu = {name: (cpu1[name] - cpu0[name]) / span for name in cpu0}
        return ThroughputResult(results, cpu)


# --- latency -------------------------------------------------------------------------------


@dataclass
class LatencyResult:
    rate: float
    count: int
    delivered_ms: list[float] = field(default_factory=list)
    api_ms: list[float] = field(default_factory=list)
    late_p99_ms: float = 0.0  # how late after its due time a message was sent
    late_max_ms: float = 0.0
    answer_ms: list[float] = field(default_factory=list)  # receiver's answer time per batch
    cpu: dict[str, float] = field(default_factory=dict)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = min(len(ordered), max(1, -(-len(ordered) * q // 100)))
    return ordered[int(rank) - 1]


def latency(root: Path, settings: Settings) -> LatencyResult:
    """Single messages at a fixed rate, open loop: message k is due at start + k/rate and is
    sent then by one of several workers, however long earlier calls take. Each worker keeps
    one persistent ``http.client`` connection (lighter than httpx, so that the generator
    takes little CPU from the nodes)."""
    warmup = min(settings.warmup, 1.0)
    with node_pair(root, "latency") as (alpha, bravo):
        body = json.dumps(
            {"to": [bravo.party], "text": message_text(), "precedence": "routine", "lang": "en"}
        ).encode()
        headers = {"authorization": f"Bearer {alpha.token}", "content-type": "application/json"}
        interval = 1.0 / settings.rate
        total = round((warmup + settings.duration) * settings.rate)
        first = round(warmup * settings.rate)
        submissions: list[tuple[int, float, float, float]] = []  # seq, due, sent, returned
        errors: list[str] = []
        local = threading.local()
        connections: list[http.client.HTTPConnection] = []

        def submit(due: float) -> None:
            connection: http.client.HTTPConnection | None = getattr(local, "connection", None)
            if connection is None:
                connection = http.client.HTTPConnection("127.0.0.1", alpha.port, timeout=30)
                local.connection = connection
                connections.append(connection)
            sent = time.perf_counter()
            try:
                connection.request("POST", "/api/v1/messages", body=body, headers=headers)
                response = connection.getresponse()
                payload = response.read()
            except (OSError, http.client.HTTPException) as error:
                errors.append(f"{type(error).__name__}: {error}")
                return
            returned = time.perf_counter()
            if response.status != 201:
                errors.append(f"HTTP {response.status}: {payload[:200]!r}")
                return
            seq = int(json.loads(payload)["entries"][0]["seq"])
            submissions.append((seq, due, sent, returned))

        with (
            ThreadPoolExecutor(max_workers=LATENCY_WORKERS) as workers,
            profiling(settings.profile, "latency", [alpha, bravo], warmup + settings.duration),
        ):
            start = window_start = time.perf_counter()
            cpu0: dict[str, float] = {}
            for k in range(total):
                due = start + k * interval
                while (now := time.perf_counter()) < due:
                    time.sleep(min(0.0005, due - now))
                if k == first:
                    cpu0 = {A: cpu_seconds(alpha.pid), B: cpu_seconds(bravo.pid)}
                    cpu0["bench"] = cpu_seconds()
                    window_start = time.perf_counter()
                workers.submit(submit, due)
            workers.shutdown(wait=True)
            finished = time.perf_counter()
            cpu1 = {A: cpu_seconds(alpha.pid), B: cpu_seconds(bravo.pid), "bench": cpu_seconds()}
        for connection in connections:
            connection.close()
        if errors:
            raise RuntimeError(f"latency run: {errors[0]}")
        wait_for(bravo.tap.covers(total), 60, "the last receipt")
        check = check_with_api(alpha, bravo, total)
        if not check.startswith("ok"):
            raise RuntimeError(check)
        measured = [s for s in submissions if s[1] >= start + first * interval - 1e-9]
        span = finished - window_start
        lateness = [(sent - due) * 1000 for _, due, sent, _ in measured]
        result = LatencyResult(
            rate=len(measured) / settings.duration,
            count=len(measured),
            late_p99_ms=percentile(lateness, 99),
            late_max_ms=max(lateness, default=0.0),
            cpu={name: (cpu1[name] - cpu0[name]) / span for name in cpu0},
        )
        result.answer_ms = [
            seconds * 1000 for t, seconds in bravo.tap.answers if window_start <= t <= finished
        ]
        for seq, _, sent, returned in measured:
            result.delivered_ms.append((bravo.tap.first_covering(seq) - sent) * 1000)
            result.api_ms.append((returned - sent) * 1000)
        return result


# --- the two halves apart ------------------------------------------------------------------


@dataclass
class ApartResult:
    messages: int
    ingest_rate: float  # accepted by A's batch API while B is down (nothing is delivered)
    ingest_cpu: float  # A's share of one core meanwhile
    delivery_rate: float  # delivered once B is up, with nothing more submitted
    delivery_cpu: dict[str, float]


def apart(root: Path, settings: Settings) -> ApartResult:
    """Ingest and delivery one after the other, to see what each costs on its own.

    B stays down while A's officers' API takes ``messages`` messages (A's sender finds B
    unreachable and backs off); then B starts and A's outbox drains with no new input.
    """
    messages = 5000 if settings.duration < 10 else 40_000
    chunk = 1000
    with node_pair(root, "apart", start_bravo=False) as (alpha, bravo):
        message = {"text": message_text(), "precedence": "routine", "lang": "en"}
        body = json.dumps({"to": [bravo.party], "messages": [message] * chunk}).encode()
        with alpha.client() as client:
            cpu0, t0 = cpu_seconds(alpha.pid), time.perf_counter()
            for _ in range(messages // chunk):
                response = client.post(
                    "/api/v1/messages/batch",
                    content=body,
                    headers={"content-type": "application/json"},
                )
                if response.status_code != 201:
                    raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")
            ingest_seconds = time.perf_counter() - t0
            ingest_cpu = (cpu_seconds(alpha.pid) - cpu0) / ingest_seconds
        total = messages // chunk * chunk
        bravo.start()
        # Measure from the first receipt on: B's start-up and A's back-off are not delivery.
        while bravo.tap.size == 0:
            time.sleep(0.005)
        cpu0s = {A: cpu_seconds(alpha.pid), B: cpu_seconds(bravo.pid)}
        first_t, first_size = bravo.tap.receipts[-1]
        wait_for(bravo.tap.covers(total), 300, "the outbox to drain")
        cpu1s = {A: cpu_seconds(alpha.pid), B: cpu_seconds(bravo.pid)}
        last_t, last_size = bravo.tap.receipts[-1]
        span = max(last_t - first_t, 1e-9)
        check = check_with_api(alpha, bravo, total)
        if not check.startswith("ok"):
            raise RuntimeError(check)
        return ApartResult(
            messages=total,
            ingest_rate=total / ingest_seconds,
            ingest_cpu=ingest_cpu,
            delivery_rate=(last_size - first_size) / span,
            delivery_cpu={name: (cpu1s[name] - cpu0s[name]) / span for name in cpu0s},
        )


# --- main ----------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Delivery benchmark: two real openline nodes on loopback."
    )
    parser.add_argument("--duration", type=float, default=20.0, help="seconds measured per run")
    parser.add_argument("--rate", type=float, default=100.0, help="msg/s of the latency run")
    parser.add_argument("--quick", action="store_true", help="3 s runs, for smoke testing")
    parser.add_argument("--warmup", type=float, default=None, help="seconds before measuring")
    parser.add_argument("--chunk", type=int, default=500, help="messages per batch API call")
    parser.add_argument("--backlog", type=int, default=4000, help="most messages pending")
    parser.add_argument(
        "--only",
        choices=["limits", "one", "both", "apart", "latency"],
        action="append",
        help="run only this part (repeatable)",
    )
    parser.add_argument("--keep", type=Path, default=None, help="keep the nodes' data here")
    parser.add_argument(
        "--profile", type=Path, default=None, help="py-spy record each node into this folder"
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    duration = 3.0 if args.quick else float(args.duration)
    settings = Settings(
        duration=duration,
        warmup=float(args.warmup) if args.warmup is not None else (1.0 if args.quick else 3.0),
        rate=float(args.rate),
        chunk=int(args.chunk),
        backlog=int(args.backlog),
        profile=args.profile,
    )
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=False)
        root = args.keep
    else:
        root = Path(tempfile.mkdtemp(prefix="openline-bench-"))
    # The taps and loaders share this process: switch threads often so that a relay never
    # waits long for the interpreter.
    sys.setswitchinterval(0.0005)
    try:
        met = run(root, set(args.only or ["limits", "one", "both", "apart", "latency"]), settings)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    return 1 if args.check and not met else 0


def verdict(value: float, target: float, higher_is_better: bool = True) -> str:
    met = value >= target if higher_is_better else value <= target
    return "met" if met else "MISSED"


def run(root: Path, parts: set[str], settings: Settings) -> bool:
    """Run the parts and print the report; True when every target measured was met."""
    say("openline delivery benchmark")
    for name, value in machine().items():
        say(f"  {name:<7} {value}")
    say("  node.json: " + ", ".join(f"{k}={v}" for k, v in NODE_OVERRIDES.items()))
    say(
        f"  load: {TEXT_BYTES}-byte texts, {settings.chunk} per batch API call, "
        f"backlog ≤ {settings.backlog}; warm-up {settings.warmup:g} s, "
        f"measured {settings.duration:g} s"
    )
    say()
    rows: list[tuple[str, str, str]] = []
    notes: list[str] = []
    verdicts: list[str] = []

    if "limits" in parts:
        say("machine limits …")
        seconds = 2.0 if settings.duration < 10 else 6.0
        crypto = ed25519_rates(seconds)
        disk = sqlite_rates(root, seconds)
        rows += [
            ("Ed25519 sign, PyNaCl (1.3 KB message)", f"{crypto['sign']:,.0f} /s", ""),
            ("Ed25519 verify", f"{crypto['verify']:,.0f} /s", ""),
            ("Ed25519 sign + verify", f"{crypto['sign+verify']:,.0f} /s", ""),
            ("SQLite commits, 1 row each (WAL, FULL)", f"{disk['commit']:,.0f} /s", ""),
            ("SQLite rows, 100 per commit", f"{disk['rows-batched']:,.0f} /s", ""),
            ("SQLite commits, connection per commit", f"{disk['reconnect']:,.0f} /s", ""),
            ("  … when each close is the last one", f"{disk['reconnect-last']:,.0f} /s", ""),
        ]

    for both in (False, True):
        if ("both" if both else "one") not in parts:
            continue
        say(f"{'both directions' if both else 'one direction'}, {settings.duration:g} s …")
        result = throughput(root, settings, both)
        target = TWO_WAY_TARGET if both else ONE_WAY_TARGET
        label = "both directions at once" if both else "one direction"
        for direction in result.directions:
            met = verdict(direction.rate, target)
            verdicts.append(met)
            rows.append(
                (
                    f"delivered, {label}, {direction.name}",
                    f"{direction.rate:,.0f} msg/s",
                    f"≥ {target:,.0f}: {met}",
                )
            )
            quarters = " ".join(f"{rate:,.0f}" for rate in direction.quarters)
            notes.append(
                f"{label}, {direction.name}: {direction.delivered:,} delivered in "
                f"{direction.seconds:.1f} s; per quarter {quarters} msg/s; backlog mean "
                f"{direction.mean_backlog:,.0f}, min {direction.min_backlog:,}, under one batch "
                f"in {direction.low_backlog_share:.0%} of samples; loader in API calls "
                f"{direction.loader_busy:.0%} of the time; a receipt every "
                f"{direction.batch_interval_ms:.0f} ms, the receiver answering a batch in "
                f"{direction.answer_ms:.0f} ms (median, from its first byte)"
                f"\n    after drain: {direction.check}"
            )
        if both:
            total = sum(direction.rate for direction in result.directions)
            rows.append(("delivered, both directions at once, sum", f"{total:,.0f} msg/s", ""))
        notes.append(f"{label}: CPU (share of one core) " + cpu_text(result.cpu))

    if "apart" in parts:
        say("ingest, then delivery, apart …")
        halves = apart(root, settings)
        rows += [
            (
                "A's batch API alone (B down)",
                f"{halves.ingest_rate:,.0f} msg/s",
                "",
            ),
            ("delivery alone (outbox full, no input)", f"{halves.delivery_rate:,.0f} msg/s", ""),
        ]
        notes.append(
            f"apart: {halves.messages:,} messages; ingest CPU alpha {halves.ingest_cpu:.0%}; "
            f"delivery CPU (share of one core) {cpu_text(halves.delivery_cpu)}"
        )

    if "latency" in parts:
        say(f"latency at {settings.rate:g} msg/s, {settings.duration:g} s …")
        lat = latency(root, settings)
        p50, p99 = percentile(lat.delivered_ms, 50), percentile(lat.delivered_ms, 99)
        met = verdict(p99, P99_TARGET_MS, higher_is_better=False)
        verdicts.append(met)
        rows += [
            (f"latency to delivery at {settings.rate:g} msg/s, p50", f"{p50:.1f} ms", ""),
            (
                f"latency to delivery at {settings.rate:g} msg/s, p99",
                f"{p99:.1f} ms",
                f"≤ {P99_TARGET_MS:g} ms: {met}",
            ),
            (
                "  submit call (stored at sender), p50 / p99",
                f"{percentile(lat.api_ms, 50):.1f} / {percentile(lat.api_ms, 99):.1f} ms",
                "",
            ),
        ]
        notes.append(
            f"latency: {lat.count:,} messages at {lat.rate:.1f} msg/s "
            f"(sent after their due time by p99 {lat.late_p99_ms:.1f} ms, max "
            f"{lat.late_max_ms:.1f} ms); delivery p90 "
            f"{percentile(lat.delivered_ms, 90):.1f} ms, p99.9 "
            f"{percentile(lat.delivered_ms, 99.9):.1f} ms, max {max(lat.delivered_ms):.1f} ms; "
            f"{len(lat.answer_ms):,} batches, answered by the receiver in p50 "
            f"{percentile(lat.answer_ms, 50):.1f} / p99 {percentile(lat.answer_ms, 99):.1f} ms; "
            f"CPU (share of one core) {cpu_text(lat.cpu)}"
        )

    say()
    name_width = max((len(row[0]) for row in rows), default=0)
    value_width = max((len(row[1]) for row in rows), default=0)
    say(f"{'measure':<{name_width}}  {'result':>{value_width}}  target")
    say(f"{'-' * name_width}  {'-' * value_width}  {'-' * 16}")
    for name, value, target_text in rows:
        say(f"{name:<{name_width}}  {value:>{value_width}}  {target_text}".rstrip())
    if notes:
        say()
        for note in notes:
            say(note)
    say(f"at the end: load average {load_average()}; code {code_version()}")
    return "MISSED" not in verdicts


def cpu_text(cpu: dict[str, float]) -> str:
    return ", ".join(f"{name} {share:.0%}" for name, share in cpu.items())


if __name__ == "__main__":
    sys.exit(main())
