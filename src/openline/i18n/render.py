"""An entry, shown to a person in en, zh or ru.

:func:`render_entry` turns a signed entry (and what the node knows about it, :class:`Facts`)
into a :class:`Rendered`: a title, ``(label, value)`` lines for the structured data, and
the entry's **free text** as ``(label, text, language tag)``. Labels, kinds, states, times
and numbers are shown in the reader's language (:mod:`openline.i18n.translations`). Free
text is never translated: it is shown exactly as written, marked with the language it was
written in, so that a reader always knows which words are the sender's own. A
``catalogue.message`` is shown in the *agreed* text of the reader's language, from the
catalogue both parties pinned; that is not machine translation either.

Every kind of ``core.kinds.KINDS`` has a renderer here. A kind we do not know (a newer
peer's), or a body that does not have the shape its kind promises, is shown generically, as
its kind and raw JSON body, rather than refused: rendering never loses an entry.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from openline.core import catalogue, notify
from openline.core.catalogue import Catalogue, CatalogueError
from openline.core.entry import Entry
from openline.core.kinds import Kind
from openline.i18n.translations import (
    check_language,
    format_decimal,
    format_duration,
    format_list,
    format_number,
    format_time,
    gettext,
    label,
    ngettext,
)

HASH_PREFIX = 16


@dataclass(frozen=True, slots=True)
class Facts:
    """What the node knows about an entry beyond its signed bytes; every field optional.

    Times are entry timestamps ("2026-11-29T07:30:00.000Z"); ``state`` is a value of the
    ``state`` label group; ``catalogues`` are the catalogues pinned here, by hash; ``names``
    maps party ids to display names.
    """

    direction: str | None = None  # "in" | "out"
    state: str | None = None
    delivered_at: str | None = None
    due: str | None = None
    answered_at: str | None = None
    lead_time_seconds: int | None = None
    late_notice: bool | None = None
    catalogues: Mapping[str, Catalogue] = field(default_factory=dict)
    names: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Rendered:
    """An entry as a person reads it in ``lang``."""

    lang: str
    title: str
    fields: tuple[tuple[str, str], ...]
    free_text: tuple[tuple[str, str, str], ...]

    def to_text(self) -> str:
        """Lines for a terminal: the title, then ``label: value``, then each free text as
        ``label (original, <lang>): text``, its further lines indented."""
        _ = gettext(self.lang)
        lines = [self.title]
        for name, value in self.fields:
            lines.append(_indent(_("%(label)s: %(value)s") % {"label": name, "value": value}))
        for name, text, tag in self.free_text:
            marked = _("%(label)s (original, %(lang)s)") % {"label": name, "lang": tag}
            lines.append(_indent(_("%(label)s: %(value)s") % {"label": marked, "value": text}))
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "lang": self.lang,
            "title": self.title,
            "fields": [{"label": name, "value": value} for name, value in self.fields],
            "free_text": [
                {"label": name, "text": text, "lang": tag} for name, text, tag in self.free_text
            ],
        }


def _indent(line: str) -> str:
    return "  " + line.replace("\n", "\n    ")


_NO_FACTS = Facts()


def render_entry(entry: Entry, lang: str, facts: Facts = _NO_FACTS) -> Rendered:
    """Show ``entry`` in ``lang``.

    Args:
        entry: any entry; an unknown kind is shown as its kind and raw body.
        lang: one of ``SUPPORTED_LANGUAGES``.
        facts: what the node knows beyond the signed bytes (delivery, state, names...).

    Raises:
        LanguageError: ``lang`` is not supported.
    """
    check_language(lang)
    page = _Page(entry, lang, facts)
    renderer = _RENDERERS.get(entry.kind)
    try:
        if renderer is None:
            raise LookupError(entry.kind)
        renderer(page, entry.body)
    except (LookupError, TypeError, ValueError, AttributeError):
        # Unknown kind, or a body its schema should have refused: show it raw.
        page = _Page(entry, lang, facts)
        _generic(page, entry.body)
    return page.finish()


# --- the page being built -------------------------------------------------------------------


class _Page:
    """Collects the lines of one rendering; ``_`` and ``ngettext`` translate into its lang."""

    def __init__(self, entry: Entry, lang: str, facts: Facts) -> None:
        self.entry = entry
        self.lang = lang
        self.facts = facts
        self._ = gettext(lang)
        self.ngettext = ngettext(lang)
        self.heading = label("kind", entry.kind, lang)
        self.subject: str | None = None
        self.fields: list[tuple[str, str]] = []
        self.free_text: list[tuple[str, str, str]] = []

    # values
    def label(self, group: str, value: str) -> str:
        return label(group, value, self.lang)

    def time(self, value: str) -> str:
        return format_time(value, self.lang)

    def number(self, value: int) -> str:
        return format_number(value, self.lang)

    def duration(self, seconds: int) -> str:
        return format_duration(seconds, self.lang)

    def party(self, party: str) -> str:
        return self.facts.names.get(party, party)

    def span(self, slot: Mapping[str, str]) -> str:
        return self._("%(start)s to %(end)s") % {
            "start": self.time(slot["start"]),
            "end": self.time(slot["end"]),
        }

    def slot_name(self, number: int) -> str:
        # TRANSLATORS: one of the times proposed for a call or meeting, numbered from 1
        return self._("Proposed time %(number)s") % {"number": self.number(number)}

    # lines
    def add(self, name: str, value: str) -> None:
        self.fields.append((name, value))

    def free(self, name: str, text: str, tag: str) -> None:
        self.free_text.append((name, text, tag))

    def finish(self) -> Rendered:
        self._add_envelope()
        self._add_facts()
        entry, direction = self.entry, self.facts.direction
        if direction == "in":
            title = self._("%(kind)s from %(party)s") % {
                "kind": self.heading,
                "party": self.party(entry.sender),
            }
        elif direction == "out":
            title = self._("%(kind)s to %(party)s") % {
                "kind": self.heading,
                "party": self.party(entry.recipient),
            }
        else:
            title = self._("%(kind)s from %(sender)s to %(recipient)s") % {
                "kind": self.heading,
                "sender": self.party(entry.sender),
                "recipient": self.party(entry.recipient),
            }
        if self.subject is not None:
            title = self._("%(heading)s: %(subject)s") % {"heading": title, "subject": self.subject}
        return Rendered(
            lang=self.lang,
            title=title,
            fields=tuple(self.fields),
            free_text=tuple(self.free_text),
        )

    def _add_envelope(self) -> None:
        self.add(self._("Sent"), self.time(self.entry.time))
        if self.entry.refs:
            shown = [ref[:HASH_PREFIX] + "…" for ref in self.entry.refs]
            # TRANSLATORS: the entries this one answers or is about, by their ids
            self.add(self._("Refers to"), ", ".join(shown))

    def _add_facts(self) -> None:
        facts = self.facts
        if facts.delivered_at is not None:
            self.add(self._("Delivered"), self.time(facts.delivered_at))
        # TRANSLATORS: the notification gave less warning than its kind requires
        late = self._("late: less than the minimum notice") if facts.late_notice else None
        if facts.lead_time_seconds is not None:
            lead = facts.lead_time_seconds
            shown = (
                self.duration(lead)
                if lead >= 0
                else self._("%(duration)s after the activity started")
                % {"duration": self.duration(-lead)}
            )
            if late is not None:
                shown = self._("%(lead_time)s (%(flag)s)") % {"lead_time": shown, "flag": late}
            self.add(self._("Lead time"), shown)
        elif late is not None:
            self.add(self._("Lead time"), late)
        if facts.due is not None:
            self.add(self._("Due"), self.time(facts.due))
        if facts.answered_at is not None:
            self.add(self._("Answered"), self.time(facts.answered_at))
        if facts.state is not None:
            self.add(self._("State"), self.label("state", facts.state))


# --- coordinates ----------------------------------------------------------------------------


def _angle(page: _Page, microdegrees: int) -> str:
    """Degrees and minutes, e.g. 24°15′ or 24°15.5′, minutes to 0.001′ (about 2 m)."""
    milliminutes = (abs(microdegrees) * 6 + 50) // 100  # |e6| × 60 / 1000, rounded half up
    degrees, rest = divmod(milliminutes, 60_000)
    minutes = format_decimal(Decimal(rest).scaleb(-3), "00.###", page.lang)
    return f"{degrees}°{minutes}′"


def _latitude(page: _Page, microdegrees: int) -> str:
    angle = {"angle": _angle(page, microdegrees)}
    # TRANSLATORS: a latitude north of the equator, e.g. 24°15′N
    north = page._("%(angle)sN")
    # TRANSLATORS: a latitude south of the equator, e.g. 24°15′S
    south = page._("%(angle)sS")
    return (north if microdegrees >= 0 else south) % angle


def _longitude(page: _Page, microdegrees: int) -> str:
    angle = {"angle": _angle(page, microdegrees)}
    # TRANSLATORS: a longitude east of Greenwich, e.g. 121°30′E
    east = page._("%(angle)sE")
    # TRANSLATORS: a longitude west of Greenwich, e.g. 121°30′W
    west = page._("%(angle)sW")
    return (east if microdegrees >= 0 else west) % angle


def _position(page: _Page, coordinates_e6: Sequence[int]) -> str:
    lon, lat = coordinates_e6
    return page._("%(latitude)s %(longitude)s") % {
        "latitude": _latitude(page, lat),
        "longitude": _longitude(page, lon),
    }


def _area(page: _Page, area: Mapping[str, Any]) -> None:
    """Shape, vertex count and bounding box of a polygon area; centre and radius of a circle."""
    kind = area["type"]
    coordinates = area["coordinates_e6"]
    if kind == "Point":
        radius = area["radius_nm"]
        page.add(
            page._("Area"),
            page.ngettext(
                "Circle of radius %(count)s nautical mile",
                "Circle of radius %(count)s nautical miles",
                radius,
            )
            % {"count": page.number(radius)},
        )
        page.add(page._("Centre"), _position(page, coordinates))
        return
    polygons = [coordinates] if kind == "Polygon" else list(coordinates)
    if kind == "Polygon":
        holes = len(coordinates) - 1
        shape = (
            page.ngettext(
                "Polygon with %(count)s excluded area",
                "Polygon with %(count)s excluded areas",
                holes,
            )
            % {"count": page.number(holes)}
            if holes
            else page._("Polygon")
        )
    elif kind == "MultiPolygon":
        shape = page.ngettext("%(count)s polygon", "%(count)s polygons", len(polygons)) % {
            "count": page.number(len(polygons))
        }
    else:
        raise ValueError(f"unknown area type {kind!r}")
    # A ring repeats its first position as its last: that is not another vertex.
    vertices = sum(len(ring) - 1 for polygon in polygons for ring in polygon)
    exterior = [position for polygon in polygons for position in polygon[0]]
    lons = [lon for lon, _ in exterior]
    lats = [lat for _, lat in exterior]
    page.add(page._("Area"), shape)
    page.add(page._("Vertices"), page.number(vertices))
    page.add(
        page._("Bounds"),
        page._("%(south)s to %(north)s, %(west)s to %(east)s")
        % {
            "south": _latitude(page, min(lats)),
            "north": _latitude(page, max(lats)),
            "west": _longitude(page, min(lons)),
            "east": _longitude(page, max(lons)),
        },
    )


# --- kinds ----------------------------------------------------------------------------------

Body = Mapping[str, Any]


def _officer(page: _Page, body: Body) -> None:
    page.add(page._("Officer"), body["officer"])


def _hotline_message(page: _Page, body: Body) -> None:
    page.add(page._("Precedence"), page.label("precedence", body["precedence"]))
    if "officer" in body:  # absent from messages signed before officers were recorded
        _officer(page, body)
    page.free(page._("Message"), body["text"], body["lang"])


def _hotline_ack(page: _Page, body: Body) -> None:
    page.add(page._("Acknowledged by"), body["officer"])


def _official(official: Mapping[str, str]) -> str:
    return f"{official['name']}, {official['title']}"


def _contact_request(page: _Page, body: Body) -> None:
    tag = body["lang"]
    page.subject = body["subject"]
    page.add(page._("Format"), page.label("format", body["format"]))
    page.add(page._("Level"), page.label("level", body["level"]))
    for number, slot in enumerate(body["slots"], start=1):
        page.add(page.slot_name(number), page.span(slot))
    page.add(page._("Answer by"), page.time(body["respond_by"]))
    page.add(page._("Precedence"), page.label("precedence", body["precedence"]))
    _officer(page, body)
    page.free(page._("Subject"), body["subject"], tag)
    page.free(page._("Requesting official"), _official(body["from_official"]), tag)
    page.free(page._("Requested counterpart"), _official(body["to_official"]), tag)
    if "agenda" in body:
        page.free(page._("Agenda"), body["agenda"], tag)
    if "location" in body:
        page.free(page._("Location"), body["location"], tag)
    if "series" in body:
        page.free(page._("Series"), body["series"], tag)


def _contact_response(page: _Page, body: Body) -> None:
    tag, answer = body["lang"], body["answer"]
    page.subject = page.label("answer", answer)
    if answer == "accept":
        page.add(page._("Accepted"), page.slot_name(body["slot"]))
    if answer == "decline":
        page.free(page._("Reason"), body["reason"], tag)
        for number, condition in enumerate(body.get("conditions", ()), start=1):
            name = page._("Condition %(number)s") % {"number": page.number(number)}
            page.free(name, condition, tag)
    if "format" in body:
        page.add(page._("Proposed format"), page.label("format", body["format"]))
    for number, slot in enumerate(body.get("slots", ()), start=1):
        page.add(page.slot_name(number), page.span(slot))
    if answer == "defer":
        page.add(page._("Deferred until"), page.time(body["until"]))
    if "note" in body:
        page.free(page._("Note"), body["note"], tag)
    _officer(page, body)


def _contact_update(page: _Page, body: Body) -> None:
    tag, status = body["lang"], body["status"]
    page.subject = page.label("status", status)
    if status == "scheduled":
        page.add(page._("Scheduled for"), page.span(body["slot"]))
    if "summary" in body:
        page.free(page._("Summary"), body["summary"], tag)
    if "reason" in body:
        page.free(page._("Reason"), body["reason"], tag)
    if "note" in body:
        page.free(page._("Note"), body["note"], tag)
    _officer(page, body)


def _explain_request(page: _Page, body: Body) -> None:
    page.subject = body["subject"]
    page.add(page._("Reply within"), page.duration(body["reply_within_hours"] * 3600))
    page.add(page._("Precedence"), page.label("precedence", body["precedence"]))
    _officer(page, body)
    page.free(page._("Subject"), body["subject"], body["lang"])
    page.free(page._("Request"), body["text"], body["lang"])


def _explain_response(page: _Page, body: Body) -> None:
    _officer(page, body)
    page.free(page._("Explanation"), body["text"], body["lang"])


def _read_receipt(page: _Page, body: Body) -> None:
    page.add(page._("Read by"), body["officer"])


def _notify_activity(page: _Page, body: Body) -> None:
    tag, activity = body["lang"], body["activity"]
    page.subject = body["title"]
    page.add(page._("Activity"), page.label("activity", activity))
    page.add(
        page._("Participants"),
        format_list([page.party(party) for party in body["participants"]], page.lang),
    )
    _area(page, body["area"])
    page.add(page._("Start"), page.time(body["start"]))
    page.add(page._("End"), page.time(body["end"]))
    forces = body.get("forces", {})
    for force in notify.FORCES:
        if force in forces:
            page.add(page.label("force", force), page.number(forces[force]))
    page.add(page._("Acknowledge within"), page.duration(body["ack_within_minutes"] * 60))
    page.add(page._("Precedence"), page.label("precedence", body["precedence"]))
    _officer(page, body)
    page.free(page._("Title"), body["title"], tag)
    if "label" in body:
        page.free(page._("Activity as described"), body["label"], tag)
    page.free(page._("Contact channel"), body["contact_channel"], tag)


def _notify_incident(page: _Page, body: Body) -> None:
    tag, category = body["lang"], body["category"]
    page.subject = body["label"] if category == "other" else page.label("category", category)
    page.add(page._("Time of incident"), page.time(body["time"]))
    page.add(page._("Position"), _position(page, body["position"]["coordinates_e6"]))
    page.add(page._("Domain"), page.label("domain", body["domain"]))
    page.add(page._("Category"), page.label("category", category))
    if "distance_m" in body:
        distance = body["distance_m"]
        page.add(
            page._("Closest distance"),
            page.ngettext("%(count)s metre", "%(count)s metres", distance)
            % {"count": page.number(distance)},
        )
    page.add(page._("Acknowledge within"), page.duration(body["ack_within_minutes"] * 60))
    page.add(page._("Precedence"), page.label("precedence", body["precedence"]))
    _officer(page, body)
    if "label" in body:
        page.free(page._("Incident as described"), body["label"], tag)
    page.free(page._("Own units"), "\n".join(body["own_units"]), tag)
    page.free(page._("Other units"), "\n".join(body["other_units"]), tag)
    page.free(page._("Description"), body["description"], tag)


def _notify_ack(page: _Page, body: Body) -> None:
    page.add(page._("Acknowledged by"), body["officer"])


def _desk_check(page: _Page, body: Body) -> None:
    page.add(page._("Answer within"), page.duration(body["answer_within_seconds"]))
    asked_by = body.get("officer")
    page.add(
        page._("Asked by"),
        # TRANSLATORS: no officer asked: the node sends desk checks on a fixed cadence
        asked_by if asked_by is not None else page._("sent on the node's schedule"),
    )


def _desk_answer(page: _Page, body: Body) -> None:
    page.add(page._("Answered by"), body["officer"])


def _catalogue_name(page: _Page, name: str, version: int) -> str:
    # TRANSLATORS: a catalogue of agreed standard messages and its version number
    return page._("%(name)s v%(version)s") % {"name": name, "version": page.number(version)}


def _catalogue_pin(page: _Page, body: Body) -> None:
    page.subject = _catalogue_name(page, body["name"], body["version"])
    page.add(page._("Catalogue"), page.subject)
    # TRANSLATORS: the SHA-256 fingerprint that identifies the catalogue's exact text
    page.add(page._("Hash"), body["catalogue"][:HASH_PREFIX] + "…")
    page.add(page._("Pinned by"), body["officer"])


def _catalogue_message(page: _Page, body: Body) -> None:
    _catalogue_message_fields(page, body)
    if "officer" in body:  # absent from messages signed before officers were recorded
        _officer(page, body)


def _catalogue_message_fields(page: _Page, body: Body) -> None:
    pinned = page.facts.catalogues.get(body["catalogue"])
    short = body["catalogue"][:HASH_PREFIX] + "…"
    if pinned is None:
        page.add(
            page._("Catalogue"),
            page._("Catalogue %(hash)s is not pinned here") % {"hash": short},
        )
        _raw_catalogue_message(page, body)
        return
    page.add(page._("Catalogue"), _catalogue_name(page, pinned.name, pinned.version))
    if page.lang not in pinned.languages:
        page.add(page._("Note"), page._("The catalogue has no text in this language"))
        _raw_catalogue_message(page, body)
        return
    try:
        message = catalogue.validate_message(body, page.facts.catalogues)
        text = catalogue.render(pinned, body["code"], body["params"], page.lang)
    except CatalogueError:
        page.add(page._("Note"), page._("The message does not match the pinned catalogue"))
        _raw_catalogue_message(page, body)
        return
    page.subject = message.title[page.lang]
    page.add(page._("Code"), message.code)
    page.add(page._("Agreed text"), text)
    for param in message.params:
        if param.type == "text":
            page.free(page._("Free text"), body["params"][param.name], body["lang"])


def _raw_catalogue_message(page: _Page, body: Body) -> None:
    params = body["params"]
    page.add(page._("Code"), body["code"])
    page.add(page._("Parameters"), json.dumps(params, ensure_ascii=False, sort_keys=True))
    if "lang" in body:  # the message carries free text; which parameter, only its catalogue knows
        for value in params.values():
            if isinstance(value, str):
                page.free(page._("Free text"), value, body["lang"])


def _generic(page: _Page, body: Body) -> None:
    if page.heading == page.entry.kind:  # no label: a kind we do not know
        page.heading = page._("Entry of kind %(kind)s") % {"kind": page.entry.kind}
    page.add(page._("Kind"), page.entry.kind)
    try:
        raw = json.dumps(dict(body), ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError):
        raw = repr(body)
    page.add(page._("Body"), raw)


_RENDERERS: Mapping[str, Callable[[_Page, Body], None]] = {
    Kind.HOTLINE_MESSAGE: _hotline_message,
    Kind.HOTLINE_ACK: _hotline_ack,
    Kind.CONTACT_REQUEST: _contact_request,
    Kind.CONTACT_RESPONSE: _contact_response,
    Kind.CONTACT_UPDATE: _contact_update,
    Kind.EXPLAIN_REQUEST: _explain_request,
    Kind.EXPLAIN_RESPONSE: _explain_response,
    Kind.RECEIPT_READ: _read_receipt,
    Kind.NOTIFY_ACTIVITY: _notify_activity,
    Kind.NOTIFY_INCIDENT: _notify_incident,
    Kind.NOTIFY_ACK: _notify_ack,
    Kind.DESK_CHECK: _desk_check,
    Kind.DESK_ANSWER: _desk_answer,
    Kind.CATALOGUE_PIN: _catalogue_pin,
    Kind.CATALOGUE_MESSAGE: _catalogue_message,
}

__all__ = ["Facts", "Rendered", "render_entry"]
