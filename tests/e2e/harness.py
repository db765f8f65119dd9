"""Real node processes on loopback for end-to-end tests.

Each :class:`NodeProcess` is a data folder made by the real ``openline init`` and served by
a real ``openline run`` child process on a loopback port chosen at run time. Tests drive
nodes through the CLI and the HTTP APIs exactly as an operator or a peer would.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

OPENLINE = [sys.executable, "-m", "openline.cli"]

NodeFactory = Callable[..., list["NodeProcess"]]
"""The ``nodes`` fixture: ``nodes("us-dod", "prc-mnd", start=True, **node_json_overrides)``."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_cli(
    *args: str | Path, check: bool = False, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the real ``openline`` command line and capture its output."""
    result = subprocess.run(
        [*OPENLINE, *(str(arg) for arg in args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "200"},
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"openline {' '.join(map(str, args))} exited {result.returncode}: {result.stderr}"
        )
    return result


def wait_for(
    predicate: Callable[[], bool], timeout: float, what: str, interval: float = 0.1
) -> None:
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except (httpx.HTTPError, OSError, ValueError, KeyError) as error:
            last_error = error
        time.sleep(interval)
    raise AssertionError(
        f"timed out after {timeout}s waiting for {what} (last error: {last_error})"
    )


@dataclass(frozen=True)
class Altered:
    """One byte of a stored entry changed on disk by :meth:`NodeProcess.alter_stored_entry`."""

    id: str
    seq: int
    leaf_before: bytes
    leaf_after: bytes
    file_offset: int
    old_byte: int
    new_byte: int


class NodeProcess:
    def __init__(self, root: Path, party: str, **config: Any) -> None:
        self.party = party
        self.dir = root / party
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        run_cli(
            "init",
            self.dir,
            "--party",
            party,
            "--name",
            party.upper(),
            "--listen",
            f"127.0.0.1:{self.port}",
            check=True,
        )
        settings = json.loads((self.dir / "node.json").read_text())
        settings.update({"heartbeat_seconds": 1.0, "retry_max_seconds": 1.0, **config})
        (self.dir / "node.json").write_text(json.dumps(settings, indent=2))
        self.token = (self.dir / "admin.token").read_text().strip()
        self.card_path = root / f"{party}.card.json"
        run_cli("card", self.dir, "--out", self.card_path, check=True)

    # --- process control --------------------------------------------------------------------

    def start(self, wait: bool = True, env: dict[str, str] | None = None) -> None:
        """``openline run``; ``env`` adds to the process's environment (a fault point)."""
        assert self.process is None or self.process.poll() is not None, "already running"
        with (self.dir / "node.log").open("ab") as log:
            self.process = subprocess.Popen(
                [*OPENLINE, "run", str(self.dir)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "OPENLINE_LOG": "info", **(env or {})},
            )
        if wait:
            wait_for(self.healthy, 30, f"{self.party} to serve")

    def healthy(self) -> bool:
        return httpx.get(self.url + "/healthz", timeout=2).status_code == 200

    def kill(self) -> None:
        """SIGKILL: no chance to flush or clean up, as in a power cut."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> int | None:
        """SIGTERM and wait; returns the exit code (None if the node was not started)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return None if self.process is None else self.process.returncode

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    # --- talking to it -------------------------------------------------------------------------

    def cli(self, *args: str | Path, check: bool = False) -> subprocess.CompletedProcess[str]:
        """``openline COMMAND DIR ARGS…`` (``peer add`` counts as one command)."""
        words = 2 if args[0] == "peer" else 1
        return run_cli(*args[:words], self.dir, *args[words:], check=check)

    def api(
        self,
        method: str,
        path: str,
        body: Any = None,
        timeout: float = 60,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        return httpx.request(
            method,
            self.url + path,
            json=body,
            headers={"authorization": f"Bearer {self.token}", **(headers or {})},
            timeout=timeout,
        )

    def status(self) -> dict[str, Any]:
        result = self.cli("status", "--json", check=True)
        return dict(json.loads(result.stdout))

    def peer_status(self, peer: str) -> dict[str, Any]:
        return next(p for p in self.status()["peers"] if p["party"] == peer)

    def log(self, peer: str) -> list[dict[str, Any]]:
        """The whole transcript with ``peer``, read through ``openline log`` a page at a
        time (following its ``--before`` cursors), in time order."""
        rows: list[dict[str, Any]] = []
        before: list[str] = []
        while True:
            result = self.cli(
                "log", "--peer", peer, "--json", "--limit", "1000", *before, check=True
            )
            answer = json.loads(result.stdout)
            rows = list(answer["entries"]) + rows
            if answer["cursors"]["before"] is None:
                return rows
            before = ["--before", answer["cursors"]["before"]]

    def api_status(self) -> dict[str, Any]:
        """``GET /api/v1/status`` of the running node: cheaper than the CLI for polling."""
        response = self.api("GET", "/api/v1/status", timeout=10)
        response.raise_for_status()
        return dict(response.json())

    def api_peer_status(self, peer: str) -> dict[str, Any]:
        return next(p for p in self.api_status()["peers"] if p["party"] == peer)

    def send_batch(
        self,
        to: Sequence[str],
        texts: Sequence[str],
        precedence: str = "routine",
        lang: str = "en",
    ) -> list[dict[str, Any]]:
        """Queue hotline messages through the officers' batch API; returns the entries."""
        body = {
            "to": list(to),
            "messages": [{"text": t, "precedence": precedence, "lang": lang} for t in texts],
        }
        response = self.api("POST", "/api/v1/messages/batch", body)
        assert response.status_code == 201, response.text
        return list(response.json()["entries"])

    def verify(self) -> subprocess.CompletedProcess[str]:
        """``openline verify DIR`` (reads the store directly, running or not)."""
        return self.cli("verify")

    # --- the bytes on disk ----------------------------------------------------------------------

    @property
    def database(self) -> Path:
        return self.dir / "openline.db"

    def checkpoint_wal(self) -> None:
        """Merge any write-ahead log into the main database file (the node must be stopped)."""
        assert not self.running, "stop the node before touching its database file"
        wal = self.database.with_name(self.database.name + "-wal")
        if wal.exists() and wal.stat().st_size > 0:
            connection = sqlite3.connect(self.database)
            try:
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                connection.close()
        assert not wal.exists() or wal.stat().st_size == 0, "the WAL could not be merged"

    def stored_entry(self, sender: str, recipient: str, seq: int) -> tuple[str, bytes]:
        """``(id, leaf)`` of one stored entry, read from the file without locking or WAL."""
        connection = sqlite3.connect(f"file:{self.database}?immutable=1", uri=True)
        try:
            row = connection.execute(
                "SELECT id, leaf FROM entries"
                " WHERE log_sender = ? AND log_recipient = ? AND seq = ?",
                (sender, recipient, seq),
            ).fetchone()
        finally:
            connection.close()
        assert row is not None, f"no stored entry {sender}→{recipient} seq {seq}"
        return str(row[0]), bytes(row[1])

    def alter_stored_entry(self, sender: str, recipient: str, seq: int, needle: bytes) -> Altered:
        """Change ONE byte of a stored entry by editing the database file directly.

        ``needle`` is a byte string found once in the entry's leaf and ending in a quoted
        value (e.g. ``b'"text":"msg 0003"'``); the last character of that value has its low
        bit flipped ('3' becomes '2'), so the leaf stays printable JSON. Freed SQLite space
        can hold stale copies of a row, so each occurrence in the file is tried until the
        live row reads back changed; a stale copy is put back untouched.
        """
        self.checkpoint_wal()
        entry_id, leaf = self.stored_entry(sender, recipient, seq)
        assert leaf.count(needle) == 1, f"{needle!r} is not unique in the leaf"
        offset_in_needle = len(needle) - 2  # the character before the closing quote
        original = self.database.read_bytes()
        start = 0
        while (found := original.find(needle, start)) >= 0:
            start = found + 1
            position = found + offset_in_needle
            old = original[position]
            new = old ^ 0x01
            changed = bytearray(original)
            changed[position] = new
            self.database.write_bytes(bytes(changed))
            _, now_leaf = self.stored_entry(sender, recipient, seq)
            if now_leaf != leaf:
                diff = [i for i, (a, b) in enumerate(zip(leaf, now_leaf, strict=True)) if a != b]
                assert len(diff) == 1, f"expected one changed byte, got {diff}"
                return Altered(entry_id, seq, leaf, now_leaf, position, old, new)
            self.database.write_bytes(original)
        raise AssertionError(f"{needle!r} of {sender}→{recipient} seq {seq} not found on disk")

    def restore_byte(self, altered: Altered) -> None:
        """Undo :meth:`alter_stored_entry`."""
        self.checkpoint_wal()
        data = bytearray(self.database.read_bytes())
        assert data[altered.file_offset] == altered.new_byte
        data[altered.file_offset] = altered.old_byte
        self.database.write_bytes(bytes(data))


def pin_all(nodes: Iterable[NodeProcess]) -> None:
    """Every node pins every other node's card (before they start)."""
    node_list = list(nodes)
    for node in node_list:
        for other in node_list:
            if other is not node:
                node.cli("peer", "add", other.card_path, check=True)
