"""``openline demo``: three parties on loopback, each a real ``openline run`` process.

The story so far (later issues extend it): the U.S. Department of Defense, the PRC Ministry
of National Defense and the Russian Ministry of Defence pin each other's cards, exchange
hotline messages at several precedences, and acknowledge them; every message is delivered
with a cosigned receipt, and every transcript verifies.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from openline.api.client import ApiError, ApiUnavailable, OfficerClient
from openline.core.card import make_card
from openline.core.keys import PrivateKey
from openline.core.timefmt import format_time
from openline.node.app import Node, utc_now
from openline.node.home import NodeConfig, NodeHome
from openline.node.verify import verify_store

PARTIES = (
    (
        "us-dod",
        {"en": "U.S. Department of Defense", "zh": "美国国防部", "ru": "Министерство обороны США"},
    ),
    (
        "prc-mnd",
        {
            "en": "PRC Ministry of National Defense",
            "zh": "中华人民共和国国防部",
            "ru": "Министерство национальной обороны КНР",
        },
    ),
    (
        "ru-mod",
        {
            "en": "Ministry of Defence of the Russian Federation",
            "zh": "俄罗斯联邦国防部",
            "ru": "Министерство обороны Российской Федерации",
        },
    ),
)

console = Console(soft_wrap=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class DemoNode:
    party: str
    home: NodeHome
    url: str
    token: str
    process: subprocess.Popen[bytes] | None = None

    def api(self, method: str, path: str, body: Any = None) -> Any:
        return OfficerClient(self.url, self.token, timeout=30.0).request(method, path, body)


def create_nodes(root: Path, base_port: int, heartbeat: float) -> list[DemoNode]:
    nodes = []
    for index, (party, names) in enumerate(PARTIES):
        port = base_port + index if base_port else free_port()
        home = NodeHome(root / party)
        config = NodeConfig(
            party=party,
            names=names,
            listen=f"127.0.0.1:{port}",
            url=f"http://127.0.0.1:{port}",
            card_created=format_time(utc_now()),
            heartbeat_seconds=heartbeat,
        )
        key = PrivateKey.generate()
        make_card(party=party, names=names, urls=[config.url], created=config.card_created, key=key)
        token = home.create(config, key)
        nodes.append(DemoNode(party, home, config.url, token))
    cards = {}
    for demo_node in nodes:
        node = Node(demo_node.home)
        cards[demo_node.party] = node.card().to_bytes()
        node.close()
    for demo_node in nodes:
        node = Node(demo_node.home)
        for party, card in cards.items():
            if party != demo_node.party:
                node.add_peer(card)
        node.close()
    return nodes


def start(demo_node: DemoNode) -> None:
    log = (demo_node.home.root / "node.log").open("ab")
    demo_node.process = subprocess.Popen(
        [sys.executable, "-m", "openline.cli", "run", str(demo_node.home.root)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def wait_until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(ApiUnavailable, ApiError):
            if predicate():
                return
        time.sleep(0.1)
    raise TimeoutError(f"timed out waiting for {what}")


def stop(nodes: list[DemoNode]) -> None:
    for demo_node in nodes:
        if demo_node.process and demo_node.process.poll() is None:
            demo_node.process.send_signal(signal.SIGTERM)
    for demo_node in nodes:
        if demo_node.process:
            try:
                demo_node.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                demo_node.process.kill()


def status_table(nodes: list[DemoNode]) -> Table:
    table = Table("node", "peer", "link", "sent", "delivered", "received", "overdue acks (ours)")
    for demo_node in nodes:
        data = demo_node.api("GET", "/api/v1/status")
        for peer in data["peers"]:
            table.add_row(
                demo_node.party,
                peer["party"],
                peer["link"],
                str(peer["sent"]),
                str(peer["delivered"]),
                str(peer["received"]),
                str(data["overdue_acks"]["ours"]),
            )
    return table


def play_story(nodes: list[DemoNode]) -> None:
    us, prc, ru = nodes
    step = console.print
    step("[bold]1.[/bold] us-dod → prc-mnd, FLASH: a request to talk after an air incident")
    flash = us.api(
        "POST",
        "/api/v1/messages",
        {
            "to": ["prc-mnd"],
            "text": "Request an urgent call between duty officers regarding today's air "
            "encounter over the South China Sea.",
            "precedence": "flash",
            "lang": "en",
        },
    )["entries"][0]
    step("[bold]2.[/bold] ru-mod → us-dod and prc-mnd, PRIORITY: notice of a naval exercise")
    ru.api(
        "POST",
        "/api/v1/messages",
        {
            "to": ["us-dod", "prc-mnd"],
            "text": "Уведомляем о плановых учениях Тихоокеанского флота с 3 по 7 декабря.",
            "precedence": "priority",
            "lang": "ru",
        },
    )
    step("[bold]3.[/bold] prc-mnd → us-dod, ROUTINE, in Chinese")
    prc.api(
        "POST",
        "/api/v1/messages",
        {
            "to": ["us-dod"],
            "text": "已收到贵方关于通话的请求，正在研究。",
            "precedence": "routine",
            "lang": "zh",
        },
    )

    def delivered(node: DemoNode) -> bool:
        return all(p["pending"] == 0 for p in node.api("GET", "/api/v1/status")["peers"])

    for node in nodes:
        wait_until(lambda node=node: delivered(node), 30, f"{node.party} to deliver")
    step("    every message delivered with a cosigned receipt")

    step("[bold]4.[/bold] prc-mnd's duty officer acknowledges the FLASH message")
    wait_until(
        lambda: any(
            e["id"] == flash["id"] for e in prc.api("GET", "/api/v1/peers/us-dod/log")["entries"]
        ),
        30,
        "the flash message at prc-mnd",
    )
    prc.api("POST", f"/api/v1/entries/{flash['id']}/ack", {"officer": "Sr. Col. Zhang Wei"})
    wait_until(
        lambda: any(
            e["id"] == flash["id"] and e["acked_by"]
            for e in us.api("GET", "/api/v1/peers/prc-mnd/log")["entries"]
        ),
        30,
        "the acknowledgement at us-dod",
    )
    step("    us-dod sees the acknowledgement, signed by prc-mnd")


def run_demo(*, directory: Path | None, base_port: int, exit_after: bool) -> int:
    """Run the demo; returns the exit code."""
    with _workdir(directory) as root:
        nodes = create_nodes(root, base_port, heartbeat=2.0 if exit_after else 5.0)
        try:
            for demo_node in nodes:
                start(demo_node)
            for demo_node in nodes:
                wait_until(
                    lambda n=demo_node: n.api("GET", "/healthz")["status"] == "ok",
                    30,
                    f"{demo_node.party} to start",
                )
            console.print("[bold]openline demo[/bold]: three nodes on loopback")
            for demo_node in nodes:
                console.print(
                    f"  {demo_node.party:<8} {demo_node.url}  (API docs {demo_node.url}/docs, "
                    f"admin token in {demo_node.home.token_path})"
                )
            play_story(nodes)
            console.print(status_table(nodes))
            failures = 0
            for demo_node in nodes:
                node = Node(demo_node.home)
                report = verify_store(node.store, node.all_cards())
                node.close()
                verdict = "ok" if report.ok else f"FAILED: {report.problems[0]}"
                failures += not report.ok
                console.print(f"  verify {demo_node.party}: {verdict} ({report.entries} entries)")
            if exit_after:
                console.print("scenario played; stopping (--exit-after-scenario)")
                return 1 if failures else 0
            console.print("the network keeps running; press Ctrl-C to stop")
            with contextlib.suppress(KeyboardInterrupt):
                while all(n.process and n.process.poll() is None for n in nodes):
                    time.sleep(0.5)
            return 0
        finally:
            stop(nodes)


@contextlib.contextmanager
def _workdir(directory: Path | None) -> Iterator[Path]:
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
        yield directory
        return
    with tempfile.TemporaryDirectory(prefix="openline-demo-") as tmp:
        yield Path(tmp)
