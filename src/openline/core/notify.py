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

Areas and positions (an activity's ``area``, an incident's ``position``) are GeoJSON
geometries in integer microdegrees: :mod:`openline.core.geometry` checks and converts them,
and its names are re-exported here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from openline.core.body_fields import invalid, require_whole
from openline.core.errors import EncodingError
from openline.core.geometry import (
    AREA_TYPES,
    MAX_LATITUDE_E6,
    MAX_LONGITUDE_E6,
    MAX_POLYGONS,
    MAX_POSITIONS,
    MAX_RADIUS_NM,
    MAX_RINGS,
    MICRODEGREES,
    from_microdegrees,
    geometry_from_geojson,
    geometry_to_geojson,
    to_microdegrees,
    validate_area,
    validate_position,
)
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

__all__ = [
    "ACTIVITIES",
    "AREA_TYPES",
    "CATEGORIES",
    "DEFAULT_DESK_ANSWER_SECONDS",
    "DEFAULT_MINIMUM_LEAD_TIMES",
    "DOMAINS",
    "FORCES",
    "JOINT_ACTIVITIES",
    "MAX_ACK_MINUTES",
    "MAX_DESK_ANSWER_SECONDS",
    "MAX_DISTANCE_M",
    "MAX_FORCE",
    "MAX_LATITUDE_E6",
    "MAX_LONG",
    "MAX_LONGITUDE_E6",
    "MAX_MEDIUM",
    "MAX_PARTICIPANTS",
    "MAX_POLYGONS",
    "MAX_POSITIONS",
    "MAX_RADIUS_NM",
    "MAX_RINGS",
    "MAX_SHORT",
    "MAX_UNITS",
    "MICRODEGREES",
    "MIN_DESK_ANSWER_SECONDS",
    "NOTICE_ID",
    "desk_answer",
    "desk_check",
    "from_microdegrees",
    "geometry_from_geojson",
    "geometry_to_geojson",
    "is_late",
    "lead_time",
    "notify_ack",
    "notify_activity",
    "notify_incident",
    "to_microdegrees",
    "validate_area",
    "validate_position",
]

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


def _require_time(obj: Mapping[str, Any], key: str, where: str) -> datetime:
    try:
        return parse_time(obj[key])
    except EncodingError as error:
        raise invalid(f"{where}.{key}: {error}") from error


def _require_officer_and_lang(body: Mapping[str, Any], where: str) -> None:
    require_text(body, "officer", where, max_length=MAX_SHORT)
    require_pattern(body, "lang", where, LANGUAGE_TAG, "a language tag such as en or zh-Hans")


def _require_label(body: Mapping[str, Any], where: str, key: str, value: str) -> None:
    """``label`` names an ``other`` activity or category, and nothing else."""
    if value == "other" and "label" not in body:
        raise invalid(f"{where}.label is required when {key} is other")
    if value != "other" and "label" in body:
        raise invalid(f"{where}.label is only for {key} other, not {value}")
    if "label" in body:
        require_text(body, "label", where, max_length=MAX_SHORT)


# --- bodies ----------------------------------------------------------------------------------


def _participants(body: Mapping[str, Any], where: str, activity: str) -> None:
    parties = body["participants"]
    if not isinstance(parties, list) or not 1 <= len(parties) <= MAX_PARTICIPANTS:
        raise invalid(f"{where}.participants must be a list of 1 to {MAX_PARTICIPANTS} party ids")
    for index, party in enumerate(parties):
        require_pattern(
            {f"participants[{index}]": party},
            f"participants[{index}]",
            where,
            PARTY_ID,
            "a party id (lowercase letters, digits and -)",
        )
    if len(set(parties)) != len(parties):
        raise invalid(f"{where}.participants names a party twice")
    if activity in JOINT_ACTIVITIES and len(parties) < 2:
        raise invalid(f"{where}.participants: a {activity} needs at least two parties")


def _forces(body: Mapping[str, Any], where: str) -> None:
    forces = require_object(body["forces"], f"{where}.forces")
    require_exact_keys(forces, f"{where}.forces", (), FORCES)
    if not forces:
        raise invalid(f"{where}.forces must give at least one of {', '.join(FORCES)}")
    for key in FORCES:
        if key in forces:
            require_whole(forces, key, f"{where}.forces", 0, MAX_FORCE, key)


NOTICE_ID = re.compile(r"\A[0-9a-f]{32}\Z")


def _notice(body: Mapping[str, Any], where: str) -> None:
    """``notice`` is one random id shared by every copy of a notification sent to several
    parties (a broadcast: one entry per link). Signed, so that a third party holding the
    copies can tell they are one notification, not several."""
    if "notice" in body:
        require_pattern(body, "notice", where, NOTICE_ID, "32 lowercase hex digits")


def _ack_within(body: Mapping[str, Any], where: str) -> None:
    require_whole(body, "ack_within_minutes", where, 1, MAX_ACK_MINUTES, "minutes")


def activity_subject(body: Mapping[str, Any]) -> str:
    """What an officer reads as an activity notification's subject: its title."""
    return str(body["title"])


def incident_subject(body: Mapping[str, Any]) -> str:
    """An incident report's subject: its category, or the label of an ``other`` one."""
    return str(body.get("label") or body["category"])


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
        raise invalid(f"{where}.end is at or before its start")
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
        raise invalid(f"{where}.{key} must be a list of 1 to {MAX_UNITS} texts")
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
        raise invalid(f"{where}.distance_m is required when category is close-approach")
    if category != "close-approach" and "distance_m" in body:
        raise invalid(f"{where}.distance_m is only for category close-approach, not {category}")
    if "distance_m" in body:
        require_whole(body, "distance_m", where, 1, MAX_DISTANCE_M, "metres")
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
    require_whole(
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
