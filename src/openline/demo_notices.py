"""The demo's notification story: the agreed catalogue, a joint patrol notified to
two parties, an incident report with a request for explanation, and desk checks.

Played by ``openline.demo`` after the hotline story; every step goes through the nodes'
officers' API, exactly as an officer's tools would.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from rich.console import Console

from openline.api.client import ApiError
from openline.core.catalogue import load_starter
from openline.core.timefmt import format_time
from openline.node.app import utc_now

if TYPE_CHECKING:
    from openline.demo import DemoNode

Wait = Callable[[Callable[[], bool], float, str], None]

# A joint maritime and air patrol east of Taiwan and south of the Ryukyu chain, through the
# Miyako Strait into the Philippine Sea: degrees, ordinary GeoJSON (the node converts).
PATROL_AREA = {
    "type": "Polygon",
    "coordinates": [
        [
            [123.0, 22.0],
            [128.5, 22.0],
            [131.0, 25.0],
            [129.0, 28.5],
            [125.5, 26.5],
            [123.0, 24.5],
            [123.0, 22.0],
        ]
    ],
}
LAUNCH_AREA = {"type": "Point", "coordinates": [148.5, 41.0], "radius_nm": 40}
INTERCEPT_POSITION = {"type": "Point", "coordinates": [113.85, 16.4]}
DESK_ANSWER_SECONDS = 30  # the least a desk check allows; a node's default is 5 minutes


def _later(**delta: float) -> str:
    return format_time(utc_now() + timedelta(**delta))


def _rendered(node: DemoNode, entry_id: str, lang: str) -> str:
    data: dict[str, Any] = node.api(
        "GET", f"/api/v1/entries/{entry_id}/render", params={"lang": lang}
    )
    return str(data["text"])


def _has(node: DemoNode, entry_id: str) -> bool:
    try:
        node.api("GET", f"/api/v1/entries/{entry_id}/render")
    except ApiError:
        return False
    return True


def _copy_state(node: DemoNode, notice: str, party: str) -> dict[str, Any]:
    group = node.api("GET", f"/api/v1/notifications/{notice}")
    copy: dict[str, Any] = next(c for c in group["recipients"] if c["party"] == party)
    return copy


def play_catalogue(nodes: list[DemoNode], console: Console, wait: Wait) -> None:
    us, prc, _ = nodes
    step = console.print
    step("[bold]12.[/bold] us-dod and prc-mnd pin the starter catalogue (en, zh, ru) by its hash")
    starter = load_starter()
    for node, officer in ((us, "Cdr. J. Miller"), (prc, "Sr. Col. Zhang Wei")):
        pinned = node.api("POST", "/api/v1/catalogues", {"document": starter, "officer": officer})
    step(f"    {pinned['name']} v{pinned['version']}, sha256 {pinned['hash'][:16]}…")

    def agreed() -> bool:
        listing = us.api("GET", "/api/v1/catalogues")["catalogues"]
        return any(
            peer["party"] == "prc-mnd" and peer["agreed"]
            for catalogue in listing
            for peer in catalogue["peers"]
        )

    wait(agreed, 30, "the catalogue agreement at us-dod")
    step("[bold]13.[/bold] us-dod sends standard message M10 (code and parameters only)")
    sent = us.api(
        "POST",
        "/api/v1/catalogue-messages",
        {"to": "prc-mnd", "catalogue": pinned["hash"], "code": "M10", "params": {"distance": 5}},
    )
    wait(lambda: _has(prc, sent["id"]), 30, "M10 at prc-mnd")
    step("    as us-dod's officer reads it (en):", style="dim")
    step(_indent(_rendered(us, sent["id"], "en")), markup=False, highlight=False)
    step("    as prc-mnd's officer reads it (zh):", style="dim")
    step(_indent(_rendered(prc, sent["id"], "zh")), markup=False, highlight=False)


def play_notifications(nodes: list[DemoNode], console: Console, wait: Wait) -> None:
    us, prc, ru = nodes
    step = console.print
    step("[bold]14.[/bold] ru-mod notifies prc-mnd and us-dod of a joint maritime and air patrol")
    patrol = ru.api(
        "POST",
        "/api/v1/notifications",
        {
            "to": ["prc-mnd", "us-dod"],
            "activity": "joint-patrol",
            "title": "Совместное морское и воздушное патрулирование в западной части Тихого океана",
            "participants": ["ru-mod", "prc-mnd"],
            "area": PATROL_AREA,
            "start": _later(days=4),
            "end": _later(days=11),
            "forces": {"ships": 6, "aircraft": 8, "personnel": 1900},
            "contact_channel": "VHF 16 / 121.5 MHz; позывной «Тихоокеанец»",
            "ack_within_minutes": 60,
            "precedence": "priority",
            "lang": "ru",
            "officer": "Maj. I. Petrov",
        },
    )
    notice = patrol["notice"]
    for party in ("prc-mnd", "us-dod"):

        def delivered(party: str = party) -> bool:
            return bool(_copy_state(ru, notice, party)["state"] == "delivered")

        wait(delivered, 30, f"the notification at {party}")
    prc_copy = _copy_state(ru, notice, "prc-mnd")["id"]
    us_copy = _copy_state(ru, notice, "us-dod")["id"]
    step("    as prc-mnd's officer reads it (zh):", style="dim")
    step(_indent(_rendered(prc, prc_copy, "zh")), markup=False, highlight=False)
    step("    as us-dod's officer reads it (en):", style="dim")
    step(_indent(_rendered(us, us_copy, "en")), markup=False, highlight=False)
    prc.api("POST", f"/api/v1/entries/{prc_copy}/ack", {"officer": "Sr. Col. Zhang Wei"})
    us.api("POST", f"/api/v1/entries/{us_copy}/ack", {"officer": "Cdr. J. Miller"})
    wait(
        lambda: ru.api("GET", f"/api/v1/notifications/{notice}")["counts"] == {"acknowledged": 2},
        30,
        "both acknowledgements at ru-mod",
    )
    step("    ru-mod sees both recipients acknowledge, each signed by its own officer")

    step("[bold]15.[/bold] ru-mod notifies a missile launch one day ahead: less than 3 days")
    launch = ru.api(
        "POST",
        "/api/v1/notifications",
        {
            "to": ["us-dod"],
            "activity": "missile-launch",
            "title": "Пуск межконтинентальной баллистической ракеты",
            "participants": ["ru-mod"],
            "area": LAUNCH_AREA,
            "start": _later(days=1),
            "end": _later(days=1, hours=6),
            "forces": {"launchers": 1},
            "contact_channel": "NRRC Moscow–Washington line",
            "ack_within_minutes": 60,
            "precedence": "immediate",
            "lang": "ru",
            "officer": "Maj. I. Petrov",
        },
    )
    wait(
        lambda: _copy_state(us, launch["notice"], "us-dod")["late_notice"] is True,
        30,
        "the late flag at us-dod",
    )
    copy = _copy_state(ru, launch["notice"], "us-dod")
    hours = copy["lead_time_seconds"] / 3600
    step(
        f"    delivered with {hours:.1f} h of notice: flagged LATE at ru-mod and at us-dod alike "
        "(both apply the default minimum of 3 days)"
    )


def play_incident(nodes: list[DemoNode], console: Console, wait: Wait) -> None:
    us, prc, _ = nodes
    step = console.print
    step(
        "[bold]16.[/bold] us-dod reports an unsafe intercept to prc-mnd and asks for an explanation"
    )
    report = us.api(
        "POST",
        "/api/v1/incidents",
        {
            "to": ["prc-mnd"],
            "time": _later(hours=-3),
            "position": INTERCEPT_POSITION,
            "domain": "air",
            "own_units": ["P-8A Poseidon, VP-4"],
            "other_units": ["J-16, PLA Southern Theater Command"],
            "category": "unsafe-intercept",
            "description": "The J-16 released flares in front of the P-8A and passed within "
            "6 m of its nose over international waters.",
            "ack_within_minutes": 30,
            "precedence": "immediate",
            "lang": "en",
            "officer": "Cdr. J. Miller",
        },
    )
    incident_id = report["entries"][0]["id"]
    wait(lambda: _has(prc, incident_id), 30, "the incident report at prc-mnd")
    explanation = us.api(
        "POST",
        "/api/v1/explanations",
        {
            "to": "prc-mnd",
            "subject": "Unsafe intercept of a P-8A over the South China Sea",
            "text": "Request an explanation of the J-16's conduct.",
            "within_hours": 48,
            "refs": [incident_id],
            "officer": "Cdr. J. Miller",
        },
    )["id"]
    step("    as prc-mnd's officer reads it (zh):", style="dim")
    step(_indent(_rendered(prc, incident_id, "zh")), markup=False, highlight=False)
    prc.api("POST", f"/api/v1/entries/{incident_id}/ack", {"officer": "Sr. Col. Zhang Wei"})
    wait(lambda: _has(prc, explanation), 30, "the explanation request at prc-mnd")
    prc.api(
        "POST",
        f"/api/v1/requests/{explanation}/respond",
        {
            "answer": "reply",
            "text": "中方飞机依法依规进行识别查证，动作专业、安全。",
            "officer": "Sr. Col. Zhang Wei",
            "lang": "zh",
        },
    )
    wait(
        lambda: us.api("GET", f"/api/v1/requests/{explanation}")["state"] == "answered",
        30,
        "the explanation at us-dod",
    )
    step("    prc-mnd acknowledged the report and replied to the request, in Chinese, verbatim")


def send_desk_check(nodes: list[DemoNode], console: Console, wait: Wait, answer: bool) -> str:
    """us-dod checks prc-mnd's desk; prc-mnd's officer answers (or nobody does)."""
    us, prc, _ = nodes
    check = us.api("POST", "/api/v1/desk-checks", {"to": ["prc-mnd"], "officer": "Cdr. J. Miller"})[
        "entries"
    ][0]["id"]
    wait(lambda: _has(prc, check), 30, "the desk check at prc-mnd")
    if answer:
        prc.api("POST", f"/api/v1/entries/{check}/ack", {"officer": "Lt. Chen Hao"})

        def answered() -> bool:
            desk = us.api("GET", "/api/v1/desk-checks")["desks"]["prc-mnd"]
            return bool(desk["state"] == "answering")

        wait(answered, 30, "the desk answer at us-dod")
        console.print("    prc-mnd's duty officer answered the desk check in person")
    return str(check)


def show_desk_not_answering(
    nodes: list[DemoNode], console: Console, wait: Wait, check: str
) -> None:
    us = nodes[0]

    def line() -> str:
        peers = us.api("GET", "/api/v1/status")["peers"]
        return str(next(p for p in peers if p["party"] == "prc-mnd")["line"])

    def desk() -> dict[str, Any]:
        record: dict[str, Any] = us.api("GET", "/api/v1/desk-checks")["desks"]["prc-mnd"]
        return record

    wait(
        lambda: line() == "line-up-desk-not-answering",
        DESK_ANSWER_SECONDS + 30,
        "the unanswered desk check",
    )
    console.print(
        "[bold]17.[/bold] us-dod on prc-mnd: [red]line up, desk not answering[/red]: prc-mnd's "
        "node cosigned the desk check, and no officer answered it"
    )
    # Provable once prc-mnd's node has timed a checkpoint after the window: a heartbeat.
    wait(lambda: bool(desk().get("provable")), 30, "a prc-mnd checkpoint after the window")
    proof = us.api("GET", f"/api/v1/proofs/unanswered/{check}", raw=True)
    verdict = us.api("POST", "/api/v1/proofs/check", {"proof": proof.decode("utf-8")})
    console.print("    the non-answer proof of that desk check, checked against both cards:")
    for text in verdict["lines"]:
        console.print(f"      {text}", markup=False, highlight=False)
    console.print(
        "    a line that is down leaves no such proof: without prc-mnd's cosignature there is "
        "no delivery to prove"
    )


def _indent(text: str) -> str:
    return "\n".join(f"      {line}" for line in text.splitlines())
