"""``openline demo``: three parties on loopback, each a real ``openline run`` process.

The story so far (it grows with the features): the U.S. Department of Defense, the PRC Ministry
of National Defense and the Russian Ministry of Defence pin each other's cards, exchange
hotline messages at several precedences, and acknowledge them; every message is delivered
with a cosigned receipt. Then the contact requests, with deadlines compressed to
seconds: us-dod asks prc-mnd for a minister-level phone call, a video call between the
chiefs and a theatre commanders' meeting; prc-mnd declines the first, citing sanctions, and
lets the other two pass their deadlines unanswered. ru-mod and prc-mnd agree a dialogue and
hold it. The demo ends with us-dod's accountability report on prc-mnd and a non-answer proof
that a third party checks with nothing but the two cards. Every transcript verifies.
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
from datetime import timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from openline.api.client import ApiError, ApiUnavailable, OfficerClient
from openline.core.card import Card, make_card
from openline.core.keys import PrivateKey
from openline.core.proofs import check_proof
from openline.core.timefmt import format_time
from openline.demo_notices import (
    DESK_ANSWER_SECONDS,
    play_catalogue,
    play_incident,
    play_notifications,
    send_desk_check,
    show_desk_not_answering,
)
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

# Console accounts on each node, all with DEMO_PASSWORD: a duty officer, an approver (the
# only role that may send or answer at minister level) and an auditor (reads, never sends).
DEMO_PASSWORD = "openline demo password"  # noqa: S105 -- printed for the demo's users
DEMO_OFFICERS: dict[str, tuple[tuple[str, str], ...]] = {
    "us-dod": (("miller", "duty-officer"), ("harris", "approver"), ("audit", "auditor")),
    "prc-mnd": (("zhang", "duty-officer"), ("chen", "approver"), ("audit", "auditor")),
    "ru-mod": (("petrov", "duty-officer"), ("ivanova", "approver"), ("audit", "auditor")),
}

# Wide enough for the status table when the output is a file or a pipe (as in CI).
console = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160)


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

    def api(
        self,
        method: str,
        path: str,
        body: Any = None,
        params: dict[str, str] | None = None,
        raw: bool = False,
    ) -> Any:
        client = OfficerClient(self.url, self.token, timeout=30.0)
        return client.request(method, path, body, params=params, raw=raw)


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
            default_lang={"prc-mnd": "zh", "ru-mod": "ru"}.get(party, "en"),
            # Desk checks on demand only, so the story plays the same way every time.
            desk_check_seconds=0,
            desk_answer_seconds=DESK_ANSWER_SECONDS,
        )
        key = PrivateKey.generate()
        make_card(party=party, names=names, urls=[config.url], created=config.card_created, key=key)
        token = home.create(config, key)
        nodes.append(DemoNode(party, home, config.url, token))
    cards = {}
    for demo_node in nodes:
        node = Node.open(demo_node.home)
        cards[demo_node.party] = node.peers.card().to_bytes()
        node.close()
    for demo_node in nodes:
        node = Node.open(demo_node.home)
        for party, card in cards.items():
            if party != demo_node.party:
                node.peers.add(card)
        for username, role in DEMO_OFFICERS[demo_node.party]:
            node.officers.add(username, role, DEMO_PASSWORD)
        node.close()
    return nodes


def print_consoles(nodes: list[DemoNode]) -> None:
    """Where a person follows the story: each node's console, and who to sign in as."""
    console.print(f"[bold]consoles[/bold] (every account's password: {DEMO_PASSWORD!r})")
    for demo_node in nodes:
        accounts = ", ".join(
            f"{username} ({role})" for username, role in DEMO_OFFICERS[demo_node.party]
        )
        console.print(f"  {demo_node.party:<8} {demo_node.url}/console/  sign in as {accounts}")


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
    table = Table(
        "node", "peer", "line", "desk", "sent", "delivered", "received", "overdue acks (ours)"
    )
    for demo_node in nodes:
        data = demo_node.api("GET", "/api/v1/status")
        for peer in data["peers"]:
            table.add_row(
                demo_node.party,
                peer["party"],
                peer["line"],
                peer["desk"]["state"],
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


# Deadlines of the contact story, compressed: seconds stand for days.
RESPOND_WITHIN = timedelta(seconds=12)


def later(seconds: float) -> str:
    return format_time(utc_now() + timedelta(seconds=seconds))


def request_body(
    to: str,
    format_: str,
    level: str,
    subject: str,
    from_official: tuple[str, str],
    to_official: tuple[str, str],
    **extra: Any,
) -> dict[str, Any]:
    return {
        "to": to,
        "format": format_,
        "level": level,
        "subject": subject,
        "from_official": {"name": from_official[0], "title": from_official[1]},
        "to_official": {"name": to_official[0], "title": to_official[1]},
        "slots": [
            {"start": later(3600 * 24), "end": later(3600 * 24 + 1800)},
            {"start": later(3600 * 48), "end": later(3600 * 48 + 1800)},
        ],
        "respond_by": format_time(utc_now() + RESPOND_WITHIN),
        "precedence": "priority",
        "lang": "en",
        "officer": "Cdr. J. Miller, duty officer",
        **extra,
    }


def request_state(node: DemoNode, request_id: str) -> dict[str, Any]:
    data: dict[str, Any] = node.api("GET", f"/api/v1/requests/{request_id}")
    return data


def arrived(node: DemoNode, request_id: str) -> bool:
    try:
        request_state(node, request_id)
    except ApiError:
        return False
    return True


def play_requests(nodes: list[DemoNode], root: Path) -> Path:
    """The contact-request story; returns the path of the exported non-answer proof."""
    us, prc, ru = nodes
    console.print("[bold]5.[/bold] us-dod asks prc-mnd for three contacts, answers due in 12 s")
    phone, video, meeting = ask_for_contacts(us, prc)
    read_and_decline(prc, phone, video)
    hold_a_dialogue(ru, prc)
    await_non_answers(us, video, meeting)
    export_report(us, root)
    return export_non_answer_proof(us, prc, video, root)


def ask_for_contacts(us: DemoNode, prc: DemoNode) -> tuple[str, str, str]:
    """us-dod's three requests to prc-mnd (a call, a video call, a meeting), delivered."""
    step = console.print
    asks = [
        request_body(
            "prc-mnd",
            "phone-call",
            "minister",
            "Secretary-level call on military-to-military communication",
            ("Pete Hegseth", "Secretary of Defense"),
            ("Dong Jun", "Minister of National Defense"),
        ),
        request_body(
            "prc-mnd",
            "video-call",
            "chief-of-defence",
            "Video call between the chiefs on risk reduction",
            ("Gen. Dan Caine", "Chairman of the Joint Chiefs of Staff"),
            ("Gen. Liu Zhenli", "Chief of the Joint Staff Department"),
        ),
        request_body(
            "prc-mnd",
            "meeting",
            "commander",
            "Theatre commanders' meeting on unsafe air intercepts",
            ("Adm. Samuel Paparo", "Commander, U.S. Indo-Pacific Command"),
            ("Gen. Wu Yanan", "Commander, Southern Theater Command"),
            location="Honolulu, or a venue of the counterpart's choosing",
        ),
    ]
    phone, video, meeting = (us.api("POST", "/api/v1/requests", ask)["id"] for ask in asks)
    for request_id in (phone, video, meeting):
        wait_until(lambda r=request_id: arrived(prc, r), 30, "the requests at prc-mnd")
    step("    delivered: prc-mnd cosigned receipts for all three")

    return phone, video, meeting


def read_and_decline(prc: DemoNode, phone: str, video: str) -> None:
    step = console.print
    step("[bold]6.[/bold] prc-mnd reads the phone-call and video-call requests")
    for request_id in (phone, video):
        prc.api("POST", f"/api/v1/requests/{request_id}/read", {"officer": "Sr. Col. Zhang Wei"})
    step("[bold]7.[/bold] prc-mnd declines the minister-level call, citing sanctions")
    prc.api(
        "POST",
        f"/api/v1/requests/{phone}/respond",
        {
            "answer": "decline",
            "reason": "There is little chance of a meeting at minister level at this time.",
            "conditions": ["Sanctions on the Minister must be lifted first."],
            "officer": "Sr. Col. Zhang Wei",
            "lang": "en",
        },
    )


def hold_a_dialogue(ru: DemoNode, prc: DemoNode) -> None:
    """ru-mod asks prc-mnd for a dialogue round; it is accepted, scheduled and held."""
    step = console.print
    step("[bold]8.[/bold] ru-mod and prc-mnd agree a dialogue round, and hold it")
    dialogue = ru.api(
        "POST",
        "/api/v1/requests",
        request_body(
            "prc-mnd",
            "dialogue",
            "working",
            "Round of the Russia–China maritime security consultations",
            ("Col. Gen. Alexander Fomin", "Deputy Minister of Defence"),
            (
                "Lt. Gen. Yao Jianing",
                "Deputy Director, Office for International Military Cooperation",
            ),
            series="Russia–China maritime security consultations",
            agenda="Joint maritime and air patrols; notification procedures.",
        ),
    )["id"]
    wait_until(lambda: arrived(prc, dialogue), 30, "the dialogue request at prc-mnd")
    prc.api(
        "POST",
        f"/api/v1/requests/{dialogue}/respond",
        {"answer": "accept", "slot": 1, "officer": "Sr. Col. Zhang Wei", "lang": "en"},
    )
    wait_until(
        lambda: request_state(ru, dialogue)["state"] == "accepted", 30, "the acceptance at ru-mod"
    )
    agreed = request_state(ru, dialogue)["accepted_slot"]
    ru.api(
        "POST",
        f"/api/v1/requests/{dialogue}/update",
        {"status": "scheduled", "slot": agreed, "officer": "Maj. I. Petrov", "lang": "en"},
    )
    ru.api(
        "POST",
        f"/api/v1/requests/{dialogue}/update",
        {
            "status": "held",
            "summary": "Consultations held; both sides reaffirmed the notification procedures.",
            "officer": "Maj. I. Petrov",
            "lang": "en",
        },
    )
    wait_until(lambda: request_state(prc, dialogue)["state"] == "held", 30, "held at prc-mnd")
    step("    ru-mod and prc-mnd both record the dialogue as held")


def await_non_answers(us: DemoNode, video: str, meeting: str) -> None:
    """The two requests prc-mnd leaves unanswered become provable, and us-dod alarms."""
    step = console.print
    step("[bold]9.[/bold] the deadlines pass; prc-mnd's line stays up but it does not answer")

    def proven_unanswered() -> bool:
        views = [request_state(us, r) for r in (video, meeting)]
        return all(v["state"] == "unanswered" and v["provable"] for v in views)

    wait_until(proven_unanswered, 60, "the unanswered requests to be provable")

    def alarmed() -> bool:  # the watcher ticks each second: it may trail the proof a little
        raised = {alarm["id"] for alarm in us.api("GET", "/api/v1/alarms")["alarms"]}
        return {video, meeting} <= raised

    wait_until(alarmed, 10, "the deadline watcher's alarms")
    for alarm in us.api("GET", "/api/v1/alarms")["alarms"]:
        step(f"    [red]ALARM[/red] {alarm['kind']}: {alarm['subject']} (due {alarm['due']})")


def export_report(us: DemoNode, root: Path) -> None:
    step = console.print
    step("[bold]10.[/bold] us-dod's accountability report on prc-mnd")
    report = us.api(
        "GET", "/api/v1/report", params={"counterpart": "prc-mnd", "format": "md"}, raw=True
    )
    summary = report.decode("utf-8").split("\n## Definitions")[0]  # the legend is in the file
    console.print(summary, markup=False, highlight=False)
    html = us.api(
        "GET", "/api/v1/report", params={"counterpart": "prc-mnd", "format": "html"}, raw=True
    )
    report_path = root / "report-us-dod-on-prc-mnd.html"
    report_path.write_bytes(html)
    step(f"    the full report, with charts: {report_path}")


def export_non_answer_proof(us: DemoNode, prc: DemoNode, video: str, root: Path) -> Path:
    """The video call's non-answer proof, written to a file and checked with the two cards."""
    step = console.print
    proof = us.api("GET", f"/api/v1/proofs/unanswered/{video}", raw=True)
    path = root / "proofs" / f"unanswered-{video[:16]}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(proof)
    cards = []
    for demo_node in (us, prc):
        card_path = root / f"{demo_node.party}.card.json"
        card_bytes = Node.open(demo_node.home).peers.card().to_bytes()
        card_path.write_bytes(card_bytes)
        cards.append((card_path, Card.from_bytes(card_bytes)))
    verdict = check_proof(proof, [card for _, card in cards])
    step(f"[bold]11.[/bold] non-answer proof of the video-call request: {path}")
    step(
        "    checked offline with only the two cards (openline check-proof "
        f"{path} --card {cards[0][0]} --card {cards[1][0]}):"
    )
    for line in verdict.lines():
        step(f"      {line}", markup=False, highlight=False)
    return path


def run_demo(*, directory: Path | None, base_port: int, exit_after: bool) -> int:
    """Run the demo; returns the exit code."""
    # SIGTERM stops the demo as Ctrl-C does: its three nodes are stopped, not orphaned.
    signal.signal(signal.SIGTERM, _interrupt)
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
                    f"  {demo_node.party:<8} {demo_node.url}  (API schema "
                    f"{demo_node.url}/openapi.json, admin token in {demo_node.home.token_path})"
                )
            print_consoles(nodes)
            play_story(nodes)
            console.print("[bold]·[/bold] us-dod checks that a human is at prc-mnd's desk")
            send_desk_check(nodes, console, wait_until, answer=True)
            play_requests(nodes, root)
            console.print(
                "[bold]·[/bold] us-dod checks prc-mnd's desk again; this time nobody answers "
                f"within {DESK_ANSWER_SECONDS} s"
            )
            unanswered = send_desk_check(nodes, console, wait_until, answer=False)
            play_catalogue(nodes, console, wait_until)
            play_notifications(nodes, console, wait_until)
            play_incident(nodes, console, wait_until)
            show_desk_not_answering(nodes, console, wait_until, unanswered)
            console.print(status_table(nodes))
            failures = 0
            for demo_node in nodes:
                node = Node.open(demo_node.home)
                report = verify_store(node.store, node.peers.all_cards())
                node.close()
                verdict = "ok" if report.ok else f"FAILED: {report.problems[0]}"
                failures += not report.ok
                console.print(f"  verify {demo_node.party}: {verdict} ({report.entries} entries)")
            if exit_after:
                console.print("scenario played; stopping (--exit-after-scenario)")
                return 1 if failures else 0
            print_consoles(nodes)
            console.print(
                "  in the browser: the watch floor, Requests (the unanswered ones with their "
                "proofs), Map (the patrol area and the incident), a counterpart's page"
            )
            console.print("the network keeps running; press Ctrl-C to stop")
            with contextlib.suppress(KeyboardInterrupt):
                while all(n.process and n.process.poll() is None for n in nodes):
                    time.sleep(0.5)
            return 0
        finally:
            stop(nodes)


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def _workdir(directory: Path | None) -> Iterator[Path]:
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
        yield directory
        return
    with tempfile.TemporaryDirectory(prefix="openline-demo-") as tmp:
        yield Path(tmp)
