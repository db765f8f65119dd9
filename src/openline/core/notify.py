"""Body schemas of activity notifications, incident reports and desk checks.

A ``notify.activity`` tells the counterpart about military activity before it starts: what
kind (an exercise, a patrol, a joint patrol or exercise, a missile launch, an air-defence
test, or another activity with a label), who takes part, where (an area), when, with what
forces, and how to reach the activity's commander while it lasts. A ``notify.incident``
reports an unsafe air or maritime encounter after the fact. Both ask for a ``notify.ack``
within ``ack_within_minutes`` of **delivery** (the recipient's first cosignature covering
the entry), so the deadline follows from signed data alone, as ``explain.request``'s
``reply_within_hours`` does, and a non-acknowledgement is provable to a third party.

A ``desk.check`` is the analogue of the hotline's hourly test message: the node sends it on
a cadence (or an officer on demand), and a human on the other side must answer with a
``desk.answer`` within ``answer_within_seconds`` of delivery. A check without an answer
while the counterpart keeps cosigning shows "line up, desk not answering", which is
provably different from "line down" (no cosignature) and from "declined" (an answer).

**Lead time** is the time from a notification's delivery to the activity's start
(:func:`lead_time`); both ends are signed (the cosignature and the body), so it is
provable. :func:`is_late` compares it with a node-configurable minimum per activity kind.

Coordinates
-----------
Areas and positions are GeoJSON geometries (RFC 7946 §3.1) with one change: signed JSON
carries no floats (docs/design-notes.md §2), so every coordinate is an **integer number of
microdegrees** (degrees × 10⁶), in a member named ``coordinates_e6`` instead of
``coordinates``::

    {"type": "Point", "coordinates_e6": [121500000, 24250000], "radius_nm": 12}

Why microdegrees: integers have one spelling per value, so the signed bytes are unique
(decimal strings would need their own canonical form: "1.50" or "1.5"); 10⁻⁶° is about
11 cm on the ground, the 6 decimal places that RFC 7946 §11.2 calls well within GPS
precision; ±180 × 10⁶ is far inside the ±(2⁵³−1) that canonical JSON allows; and the
conversion is exact in the direction that matters: every microdegree value survives a
trip through an IEEE double and back (:func:`from_microdegrees`, :func:`to_microdegrees`).
The member is renamed so that the unit is part of the signed data and no GeoJSON reader
can take microdegrees for degrees: a map must go through :func:`geometry_to_geojson`.
Officers and files supply ordinary GeoJSON; :func:`geometry_from_geojson` converts and
validates it.

What is checked, per RFC 7946:

* a position is ``[longitude, latitude]`` in that order (§3.1.1, §4), longitude within
  ±180°, latitude within ±90°; no altitude (a single height per vertex does not describe
  airspace, and §3.1.1 makes it optional);
* a Polygon's ``coordinates`` are linear rings, the exterior first (§3.1.6); each ring is
  closed (first and last positions identical) with four or more positions; a MultiPolygon's
  are Polygons' (§3.1.7); ``bbox`` and other members are refused in signed bodies;
* the right-hand winding rule is not enforced: §3.1.6 asks parsers not to reject rings that
  break it.

And, beyond the RFC, as openline rules for a notification area: every ring encloses some
area (no collinear or repeated-point rings); no edge spans more than 180° of longitude
(such an edge almost always meant to cross the antimeridian, which §3.1.9 says to express
by cutting the area into a MultiPolygon); at most :data:`MAX_POSITIONS` positions, so that
an entry stays within the 64 KiB entry limit. A Point area must give ``radius_nm``, a
whole number of nautical miles (a circle, as launch notifications give impact areas);
Polygons take no radius. Holes are not checked to lie inside the exterior ring.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from typing import Any, Literal

from openline.core.errors import EncodingError, EntryError
from openline.core.precedence import PRECEDENCES
from openline.core.schema import (
    LANGUAGE_TAG,
    PARTY_ID,
    require_choice,
    require_exact_keys,
    require_object,
    require_pattern,
    require_text,
)
from openline.core.timefmt import parse_time

ACTIVITIES: tuple[str, ...] = (
    "exercise",
    "patrol",
    "joint-patrol",
    "joint-exercise",
    "missile-launch",
    "air-defence-test",
    "other",
)
JOINT_ACTIVITIES = frozenset({"joint-patrol", "joint-exercise"})
CATEGORIES: tuple[str, ...] = (
    "unsafe-intercept",
    "close-approach",
    "weapons-lock",
    "laser",
    "collision",
    "other",
)
DOMAINS: tuple[str, ...] = ("air", "maritime")
FORCES: tuple[str, ...] = ("ships", "aircraft", "personnel", "launchers")
AREA_TYPES: tuple[str, ...] = ("Polygon", "MultiPolygon", "Point")

MICRODEGREES = 1_000_000
MAX_LONGITUDE_E6 = 180 * MICRODEGREES
MAX_LATITUDE_E6 = 90 * MICRODEGREES
MAX_POSITIONS = 1_000  # per geometry, every ring counted: ~23 KB of the 64 KiB entry limit
MAX_RINGS = 20  # per Polygon: the exterior and up to 19 holes
MAX_POLYGONS = 50  # per MultiPolygon
MAX_RADIUS_NM = 1_000

MAX_SHORT = 200
MAX_MEDIUM = 400
MAX_LONG = 5_000
MAX_PARTICIPANTS = 100  # an OSCE-wide notification names at most 57 states
MAX_UNITS = 10
MAX_FORCE = 10_000_000
MAX_DISTANCE_M = 100_000
MAX_ACK_MINUTES = 7 * 24 * 60

DEFAULT_DESK_ANSWER_SECONDS = 300
MIN_DESK_ANSWER_SECONDS = 30
MAX_DESK_ANSWER_SECONDS = 24 * 60 * 60

DEFAULT_MINIMUM_LEAD_TIMES: Mapping[str, timedelta] = {
    "missile-launch": timedelta(days=3),
    "air-defence-test": timedelta(days=3),
    "exercise": timedelta(days=14),
    "joint-exercise": timedelta(days=14),
    "patrol": timedelta(days=1),
    "joint-patrol": timedelta(days=1),
}
"""The least warning each activity kind must give; node configuration, not signed data.

* ``missile-launch`` and ``air-defence-test``: 3 days. Hazardous activity closes sea and
  air space around a danger area; three days lets the recipient issue its own NAVAREA
  warnings and NOTAMs and route its ships and aircraft clear. It is stricter than the floor
  of 24 hours in the 1988 US-USSR agreement on notification of ICBM and SLBM launches.
* ``exercise`` and ``joint-exercise``: 14 days, the notice of the 1989 US-USSR agreement on
  reciprocal advance notification of major strategic exercises (Articles I and II).
* ``patrol`` and ``joint-patrol``: 1 day. Patrols are routine and planned at shorter notice;
  a day lets the recipient's watch pass the notification to units in the area before they
  meet the patrol.
* ``other``: no minimum; like any kind missing from the mapping, it is late only when it
  is delivered after the activity has started.
"""


def _invalid(message: str) -> EntryError:
    return EntryError(message, code="invalid-body")


def _is_whole(value: object) -> bool:
    return type(value) is int  # not bool, not float: 1.0 and True are refused


def _require_whole(
    obj: Mapping[str, Any], key: str, where: str, low: int, high: int, what: str
) -> int:
    value = obj[key]
    if not _is_whole(value) or not low <= value <= high:
        raise _invalid(f"{where}.{key} must be a whole number of {what}, {low} to {high}")
    assert isinstance(value, int)
    return value


def _require_time(obj: Mapping[str, Any], key: str, where: str) -> datetime:
    try:
        return parse_time(obj[key])
    except EncodingError as error:
        raise _invalid(f"{where}.{key}: {error}") from error


def _require_officer_and_lang(body: Mapping[str, Any], where: str) -> None:
    require_text(body, "officer", where, max_length=MAX_SHORT)
    require_pattern(body, "lang", where, LANGUAGE_TAG, "a language tag such as en or zh-Hans")


def _require_label(body: Mapping[str, Any], where: str, key: str, value: str) -> None:
    """``label`` names an ``other`` activity or category, and nothing else."""
    if value == "other" and "label" not in body:
        raise _invalid(f"{where}.label is required when {key} is other")
    if value != "other" and "label" in body:
        raise _invalid(f"{where}.label is only for {key} other, not {value}")
    if "label" in body:
        require_text(body, "label", where, max_length=MAX_SHORT)


# --- coordinates -----------------------------------------------------------------------------


def to_microdegrees(degrees: float) -> int:
    """Degrees as an integer number of microdegrees, rounded half away from zero.

    The decimal that ``repr`` gives for the float (what a person or a file wrote) is
    rounded, not the float's binary value, so ``0.0000005`` becomes 1, not 0.

    Raises:
        ValueError: ``degrees`` is not a finite number (NaN, infinity, a bool).
    """
    if isinstance(degrees, bool) or not isinstance(degrees, int | float):
        raise ValueError(f"{degrees!r} is not a number")
    if abs(degrees) > 360:  # beyond any coordinate; keeps float(), Decimal and int() in range
        raise ValueError(f"{degrees!r:.30} is not a number of degrees: out of range")
    if not math.isfinite(degrees):
        raise ValueError(f"{degrees!r} is not a finite number")
    scaled = Decimal(repr(degrees)).scaleb(6).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(scaled)


def from_microdegrees(value: int) -> float:
    """Microdegrees as degrees: the double nearest to ``value / 10**6``.

    Exact in the sense that matters: ``to_microdegrees(from_microdegrees(m)) == m``.
    """
    return value / MICRODEGREES  # int / int is correctly rounded in Python


def _depth(value: object) -> int:
    depth = 0
    while isinstance(value, list) and value:
        depth, value = depth + 1, value[0]
    return depth + (1 if isinstance(value, list) else 0)


def _position(value: object, where: str) -> tuple[int, int]:
    """RFC 7946 §3.1.1: [longitude, latitude], here in integer microdegrees."""
    if not isinstance(value, list):
        raise _invalid(f"{where} must be a position [longitude, latitude]")
    if len(value) > 2:
        raise _invalid(f"{where} has {len(value)} elements: a position is [longitude, latitude]")
    if len(value) < 2:
        raise _invalid(f"{where} must be a position [longitude, latitude]")
    if any(isinstance(part, float) for part in value):
        raise _invalid(f"{where} must hold integers in microdegrees, not floats")
    if not all(_is_whole(part) for part in value):
        raise _invalid(f"{where} must hold two integers in microdegrees")
    lon, lat = value
    # Shown in degrees: the same message serves the signed form and an officer's GeoJSON.
    if not -MAX_LONGITUDE_E6 <= lon <= MAX_LONGITUDE_E6:
        raise _invalid(f"{where} longitude {from_microdegrees(lon)}° is outside ±180°")
    if not -MAX_LATITUDE_E6 <= lat <= MAX_LATITUDE_E6:
        hint = (
            "; positions are [longitude, latitude] (RFC 7946 §3.1.1)"
            if -MAX_LATITUDE_E6 <= lon <= MAX_LATITUDE_E6
            else ""
        )
        raise _invalid(f"{where} latitude {from_microdegrees(lat)}° is outside ±90°{hint}")
    return lon, lat


def _ring(value: object, where: str) -> int:
    """RFC 7946 §3.1.6: a closed LineString of four or more positions. Returns its size."""
    if not isinstance(value, list) or not 4 <= len(value) <= MAX_POSITIONS:
        raise _invalid(f"{where} must be a linear ring of 4 to {MAX_POSITIONS} positions")
    ring = [_position(position, f"{where}[{index}]") for index, position in enumerate(value)]
    if ring[0] != ring[-1]:
        raise _invalid(f"{where} is not closed: its last position must repeat its first")
    for index, ((lon_a, _), (lon_b, _)) in enumerate(pairwise(ring)):
        if abs(lon_b - lon_a) > MAX_LONGITUDE_E6:
            raise _invalid(
                f"{where}[{index}] to [{index + 1}] spans more than 180° of longitude: cut the "
                "area at the antimeridian into a MultiPolygon (RFC 7946 §3.1.9)"
            )
    # Twice the signed area (shoelace), exact in integers: zero for collinear rings.
    twice_area = sum(
        lon_a * lat_b - lon_b * lat_a for (lon_a, lat_a), (lon_b, lat_b) in pairwise(ring)
    )
    if twice_area == 0:
        raise _invalid(f"{where} encloses no area")
    return len(ring)


def _polygon(value: object, where: str) -> int:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_RINGS:
        raise _invalid(
            f"{where} must be a list of 1 to {MAX_RINGS} linear rings, the exterior first"
        )
    return sum(_ring(ring, f"{where}[{index}]") for index, ring in enumerate(value))


def _multipolygon(value: object, where: str) -> int:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_POLYGONS:
        raise _invalid(f"{where} must be a list of 1 to {MAX_POLYGONS} polygons")
    return sum(_polygon(polygon, f"{where}[{index}]") for index, polygon in enumerate(value))


_NESTING = {"Point": 1, "Polygon": 3, "MultiPolygon": 4}
_NESTED = {
    "Point": "a position",
    "Polygon": "rings of positions",
    "MultiPolygon": "polygons of rings of positions",
}


def _geometry(
    value: object, where: str, types: Sequence[str], radius: bool, key: str = "coordinates_e6"
) -> None:
    """Validate a geometry of one of ``types``; a Point takes ``radius_nm`` iff ``radius``."""
    obj = require_object(value, where)
    kind = obj.get("type")
    if kind not in types:
        raise _invalid(f"{where}.type must be one of {', '.join(types)}")
    assert isinstance(kind, str)
    if kind == "Point" and radius and "radius_nm" not in obj:
        raise _invalid(f"{where}.radius_nm is required for a Point area")
    if kind != "Point" and "radius_nm" in obj:
        raise _invalid(f"{where}.radius_nm is only for a Point area, not a {kind}")
    if not radius and "radius_nm" in obj:
        raise _invalid(f"{where}.radius_nm: a position is a Point without radius")
    require_exact_keys(obj, where, ("type", key), ("radius_nm",) if radius else ())
    coordinates, path = obj[key], f"{where}.{key}"
    if _depth(coordinates) != _NESTING[kind]:
        raise _invalid(
            f"{path} of a {kind} must nest {_NESTING[kind]} level(s) deep ({_NESTED[kind]}), "
            f"not {_depth(coordinates)}"
        )
    if kind == "Point":
        _position(coordinates, path)
        if radius:
            _require_whole(obj, "radius_nm", where, 1, MAX_RADIUS_NM, "nautical miles")
        return
    count = _polygon(coordinates, path) if kind == "Polygon" else _multipolygon(coordinates, path)
    if count > MAX_POSITIONS:
        raise _invalid(f"{path} has {count} positions, more than {MAX_POSITIONS}")


def validate_area(value: object, where: str) -> None:
    """A notification area: a Polygon, a MultiPolygon, or a Point with ``radius_nm``.

    Raises:
        EntryError: code ``invalid-body``, naming the member at fault.
    """
    _geometry(value, where, AREA_TYPES, radius=True)


def validate_position(value: object, where: str) -> None:
    """A position: a Point, without radius.

    Raises:
        EntryError: code ``invalid-body``, naming the member at fault.
    """
    _geometry(value, where, ("Point",), radius=False)


def _json_type(value: object) -> str:
    names = {str: "a string", dict: "an object", bool: "a boolean", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _to_e6_tree(value: object, where: str, depth: int = 0) -> object:
    if depth > 5:
        raise _invalid(f"{where} is nested too deep for a geometry")
    if isinstance(value, list):
        return [
            _to_e6_tree(item, f"{where}[{index}]", depth + 1) for index, item in enumerate(value)
        ]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _invalid(f"{where} must be a number of degrees, not {_json_type(value)}")
    try:
        return to_microdegrees(value)
    except ValueError as error:
        shown = repr(value) if len(repr(value)) <= 30 else repr(value)[:27] + "..."
        raise _invalid(f"{where} must be a finite number of degrees, not {shown}") from error


def _closed_as_written(geojson: Mapping[str, Any], where: str) -> None:
    """RFC 7946 §3.1.6: first and last positions MUST be identical as written, not merely
    equal once rounded to microdegrees."""
    polygons = {"Polygon": [geojson["coordinates"]], "MultiPolygon": geojson["coordinates"]}
    for p, polygon in enumerate(polygons.get(geojson["type"], [])):
        for r, ring in enumerate(polygon):
            if ring[0] != ring[-1]:
                path = f"{where}.coordinates" + (f"[{p}]" if geojson["type"] != "Polygon" else "")
                raise _invalid(
                    f"{path}[{r}] is not closed: its last position must repeat its first"
                )


def geometry_from_geojson(
    geojson: object, where: str = "area", *, kind: Literal["area", "position"] = "area"
) -> dict[str, Any]:
    """Convert an ordinary GeoJSON geometry (degrees, floats) to its signed form.

    Args:
        geojson: a GeoJSON geometry object as parsed from JSON. ``bbox`` is dropped (it is
            derived data, RFC 7946 §5); ``radius_nm`` is kept on a Point area (a foreign
            member, §6.1).
        where: how error messages name the geometry.
        kind: ``"area"`` (Polygon, MultiPolygon, Point with radius) or ``"position"``.

    Returns:
        The geometry with integer microdegrees in ``coordinates_e6``, validated.

    Raises:
        EntryError: code ``invalid-body``, naming the member at fault.
    """
    obj = require_object(geojson, where)
    require_exact_keys(obj, where, ("type", "coordinates"), ("radius_nm", "bbox"))
    # Validated under the caller's member name, so that messages point into their file.
    converted: dict[str, Any] = {
        "type": obj["type"],
        "coordinates": _to_e6_tree(obj["coordinates"], f"{where}.coordinates"),
    }
    if "radius_nm" in obj:
        converted["radius_nm"] = obj["radius_nm"]
    types, radius = (AREA_TYPES, True) if kind == "area" else (("Point",), False)
    _geometry(converted, where, types, radius, key="coordinates")
    _closed_as_written(obj, where)
    converted["coordinates_e6"] = converted.pop("coordinates")
    return converted


def _to_degrees_tree(value: object) -> object:
    if isinstance(value, list):
        return [_to_degrees_tree(item) for item in value]
    assert _is_whole(value)
    assert isinstance(value, int)
    return from_microdegrees(value)


def geometry_to_geojson(geometry: Mapping[str, Any]) -> dict[str, Any]:
    """The inverse of :func:`geometry_from_geojson`: a validated geometry as GeoJSON in
    degrees, for maps and files. ``radius_nm`` stays a foreign member of a Point."""
    converted: dict[str, Any] = {
        "type": geometry["type"],
        "coordinates": _to_degrees_tree(geometry["coordinates_e6"]),
    }
    if "radius_nm" in geometry:
        converted["radius_nm"] = geometry["radius_nm"]
    return converted


# --- bodies ----------------------------------------------------------------------------------


def _participants(body: Mapping[str, Any], where: str, activity: str) -> None:
    parties = body["participants"]
    if not isinstance(parties, list) or not 1 <= len(parties) <= MAX_PARTICIPANTS:
        raise _invalid(f"{where}.participants must be a list of 1 to {MAX_PARTICIPANTS} party ids")
    for index, party in enumerate(parties):
        require_pattern(
            {f"participants[{index}]": party},
            f"participants[{index}]",
            where,
            PARTY_ID,
            "a party id (lowercase letters, digits and -)",
        )
    if len(set(parties)) != len(parties):
        raise _invalid(f"{where}.participants names a party twice")
    if activity in JOINT_ACTIVITIES and len(parties) < 2:
        raise _invalid(f"{where}.participants: a {activity} needs at least two parties")


def _forces(body: Mapping[str, Any], where: str) -> None:
    forces = require_object(body["forces"], f"{where}.forces")
    require_exact_keys(forces, f"{where}.forces", (), FORCES)
    if not forces:
        raise _invalid(f"{where}.forces must give at least one of {', '.join(FORCES)}")
    for key in FORCES:
        if key in forces:
            _require_whole(forces, key, f"{where}.forces", 0, MAX_FORCE, key)


NOTICE_ID = re.compile(r"\A[0-9a-f]{32}\Z")


def _notice(body: Mapping[str, Any], where: str) -> None:
    """``notice`` is one random id shared by every copy of a notification sent to several
    parties (a broadcast: one entry per link). Signed, so that a third party holding the
    copies can tell they are one notification, not several."""
    if "notice" in body:
        require_pattern(body, "notice", where, NOTICE_ID, "32 lowercase hex digits")


def _ack_within(body: Mapping[str, Any], where: str) -> None:
    _require_whole(body, "ack_within_minutes", where, 1, MAX_ACK_MINUTES, "minutes")


def notify_activity(body: Mapping[str, Any]) -> None:
    where = "notify.activity body"
    require_exact_keys(
        body,
        where,
        (
            "activity",
            "title",
            "participants",
            "area",
            "start",
            "end",
            "contact_channel",
            "ack_within_minutes",
            "precedence",
            "lang",
            "officer",
        ),
        ("label", "forces", "notice"),
    )
    activity = require_choice(body, "activity", where, ACTIVITIES)
    _require_label(body, where, "activity", activity)
    require_text(body, "title", where, max_length=MAX_MEDIUM)
    _participants(body, where, activity)
    validate_area(body["area"], f"{where}.area")
    start = _require_time(body, "start", where)
    end = _require_time(body, "end", where)
    if end <= start:
        raise _invalid(f"{where}.end is at or before its start")
    if "forces" in body:
        _forces(body, where)
    require_text(body, "contact_channel", where, max_length=MAX_MEDIUM)
    _ack_within(body, where)
    require_choice(body, "precedence", where, PRECEDENCES)
    _require_officer_and_lang(body, where)
    _notice(body, where)


def _units(body: Mapping[str, Any], key: str, where: str) -> None:
    units = body[key]
    if not isinstance(units, list) or not 1 <= len(units) <= MAX_UNITS:
        raise _invalid(f"{where}.{key} must be a list of 1 to {MAX_UNITS} texts")
    for index, unit in enumerate(units):
        name = f"{key}[{index}]"
        require_text({name: unit}, name, where, max_length=MAX_SHORT)


def notify_incident(body: Mapping[str, Any]) -> None:
    where = "notify.incident body"
    require_exact_keys(
        body,
        where,
        (
            "time",
            "position",
            "domain",
            "own_units",
            "other_units",
            "category",
            "description",
            "ack_within_minutes",
            "precedence",
            "lang",
            "officer",
        ),
        ("label", "distance_m", "notice"),
    )
    _require_time(body, "time", where)
    validate_position(body["position"], f"{where}.position")
    require_choice(body, "domain", where, DOMAINS)
    _units(body, "own_units", where)
    _units(body, "other_units", where)
    category = require_choice(body, "category", where, CATEGORIES)
    _require_label(body, where, "category", category)
    if category == "close-approach" and "distance_m" not in body:
        raise _invalid(f"{where}.distance_m is required when category is close-approach")
    if category != "close-approach" and "distance_m" in body:
        raise _invalid(f"{where}.distance_m is only for category close-approach, not {category}")
    if "distance_m" in body:
        _require_whole(body, "distance_m", where, 1, MAX_DISTANCE_M, "metres")
    require_text(body, "description", where, max_length=MAX_LONG)
    _ack_within(body, where)
    require_choice(body, "precedence", where, PRECEDENCES)
    _require_officer_and_lang(body, where)
    _notice(body, where)


def notify_ack(body: Mapping[str, Any]) -> None:
    where = "notify.ack body"
    require_exact_keys(body, where, ("officer",))
    require_text(body, "officer", where, max_length=MAX_SHORT)


def desk_check(body: Mapping[str, Any]) -> None:
    """``answer_within_seconds`` is always written out (the node fills in its configured
    default, :data:`DEFAULT_DESK_ANSWER_SECONDS`), so the deadline is signed data.
    ``officer`` is absent when the node sent the check on its cadence and names the officer
    who asked for it on demand: no magic name like "automatic" that a person could hold."""
    where = "desk.check body"
    require_exact_keys(body, where, ("answer_within_seconds",), ("officer",))
    _require_whole(
        body,
        "answer_within_seconds",
        where,
        MIN_DESK_ANSWER_SECONDS,
        MAX_DESK_ANSWER_SECONDS,
        "seconds",
    )
    if "officer" in body:
        require_text(body, "officer", where, max_length=MAX_SHORT)


def desk_answer(body: Mapping[str, Any]) -> None:
    """Only a human answers a desk check: ``officer`` is required."""
    where = "desk.answer body"
    require_exact_keys(body, where, ("officer",))
    require_text(body, "officer", where, max_length=MAX_SHORT)


# --- lead time -------------------------------------------------------------------------------


def lead_time(delivered_at: datetime, start: datetime) -> timedelta:
    """How much warning a notification gave: from its delivery to the activity's start.

    Negative when the notification arrived after the activity had started.

    Raises:
        ValueError: a naive datetime.
    """
    if delivered_at.tzinfo is None or start.tzinfo is None:
        raise ValueError("naive datetime: lead time needs aware UTC times")
    return start - delivered_at


def is_late(activity: str, lead_time: timedelta, minimums: Mapping[str, timedelta]) -> bool:
    """True when ``lead_time`` is shorter than the minimum for ``activity``.

    A lead time exactly at the minimum is on time. A kind missing from ``minimums`` has a
    minimum of zero: it is late only when delivered after the activity started.

    Args:
        activity: one of :data:`ACTIVITIES`.
        lead_time: from :func:`lead_time`.
        minimums: per activity kind, e.g. :data:`DEFAULT_MINIMUM_LEAD_TIMES`.

    Raises:
        ValueError: an unknown activity kind, or a negative minimum.
    """
    if activity not in ACTIVITIES:
        raise ValueError(f"unknown activity kind {activity!r}")
    minimum = minimums.get(activity, timedelta(0))
    if minimum < timedelta(0):
        raise ValueError(f"the minimum lead time of {activity} is negative")
    return lead_time < minimum
