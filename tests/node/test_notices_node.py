"""Notifications, incident reports and desk checks on in-process nodes.

Real stores and real signatures; the link is :func:`pair.pump` instead of HTTP and the clock
is a fake one, so deadlines and lead times are exact.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from openline.core.entry import Entry
from openline.core.notify import DEFAULT_MINIMUM_LEAD_TIMES
from openline.node import reads
from openline.node.app import Node
from openline.node.errors import CommandError
from openline.node.hotline import acknowledge
from openline.node.notices import NewActivity, NewIncident, combined_line_state
from pair import FakeClock, make_node, make_pair, pump

PATROL_AREA = {
    "type": "Polygon",
    "coordinates": [
        [[125.5, 24.5], [131.0, 24.5], [132.5, 27.0], [131.0, 29.0], [125.5, 29.0], [125.5, 24.5]]
    ],
}


def activity(clock: FakeClock, **changes: Any) -> NewActivity:
    fields: dict[str, Any] = {
        "activity": "joint-patrol",
        "title": "Joint maritime and air patrol in the western Pacific",
        "participants": ["us-dod", "prc-mnd"],
        "area": PATROL_AREA,
        "start": clock() + timedelta(days=5),
        "end": clock() + timedelta(days=9),
        "contact_channel": "VHF 16; INMARSAT +870 000 000 000",
        "forces": {"ships": 6, "aircraft": 4},
        "ack_within_minutes": 60,
        "officer": "Cdr. J. Miller",
    }
    fields.update(changes)
    # Unvalidated, as any Python caller may build it: these tests prove the node's own checks
    # refuse what the model's bounds would (tests/node/test_commands.py tests the bounds).
    return NewActivity.model_construct(**fields)


def incident(clock: FakeClock, **changes: Any) -> NewIncident:
    fields: dict[str, Any] = {
        "time": clock() - timedelta(hours=2),
        "position": {"type": "Point", "coordinates": [114.25, 16.5]},
        "domain": "air",
        "own_units": ["P-8A Poseidon"],
        "other_units": ["J-11"],
        "category": "unsafe-intercept",
        "description": "Fighter passed within 6 m of the aircraft's nose.",
        "ack_within_minutes": 30,
    }
    fields.update(changes)
    return NewIncident.model_construct(**fields)


def sizes(node: Node) -> dict[str, int]:
    return {peer["party"]: peer["sent"] for peer in reads.status(node)["peers"]}


@pytest.fixture
def trio(tmp_path: Path) -> tuple[Node, Node, Node, FakeClock]:
    us, prc, clock = make_pair(tmp_path)
    ru = make_node(tmp_path, "ru-mod", clock)
    for a, b in ((us, ru), (prc, ru)):
        a.peers.add(b.peers.card().to_bytes())
        b.peers.add(a.peers.card().to_bytes())
    return us, prc, ru, clock


def test_a_broadcast_is_one_entry_per_link_with_one_notice_and_per_recipient_state(
    trio: tuple[Node, Node, Node, FakeClock],
) -> None:
    us, prc, ru, clock = trio
    sent = us.notices.send(["prc-mnd", "ru-mod"], activity(clock))
    assert [entry["to"] for entry in sent["entries"]] == ["prc-mnd", "ru-mod"]
    assert len({entry["id"] for entry in sent["entries"]}) == 2
    group = us.notices.notification(sent["notice"])
    assert [copy["state"] for copy in group["recipients"]] == ["pending", "pending"]
    assert {copy["party"] for copy in group["recipients"]} == {"prc-mnd", "ru-mod"}

    pump(us, prc)
    clock.advance(seconds=5)
    pump(us, ru)
    group = us.notices.notification(sent["entries"][1]["id"])  # any copy's id finds the group
    states = {copy["party"]: copy["state"] for copy in group["recipients"]}
    assert states == {"prc-mnd": "delivered", "ru-mod": "delivered"}
    assert group["counts"] == {"delivered": 2}

    prc_copy = prc.notices.notification(sent["notice"])
    assert prc_copy["direction"] == "in"
    acknowledge(prc, sent["entries"][0]["id"], "Sr. Col. Zhang Wei")
    pump(prc, us)
    clock.advance(hours=2)  # ru-mod's window (60 min from delivery) passes unanswered
    group = us.notices.notification(sent["notice"])
    by_party = {copy["party"]: copy for copy in group["recipients"]}
    assert by_party["prc-mnd"]["state"] == "acknowledged"
    assert by_party["prc-mnd"]["acknowledged_by"] == "Sr. Col. Zhang Wei"
    assert by_party["ru-mod"]["state"] == "overdue"
    alarms = [alarm for alarm in reads.alarms(us) if alarm.kind == "ack-overdue"]
    assert [(alarm.id, alarm.owed_by) for alarm in alarms] == [(sent["entries"][1]["id"], "ru-mod")]


def test_lead_time_is_the_same_on_both_sides_and_a_short_notice_is_late_on_both(
    trio: tuple[Node, Node, Node, FakeClock],
) -> None:
    us, prc, _, clock = trio
    minimum = DEFAULT_MINIMUM_LEAD_TIMES["missile-launch"]
    short = activity(
        clock,
        activity="missile-launch",
        participants=["us-dod"],
        start=clock() + minimum - timedelta(hours=1),
        end=clock() + minimum + timedelta(hours=1),
        area={"type": "Point", "coordinates": [150.0, 20.0], "radius_nm": 50},
    )
    sent = us.notices.send(["prc-mnd"], short)
    assert sent["late_if_delivered_now"] is True
    on_time = us.notices.send(["prc-mnd"], activity(clock))
    assert on_time["late_if_delivered_now"] is False
    clock.advance(minutes=10)
    pump(us, prc)
    for node in (us, prc):
        late = node.notices.notification(sent["notice"])["recipients"][0]
        fine = node.notices.notification(on_time["notice"])["recipients"][0]
        assert late["late_notice"] is True
        assert fine["late_notice"] is False
        expected = int((minimum - timedelta(hours=1) - timedelta(minutes=10)).total_seconds())
        assert late["lead_time_seconds"] == expected
    ours = us.notices.notification(sent["notice"])["recipients"][0]
    theirs = prc.notices.notification(sent["notice"])["recipients"][0]
    assert ours["lead_time_seconds"] == theirs["lead_time_seconds"]
    assert ours["delivered_at"] == theirs["delivered_at"]


def test_an_incident_is_acknowledged_once(tmp_path: Path) -> None:
    us, prc, clock = make_pair(tmp_path)
    sent = us.notices.send(["prc-mnd"], incident(clock))
    pump(us, prc)
    copy_id = sent["entries"][0]["id"]
    acknowledge(prc, copy_id, "Sr. Col. Zhang Wei")
    with pytest.raises(CommandError) as again:
        acknowledge(prc, copy_id, "Sr. Col. Zhang Wei")
    assert again.value.code == "already-acknowledged"
    with pytest.raises(CommandError) as own:
        acknowledge(us, copy_id, "Cdr. J. Miller")  # the sender cannot acknowledge its own report
    assert own.value.code == "not-acknowledgeable"
    pump(prc, us)
    (group,) = us.notices.notifications()
    assert group["kind"] == "notify.incident"
    assert group["recipients"][0]["state"] == "acknowledged"
    assert group["position_geojson"] == {"type": "Point", "coordinates": [114.25, 16.5]}


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        (
            {"area": {"type": "Polygon", "coordinates": [[[1, 1], [2, 2], [1, 1]]]}},
            "invalid-geojson",
        ),
        ({"area": {"type": "LineString", "coordinates": [[1, 1], [2, 2]]}}, "invalid-geojson"),
        (
            {"area": {"type": "Point", "coordinates": [190.0, 1.0], "radius_nm": 5}},
            "invalid-geojson",
        ),
        ({"area": {"type": "Point", "coordinates": [10.0, 1.0]}}, "invalid-geojson"),
        ({"area": "not geojson"}, "invalid-geojson"),
        ({"area": {"type": "FeatureCollection", "features": []}}, "invalid-geojson"),
        ({"activity": "invasion"}, "invalid-activity"),
        ({"activity": "other"}, "invalid-body"),  # other needs a label
        ({"precedence": "urgent"}, "invalid-precedence"),
        ({"lang": "English"}, "invalid-lang"),
        ({"ack_within_minutes": 0}, "invalid-ack-window"),
        ({"participants": ["us-dod"]}, "invalid-body"),  # a joint patrol needs two parties
        ({"forces": {"tanks": 3}}, "invalid-body"),
        ({"title": ""}, "invalid-body"),
    ],
)
def test_bad_notifications_are_refused_with_a_code_and_store_nothing(
    tmp_path: Path, changes: dict[str, Any], code: str
) -> None:
    us, _, clock = make_pair(tmp_path)
    before = sizes(us)
    with pytest.raises(CommandError) as refused:
        us.notices.send(["prc-mnd"], activity(clock, **changes))
    assert refused.value.code == code, refused.value
    assert sizes(us) == before


def test_an_end_before_the_start_is_refused(tmp_path: Path) -> None:
    us, _, clock = make_pair(tmp_path)
    with pytest.raises(CommandError) as refused:
        us.notices.send(
            ["prc-mnd"],
            activity(clock, start=clock() + timedelta(days=2), end=clock() + timedelta(days=1)),
        )
    assert refused.value.code == "end-before-start"
    assert "ends" in str(refused.value)
    with pytest.raises(CommandError) as over:
        us.notices.send(
            ["prc-mnd"],
            activity(clock, start=clock() - timedelta(days=2), end=clock() - timedelta(days=1)),
        )
    assert over.value.code == "activity-over"
    assert sizes(us) == {"prc-mnd": 0}


def test_a_broadcast_with_one_unknown_recipient_sends_to_nobody(tmp_path: Path) -> None:
    us, _, clock = make_pair(tmp_path)
    with pytest.raises(CommandError) as refused:
        us.notices.send(["prc-mnd", "nobody"], activity(clock))
    assert refused.value.code == "unknown-peer"
    assert sizes(us) == {"prc-mnd": 0}


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"category": "rudeness"}, "invalid-category"),
        ({"domain": "space"}, "invalid-domain"),
        ({"category": "close-approach"}, "invalid-body"),  # needs distance_m
        ({"distance_m": 50}, "invalid-body"),  # only for close-approach
        ({"position": {"type": "Polygon", "coordinates": []}}, "invalid-geojson"),
        ({"position": {"type": "Point", "coordinates": [1.0, 95.0]}}, "invalid-geojson"),
        ({"own_units": []}, "invalid-body"),
    ],
)
def test_bad_incidents_are_refused_with_a_code_and_store_nothing(
    tmp_path: Path, changes: dict[str, Any], code: str
) -> None:
    us, _, clock = make_pair(tmp_path)
    with pytest.raises(CommandError) as refused:
        us.notices.send(["prc-mnd"], incident(clock, **changes))
    assert refused.value.code == code, refused.value
    assert sizes(us) == {"prc-mnd": 0}


def test_an_area_pasted_as_a_feature_collection_is_accepted(tmp_path: Path) -> None:
    us, _, clock = make_pair(tmp_path)
    pasted = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {}, "geometry": PATROL_AREA}],
    }
    sent = us.notices.send(["prc-mnd"], activity(clock, area=pasted))
    group = us.notices.notification(sent["notice"])
    assert group["area_geojson"] == PATROL_AREA


def test_desk_checks_answered_then_not_answered_while_the_line_is_up(tmp_path: Path) -> None:
    us, prc, clock = make_pair(tmp_path)
    assert us.notices.desk("prc-mnd")["state"] == "never-checked"
    (first,) = us.notices.desk_check(["prc-mnd"], officer="Cdr. J. Miller")
    assert first.body == {"answer_within_seconds": 300, "officer": "Cdr. J. Miller"}
    assert us.notices.desk("prc-mnd")["state"] == "checking"
    pump(us, prc)
    assert prc.notices.desk("us-dod")["owed_by_us"] == 1  # prc-mnd's desk owes the answer
    clock.advance(seconds=40)
    acknowledge(prc, first.id, "Lt. Chen")
    pump(prc, us)
    desk = us.notices.desk("prc-mnd")
    assert desk["state"] == "answering"
    assert desk["last_answer"]["by"] == "Lt. Chen"

    clock.advance(minutes=10)
    (second,) = us.notices.desk_check(["prc-mnd"])
    assert "officer" not in second.body  # sent on the cadence, not by a person
    pump(us, prc)
    clock.advance(seconds=301)
    pump(prc, us)  # prc-mnd's node keeps cosigning (the line is up), no one answers
    desk = us.notices.desk("prc-mnd")
    assert desk["state"] == "not-answering"
    assert desk["unanswered"] == 1
    assert desk["provable"] is True
    assert combined_line_state("up", desk["state"]) == "line-up-desk-not-answering"
    assert combined_line_state("down", desk["state"]) == "down"
    alarms = [alarm for alarm in reads.alarms(us) if alarm.kind == "desk-not-answering"]
    assert [alarm.id for alarm in alarms] == [second.id]
    assert reads.status(us)["peers"][0]["desk"]["state"] == "not-answering"


def test_desk_checks_fall_due_on_the_cadence_one_at_a_time(tmp_path: Path) -> None:
    us, prc, clock = make_pair(tmp_path)
    period = us.config.desk_check_seconds
    started = clock()
    assert us.notices.due_desk_checks(started) == []
    clock.advance(seconds=period)
    assert us.notices.due_desk_checks(started) == ["prc-mnd"]
    (first,) = us.notices.desk_check(us.notices.due_desk_checks(started))
    assert us.notices.due_desk_checks(started) == []
    # The line is down: the first check is never delivered, so no second one piles up.
    clock.advance(seconds=3 * period)
    assert us.notices.due_desk_checks(started) == []
    pump(us, prc)  # the line is back; the check is delivered and its window runs
    assert us.notices.due_desk_checks(started) == []
    acknowledge(prc, first.id, "Lt. Chen")
    pump(prc, us)
    assert us.notices.due_desk_checks(started) == ["prc-mnd"]  # a period since the last
    us.notices.desk_check(["prc-mnd"])
    clock.advance(seconds=period - 1)
    assert us.notices.due_desk_checks(started) == []
    clock.advance(seconds=1)
    pump(us, prc)  # delivered now; still within its window
    assert us.notices.due_desk_checks(started) == []
    clock.advance(seconds=us.config.desk_answer_seconds + 1)
    assert us.notices.due_desk_checks(started) == ["prc-mnd"]  # unanswered: ask again
    us.config.desk_check_seconds = 0
    assert us.notices.due_desk_checks(started) == []


def test_one_silence_since_the_last_answer_is_enough_and_alarms_once(tmp_path: Path) -> None:
    us, prc, clock = make_pair(tmp_path)
    checks = []
    for _ in range(3):
        (check,) = us.notices.desk_check(["prc-mnd"])
        checks.append(check)
        pump(us, prc)
        clock.advance(seconds=400)  # past each window, nobody answers
    pump(prc, us)
    (latest,) = us.notices.desk_check(["prc-mnd"])
    pump(us, prc)
    desk = us.notices.desk("prc-mnd")
    assert desk["state"] == "not-answering"  # the newest is within its window, but …
    assert desk["unanswered"] == 3
    assert desk["unanswered_check"] == checks[-1].id
    desk_alarms = [a for a in reads.alarms(us) if a.kind == "desk-not-answering"]
    assert [alarm.id for alarm in desk_alarms] == [checks[-1].id]  # one alarm per desk
    assert prc.notices.desk("us-dod")["owed_by_us"] == 4

    acknowledge(prc, latest.id, "Lt. Chen")  # a person answers the newest: the desk is staffed
    pump(prc, us)
    desk = us.notices.desk("prc-mnd")
    assert desk["state"] == "answering"
    assert desk["unanswered"] == 3  # the earlier silences stay on the record
    assert [a for a in reads.alarms(us) if a.kind == "desk-not-answering"] == []
    assert prc.notices.desk("us-dod")["owed_by_us"] == 0


def test_an_answer_is_never_dated_before_its_question_even_with_a_slow_clock(
    tmp_path: Path,
) -> None:
    us, prc, clock = make_pair(tmp_path)
    fast = FakeClock(clock() + timedelta(seconds=60))  # us-dod's clock runs a minute ahead
    us.clock = fast
    (check,) = us.notices.desk_check(["prc-mnd"])
    pump(us, prc)
    clock.advance(seconds=5)
    answer = acknowledge(prc, check.id, "Lt. Chen")
    assert answer.time == check.time  # clamped to the question's time, not refused
    pump(prc, us)
    assert us.notices.desk("prc-mnd")["state"] == "answering"


def test_two_officers_acknowledging_at_once_sign_one_acknowledgement(tmp_path: Path) -> None:
    import threading

    us, prc, clock = make_pair(tmp_path)
    sent = us.notices.send(["prc-mnd"], incident(clock))
    pump(us, prc)
    copy_id = sent["entries"][0]["id"]
    outcomes: list[str] = []
    start = threading.Barrier(4)

    def ack_as(officer: str) -> None:
        start.wait()
        try:
            acknowledge(prc, copy_id, officer)
            outcomes.append("signed")
        except CommandError as error:
            outcomes.append(error.code)

    threads = [threading.Thread(target=ack_as, args=(f"officer {n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["already-acknowledged"] * 3 + ["signed"]
    assert sizes(prc) == {"us-dod": 1}


def test_a_reused_notice_id_never_hides_a_notification(tmp_path: Path) -> None:
    us, prc, clock = make_pair(tmp_path)
    first = us.notices.send(["prc-mnd"], incident(clock, description="First."))
    stored = us.store.entry_by_id(first["entries"][0]["id"])
    assert stored is not None
    body = dict(Entry.from_leaf(stored.leaf).body)
    body["description"] = "Second, under the same notice id."
    us.append("prc-mnd", [("notify.incident", body, ())])  # bypasses the command, as a peer may
    pump(us, prc)
    shown = prc.notices.notifications()
    assert sorted(group["body"]["description"] for group in shown) == [
        "First.",
        "Second, under the same notice id.",
    ]
    with pytest.raises(CommandError) as ambiguous:
        prc.notices.notification(first["notice"])
    assert ambiguous.value.code == "ambiguous-notice"
    by_copy = prc.notices.notification(first["entries"][0]["id"])
    assert by_copy["body"]["description"] == "First."


def test_a_broadcast_that_fails_part_way_stores_no_copy(
    trio: tuple[Node, Node, Node, FakeClock], monkeypatch: pytest.MonkeyPatch
) -> None:
    us, _, _, clock = trio
    from openline.store import Store

    real = Store.insert_entries
    calls: list[int] = []

    def failing(connection: Any, entries: Any, stored_at: str) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")
        real(connection, entries, stored_at)

    monkeypatch.setattr(Store, "insert_entries", staticmethod(failing))
    with pytest.raises(OSError, match="disk full"):
        us.notices.send(["prc-mnd", "ru-mod"], activity(clock))
    monkeypatch.setattr(Store, "insert_entries", staticmethod(real))
    assert sizes(us) == {"prc-mnd": 0, "ru-mod": 0}
    sent = us.notices.send(["prc-mnd", "ru-mod"], activity(clock))  # and the node goes on
    assert [entry["seq"] for entry in sent["entries"]] == [0, 0]


def test_notices_survive_a_rebuild(tmp_path: Path) -> None:
    us, prc, clock = make_pair(tmp_path)
    sent = us.notices.send(["prc-mnd"], activity(clock))
    pump(us, prc)
    before = us.notices.notification(sent["notice"])
    us.rebuild()
    assert us.notices.notification(sent["notice"]) == before


def test_the_lead_time_is_provable_to_a_third_party(tmp_path: Path) -> None:
    from openline.core.proofs import check_proof
    from openline.node.proving import Prover

    us, prc, clock = make_pair(tmp_path)
    sent = us.notices.send(["prc-mnd"], activity(clock))
    clock.advance(minutes=3)
    pump(us, prc)
    copy = us.notices.notification(sent["notice"])["recipients"][0]
    proof = Prover(us).prove("delivery", copy["id"])
    verdict = check_proof(proof, [us.peers.card(), prc.peers.card()])
    assert verdict.lead_time_seconds == copy["lead_time_seconds"]
    assert verdict.lead_time_seconds == int(
        (timedelta(days=5) - timedelta(minutes=3)).total_seconds()
    )
    assert any(line.startswith("lead time: 4d 23:57:00") for line in verdict.lines())


def test_an_osce_wide_notification_goes_to_57_parties_and_shows_as_one(tmp_path: Path) -> None:
    from openline.core.card import make_card
    from openline.core.keys import PrivateKey

    us, _, clock = make_pair(tmp_path)
    states = [f"state-{n:02d}" for n in range(56)]
    for party in states:
        card = make_card(
            party=party,
            names={"en": party},
            urls=[f"http://{party}.invalid"],
            created="2026-11-01T00:00:00.000Z",
            key=PrivateKey.generate(),
        )
        us.peers.add(card.to_bytes())
    recipients = ["prc-mnd", *states]
    sent = us.notices.send(
        recipients, activity(clock, activity="exercise", participants=["us-dod"])
    )
    assert len(sent["entries"]) == 57
    assert len({entry["id"] for entry in sent["entries"]}) == 57
    (group,) = us.notices.notifications()
    assert sorted(copy["party"] for copy in group["recipients"]) == sorted(recipients)
    assert group["counts"] == {"pending": 57}
    assert {peer["party"]: peer["pending"] for peer in reads.status(us)["peers"]} == dict.fromkeys(
        recipients, 1
    )


@pytest.mark.parametrize(
    ("settings", "fragment"),
    [
        ({"desk_check_seconds": -1}, "desk_check_seconds"),
        ({"desk_check_seconds": "hourly"}, "desk_check_seconds"),
        ({"desk_answer_seconds": 5}, "desk_answer_seconds"),
        ({"minimum_lead_seconds": {"exercise": "x"}}, "minimum_lead_seconds.exercise"),
        ({"minimum_lead_seconds": {"exercise": -5}}, "minimum_lead_seconds.exercise"),
        ({"minimum_lead_seconds": {"parade": 5}}, "parade"),
        ({"minimum_lead_seconds": [1, 2]}, "minimum_lead_seconds"),
    ],
)
def test_a_bad_notice_setting_in_node_json_is_refused_at_start(
    tmp_path: Path, settings: dict[str, Any], fragment: str
) -> None:
    import json

    from openline.node.home import HomeError

    us, _, _ = make_pair(tmp_path)
    path = us.home.config_path
    path.write_text(json.dumps(json.loads(path.read_text()) | settings))
    with pytest.raises(HomeError, match=fragment):
        us.home.load_config()


def test_a_partial_minimum_lead_setting_keeps_the_other_defaults(tmp_path: Path) -> None:
    import json

    us, _, _ = make_pair(tmp_path)
    path = us.home.config_path
    path.write_text(
        json.dumps(json.loads(path.read_text()) | {"minimum_lead_seconds": {"patrol": 7}})
    )
    minimums = us.home.load_config().minimum_lead_times()
    assert minimums["patrol"] == timedelta(seconds=7)
    assert minimums["missile-launch"] == DEFAULT_MINIMUM_LEAD_TIMES["missile-launch"]
