"""Catalogs, labels and locale formatting for the three languages openline speaks.

Theory of operation
-------------------
Everything a person reads about an entry is either **structured** (a kind, an activity, a
state, a time, a number) or **free text** (what an officer wrote, tagged with its language).
Structured values are shown through gettext catalogs and CLDR data (Babel), in ``en``,
``zh`` (Simplified) or ``ru``. Free text is never translated: :mod:`openline.i18n.render`
shows it as written, next to its language tag.

The msgids are the English texts, so English needs no catalog. ``zh`` and ``ru`` load
``locales/<lang>/LC_MESSAGES/openline.po`` from the package at first use: the ``.po`` is
compiled in memory (``read_po`` → ``write_mo``) and cached, so no ``.mo`` binary is kept in
the repository. ``openline.pot`` is extracted from this package (``make messages``).

Labels are keyed by ``(group, value)``, with the group as the gettext context, so the same
English word in two groups (``held`` as a state and as a status) can be translated twice.
A value we do not know (a newer peer's) is shown as it is, never refused.

Formatting:

* times are always UTC and say so; the date is CLDR ``yMMMd`` and the time 24-hour
  ``HH:mm`` (seconds and milliseconds only when not zero). English dates use CLDR
  ``en_001`` (international English: "29 Nov 2026"), as military and diplomatic text does;
* durations are exact: every non-zero unit from days down to seconds, joined as CLDR unit
  lists ("1 hour, 30 minutes", "1小时30分钟", "1 час 30 минут"); nothing is rounded, since
  a rounded deadline is a wrong one. A negative duration is the same text after a minus
  sign (U+2212) that applies to the whole: "−1 hour, 30 minutes";
* numbers use the locale's grouping ("12,000", "12 000" with a no-break space in ru).
"""

from __future__ import annotations

import functools
import gettext as _gettext
import io
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from importlib import resources
from types import MappingProxyType

from babel import Locale, dates, lists, numbers, units
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from openline.core.errors import OpenlineError
from openline.core.kinds import Kind
from openline.core.timefmt import parse_time

SUPPORTED_LANGUAGES: tuple[str, ...] = ("en", "zh", "ru")
LANGUAGE_NAMES: Mapping[str, str] = MappingProxyType(
    {"en": "English", "zh": "中文", "ru": "Русский"}
)
DOMAIN = "openline"

# The Babel locale of each language, and of its dates (see the module docstring).
_LOCALES: Mapping[str, str] = {"en": "en", "zh": "zh", "ru": "ru"}
_DATE_LOCALES: Mapping[str, str] = {"en": "en_001", "zh": "zh", "ru": "ru"}


class LanguageError(OpenlineError, ValueError):
    """A language openline has no catalog for."""

    code = "unsupported-language"


def check_language(lang: str) -> str:
    """Return ``lang`` if openline can show text in it.

    Raises:
        LanguageError: code ``unsupported-language``, naming the supported languages.
    """
    if lang not in SUPPORTED_LANGUAGES:
        raise LanguageError(
            f"unsupported language {lang!r}: use one of {', '.join(SUPPORTED_LANGUAGES)}"
        )
    return lang


# --- catalogs -------------------------------------------------------------------------------


@functools.cache
def translations(lang: str) -> _gettext.NullTranslations:
    """The gettext translations of ``lang``, compiled from its ``.po`` once and cached.

    Raises:
        LanguageError: ``lang`` is not supported.
    """
    check_language(lang)
    po = resources.files("openline.i18n").joinpath("locales", lang, "LC_MESSAGES", "openline.po")
    if not po.is_file():  # English: the msgids are the texts
        return NullTranslations()
    with po.open("rb") as source:
        catalog = read_po(source, locale=_LOCALES[lang], domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def gettext(lang: str) -> Callable[[str], str]:
    """``_`` for one language: ``_ = gettext("zh"); _("Start")``."""
    return translations(lang).gettext


def ngettext(lang: str) -> Callable[[str, str, int], str]:
    """Plural-aware lookup for one language: ``(singular, plural, n) -> str``."""
    return translations(lang).ngettext


def pgettext(lang: str) -> Callable[[str, str], str]:
    """Lookup in a context for one language: ``(context, message) -> str``."""
    return translations(lang).pgettext


# --- labels ---------------------------------------------------------------------------------


def NC_(context: str, message: str) -> str:
    """Mark ``message`` for extraction in ``context``; translated later by :func:`label`."""
    del context
    return message


LABELS: Mapping[str, Mapping[str, str]] = {
    "kind": {
        Kind.HOTLINE_MESSAGE: NC_("kind", "Hotline message"),
        Kind.HOTLINE_ACK: NC_("kind", "Acknowledgement"),
        Kind.CONTACT_REQUEST: NC_("kind", "Contact request"),
        Kind.CONTACT_RESPONSE: NC_("kind", "Response to a contact request"),
        Kind.CONTACT_UPDATE: NC_("kind", "Contact update"),
        Kind.EXPLAIN_REQUEST: NC_("kind", "Request for explanation"),
        Kind.EXPLAIN_RESPONSE: NC_("kind", "Explanation"),
        Kind.RECEIPT_READ: NC_("kind", "Read receipt"),
        Kind.NOTIFY_ACTIVITY: NC_("kind", "Activity notification"),
        Kind.NOTIFY_INCIDENT: NC_("kind", "Incident report"),
        Kind.NOTIFY_ACK: NC_("kind", "Acknowledgement of notification"),
        Kind.DESK_CHECK: NC_("kind", "Desk check"),
        Kind.DESK_ANSWER: NC_("kind", "Desk check answer"),
        Kind.CATALOGUE_PIN: NC_("kind", "Catalogue pin"),
        Kind.CATALOGUE_MESSAGE: NC_("kind", "Standard message"),
    },
    "activity": {
        "exercise": NC_("activity", "Exercise"),
        "patrol": NC_("activity", "Patrol"),
        "joint-patrol": NC_("activity", "Joint patrol"),
        "joint-exercise": NC_("activity", "Joint exercise"),
        "missile-launch": NC_("activity", "Missile launch"),
        "air-defence-test": NC_("activity", "Air defence test"),
        "other": NC_("activity", "Other activity"),
    },
    "category": {
        "unsafe-intercept": NC_("category", "Unsafe intercept"),
        "close-approach": NC_("category", "Close approach"),
        "weapons-lock": NC_("category", "Weapons lock"),
        "laser": NC_("category", "Laser illumination"),
        "collision": NC_("category", "Collision"),
        "other": NC_("category", "Other incident"),
    },
    "domain": {
        "air": NC_("domain", "Air"),
        "maritime": NC_("domain", "Maritime"),
    },
    "force": {
        "ships": NC_("force", "Ships"),
        "aircraft": NC_("force", "Aircraft"),
        "personnel": NC_("force", "Personnel"),
        "launchers": NC_("force", "Launchers"),
    },
    "precedence": {
        "routine": NC_("precedence", "Routine"),
        "priority": NC_("precedence", "Priority"),
        "immediate": NC_("precedence", "Immediate"),
        "flash": NC_("precedence", "Flash"),
    },
    "state": {
        # contact requests and requests for explanation (core.requests.STATES)
        "proposed": NC_("state", "Proposed"),
        "delivered": NC_("state", "Delivered"),
        "read": NC_("state", "Read"),
        "accepted": NC_("state", "Accepted"),
        "declined": NC_("state", "Declined"),
        "countered": NC_("state", "Countered"),
        "deferred": NC_("state", "Deferred"),
        "answered": NC_("state", "Answered"),
        "scheduled": NC_("state", "Scheduled"),
        "held": NC_("state", "Held"),
        "cancelled": NC_("state", "Cancelled"),
        "withdrawn": NC_("state", "Withdrawn"),
        "unanswered": NC_("state", "Unanswered"),
        "overdue-deferred": NC_("state", "Deferred, now overdue"),
        # notifications, incident reports, desk checks (core.notices.STATES)
        "pending": NC_("state", "Not yet delivered"),
        "overdue": NC_("state", "Overdue"),
        "acknowledged": NC_("state", "Acknowledged"),
        "acknowledged-late": NC_("state", "Acknowledged late"),
        # links
        "up": NC_("state", "Up"),
        "degraded": NC_("state", "Degraded"),
        "down": NC_("state", "Down"),
        "diverging": NC_("state", "Diverging: equivocation seen"),
        "node-not-running": NC_("state", "Node not running"),
        # duty desks
        "answering": NC_("state", "Answering"),
        "not-answering": NC_("state", "Not answering"),
        "checking": NC_("state", "Checking"),
        "never-checked": NC_("state", "Never checked"),
        "line-up-desk-not-answering": NC_("state", "Line up, desk not answering"),
        # The watcher's alarms (openline.node.watcher.Alarm.kind) that are not states.
        "ack-overdue": NC_("state", "Acknowledgement overdue"),
        "desk-not-answering": NC_("state", "Desk not answering"),
    },
    "format": {
        "phone-call": NC_("format", "Phone call"),
        "video-call": NC_("format", "Video call"),
        "meeting": NC_("format", "Meeting"),
        "dialogue": NC_("format", "Dialogue round"),
    },
    "level": {
        "minister": NC_("level", "Minister"),
        "chief-of-defence": NC_("level", "Chief of defence"),
        "commander": NC_("level", "Commander"),
        "working": NC_("level", "Working level"),
    },
    "answer": {
        "accept": NC_("answer", "Accepted"),
        "decline": NC_("answer", "Declined"),
        "counter": NC_("answer", "Counter-proposal"),
        "defer": NC_("answer", "Deferred"),
        "reply": NC_("answer", "Reply"),
    },
    "status": {
        "scheduled": NC_("status", "Scheduled"),
        "held": NC_("status", "Held"),
        "cancelled": NC_("status", "Cancelled"),
        "withdrawn": NC_("status", "Withdrawn"),
    },
    # The console's words for accounts, proofs, report figures and request history.
    "role": {
        "duty-officer": NC_("role", "Duty officer"),
        "approver": NC_("role", "Approver"),
        "auditor": NC_("role", "Auditor"),
        "admin": NC_("role", "Administrator"),
    },
    "claim": {
        "delivery": NC_("claim", "delivered"),
        "answer": NC_("claim", "answered"),
        "unanswered": NC_("claim", "no answer"),
    },
    "count": {
        "requests": NC_("count", "Requests"),
        "delivered": NC_("count", "Delivered"),
        "delivered_after_deadline": NC_("count", "Delivered after the deadline"),
        "read": NC_("count", "Read"),
        "answered": NC_("count", "Answered"),
        "accepted": NC_("count", "Accepted"),
        "declined": NC_("count", "Declined"),
        "countered": NC_("count", "Countered"),
        "deferred": NC_("count", "Deferred"),
        "replied": NC_("count", "Replied"),
        "answered_late": NC_("count", "Answered late"),
        "unanswered": NC_("count", "Unanswered"),
        "overdue_deferred": NC_("count", "Overdue after deferral"),
        "awaiting": NC_("count", "Awaiting answer"),
        "scheduled": NC_("count", "Scheduled"),
        "held": NC_("count", "Held"),
        "cancelled": NC_("count", "Cancelled"),
        "withdrawn": NC_("count", "Withdrawn"),
    },
    "event": {
        "deliver": NC_("event", "Delivered"),
        "read": NC_("event", "Read"),
        "accept": NC_("event", "Accepted"),
        "decline": NC_("event", "Declined"),
        "counter": NC_("event", "Counter-proposal"),
        "defer": NC_("event", "Deferred"),
        "reply": NC_("event", "Replied"),
        "schedule": NC_("event", "Scheduled"),
        "hold": NC_("event", "Held"),
        "cancel": NC_("event", "Cancelled"),
        "withdraw": NC_("event", "Withdrawn"),
        "deadline": NC_("event", "Deadline passed"),
    },
    # Words of the CLI's tables and lines (``openline notifications``, ``desk-check``).
    "term": {
        "time": NC_("term", "Time"),
        "direction": NC_("term", "Direction"),
        "in": NC_("term", "In"),
        "out": NC_("term", "Out"),
        "kind": NC_("term", "Kind"),
        "from": NC_("term", "From"),
        "summary": NC_("term", "Summary"),
        "recipients": NC_("term", "Recipients"),
        "delivered": NC_("term", "delivered"),
        "acknowledged": NC_("term", "acknowledged"),
        "due": NC_("term", "due"),
        "lead-time": NC_("term", "lead time"),
        "late": NC_("term", "LATE"),
        "peer": NC_("term", "Peer"),
        "desk": NC_("term", "Desk"),
        "checks": NC_("term", "Checks"),
        "answered": NC_("term", "Answered"),
        "unanswered": NC_("term", "Unanswered"),
        "last-answer": NC_("term", "Last answer"),
        "none": NC_("term", "No notifications"),
    },
}
"""English msgid of every known value, by group; the group is the gettext context."""


def label(group: str, value: str, lang: str) -> str:
    """The label of a structured value in ``lang``, e.g. ``label("activity", "joint-patrol",
    "zh") == "联合巡逻"``.

    A group or value we do not know (a newer peer may send one) comes back unchanged.

    Raises:
        LanguageError: ``lang`` is not supported.
    """
    lookup = pgettext(lang)
    message = LABELS.get(group, {}).get(value)
    return value if message is None else lookup(group, message)


# --- locale formatting ----------------------------------------------------------------------


def format_time(value: str | datetime, lang: str) -> str:
    """A moment in UTC for a reader of ``lang``: "29 Nov 2026, 07:30 UTC",
    "2026年11月29日 07:30 UTC", "29 нояб. 2026 г., 07:30 UTC".

    Args:
        value: an entry timestamp ("2026-11-29T07:30:00.000Z") or an aware datetime.

    Raises:
        LanguageError: ``lang`` is not supported.
        ValueError: a naive datetime, or a string that is not an entry timestamp
            (``EncodingError``).
    """
    check_language(lang)
    moment = parse_time(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        raise ValueError("naive datetime: openline shows only aware UTC times")
    moment = moment.astimezone(UTC)
    locale = Locale.parse(_DATE_LOCALES[lang])
    pattern = "HH:mm"
    if moment.second or moment.microsecond:
        pattern += ":ss"
    if moment.microsecond // 1000:
        pattern += ".SSS"
    day = dates.format_skeleton("yMMMd", moment, tzinfo=UTC, locale=locale)
    clock = dates.format_time(moment, pattern, tzinfo=UTC, locale=locale)
    joined = str(locale.datetime_formats["medium"]).format(clock, day)
    return f"{joined} UTC"


_DURATION_UNITS: tuple[tuple[str, int], ...] = (
    ("duration-day", 86_400),
    ("duration-hour", 3_600),
    ("duration-minute", 60),
    ("duration-second", 1),
)
MINUS = "\N{MINUS SIGN}"


def _unit(value: int, unit: str, locale: Locale) -> str:
    # CLDR root aliases long unit names to short ones; Babel's format_unit does not (zh has
    # only short duration units), so fall back here.
    if units.get_unit_name(unit, length="long", locale=locale):
        return units.format_unit(value, unit, length="long", locale=locale)
    return units.format_unit(value, unit, length="short", locale=locale)


def format_duration(seconds: int, lang: str) -> str:
    """An exact duration: "3 days", "3天", "3 дня"; "1 hour, 30 minutes"; "0 seconds".

    Negative durations get a minus sign (U+2212) before the whole text: "−2 hours".

    Raises:
        LanguageError: ``lang`` is not supported.
    """
    check_language(lang)
    locale = Locale.parse(_LOCALES[lang])
    rest = abs(seconds)
    parts: list[str] = []
    for unit, size in _DURATION_UNITS:
        count, rest = divmod(rest, size)
        if count:
            parts.append(_unit(count, unit, locale))
    text = lists.format_list(parts, style="unit", locale=locale) if parts else ""
    if not parts:
        text = _unit(0, "duration-second", locale)
    return f"{MINUS}{text}" if seconds < 0 else text


def format_number(value: int, lang: str) -> str:
    """A whole number with the grouping of ``lang``: "12,000", "12 000" (ru, no-break space).

    Raises:
        LanguageError: ``lang`` is not supported.
    """
    check_language(lang)
    return numbers.format_decimal(value, locale=_LOCALES[lang])


def format_decimal(value: Decimal, pattern: str, lang: str) -> str:
    """A decimal number with a CLDR ``pattern`` and the separators of ``lang``."""
    check_language(lang)
    return numbers.format_decimal(value, format=pattern, locale=_LOCALES[lang])


def format_list(items: Sequence[str], lang: str) -> str:
    """Items joined as a list in ``lang``: "a, b and c", "a、b和c", "a, b и c"."""
    check_language(lang)
    return lists.format_list(items, locale=_LOCALES[lang])


def late_notice_warning(lead_seconds: int, minimum_seconds: int, lang: str) -> str:
    """What an officer is asked before signing a notification that would arrive late."""
    _ = gettext(lang)
    text = _(
        "It starts in %(lead)s, less than the %(minimum)s of notice agreed for this "
        "activity: it will show as late on both sides. Tick “Send although late” to sign it."
    )
    return text % {
        "lead": format_duration(max(0, lead_seconds), lang),
        "minimum": format_duration(minimum_seconds, lang),
    }
