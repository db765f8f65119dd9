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
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
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

    def start(self, wait: bool = True) -> None:
        assert self.process is None or self.process.poll() is not None, "already running"
        log = (self.dir / "node.log").open("ab")
        self.process = subprocess.Popen(
            [*OPENLINE, "run", str(self.dir)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "OPENLINE_LOG": "info"},
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

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    # --- talking to it -------------------------------------------------------------------------

    def cli(self, *args: str | Path, check: bool = False) -> subprocess.CompletedProcess[str]:
        """``openline COMMAND DIR ARGS…`` (``peer add`` counts as one command)."""
        words = 2 if args[0] == "peer" else 1
        return run_cli(*args[:words], self.dir, *args[words:], check=check)

    def api(self, method: str, path: str, body: Any = None, timeout: float = 60) -> httpx.Response:
        return httpx.request(
            method,
            self.url + path,
            json=body,
            headers={"authorization": f"Bearer {self.token}"},
            timeout=timeout,
        )

    def status(self) -> dict[str, Any]:
        result = self.cli("status", "--json", check=True)
        return dict(json.loads(result.stdout))

    def peer_status(self, peer: str) -> dict[str, Any]:
        return next(p for p in self.status()["peers"] if p["party"] == peer)

    def log(self, peer: str) -> list[dict[str, Any]]:
        result = self.cli("log", "--peer", peer, "--json", check=True)
        return list(json.loads(result.stdout)["entries"])


def pin_all(nodes: Iterable[NodeProcess]) -> None:
    """Every node pins every other node's card (before they start)."""
    node_list = list(nodes)
    for node in node_list:
        for other in node_list:
            if other is not node:
                node.cli("peer", "add", other.card_path, check=True)
