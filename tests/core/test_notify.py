"""Tests for openline.core.notify: activity notifications, incident reports, desk checks,
their GeoJSON areas in integer microdegrees, lead time, and how the new kinds plug into the
kind table (refs) and the obligation model (deadlines).

Every valid variant of every kind passes; every malformed body is refused with the code
``invalid-body`` and a message that names the member at fault.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openline.core import notify
from openline.core.canonical import canonical_bytes
from openline.core.entry import Entry, sign_entry
from openline.core.errors import EntryError
from openline.core.keys import PrivateKey
from openline.core.kinds import KINDS, kind_spec, validate_body
from openline.core.link import RefTarget, check_refs
from openline.core.notify import (
    DEFAULT_MINIMUM_LEAD_TIMES,
    MAX_LATITUDE_E6,
    MAX_LONGITUDE_E6,
    from_microdegrees,
    geometry_from_geojson,
    geometry_to_geojson,
    is_late,
    lead_time,
    to_microdegrees,
)
from openline.core.obligations import (
    ANSWERED_BY,
    PROVABLE_DEADLINES,
    deadline,
    expects_answer,
    is_answer_to,
)
from openline.core.timefmt import format_time

Obj = dict[str, Any]

US, PRC, RU = "us-dod", "prc-mnd", "ru-mod"
KEYS = {
    US: PrivateKey.from_seed(bytes([1]) * 32),
    PRC: PrivateKey.from_seed(bytes([2]) * 32),
    RU: PrivateKey.from_seed(bytes([3]) * 32),
}
T0 = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)
ISSUE_4_KINDS = {"notify.activity", "notify.incident", "notify.ack", "desk.check", "desk.answer"}


def at(hours: float) -> str:
    return format_time(T0 + timedelta(hours=hours))


def changed(body: Obj, **changes: Any) -> Obj:
    return {**body, **changes}


def without(body: Obj, *keys: str) -> Obj:
    return {key: value for key, value in body.items() if key not in keys}


def e6(lon: float, lat: float) -> list[int]:
    return [to_microdegrees(lon), to_microdegrees(lat)]


def ring(*corners: tuple[float, float]) -> list[list[int]]:
    """A closed ring through ``corners`` (degrees), in microdegrees."""
    return [e6(*corner) for corner in (*corners, corners[0])]


def circle(positions: int, centre: tuple[float, float], radii: tuple[float, float]) -> Any:
    """A closed ring of ``positions`` positions on an ellipse (degrees in, microdegrees out)."""
    count = positions - 1
    points = [
        e6(
            centre[0] + radii[0] * math.cos(2 * math.pi * n / count),
            centre[1] + radii[1] * math.sin(2 * math.pi * n / count),
        )
        for n in range(count)
    ]
    return [*points, points[0]]


# East China Sea, counterclockwise (RFC 7946's right-hand rule), with a clockwise hole.
EXTERIOR = ring((123.0, 25.0), (128.0, 25.0), (128.0, 30.0), (123.0, 30.0))
HOLE = ring((124.0, 26.0), (124.0, 27.0), (125.0, 27.0), (125.0, 26.0))
SEA_OF_JAPAN = ring((131.5, 37.0), (135.25, 37.0), (135.25, 40.5), (131.5, 40.5))
POLYGON: Obj = {"type": "Polygon", "coordinates_e6": [EXTERIOR]}
POLYGON_WITH_HOLE: Obj = {"type": "Polygon", "coordinates_e6": [EXTERIOR, HOLE]}
MULTIPOLYGON: Obj = {"type": "MultiPolygon", "coordinates_e6": [[EXTERIOR, HOLE], [SEA_OF_JAPAN]]}
CIRCLE: Obj = {"type": "Point", "coordinates_e6": e6(129.5, 40.0), "radius_nm": 30}
POSITION: Obj = {"type": "Point", "coordinates_e6": e6(114.2, 16.5)}

ACTIVITY: Obj = {
    "activity": "joint-patrol",
    "title": "Joint maritime and air patrol",
    "participants": [RU, "pla-navy"],
    "area": POLYGON,
    "start": at(24 * 5),
    "end": at(24 * 9),
    "forces": {"ships": 4, "aircraft": 6},
    "contact_channel": "VHF 16, call sign PACIFIC-1; +7 423 000 0000",
    "ack_within_minutes": 120,
    "precedence": "priority",
    "lang": "ru",
    "officer": "Капитан 1-го ранга Иванов",
}
LAUNCH = changed(
    ACTIVITY,
    activity="missile-launch",
    title="Training launch",
    participants=[RU],
    area=CIRCLE,
    forces={"launchers": 1},
)
INCIDENT: Obj = {
    "time": at(-2),
    "position": POSITION,
    "domain": "air",
    "own_units": ["EP-3E 156511"],
    "other_units": ["J-11 (two aircraft)"],
    "category": "unsafe-intercept",
    "description": "Intercept at 6 m lateral separation, 10 min.",
    "ack_within_minutes": 60,
    "precedence": "immediate",
    "lang": "en",
    "officer": "Lt. Smith",
}
CLOSE_APPROACH = changed(INCIDENT, domain="maritime", category="close-approach", distance_m=41)
ACK: Obj = {"officer": "Col. Wang"}
DESK_CHECK: Obj = {"answer_within_seconds": notify.DEFAULT_DESK_ANSWER_SECONDS}
DESK_ANSWER: Obj = {"officer": "Maj. Petrova"}

VALID: list[tuple[str, Obj]] = [
    ("notify.activity", ACTIVITY),
    ("notify.activity", changed(ACTIVITY, activity="joint-exercise", area=MULTIPOLYGON)),
    ("notify.activity", changed(ACTIVITY, activity="exercise", participants=[RU])),
    ("notify.activity", changed(ACTIVITY, activity="patrol", area=POLYGON_WITH_HOLE)),
    ("notify.activity", LAUNCH),
    ("notify.activity", changed(LAUNCH, activity="air-defence-test", lang="zh-Hans")),
    ("notify.activity", changed(ACTIVITY, activity="other", label="Search and rescue drill")),
    ("notify.activity", without(ACTIVITY, "forces")),
    *[
        ("notify.activity", changed(ACTIVITY, forces={key: 0}))  # zero is a statement
        for key in notify.FORCES
    ],
    ("notify.activity", changed(ACTIVITY, forces=dict.fromkeys(notify.FORCES, notify.MAX_FORCE))),
    ("notify.activity", changed(ACTIVITY, participants=[f"p{n}" for n in range(100)])),
    ("notify.activity", changed(ACTIVITY, ack_within_minutes=1)),
    ("notify.activity", changed(ACTIVITY, ack_within_minutes=notify.MAX_ACK_MINUTES)),
    ("notify.activity", changed(ACTIVITY, start=at(0), end=at(0.001))),  # one millisecond
    ("notify.activity", changed(ACTIVITY, title="演习" * (notify.MAX_MEDIUM // 2))),
    ("notify.activity", changed(LAUNCH, area=changed(CIRCLE, radius_nm=notify.MAX_RADIUS_NM))),
    ("notify.activity", changed(LAUNCH, area=changed(CIRCLE, radius_nm=1))),
    (
        "notify.activity",
        changed(  # the corners of the world: ±180° and ±90° are in range
            ACTIVITY,
            area={
                "type": "MultiPolygon",
                "coordinates_e6": [
                    [ring((0, -90), (180, -90), (180, 90), (0, 90))],
                    [ring((-180, -90), (0, -90), (0, 90), (-180, 90))],
                ],
            },
        ),
    ),
    (
        "notify.activity",  # clockwise exterior: RFC 7946 §3.1.6 says not to reject it
        changed(ACTIVITY, area={"type": "Polygon", "coordinates_e6": [EXTERIOR[::-1]]}),
    ),
    ("notify.incident", INCIDENT),
    ("notify.incident", CLOSE_APPROACH),
    ("notify.incident", changed(CLOSE_APPROACH, distance_m=notify.MAX_DISTANCE_M)),
    ("notify.incident", changed(INCIDENT, category="weapons-lock", lang="zh")),
    ("notify.incident", changed(INCIDENT, category="laser", domain="maritime")),
    ("notify.incident", changed(INCIDENT, category="collision")),
    ("notify.incident", changed(INCIDENT, category="other", label="Flares dropped ahead")),
    ("notify.incident", changed(INCIDENT, own_units=["u"] * notify.MAX_UNITS)),
    ("notify.incident", changed(INCIDENT, description="Строка\n\tс табуляцией")),
    ("notify.incident", changed(INCIDENT, position={"type": "Point", "coordinates_e6": [0, 0]})),
    ("notify.ack", ACK),
    ("desk.check", DESK_CHECK),
    ("desk.check", changed(DESK_CHECK, officer="Lt. Smith")),  # sent on demand
    ("desk.check", {"answer_within_seconds": notify.MIN_DESK_ANSWER_SECONDS}),
    ("desk.check", {"answer_within_seconds": notify.MAX_DESK_ANSWER_SECONDS}),
    ("desk.answer", DESK_ANSWER),
]


@pytest.mark.parametrize(("kind", "body"), VALID, ids=lambda value: str(value)[:40])
def test_valid_body_passes(kind: str, body: Obj) -> None:
    validate_body(kind, body)
    canonical_bytes(body)  # no floats anywhere: the body can be signed


def test_every_kind_and_variant_is_covered_by_a_valid_body() -> None:
    assert {kind for kind, _ in VALID} == ISSUE_4_KINDS
    activities = {body["activity"] for kind, body in VALID if kind == "notify.activity"}
    assert activities == set(notify.ACTIVITIES)
    categories = {body["category"] for kind, body in VALID if kind == "notify.incident"}
    assert categories == set(notify.CATEGORIES)
    domains = {body["domain"] for kind, body in VALID if kind == "notify.incident"}
    assert domains == set(notify.DOMAINS)
    areas = {body["area"]["type"] for kind, body in VALID if kind == "notify.activity"}
    assert areas == set(notify.AREA_TYPES)


def test_body_validators_do_not_change_the_body() -> None:
    for kind, body in VALID:
        before = repr(body)
        validate_body(kind, body)
        assert repr(body) == before


A = "notify.activity body"
AREA = f"{A}.area"
COORDS = f"{AREA}.coordinates_e6"
I = "notify.incident body"  # noqa: E741


def area(geometry: Any) -> Obj:
    return changed(ACTIVITY, area=geometry)


def polygon(*rings: Any) -> Obj:
    return area({"type": "Polygon", "coordinates_e6": list(rings)})


def position(geometry: Any) -> Obj:
    return changed(INCIDENT, position=geometry)


# (kind, body, a fragment the message must contain: the member at fault)
INVALID: list[tuple[str, Any, str]] = [
    # the body itself
    ("notify.activity", ["not", "an", "object"], f"{A} must be a JSON object"),
    ("desk.check", None, "desk.check body must be a JSON object"),
    # missing and unknown fields
    *[
        ("notify.activity", without(ACTIVITY, key), f"lacks field {key!r}")
        for key in ACTIVITY
        if key != "forces"
    ],
    *[("notify.incident", without(INCIDENT, key), f"lacks field {key!r}") for key in INCIDENT],
    ("notify.activity", changed(ACTIVITY, remarks="x"), "unknown field 'remarks'"),
    ("notify.incident", changed(INCIDENT, refs=[]), "unknown field 'refs'"),
    ("notify.ack", {}, "notify.ack body lacks field 'officer'"),
    ("notify.ack", changed(ACK, lang="en"), "unknown field 'lang'"),
    ("desk.check", {}, "desk.check body lacks field 'answer_within_seconds'"),
    ("desk.check", changed(DESK_CHECK, text="test"), "unknown field 'text'"),
    ("desk.answer", {}, "desk.answer body lacks field 'officer'"),
    ("desk.answer", changed(DESK_ANSWER, lang="ru"), "unknown field 'lang'"),
    # activity kind and its label
    ("notify.activity", changed(ACTIVITY, activity="invasion"), f"{A}.activity must be one of"),
    ("notify.activity", changed(ACTIVITY, activity=None), f"{A}.activity must be one of"),
    ("notify.activity", changed(ACTIVITY, activity="other"), f"{A}.label is required"),
    ("notify.activity", changed(ACTIVITY, label="x"), f"{A}.label is only for activity other"),
    ("notify.activity", changed(ACTIVITY, activity="other", label=""), f"{A}.label must be 1"),
    # title, channel, officer, lang, precedence
    ("notify.activity", changed(ACTIVITY, title=""), f"{A}.title must be 1 to"),
    ("notify.activity", changed(ACTIVITY, title="t" * 401), f"{A}.title must be 1 to 400"),
    ("notify.activity", changed(ACTIVITY, title="\x1b[2J"), f"{A}.title contains control"),
    ("notify.activity", changed(ACTIVITY, contact_channel=16), f"{A}.contact_channel must be a"),
    ("notify.activity", changed(ACTIVITY, contact_channel=""), f"{A}.contact_channel must be 1"),
    ("notify.activity", changed(ACTIVITY, officer=""), f"{A}.officer must be 1 to"),
    ("notify.activity", changed(ACTIVITY, lang="Russian"), f"{A}.lang must be a language tag"),
    ("notify.activity", changed(ACTIVITY, precedence="urgent"), f"{A}.precedence must be one"),
    # participants
    ("notify.activity", changed(ACTIVITY, participants=[]), f"{A}.participants must be a list"),
    ("notify.activity", changed(ACTIVITY, participants=RU), f"{A}.participants must be a list"),
    (
        "notify.activity",
        changed(ACTIVITY, participants=[f"p{n}" for n in range(101)]),
        f"{A}.participants must be a list of 1 to 100",
    ),
    (
        "notify.activity",
        changed(ACTIVITY, participants=[RU, "PLA Navy"]),
        f"{A}.participants[1] must be a party id",
    ),
    ("notify.activity", changed(ACTIVITY, participants=[7, RU]), f"{A}.participants[0] must be"),
    ("notify.activity", changed(ACTIVITY, participants=[RU, RU]), "names a party twice"),
    (
        "notify.activity",
        changed(ACTIVITY, participants=[RU]),
        f"{A}.participants: a joint-patrol needs at least two parties",
    ),
    (
        "notify.activity",
        changed(ACTIVITY, activity="joint-exercise", participants=[RU]),
        "a joint-exercise needs at least two parties",
    ),
    # start and end
    ("notify.activity", changed(ACTIVITY, start=at(10), end=at(9)), f"{A}.end is at or before"),
    ("notify.activity", changed(ACTIVITY, start=at(10), end=at(10)), f"{A}.end is at or before"),
    ("notify.activity", changed(ACTIVITY, start="2026-12-01T00:00:00Z"), f"{A}.start: time"),
    ("notify.activity", changed(ACTIVITY, end="2026-02-30T00:00:00.000Z"), f"{A}.end: time"),
    ("notify.activity", changed(ACTIVITY, start=1_700_000_000), f"{A}.start: time"),
    # forces
    ("notify.activity", changed(ACTIVITY, forces=[4, 6]), f"{A}.forces must be a JSON object"),
    ("notify.activity", changed(ACTIVITY, forces={}), f"{A}.forces must give at least one of"),
    ("notify.activity", changed(ACTIVITY, forces={"tanks": 3}), "forces has unknown field 'tanks'"),
    ("notify.activity", changed(ACTIVITY, forces={"ships": -1}), f"{A}.forces.ships must be a"),
    ("notify.activity", changed(ACTIVITY, forces={"aircraft": 2.0}), "forces.aircraft must be a"),
    ("notify.activity", changed(ACTIVITY, forces={"personnel": "900"}), "forces.personnel must"),
    ("notify.activity", changed(ACTIVITY, forces={"launchers": True}), "forces.launchers must"),
    (
        "notify.activity",
        changed(ACTIVITY, forces={"personnel": notify.MAX_FORCE + 1}),
        "forces.personnel must be a whole number of personnel, 0 to 10000000",
    ),
    # acknowledgement deadline
    *[
        ("notify.activity", changed(ACTIVITY, ack_within_minutes=bad), f"{A}.ack_within_minutes")
        for bad in (0, -5, notify.MAX_ACK_MINUTES + 1, 60.0, "60", True, None)
    ],
    ("notify.incident", changed(INCIDENT, ack_within_minutes=0), f"{I}.ack_within_minutes must"),
    # area: the geometry object
    ("notify.activity", area([EXTERIOR]), f"{AREA} must be a JSON object"),
    ("notify.activity", area({"type": "LineString", "coordinates_e6": EXTERIOR}), f"{AREA}.type"),
    ("notify.activity", area(changed(POLYGON, type="polygon")), f"{AREA}.type must be one of"),
    ("notify.activity", area(without(POLYGON, "type")), f"{AREA}.type must be one of"),
    ("notify.activity", area({"type": "GeometryCollection", "geometries": []}), f"{AREA}.type"),
    ("notify.activity", area({"type": "Feature", "geometry": POLYGON}), f"{AREA}.type"),
    ("notify.activity", area(without(CIRCLE, "radius_nm")), f"{AREA}.radius_nm is required"),
    (
        "notify.activity",
        area(changed(POLYGON, radius_nm=5)),
        f"{AREA}.radius_nm is only for a Point area, not a Polygon",
    ),
    ("notify.activity", area(changed(MULTIPOLYGON, radius_nm=5)), "not a MultiPolygon"),
    *[
        ("notify.activity", area(changed(CIRCLE, radius_nm=bad)), f"{AREA}.radius_nm must be a")
        for bad in (0, -1, notify.MAX_RADIUS_NM + 1, 2.5, "12")
    ],
    ("notify.activity", area(changed(POLYGON, bbox=[0, 0, 1, 1])), "unknown field 'bbox'"),
    ("notify.activity", area(changed(POLYGON, crs={})), "unknown field 'crs'"),
    (
        "notify.activity",
        area({"type": "Polygon", "coordinates": [EXTERIOR]}),  # GeoJSON in degrees' clothing
        f"{AREA} lacks field 'coordinates_e6'",
    ),
    # area: wrong nesting
    (
        "notify.activity",
        polygon(*EXTERIOR),  # a ring where a list of rings belongs
        f"{COORDS} of a Polygon must nest 3 level(s) deep (rings of positions), not 2",
    ),
    (
        "notify.activity",
        area({"type": "Polygon", "coordinates_e6": [[EXTERIOR]]}),
        f"{COORDS} of a Polygon must nest 3 level(s) deep (rings of positions), not 4",
    ),
    (
        "notify.activity",
        area({"type": "MultiPolygon", "coordinates_e6": [EXTERIOR]}),  # a Polygon's
        f"{COORDS} of a MultiPolygon must nest 4 level(s) deep",
    ),
    (
        "notify.activity",
        area(changed(CIRCLE, coordinates_e6=[e6(129.5, 40.0)])),
        f"{COORDS} of a Point must nest 1 level(s) deep (a position), not 2",
    ),
    ("notify.activity", area(changed(CIRCLE, coordinates_e6=129)), "nest 1 level(s) deep"),
    ("notify.activity", polygon(), f"{COORDS} of a Polygon must nest 3"),
    ("notify.activity", polygon(EXTERIOR, 5), f"{COORDS}[1] must be a linear ring"),
    ("notify.activity", polygon(EXTERIOR, [*HOLE[:-1], 7]), f"{COORDS}[1][4] must be a position"),
    (
        "notify.activity",
        polygon(*[HOLE] * (notify.MAX_RINGS + 1)),
        f"{COORDS} must be a list of 1 to 20 linear rings",
    ),
    (
        "notify.activity",
        area({"type": "MultiPolygon", "coordinates_e6": [[HOLE]] * (notify.MAX_POLYGONS + 1)}),
        f"{COORDS} must be a list of 1 to 50 polygons",
    ),
    # area: linear rings (RFC 7946 §3.1.6)
    (
        "notify.activity",
        polygon(EXTERIOR[:-1]),  # four positions, but open
        f"{COORDS}[0] is not closed: its last position must repeat its first",
    ),
    ("notify.activity", polygon(EXTERIOR, HOLE[:-1]), f"{COORDS}[1] is not closed"),
    (
        "notify.activity",
        area({"type": "MultiPolygon", "coordinates_e6": [[EXTERIOR], [SEA_OF_JAPAN[:-1]]]}),
        f"{COORDS}[1][0] is not closed",
    ),
    (
        "notify.activity",
        polygon(ring((123, 25), (128, 25), (128, 30))[:3]),  # closed triangle needs 4
        f"{COORDS}[0] must be a linear ring of 4 to 1000 positions",
    ),
    ("notify.activity", polygon([]), "nest 3 level(s) deep"),
    (
        "notify.activity",
        polygon([e6(123, 25)] * 4),  # four positions, all the same point
        f"{COORDS}[0] encloses no area",
    ),
    (
        "notify.activity",
        polygon(ring((123, 25), (125, 26), (127, 27))),  # collinear
        f"{COORDS}[0] encloses no area",
    ),
    (
        "notify.activity",
        polygon(ring((179, 10), (-179, 10), (-179, 11), (179, 11))),  # meant to cross 180°
        f"{COORDS}[0][0] to [1] spans more than 180° of longitude",
    ),
    (
        "notify.activity",
        polygon(circle(600, (10, 10), (5, 5)), circle(600, (10, 10), (1, 1))),
        f"{COORDS} has 1200 positions, more than 1000",
    ),
    (
        "notify.activity",
        polygon([e6(0, 0)] * 1001),
        f"{COORDS}[0] must be a linear ring of 4 to 1000 positions",
    ),
    # area: positions (RFC 7946 §3.1.1)
    (
        "notify.activity",
        polygon([[181_000_000, 25_000_000], *EXTERIOR[1:-1], [181_000_000, 25_000_000]]),
        f"{COORDS}[0][0] longitude 181.0° is outside ±180°",
    ),
    (
        "notify.activity",
        polygon([[-180_000_001, 25_000_000], *EXTERIOR[1:-1], [-180_000_001, 25_000_000]]),
        f"{COORDS}[0][0] longitude -180.000001° is outside ±180°",
    ),
    (
        "notify.activity",
        area(changed(CIRCLE, coordinates_e6=[0, MAX_LATITUDE_E6 + 1])),
        f"{COORDS} latitude 90.000001° is outside ±90°; positions are [longitude, latitude]",
    ),
    (
        "notify.activity",
        area(changed(CIRCLE, coordinates_e6=e6(24.25, 121.5))),  # [lat, lon]: swapped
        "positions are [longitude, latitude] (RFC 7946 §3.1.1)",
    ),
    (
        "notify.activity",
        area(changed(CIRCLE, coordinates_e6=[*e6(129.5, 40.0), 0])),
        f"{COORDS} has 3 elements: a position is [longitude, latitude]",
    ),
    ("notify.activity", area(changed(CIRCLE, coordinates_e6=[0])), "must be a position"),
    (
        "notify.activity",
        area(changed(CIRCLE, coordinates_e6=[129.5, 40.0])),
        f"{COORDS} must hold integers in microdegrees, not floats",
    ),
    (
        "notify.activity",
        area(changed(CIRCLE, coordinates_e6=["129500000", 40_000_000])),
        f"{COORDS} must hold two integers in microdegrees",
    ),
    ("notify.activity", area(changed(CIRCLE, coordinates_e6=[True, 0])), "two integers"),
    # incident
    ("notify.incident", changed(INCIDENT, time="yesterday"), f"{I}.time: time"),
    ("notify.incident", position(CIRCLE), f"{I}.position.radius_nm: a position is a Point"),
    ("notify.incident", position(POLYGON), f"{I}.position.type must be one of Point"),
    ("notify.incident", position([114_200_000, 16_500_000]), f"{I}.position must be a JSON"),
    (
        "notify.incident",
        position(changed(POSITION, coordinates_e6=[114_200_000, -91_000_000])),
        f"{I}.position.coordinates_e6 latitude -91.0° is outside ±90°",
    ),
    ("notify.incident", changed(INCIDENT, domain="space"), f"{I}.domain must be one of air"),
    ("notify.incident", changed(INCIDENT, category="ramming"), f"{I}.category must be one of"),
    *[
        ("notify.incident", changed(INCIDENT, **{key: bad}), f"{I}.{key} must be a list of 1 to 10")
        for key in ("own_units", "other_units")
        for bad in ([], "EP-3E", ["u"] * (notify.MAX_UNITS + 1))
    ],
    ("notify.incident", changed(INCIDENT, own_units=[""]), f"{I}.own_units[0] must be 1 to"),
    ("notify.incident", changed(INCIDENT, other_units=["a", 3]), f"{I}.other_units[1] must be a"),
    ("notify.incident", changed(INCIDENT, other_units=["J-11\x00"]), "other_units[0] contains"),
    ("notify.incident", changed(INCIDENT, description=""), f"{I}.description must be 1 to"),
    ("notify.incident", changed(INCIDENT, description="d" * 5001), f"{I}.description must be"),
    (
        "notify.incident",
        without(CLOSE_APPROACH, "distance_m"),
        f"{I}.distance_m is required when category is close-approach",
    ),
    (
        "notify.incident",
        changed(INCIDENT, category="laser", distance_m=100),
        f"{I}.distance_m is only for category close-approach, not laser",
    ),
    *[
        ("notify.incident", changed(CLOSE_APPROACH, distance_m=bad), f"{I}.distance_m must be a")
        for bad in (0, -41, 41.5, "41", notify.MAX_DISTANCE_M + 1)
    ],
    ("notify.incident", changed(INCIDENT, category="other"), f"{I}.label is required"),
    ("notify.incident", changed(INCIDENT, label="x"), f"{I}.label is only for category other"),
    # acks, desk checks, desk answers
    ("notify.ack", {"officer": ""}, "notify.ack body.officer must be 1 to"),
    ("notify.ack", {"officer": ["Col. Wang"]}, "notify.ack body.officer must be a string"),
    *[
        ("desk.check", {"answer_within_seconds": bad}, "desk.check body.answer_within_seconds")
        for bad in (
            0,
            notify.MIN_DESK_ANSWER_SECONDS - 1,
            notify.MAX_DESK_ANSWER_SECONDS + 1,
            300.0,
            "300",
            False,
        )
    ],
    ("desk.check", changed(DESK_CHECK, officer=""), "desk.check body.officer must be 1 to"),
    ("desk.check", changed(DESK_CHECK, officer="automatic\x07"), "officer contains control"),
    ("desk.answer", {"officer": ""}, "desk.answer body.officer must be 1 to"),
    ("desk.answer", {"officer": None}, "desk.answer body.officer must be a string"),
]


@pytest.mark.parametrize(("kind", "body", "fragment"), INVALID, ids=lambda v: str(v)[:50])
def test_malformed_body_is_refused_with_a_precise_message(
    kind: str, body: Any, fragment: str
) -> None:
    with pytest.raises(EntryError) as caught:
        validate_body(kind, body)
    assert caught.value.code == "invalid-body"
    assert fragment in str(caught.value)


def test_a_malformed_body_is_never_signed() -> None:
    with pytest.raises(EntryError) as caught:
        sign_entry(
            sender=RU,
            recipient=PRC,
            seq=0,
            time=at(0),
            kind="notify.activity",
            body=changed(ACTIVITY, end=ACTIVITY["start"]),
            refs=(),
            key=KEYS[RU],
        )
    assert caught.value.code == "invalid-body"


# --- the largest bodies still fit the 64 KiB entry limit -------------------------------------

WIDE = "😀"  # four bytes of UTF-8 per character: the worst case for a length limit


LARGEST: list[tuple[str, Obj]] = [
    (
        "notify.activity",
        changed(
            ACTIVITY,
            activity="other",
            label=WIDE * notify.MAX_SHORT,
            title=WIDE * notify.MAX_MEDIUM,
            participants=[f"{n:03d}" + "a" * 61 for n in range(notify.MAX_PARTICIPANTS)],
            area={
                "type": "Polygon",
                "coordinates_e6": [circle(notify.MAX_POSITIONS, (-100.0, -45.0), (79.0, 44.0))],
            },
            forces=dict.fromkeys(notify.FORCES, notify.MAX_FORCE),
            contact_channel=WIDE * notify.MAX_MEDIUM,
            officer=WIDE * notify.MAX_SHORT,
        ),
    ),
    (
        "notify.incident",
        changed(
            INCIDENT,
            category="other",
            label=WIDE * notify.MAX_SHORT,
            own_units=[WIDE * notify.MAX_SHORT] * notify.MAX_UNITS,
            other_units=[WIDE * notify.MAX_SHORT] * notify.MAX_UNITS,
            description=WIDE * notify.MAX_LONG,
            officer=WIDE * notify.MAX_SHORT,
        ),
    ),
]


@pytest.mark.parametrize(("kind", "body"), LARGEST, ids=lambda value: str(value)[:20])
def test_the_largest_valid_body_fits_an_entry(kind: str, body: Obj) -> None:
    entry = sign_entry(
        sender=RU, recipient=PRC, seq=0, time=at(0), kind=kind, body=body, refs=(), key=KEYS[RU]
    )
    assert len(entry.leaf) < 60 * 1024  # link.Limits.max_entry_bytes is 64 KiB


# --- coordinates: microdegrees and ordinary GeoJSON ------------------------------------------


@pytest.mark.parametrize(
    ("degrees", "micro"),
    [
        (0.0, 0),
        (-0.0, 0),
        (180.0, 180_000_000),
        (-180.0, -180_000_000),
        (121.5, 121_500_000),
        (100, 100_000_000),  # JSON integers are degrees too
        (0.000001, 1),
        (0.0000005, 1),  # half away from zero, on the decimal as written
        (-0.0000005, -1),
        (0.00000049, 0),
        (24.123456789, 24_123_457),
        (-73.98765449, -73_987_654),
    ],
)
def test_degrees_to_microdegrees_rounds_half_away_from_zero(degrees: float, micro: int) -> None:
    assert to_microdegrees(degrees) == micro


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, True, "1.5", None])
def test_to_microdegrees_refuses_what_is_not_a_finite_number(bad: Any) -> None:
    with pytest.raises(ValueError, match="number"):
        to_microdegrees(bad)


@settings(max_examples=500)
@given(st.integers(-MAX_LONGITUDE_E6, MAX_LONGITUDE_E6))
def test_microdegrees_survive_a_trip_through_a_float(micro: int) -> None:
    degrees = from_microdegrees(micro)
    assert to_microdegrees(degrees) == micro
    assert json.loads(json.dumps(degrees)) == degrees  # and through a GeoJSON file


@settings(max_examples=500)
@given(st.floats(min_value=-180, max_value=180, allow_nan=False, allow_infinity=False))
def test_degrees_round_to_the_nearest_microdegree(degrees: float) -> None:
    micro = to_microdegrees(degrees)
    assert abs(from_microdegrees(micro) - degrees) <= 0.5e-6 + 1e-12
    assert to_microdegrees(from_microdegrees(micro)) == micro  # idempotent


# RFC 7946 Appendix A: the examples, and their signed form.
RFC_POLYGON_WITH_HOLE: Obj = {
    "type": "Polygon",
    "coordinates": [
        [[100.0, 0.0], [101.0, 0.0], [101.0, 1.0], [100.0, 1.0], [100.0, 0.0]],
        [[100.8, 0.8], [100.8, 0.2], [100.2, 0.2], [100.2, 0.8], [100.8, 0.8]],
    ],
}
RFC_MULTIPOLYGON: Obj = {
    "type": "MultiPolygon",
    "coordinates": [
        [[[102.0, 2.0], [103.0, 2.0], [103.0, 3.0], [102.0, 3.0], [102.0, 2.0]]],
        [
            [[100.0, 0.0], [101.0, 0.0], [101.0, 1.0], [100.0, 1.0], [100.0, 0.0]],
            [[100.2, 0.2], [100.2, 0.8], [100.8, 0.8], [100.8, 0.2], [100.2, 0.2]],
        ],
    ],
}


def test_rfc_7946_examples_convert_to_microdegrees() -> None:
    converted = geometry_from_geojson(RFC_POLYGON_WITH_HOLE)
    assert converted == {
        "type": "Polygon",
        "coordinates_e6": [
            [
                [100_000_000, 0],
                [101_000_000, 0],
                [101_000_000, 1_000_000],
                [100_000_000, 1_000_000],
                [100_000_000, 0],
            ],
            [
                [100_800_000, 800_000],
                [100_800_000, 200_000],
                [100_200_000, 200_000],
                [100_200_000, 800_000],
                [100_800_000, 800_000],
            ],
        ],
    }
    assert geometry_to_geojson(converted) == RFC_POLYGON_WITH_HOLE
    multi = geometry_from_geojson(RFC_MULTIPOLYGON)
    assert multi["coordinates_e6"][1][1][0] == [100_200_000, 200_000]
    assert geometry_to_geojson(multi) == RFC_MULTIPOLYGON
    validate_body("notify.activity", changed(ACTIVITY, area=multi))


def test_point_area_keeps_its_radius_and_bbox_is_dropped() -> None:
    geojson = {"type": "Point", "coordinates": [129.5, 40.0], "radius_nm": 30, "bbox": [1, 2]}
    assert geometry_from_geojson(geojson) == CIRCLE
    assert geometry_to_geojson(CIRCLE) == without(geojson, "bbox")


def test_position_converts_without_a_radius() -> None:
    geojson = {"type": "Point", "coordinates": [114.2, 16.5]}
    assert geometry_from_geojson(geojson, "position", kind="position") == POSITION
    with pytest.raises(EntryError, match=r"position\.radius_nm: a position is a Point"):
        geometry_from_geojson(changed(geojson, radius_nm=3), "position", kind="position")
    with pytest.raises(EntryError, match=r"position\.radius_nm is required"):
        geometry_from_geojson(geojson, "position")  # as an area, a Point needs its radius


@pytest.mark.parametrize(
    ("geojson", "fragment"),
    [
        ([[100.0, 0.0]], "area must be a JSON object"),
        ({"type": "Polygon"}, "area lacks field 'coordinates'"),
        (changed(RFC_POLYGON_WITH_HOLE, properties={}), "area has unknown field 'properties'"),
        (changed(RFC_POLYGON_WITH_HOLE, type="LineString"), "area.type must be one of"),
        (
            {"type": "Polygon", "coordinates": [[[100.0, 0.0], [101.0, 0.0], [100.0, 0.0]]]},
            "area.coordinates[0] must be a linear ring of 4 to 1000 positions",
        ),
        (
            {"type": "Polygon", "coordinates": [[[100, 0], [101, 0], [101, 1], [100, 1]]]},
            "area.coordinates[0] is not closed",
        ),
        (
            # closed once rounded to microdegrees, but RFC 7946 wants identical values
            {"type": "Polygon", "coordinates": [[[100, 0], [101, 0], [101, 1], [100.0000001, 0]]]},
            "area.coordinates[0] is not closed",
        ),
        (
            {"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 0], [1, 1], [0, 1e-9]]]]},
            "area.coordinates[0][0] is not closed",
        ),
        (
            {"type": "Point", "coordinates": [math.nan, 0.0], "radius_nm": 3},
            "area.coordinates[0] must be a finite number of degrees, not nan",
        ),
        (
            {"type": "Point", "coordinates": [0.0, math.inf], "radius_nm": 3},
            "area.coordinates[1] must be a finite number of degrees, not inf",
        ),
        (
            {"type": "Point", "coordinates": ["121.5", 24.0], "radius_nm": 3},
            "area.coordinates[0] must be a number of degrees, not a string",
        ),
        (
            {"type": "Point", "coordinates": [121.5, None], "radius_nm": 3},
            "area.coordinates[1] must be a number of degrees, not null",
        ),
        (
            {"type": "Point", "coordinates": [24.25, 121.5], "radius_nm": 3},
            "area.coordinates latitude 121.5° is outside ±90°; positions are [longitude, latitude]",
        ),
        (
            {"type": "Point", "coordinates": [190.0, 0.0], "radius_nm": 3},
            "area.coordinates longitude 190.0° is outside ±180°",
        ),
        (
            {"type": "Point", "coordinates": [121.5, 24.25, 30.0], "radius_nm": 3},
            "area.coordinates has 3 elements",
        ),
        ({"type": "Point", "coordinates": [121.5, 24.25]}, "area.radius_nm is required"),
        (
            {"type": "Point", "coordinates": [121.5, 24.25], "radius_nm": 2.5},
            "area.radius_nm must be a whole number of nautical miles",
        ),
        (
            {"type": "Polygon", "coordinates": RFC_POLYGON_WITH_HOLE["coordinates"][0]},
            "area.coordinates of a Polygon must nest 3 level(s) deep",
        ),
        (
            {"type": "Point", "coordinates": [[[[[[[0]]]]]]], "radius_nm": 3},
            "is nested too deep",
        ),
    ],
    ids=lambda value: str(value)[:50],
)
def test_ordinary_geojson_that_is_invalid_is_refused(geojson: Any, fragment: str) -> None:
    with pytest.raises(EntryError) as caught:
        geometry_from_geojson(geojson)
    assert caught.value.code == "invalid-body"
    assert fragment in str(caught.value)
    assert "coordinates_e6" not in str(caught.value)  # the member as the officer wrote it


lons = st.integers(-MAX_LONGITUDE_E6, MAX_LONGITUDE_E6)
lats = st.integers(-MAX_LATITUDE_E6, MAX_LATITUDE_E6)


@st.composite
def rectangles(draw: st.DrawFn) -> list[list[int]]:
    west = draw(st.integers(-MAX_LONGITUDE_E6, MAX_LONGITUDE_E6 - 1))
    east = draw(st.integers(west + 1, min(MAX_LONGITUDE_E6, west + MAX_LONGITUDE_E6)))
    south = draw(st.integers(-MAX_LATITUDE_E6, MAX_LATITUDE_E6 - 1))
    north = draw(st.integers(south + 1, MAX_LATITUDE_E6))
    corners = [[west, south], [east, south], [east, north], [west, north]]
    if draw(st.booleans()):
        corners.reverse()  # either winding
    return [*corners, corners[0]]


areas = st.one_of(
    st.builds(
        lambda lon, lat, radius: {
            "type": "Point",
            "coordinates_e6": [lon, lat],
            "radius_nm": radius,
        },
        lons,
        lats,
        st.integers(1, notify.MAX_RADIUS_NM),
    ),
    st.builds(
        lambda rings: {"type": "Polygon", "coordinates_e6": rings},
        st.lists(rectangles(), min_size=1, max_size=3),
    ),
    st.builds(
        lambda polygons: {"type": "MultiPolygon", "coordinates_e6": polygons},
        st.lists(st.lists(rectangles(), min_size=1, max_size=2), min_size=1, max_size=3),
    ),
)


@settings(max_examples=200)
@given(areas)
def test_signed_area_survives_a_trip_through_a_geojson_file(geometry: Obj) -> None:
    notify.validate_area(geometry, "area")
    text = json.dumps(geometry_to_geojson(geometry))
    assert geometry_from_geojson(json.loads(text)) == geometry
    canonical_bytes(geometry)


@settings(max_examples=200)
@given(
    st.floats(-180, 180, allow_nan=False),
    st.floats(-90, 90, allow_nan=False),
    st.floats(0.001, 10, allow_nan=False),
)
def test_geojson_area_converts_within_half_a_microdegree(
    lon: float, lat: float, size: float
) -> None:
    west, south = max(-180.0, lon - size), max(-90.0, lat - size)
    east, north = min(180.0, west + size), min(90.0, south + size)
    corners = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    geojson = {"type": "Polygon", "coordinates": [corners]}
    converted = geometry_from_geojson(geojson)
    back = geometry_to_geojson(converted)["coordinates"][0]
    for (lon_a, lat_a), (lon_b, lat_b) in zip(corners, back, strict=True):
        assert abs(lon_a - lon_b) <= 0.5e-6 + 1e-12
        assert abs(lat_a - lat_b) <= 0.5e-6 + 1e-12
    assert geometry_from_geojson(geometry_to_geojson(converted)) == converted


# --- lead time -------------------------------------------------------------------------------


def test_lead_time_runs_from_delivery_to_start() -> None:
    delivered = T0
    assert lead_time(delivered, T0 + timedelta(days=3)) == timedelta(days=3)
    assert lead_time(delivered, T0) == timedelta(0)
    assert lead_time(delivered, T0 - timedelta(hours=2)) == -timedelta(hours=2)  # after start


def test_lead_time_refuses_naive_times() -> None:
    with pytest.raises(ValueError, match="naive"):
        lead_time(T0.replace(tzinfo=None), T0)
    with pytest.raises(ValueError, match="naive"):
        lead_time(T0, T0.replace(tzinfo=None))


def test_default_minimum_lead_times_are_as_documented() -> None:
    assert DEFAULT_MINIMUM_LEAD_TIMES["missile-launch"] == timedelta(days=3)
    assert DEFAULT_MINIMUM_LEAD_TIMES["air-defence-test"] == timedelta(days=3)
    assert DEFAULT_MINIMUM_LEAD_TIMES["exercise"] == timedelta(days=14)
    assert DEFAULT_MINIMUM_LEAD_TIMES["joint-exercise"] == timedelta(days=14)
    assert DEFAULT_MINIMUM_LEAD_TIMES["patrol"] == timedelta(days=1)
    assert DEFAULT_MINIMUM_LEAD_TIMES["joint-patrol"] == timedelta(days=1)
    assert "other" not in DEFAULT_MINIMUM_LEAD_TIMES
    assert set(DEFAULT_MINIMUM_LEAD_TIMES) < set(notify.ACTIVITIES)


@pytest.mark.parametrize("activity", sorted(DEFAULT_MINIMUM_LEAD_TIMES))
def test_lateness_at_the_minimum_boundary(activity: str) -> None:
    minimum = DEFAULT_MINIMUM_LEAD_TIMES[activity]
    assert not is_late(activity, minimum, DEFAULT_MINIMUM_LEAD_TIMES)  # exactly on time
    assert not is_late(activity, minimum + timedelta(days=30), DEFAULT_MINIMUM_LEAD_TIMES)
    assert is_late(activity, minimum - timedelta(milliseconds=1), DEFAULT_MINIMUM_LEAD_TIMES)
    assert is_late(activity, -timedelta(hours=1), DEFAULT_MINIMUM_LEAD_TIMES)


def test_a_kind_without_a_minimum_is_late_only_after_the_start() -> None:
    assert not is_late("other", timedelta(0), DEFAULT_MINIMUM_LEAD_TIMES)
    assert not is_late("other", timedelta(seconds=1), DEFAULT_MINIMUM_LEAD_TIMES)
    assert is_late("other", -timedelta(milliseconds=1), DEFAULT_MINIMUM_LEAD_TIMES)
    assert not is_late("exercise", timedelta(0), {})
    assert is_late("exercise", -timedelta(seconds=1), {})


def test_node_configured_minimums_replace_the_defaults() -> None:
    minimums = {"patrol": timedelta(hours=6), "other": timedelta(days=2)}
    assert not is_late("patrol", timedelta(hours=6), minimums)
    assert is_late("patrol", timedelta(hours=6) - timedelta(milliseconds=1), minimums)
    assert is_late("other", timedelta(days=1), minimums)


def test_lateness_of_a_notification_from_its_delivery() -> None:
    start = T0 + timedelta(days=3)
    on_time = lead_time(T0, start)
    late = lead_time(T0 + timedelta(milliseconds=1), start)
    assert not is_late("missile-launch", on_time, DEFAULT_MINIMUM_LEAD_TIMES)
    assert is_late("missile-launch", late, DEFAULT_MINIMUM_LEAD_TIMES)


def test_is_late_refuses_unknown_kinds_and_negative_minimums() -> None:
    with pytest.raises(ValueError, match="unknown activity kind"):
        is_late("invasion", timedelta(days=1), DEFAULT_MINIMUM_LEAD_TIMES)
    with pytest.raises(ValueError, match="negative"):
        is_late("patrol", timedelta(days=1), {"patrol": -timedelta(days=1)})


# --- the kind table and refs (link.check_refs) -----------------------------------------------


class Transcript:
    """The entries a node knows, as a RefLookup."""

    def __init__(self, entries: Sequence[Entry]) -> None:
        self.entries = {entry.id: entry for entry in entries}

    def __call__(self, entry_id: str) -> RefTarget | None:
        entry = self.entries.get(entry_id)
        return None if entry is None else RefTarget.of(entry)


def entry(
    sender: str,
    recipient: str,
    kind: str,
    body: Obj,
    hours: float,
    refs: Sequence[Entry] = (),
    seq: int = 0,
) -> Entry:
    return sign_entry(
        sender=sender,
        recipient=recipient,
        seq=seq,
        time=at(hours),
        kind=kind,
        body=body,
        refs=[ref.id for ref in refs],
        key=KEYS[sender],
    )


NOTIFICATION = entry(RU, PRC, "notify.activity", ACTIVITY, 0)
REPORT = entry(US, PRC, "notify.incident", INCIDENT, 0)
CHECK = entry(US, PRC, "desk.check", DESK_CHECK, 0, seq=1)
KNOWN = Transcript([NOTIFICATION, REPORT, CHECK])


def refused(follow_up: Entry, code: str = "bad-ref") -> str:
    with pytest.raises(EntryError) as caught:
        check_refs(follow_up, KNOWN)
    assert caught.value.code == code
    return str(caught.value)


def test_kind_table_registers_issue_4_kinds() -> None:
    assert set(KINDS) >= ISSUE_4_KINDS
    for kind in ("notify.activity", "notify.incident", "desk.check"):
        assert (kind_spec(kind).min_refs, kind_spec(kind).max_refs) == (0, 0)
        assert not kind_spec(kind).answers
    assert kind_spec("notify.ack").answers == {"notify.activity", "notify.incident"}
    assert kind_spec("desk.answer").answers == {"desk.check"}
    for kind in ("notify.ack", "desk.answer"):
        spec = kind_spec(kind)
        assert (spec.min_refs, spec.max_refs, spec.ref_scope) == (1, 1, "received")
        assert spec.author_only is None


def test_acks_and_answers_by_the_recipient_pass() -> None:
    check_refs(entry(PRC, RU, "notify.ack", ACK, 1, [NOTIFICATION]), KNOWN)
    check_refs(entry(PRC, US, "notify.ack", ACK, 1, [REPORT]), KNOWN)
    check_refs(entry(PRC, US, "desk.answer", DESK_ANSWER, 0.01, [CHECK]), KNOWN)


def test_ack_of_ones_own_notification_is_a_bad_ref() -> None:
    message = refused(entry(RU, PRC, "notify.ack", ACK, 1, [NOTIFICATION], seq=1))
    assert "sent by prc-mnd" in message
    refused(entry(US, PRC, "desk.answer", DESK_ANSWER, 1, [CHECK], seq=2))


def test_crossed_answers_are_bad_refs() -> None:
    assert "desk.check" in refused(entry(PRC, US, "desk.answer", DESK_ANSWER, 1, [REPORT]))
    refused(entry(PRC, US, "notify.ack", ACK, 1, [CHECK]))
    refused(entry(PRC, US, "hotline.ack", ACK, 1, [REPORT]))


def test_ack_from_another_link_is_a_bad_ref() -> None:
    assert "another link" in refused(entry(US, RU, "notify.ack", ACK, 1, [NOTIFICATION]))


def test_answer_dated_before_the_check_is_a_bad_ref() -> None:
    assert "before" in refused(entry(PRC, US, "desk.answer", DESK_ANSWER, -0.001, [CHECK]))


@pytest.mark.parametrize(
    ("kind", "body", "refs"),
    [
        ("notify.ack", ACK, []),
        ("notify.ack", ACK, [NOTIFICATION, REPORT]),
        ("desk.answer", DESK_ANSWER, []),
        ("desk.check", DESK_CHECK, [REPORT]),
        ("notify.activity", ACTIVITY, [REPORT]),
        ("notify.incident", INCIDENT, [NOTIFICATION]),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_wrong_number_of_refs_is_refused(kind: str, body: Obj, refs: list[Entry]) -> None:
    with pytest.raises(EntryError, match="must ref"):
        entry(PRC, US, kind, body, 1, refs)


# --- obligations: deadlines from delivery, from signed data ----------------------------------


def test_issue_4_obligations_are_answered_by_their_kinds_and_provable() -> None:
    assert ANSWERED_BY["notify.activity"] == {"notify.ack"}
    assert ANSWERED_BY["notify.incident"] == {"notify.ack"}
    assert ANSWERED_BY["desk.check"] == {"desk.answer"}
    assert {"notify.activity", "notify.incident", "desk.check"} <= PROVABLE_DEADLINES
    assert all(expects_answer(e) for e in (NOTIFICATION, REPORT, CHECK))
    ack = entry(PRC, RU, "notify.ack", ACK, 1, [NOTIFICATION])
    assert not expects_answer(ack)
    with pytest.raises(ValueError, match=r"notify\.ack expects no answer"):
        deadline(ack, T0)


def test_acknowledgement_is_due_minutes_after_delivery() -> None:
    delivered = T0 + timedelta(minutes=7)
    assert deadline(NOTIFICATION, delivered) == delivered + timedelta(minutes=120)
    assert deadline(REPORT, delivered) == delivered + timedelta(minutes=60)
    assert deadline(NOTIFICATION, None) is None  # not delivered: the clock has not started


def test_desk_answer_is_due_seconds_after_delivery() -> None:
    delivered = T0 + timedelta(seconds=2)
    assert deadline(CHECK, delivered) == delivered + timedelta(seconds=300)
    quick = entry(US, PRC, "desk.check", {"answer_within_seconds": 30}, 0, seq=3)
    assert deadline(quick, delivered) == delivered + timedelta(seconds=30)
    assert deadline(CHECK, None) is None


def test_answers_discharge_only_their_own_obligation() -> None:
    ack = entry(PRC, RU, "notify.ack", ACK, 1, [NOTIFICATION])
    answer = entry(PRC, US, "desk.answer", DESK_ANSWER, 0.01, [CHECK])
    assert is_answer_to(ack, NOTIFICATION)
    assert is_answer_to(answer, CHECK)
    assert not is_answer_to(answer, REPORT)
    assert not is_answer_to(ack, CHECK)


@pytest.mark.parametrize("value", [1e300, -1e20, 10**400, 361, float("inf")])
def test_coordinates_far_out_of_range_are_refused_not_crashed_on(value: float) -> None:
    with pytest.raises(EntryError) as refused:
        geometry_from_geojson({"type": "Point", "coordinates": [value, 0.0], "radius_nm": 5})
    assert refused.value.code == "invalid-body"
    assert len(str(refused.value)) < 200
