"""Activity notifications, incident reports and desk checks between real node processes.

us-dod, prc-mnd and ru-mod run for the whole module, with the shortest desk-check window
(30 s) and no desk-check cadence (one test runs its own pair with a 2 s cadence). An
unanswered desk check is sent when the module starts, so that its window has passed by
the time the last test looks at it. Everything goes through the real CLI or the officers'
API; renderings are checked in en, zh and ru for real characters.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from contact_harness import PRC, RU, US, check_proof, last_word, prove, store_sizes
from harness import NodeFactory, NodeProcess, pin_all, wait_for

pytestmark = pytest.mark.e2e

CJK = re.compile(r"[\u4e00-\u9fff]")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
DESK_WINDOW = 30

PATROL_AREA = {
    "type": "Polygon",
    "coordinates": [
        [[123.0, 22.0], [128.5, 22.0], [131.0, 25.0], [129.0, 28.5], [123.0, 24.5], [123.0, 22.0]]
    ],
}
PATROL_TITLE = "Совместное морское и воздушное патрулирование"


def moment(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def patrol(**changes: Any) -> dict[str, Any]:
    details: dict[str, Any] = {
        "activity": "joint-patrol",
        "title": PATROL_TITLE,
        "participants": [RU, PRC],
        "area": PATROL_AREA,
        "start": moment(days=4),
        "end": moment(days=9),
        "forces": {"ships": 6, "aircraft": 8, "personnel": 12000},
        "contact_channel": "VHF 16",
        "ack_within_minutes": 60,
        "lang": "ru",
        "officer": "Maj. I. Petrov",
    }
    details.update(changes)
    return {key: value for key, value in details.items() if value is not None}


@dataclass(frozen=True)
class World:
    root: Path
    us: NodeProcess
    prc: NodeProcess
    ru: NodeProcess
    unanswered_check: str

    def sizes(self) -> tuple[int, ...]:
        """ru-mod's log sizes once nothing is in flight on any link (an acknowledgement of
        an earlier test's notification must not count as this test's doing)."""

        def settled() -> bool:
            nodes = (self.us, self.prc, self.ru)
            return all(peer["pending"] == 0 for n in nodes for peer in n.api_status()["peers"])

        wait_for(settled, 30, "deliveries to settle")
        return store_sizes(self.ru)

    def file(self, name: str, details: Any) -> Path:
        path = self.root / name
        path.write_text(json.dumps(details, ensure_ascii=False), "utf-8")
        return path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("notifications")
    config = {"desk_check_seconds": 0, "desk_answer_seconds": DESK_WINDOW}
    trio = [NodeProcess(root, party, **config) for party in (US, PRC, RU)]
    pin_all(trio)
    us, prc, ru = trio
    try:
        for node in trio:
            node.start()
        check = last_word(us.cli("desk-check", "--to", PRC, "--officer", "Cdr. Miller", check=True))
        yield World(root, us, prc, ru, check)
    finally:
        for node in trio:
            node.stop()


def notifications(node: NodeProcess, *args: str) -> list[dict[str, Any]]:
    result = node.cli("notifications", "--json", *args, check=True)
    return list(json.loads(result.stdout)["notifications"])


def notification(node: NodeProcess, ref: str) -> dict[str, Any]:
    return dict(json.loads(node.cli("notifications", ref, "--json", check=True).stdout))


def copy_of(group: dict[str, Any], party: str) -> dict[str, Any]:
    return dict(next(c for c in group["recipients"] if c["party"] == party))


def wait_copy(node: NodeProcess, ref: str, party: str, state: str) -> dict[str, Any]:
    def reached() -> bool:
        response = node.api("GET", f"/api/v1/notifications/{ref}")
        return response.status_code == 200 and copy_of(response.json(), party)["state"] == state

    wait_for(reached, 30, f"{party}'s copy of {ref[:12]} to be {state} at {node.party}")
    return copy_of(notification(node, ref), party)


def assert_usage_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    shown = f"exit {result.returncode}\nstdout: {result.stdout!r}\nstderr: {result.stderr!r}"
    assert result.returncode == 2, shown
    assert result.stderr.startswith("openline: "), shown
    assert len(result.stderr.splitlines()) == 1, shown
    assert "Traceback" not in result.stderr, shown
    assert "internal error" not in result.stderr, shown
    for word in words:
        assert word in result.stderr, shown


# --- a broadcast, acknowledged, rendered in each reader's language -------------------------


def test_a_joint_patrol_notified_to_two_parties_is_acknowledged_by_each(world: World) -> None:
    details = world.file("patrol.json", patrol())
    sent = world.ru.cli("notify", "--to", PRC, "--to", US, "--file", details, "--json", check=True)
    result = json.loads(sent.stdout)
    notice = result["notice"]
    assert sorted(entry["to"] for entry in result["entries"]) == [PRC, US]
    assert result["late_if_delivered_now"] is False

    for party in (PRC, US):
        wait_copy(world.ru, notice, party, "delivered")
    group = notification(world.ru, notice)
    assert group["direction"] == "out"
    assert group["counts"] == {"delivered": 2}
    prc_copy, us_copy = copy_of(group, PRC), copy_of(group, US)

    world.prc.cli("ack", prc_copy["id"], "--officer", "Sr. Col. Zhang Wei", check=True)
    acked = wait_copy(world.ru, notice, PRC, "acknowledged")
    assert acked["acknowledged_by"] == "Sr. Col. Zhang Wei"
    assert copy_of(notification(world.ru, notice), US)["state"] == "delivered"
    world.us.cli("ack", us_copy["id"], check=True)
    wait_copy(world.ru, notice, US, "acknowledged")
    again = world.us.cli("ack", us_copy["id"])
    assert_usage_error(again, "already-acknowledged")

    # Each recipient sees its own copy, with the same delivery time and lead time as ru-mod.
    theirs = notification(world.prc, prc_copy["id"])
    assert theirs["direction"] == "in"
    assert [c["party"] for c in theirs["recipients"]] == [PRC]
    assert copy_of(theirs, PRC)["delivered_at"] == prc_copy["delivered_at"]
    assert copy_of(theirs, PRC)["lead_time_seconds"] == prc_copy["lead_time_seconds"]
    assert theirs["area_geojson"] == PATROL_AREA


def test_a_notification_renders_in_zh_en_and_ru_with_its_free_text_untouched(
    world: World,
) -> None:
    sent = json.loads(
        world.ru.cli(
            "notify", "--to", PRC, "--file", world.file("p2.json", patrol()), "--json"
        ).stdout
    )
    entry_id = sent["entries"][0]["id"]
    wait_copy(world.ru, sent["notice"], PRC, "delivered")

    zh = world.prc.cli("render", entry_id, "--lang", "zh", check=True).stdout
    en = world.prc.cli("render", entry_id, "--lang", "en", check=True).stdout
    ru = world.ru.cli("render", entry_id, "--lang", "ru", check=True).stdout
    assert "联合巡逻" in zh  # joint patrol
    assert CJK.search(zh.split(PATROL_TITLE)[0])  # the labels before the title are Chinese
    assert "Joint patrol" in en or "joint patrol" in en.lower()
    assert CYRILLIC.search(ru)
    for text in (zh, en, ru):
        assert PATROL_TITLE in text  # never translated
        assert "VHF 16" in text
    assert "12,000" in en  # numbers by locale
    assert "年" in zh
    assert "月" in zh

    as_json = json.loads(world.prc.cli("render", entry_id, "--lang", "zh", "--json").stdout)
    assert as_json["kind"] == "notify.activity"
    assert as_json["rendered"]["lang"] == "zh"
    free = [(item["text"], item["lang"]) for item in as_json["rendered"]["free_text"]]
    assert (PATROL_TITLE, "ru") in free

    table = world.prc.cli("notifications", "--lang", "zh", check=True).stdout
    assert "联合巡逻" in table


def test_a_late_notification_is_flagged_late_on_both_sides(world: World) -> None:
    details = patrol(
        activity="missile-launch",
        title="Пуск ракеты",
        participants=[RU],
        area={"type": "Point", "coordinates": [148.5, 41.0], "radius_nm": 40},
        start=moment(days=1),
        end=moment(days=1, hours=6),
        forces={"launchers": 1},
    )
    sent = world.ru.cli("notify", "--to", US, "--file", world.file("launch.json", details))
    assert sent.returncode == 0, sent.stderr
    assert "warning" in sent.stdout
    assert "late" in sent.stdout
    notice = next(line.split()[1] for line in sent.stdout.splitlines() if line.startswith("notice"))
    ours = wait_copy(world.ru, notice, US, "delivered")
    theirs = copy_of(notification(world.us, notice), US)
    assert ours["late_notice"] is True
    assert theirs["late_notice"] is True
    assert ours["lead_time_seconds"] == theirs["lead_time_seconds"]
    assert 0 < ours["lead_time_seconds"] < 3 * 86_400

    proof = world.root / "launch-delivery.json"
    proof.write_bytes(world.ru.api("GET", f"/api/v1/proofs/delivery/{ours['id']}").content)
    checked = check_proof(proof, [world.ru.card_path, world.us.card_path])
    assert checked.returncode == 0, checked.stderr
    assert "lead time" in checked.stdout


# --- an incident report, with a request for explanation --------------------------------------


def test_an_incident_report_is_acknowledged_and_explained(world: World) -> None:
    details: dict[str, Any] = {
        "time": moment(hours=-2),
        "position": {"type": "Point", "coordinates": [113.85, 16.4]},
        "domain": "air",
        "own_units": ["P-8A Poseidon"],
        "other_units": ["J-16"],
        "description": "Flares released ahead of the aircraft; passed within 6 m of its nose.",
    }
    sent = world.us.cli(
        "incident",
        "--to",
        PRC,
        "--category",
        "unsafe-intercept",
        "--file",
        world.file("incident.json", details),
        "--ack-within",
        "30",
        "--json",
        check=True,
    )
    result = json.loads(sent.stdout)
    incident_id = result["entries"][0]["id"]
    wait_copy(world.us, incident_id, PRC, "delivered")
    explain = world.us.cli(
        "explain",
        "--to",
        PRC,
        "--subject",
        "Unsafe intercept",
        "--text",
        "Request an explanation.",
        "--ref",
        incident_id,
        check=True,
    )
    explanation = last_word(explain)

    zh = world.prc.cli("render", incident_id, "--lang", "zh", check=True).stdout
    assert "不安全拦截" in zh
    assert details["description"] in zh

    world.prc.cli("ack", incident_id, "--officer", "Sr. Col. Zhang Wei", check=True)
    wait_copy(world.us, incident_id, PRC, "acknowledged")

    def arrived() -> bool:
        return world.prc.api("GET", f"/api/v1/requests/{explanation}").status_code == 200

    wait_for(arrived, 30, "the explanation request at prc-mnd")
    world.prc.cli(
        "respond", explanation, "reply", "--text", "依法依规。", "--lang", "zh", check=True
    )

    def answered() -> bool:
        return bool(
            world.us.api("GET", f"/api/v1/requests/{explanation}").json()["state"] == "answered"
        )

    wait_for(answered, 30, "the explanation at us-dod")


# --- bad input: a precise error, nothing stored ----------------------------------------------

BAD_NOTIFICATIONS: list[tuple[str, dict[str, Any], str]] = [
    (
        "invalid-geojson",
        {"area": {"type": "Polygon", "coordinates": [[[1, 1], [2, 2], [1, 1]]]}},
        "invalid-geojson",
    ),
    (
        "not-closed",
        {"area": {"type": "Polygon", "coordinates": [[[1, 1], [2, 1], [2, 2], [1, 2]]]}},
        "invalid-geojson",
    ),
    ("end-before-start", {"start": moment(days=3), "end": moment(days=2)}, "end-before-start"),
    ("unknown-activity", {"activity": "invasion"}, "invalid-activity"),
    ("missing-title", {"title": None}, "title"),
    ("extra-field", {"colour": "red"}, "colour"),
    ("bad-force", {"forces": {"ships": -1}}, "ships"),
]


@pytest.mark.parametrize(
    ("details", "reason"),
    [pytest.param(d, r, id=name) for name, d, r in BAD_NOTIFICATIONS],
)
def test_a_bad_notification_is_refused_and_stores_nothing(
    world: World, details: dict[str, Any], reason: str
) -> None:
    before = world.sizes()
    path = world.file("bad.json", patrol(**details))
    assert_usage_error(world.ru.cli("notify", "--to", US, "--file", path), reason)
    assert store_sizes(world.ru) == before


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["notify", "--to", US, "--file", "/nonexistent/patrol.json"], "cannot read"),
        (["notify", "--to", "Not A Party", "--activity", "patrol"], "not a party id"),
        (["notify", "--to", "ch-dnd", "--file", "PATROL"], "unknown-peer"),
        (["render", "0" * 64, "--lang", "fr"], "unsupported-language"),
        (["render", "0" * 64], "unknown-entry"),
        (["render", "nope"], "entry id"),
        (["notifications", "--lang", "de"], "unsupported-language"),
        (["notifications", "--direction", "sideways"], "in or out"),
        (["notifications", "f" * 32], "unknown-notification"),
        (["desk-check", "--to", "ch-dnd"], "unknown-peer"),
        (["incident", "--to", US, "--category", "rudeness", "--file", "INCIDENT"], "category"),
    ],
)
def test_bad_flags_are_refused_and_store_nothing(
    world: World, args: list[str], reason: str
) -> None:
    files = {
        "PATROL": str(world.file("ok-patrol.json", patrol())),
        "INCIDENT": str(
            world.file(
                "ok-incident.json",
                {
                    "time": moment(hours=-1),
                    "position": {"type": "Point", "coordinates": [1.0, 1.0]},
                    "domain": "maritime",
                    "own_units": ["a"],
                    "other_units": ["b"],
                    "description": "c",
                },
            )
        ),
    }
    before = world.sizes()
    result = world.ru.cli(*[files.get(arg, arg) for arg in args])
    assert_usage_error(result, reason)
    assert store_sizes(world.ru) == before


def test_a_bad_notification_over_the_api_gets_a_4xx_code_and_stores_nothing(
    world: World,
) -> None:
    before = world.sizes()
    body = patrol(area={"type": "Point", "coordinates": [10.0, 10.0]}) | {"to": [US]}
    response = world.ru.api("POST", "/api/v1/notifications", body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid-geojson"
    assert "radius" in response.json()["error"]["message"]
    response = world.ru.api("GET", "/api/v1/entries/" + "0" * 64 + "/render?lang=xx")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unsupported-language"
    assert store_sizes(world.ru) == before


# --- desk checks ------------------------------------------------------------------------------


def test_a_desk_check_answered_by_a_human(world: World) -> None:
    check = last_word(world.us.cli("desk-check", "--to", RU, check=True))

    def arrived() -> bool:
        return world.ru.api("GET", f"/api/v1/entries/{check}/render").status_code == 200

    wait_for(arrived, 30, "the desk check at ru-mod")
    world.ru.cli("ack", check, "--officer", "Lt. Col. Orlov", check=True)

    def answering() -> bool:
        desk = world.us.api("GET", "/api/v1/desk-checks").json()["desks"][RU]
        return bool(desk["state"] == "answering")

    wait_for(answering, 30, "ru-mod's desk to answer")
    record = json.loads(world.us.cli("desk-check", "--status", "--json", check=True).stdout)
    assert record["desks"][RU]["last_answer"]["by"] == "Lt. Col. Orlov"
    zh = world.us.cli("desk-check", "--status", "--lang", "zh", check=True).stdout
    assert CJK.search(zh)


def test_an_unanswered_desk_check_shows_line_up_desk_not_answering_and_is_provable(
    world: World,
) -> None:
    check = world.unanswered_check

    def not_answering() -> bool:
        peer = world.us.api_peer_status(PRC)
        return bool(peer["line"] == "line-up-desk-not-answering")

    wait_for(not_answering, DESK_WINDOW + 30, "line up, desk not answering")
    peer = world.us.peer_status(PRC)  # the CLI's status says the same
    assert peer["link"] == "up"
    assert peer["desk"]["state"] == "not-answering"

    def alarmed() -> bool:
        # The alarms share one evaluation for half a second (many tabs ask at once): the
        # desk's state, computed as it is asked for, may come that much before its alarm.
        alarms = world.us.api("GET", "/api/v1/alarms").json()["alarms"]
        return any(a["id"] == check and a["kind"] == "desk-not-answering" for a in alarms)

    wait_for(alarmed, 5, "the desk-not-answering alarm")

    def provable() -> bool:
        desk = world.us.api("GET", "/api/v1/desk-checks").json()["desks"][PRC]
        return bool(desk.get("provable"))

    wait_for(provable, 30, "a prc-mnd checkpoint after the window")
    path = world.root / "desk-unanswered.json"
    result = prove(world.us, "unanswered", check, path)
    assert result.returncode == 0, result.stderr
    checked = check_proof(path, [world.us.card_path, world.prc.card_path])
    assert checked.returncode == 0, checked.stderr
    assert "UNANSWERED" in checked.stdout

    # Line down is another state: stop prc-mnd and the link, not the desk, is what fails.
    world.prc.stop()
    try:
        wait_for(lambda: world.us.api_peer_status(PRC)["line"] == "down", 30, "the line to go down")
    finally:
        world.prc.start()


def test_desk_checks_go_out_on_the_cadence(nodes: NodeFactory) -> None:
    us, prc = nodes(US, PRC, desk_check_seconds=2, desk_answer_seconds=DESK_WINDOW)

    def checked() -> bool:
        record = us.api("GET", "/api/v1/desk-checks").json()
        return any(c["direction"] == "out" and c["asked_by"] is None for c in record["checks"])

    wait_for(checked, 30, "a desk check on the cadence")

    def arrived() -> bool:
        record = prc.api("GET", "/api/v1/desk-checks").json()
        return any(c["from"] == US and c["direction"] == "in" for c in record["checks"])

    wait_for(arrived, 30, "the cadence's desk check at prc-mnd")


def test_markup_in_a_peers_text_is_shown_as_written(world: World) -> None:
    title = "[/bold] [white on white]hidden[/] [link=http://x]"
    sent = world.ru.cli(
        "notify", "--to", US, "--file", world.file("markup.json", patrol(title=title)), "--json"
    )
    notice = json.loads(sent.stdout)["notice"]
    wait_copy(world.ru, notice, US, "delivered")
    listing = world.us.cli("notifications", "--direction", "in")
    assert listing.returncode == 0, listing.stderr
    assert "hidden" in listing.stdout
    assert "[/bold]" in listing.stdout
    world.ru.send_batch([US], [title])

    def logged() -> bool:
        shown = world.us.cli("log", "--peer", RU)
        assert shown.returncode == 0, shown.stderr
        return "[/bold]" in shown.stdout

    wait_for(logged, 30, "the hotline message in us-dod's log")
    status = world.us.cli("status")
    assert status.returncode == 0, status.stderr
