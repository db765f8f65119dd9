"""Areas and positions in signed bodies: GeoJSON geometries in integer microdegrees.

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
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from typing import Any, Literal

from openline.core.body_fields import invalid, is_whole, require_whole
from openline.core.schema import require_exact_keys, require_object

AREA_TYPES: tuple[str, ...] = ("Polygon", "MultiPolygon", "Point")

MICRODEGREES = 1_000_000
MAX_LONGITUDE_E6 = 180 * MICRODEGREES
MAX_LATITUDE_E6 = 90 * MICRODEGREES
MAX_POSITIONS = 1_000  # per geometry, every ring counted: ~23 KB of the 64 KiB entry limit
MAX_RINGS = 20  # per Polygon: the exterior and up to 19 holes
MAX_POLYGONS = 50  # per MultiPolygon
MAX_RADIUS_NM = 1_000


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
        raise invalid(f"{where} must be a position [longitude, latitude]")
    if len(value) > 2:
        raise invalid(f"{where} has {len(value)} elements: a position is [longitude, latitude]")
    if len(value) < 2:
        raise invalid(f"{where} must be a position [longitude, latitude]")
    if any(isinstance(part, float) for part in value):
        raise invalid(f"{where} must hold integers in microdegrees, not floats")
    if not all(is_whole(part) for part in value):
        raise invalid(f"{where} must hold two integers in microdegrees")
    lon, lat = value
    # Shown in degrees: the same message serves the signed form and an officer's GeoJSON.
    if not -MAX_LONGITUDE_E6 <= lon <= MAX_LONGITUDE_E6:
        raise invalid(f"{where} longitude {from_microdegrees(lon)}° is outside ±180°")
    if not -MAX_LATITUDE_E6 <= lat <= MAX_LATITUDE_E6:
        hint = (
            "; positions are [longitude, latitude] (RFC 7946 §3.1.1)"
            if -MAX_LATITUDE_E6 <= lon <= MAX_LATITUDE_E6
            else ""
        )
        raise invalid(f"{where} latitude {from_microdegrees(lat)}° is outside ±90°{hint}")
    return lon, lat


def _ring(value: object, where: str) -> int:
    """RFC 7946 §3.1.6: a closed LineString of four or more positions. Returns its size."""
    if not isinstance(value, list) or not 4 <= len(value) <= MAX_POSITIONS:
        raise invalid(f"{where} must be a linear ring of 4 to {MAX_POSITIONS} positions")
    ring = [_position(position, f"{where}[{index}]") for index, position in enumerate(value)]
    if ring[0] != ring[-1]:
        raise invalid(f"{where} is not closed: its last position must repeat its first")
    for index, ((lon_a, _), (lon_b, _)) in enumerate(pairwise(ring)):
        if abs(lon_b - lon_a) > MAX_LONGITUDE_E6:
            raise invalid(
                f"{where}[{index}] to [{index + 1}] spans more than 180° of longitude: cut the "
                "area at the antimeridian into a MultiPolygon (RFC 7946 §3.1.9)"
            )
    # Twice the signed area (shoelace), exact in integers: zero for collinear rings.
    twice_area = sum(
        lon_a * lat_b - lon_b * lat_a for (lon_a, lat_a), (lon_b, lat_b) in pairwise(ring)
    )
    if twice_area == 0:
        raise invalid(f"{where} encloses no area")
    return len(ring)


def _polygon(value: object, where: str) -> int:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_RINGS:
        raise invalid(
            f"{where} must be a list of 1 to {MAX_RINGS} linear rings, the exterior first"
        )
    return sum(_ring(ring, f"{where}[{index}]") for index, ring in enumerate(value))


def _multipolygon(value: object, where: str) -> int:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_POLYGONS:
        raise invalid(f"{where} must be a list of 1 to {MAX_POLYGONS} polygons")
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
        raise invalid(f"{where}.type must be one of {', '.join(types)}")
    assert isinstance(kind, str)
    if kind == "Point" and radius and "radius_nm" not in obj:
        raise invalid(f"{where}.radius_nm is required for a Point area")
    if kind != "Point" and "radius_nm" in obj:
        raise invalid(f"{where}.radius_nm is only for a Point area, not a {kind}")
    if not radius and "radius_nm" in obj:
        raise invalid(f"{where}.radius_nm: a position is a Point without radius")
    require_exact_keys(obj, where, ("type", key), ("radius_nm",) if radius else ())
    coordinates, path = obj[key], f"{where}.{key}"
    if _depth(coordinates) != _NESTING[kind]:
        raise invalid(
            f"{path} of a {kind} must nest {_NESTING[kind]} level(s) deep ({_NESTED[kind]}), "
            f"not {_depth(coordinates)}"
        )
    if kind == "Point":
        _position(coordinates, path)
        if radius:
            require_whole(obj, "radius_nm", where, 1, MAX_RADIUS_NM, "nautical miles")
        return
    count = _polygon(coordinates, path) if kind == "Polygon" else _multipolygon(coordinates, path)
    if count > MAX_POSITIONS:
        raise invalid(f"{path} has {count} positions, more than {MAX_POSITIONS}")


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
        raise invalid(f"{where} is nested too deep for a geometry")
    if isinstance(value, list):
        return [
            _to_e6_tree(item, f"{where}[{index}]", depth + 1) for index, item in enumerate(value)
        ]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid(f"{where} must be a number of degrees, not {_json_type(value)}")
    try:
        return to_microdegrees(value)
    except ValueError as error:
        shown = repr(value) if len(repr(value)) <= 30 else repr(value)[:27] + "..."
        raise invalid(f"{where} must be a finite number of degrees, not {shown}") from error


def _closed_as_written(geojson: Mapping[str, Any], where: str) -> None:
    """RFC 7946 §3.1.6: first and last positions MUST be identical as written, not merely
    equal once rounded to microdegrees."""
    polygons = {"Polygon": [geojson["coordinates"]], "MultiPolygon": geojson["coordinates"]}
    for p, polygon in enumerate(polygons.get(geojson["type"], [])):
        for r, ring in enumerate(polygon):
            if ring[0] != ring[-1]:
                path = f"{where}.coordinates" + (f"[{p}]" if geojson["type"] != "Polygon" else "")
                raise invalid(f"{path}[{r}] is not closed: its last position must repeat its first")


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
    assert is_whole(value)
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
