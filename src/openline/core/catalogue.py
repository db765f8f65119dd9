"""The agreed message catalogue: numbered standard messages shown in each reader's language.

Like the 1976 hotline protocol, the International Code of Signals (ICS) and CUES, the parties
agree a list of standard messages in advance. A message is then sent as its code and its
parameters only (a ``catalogue.message`` entry), and each reader sees the agreed text in
their own language: nothing is machine-translated.

The document (JSON, every field required, unknown fields refused)::

    {"catalogue": "openline-starter",          # name: lowercase letters, digits, "-"
     "version": 1,                             # integer >= 1
     "languages": ["en", "zh", "ru"],          # distinct language tags, at least one
     "messages": [
       {"code": "M10",                         # a letter and 1-3 digits, unique
        "title": {"en": "...", "zh": "...", "ru": "..."},     # every listed language
        "params": [{"name": "distance", "type": "integer", "unit": "nmi"}],
        "text": {"en": "Request you keep {distance} {distance|one:nautical mile|"
                       "other:nautical miles} clear of me.", "zh": "...", "ru": "..."}}]}

Parameter types (``unit`` is allowed on ``integer`` only, and documents what the number
counts; the words for the unit are in the texts):

    text        free text, 1-1000 characters. It is inserted as given and keeps the language
                it was written in: the body's ``lang`` tags it, and no text is translated.
    reference   an identifier inserted as given: a notification number, call sign, radio
                channel, unit or party name (1-100 characters, one line)
    area        an area designator or a position written as text, e.g. "21°30′N 117°15′E"
                (1-200 characters, one line), inserted as given
    integer     a whole number 0 … 2**53-1, with an optional unit (nmi, km, m, ft, kn, h, min)
    time        an entry timestamp "2026-11-29T01:48:00.000Z"; shown as "2026-11-29 01:48 UTC"
    bearing     true bearing in whole degrees 0-359; shown as "045°"
    course      true course in whole degrees 0-359; shown as "045°"
    speed       speed in whole knots 0-2000

A text refers to a parameter as ``{name}``. Every declared parameter appears in every text
of its message at least once, and a text names no other parameter. Texts hold no other
braces. An ``integer`` or ``speed`` parameter may also select a plural form with
``{name|one:…|other:…}``, naming exactly the CLDR plural categories of the text's language
for whole numbers (en: one, other; ru: one, few, many; zh: other): Russian needs "1 морской
мили" but "5 морских миль". The selector prints only the chosen form, never the number.

Both parties pin a catalogue by :func:`catalogue_hash`, the hex SHA-256 of its RFC 8785
canonical bytes (``openline.core.canonical``; the document holds no floats, see
docs/design-notes.md §2). The ``catalogue.message`` body is::

    {"catalogue": "<64 hex: the pinned hash>", "code": "M10", "params": {"distance": 5},
     "lang": "en",       # lang: the language of the message's free text; present exactly
                         # when the message has a parameter of type text
     "officer": "chen"}  # optional: who sent it (absent from messages signed before
                         # officers were recorded, which stay valid)

:func:`validate_message_body` checks the shape alone (for ``core.kinds``);
:func:`validate_message` checks a body against the catalogues pinned on this node, and
:func:`render` shows a message in one language. A receiver that refuses an entry at the door
stalls the sender's log behind it, so the sender runs :func:`validate_message` against the
catalogues *both* sides have pinned before it appends anything.

Errors are :class:`CatalogueError`, a subclass of ``EntryError`` so that the door's existing
``except EntryError`` turns a bad ``catalogue.message`` into a refusal with its code:

    invalid-catalogue     the document breaks the shape above
    missing-translation   a title or text lacks a listed language (or has an unlisted one)
    placeholder-mismatch  a text's placeholders are not exactly the declared parameters
    duplicate-code        two messages share a code
    invalid-body          a catalogue.message body breaks its shape
    unpinned-catalogue    the body names a catalogue this node has not pinned
    unknown-code          the catalogue has no message with that code
    missing-param         a declared parameter has no value
    extra-param           a value for a parameter the message does not declare
    bad-param             a value of the wrong type or out of range
    bad-lang              lang missing for a message with free text, or present without
    unsupported-language  rendering in a language the catalogue does not list
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any

from openline.core.canonical import MAX_SAFE_INTEGER, canonical_bytes, parse_json
from openline.core.errors import EncodingError, EntryError
from openline.core.schema import CONTROL_CHARS, LANGUAGE_TAG, require_text
from openline.core.timefmt import parse_time

CATALOGUE_NAME = re.compile(r"\A[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?\Z")
MESSAGE_CODE = re.compile(r"\A[A-Z][0-9]{1,3}\Z")
PARAM_NAME = re.compile(r"\A[a-z][a-z0-9_]{0,31}\Z")
CATALOGUE_HASH = re.compile(r"\A[0-9a-f]{64}\Z")
# A control character or a line break: one-line values and texts refuse both.
_CONTROL_OR_NEWLINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_BRACED = re.compile(r"\{([^{}]*)\}")

PARAM_TYPES: tuple[str, ...] = (
    "text",
    "reference",
    "area",
    "integer",
    "time",
    "bearing",
    "course",
    "speed",
)
UNITS: tuple[str, ...] = ("nmi", "km", "m", "ft", "kn", "h", "min")
PLURAL_TYPES = frozenset({"integer", "speed"})

MAX_LANGUAGES = 16
MAX_MESSAGES = 999
MAX_PARAMS = 8
MAX_TITLE = 200
MAX_TEMPLATE = 1_000
MAX_TEXT_VALUE = 1_000
MAX_REFERENCE = 100
MAX_AREA = 200
MAX_SPEED_KNOTS = 2_000
MAX_OFFICER = 200  # as every other kind's officer (core.kinds.MAX_NAME_LENGTH)


class CatalogueError(EntryError):
    """A catalogue, a ``catalogue.message`` body or a rendering request that is refused."""

    code = "invalid-catalogue"


# --- plural rules -----------------------------------------------------------------------
# CLDR plural rules for whole numbers, keyed by primary language subtag
# (https://www.unicode.org/cldr/charts/latest/supplemental/language_plural_rules.html).
def _plural_en(n: int) -> str:
    return "one" if n == 1 else "other"


def _plural_ru(n: int) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return "one"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return "few"
    return "many"


def _plural_other(n: int) -> str:
    return "other"


PLURAL_RULES: Mapping[str, tuple[tuple[str, ...], Callable[[int], str]]] = {
    "en": (("one", "other"), _plural_en),
    "de": (("one", "other"), _plural_en),
    "ru": (("one", "few", "many"), _plural_ru),
    "uk": (("one", "few", "many"), _plural_ru),
    "zh": (("other",), _plural_other),
    "ja": (("other",), _plural_other),
    "ko": (("other",), _plural_other),
}


# --- the model --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Placeholder:
    name: str


@dataclass(frozen=True, slots=True)
class PluralForms:
    name: str
    forms: Mapping[str, str]


Segment = str | Placeholder | PluralForms


@dataclass(frozen=True, slots=True, kw_only=True)
class ParamSpec:
    name: str
    type: str
    unit: str | None = None

    def to_dict(self) -> dict[str, str]:
        out = {"name": self.name, "type": self.type}
        if self.unit is not None:
            out["unit"] = self.unit
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    code: str
    title: Mapping[str, str]
    params: tuple[ParamSpec, ...]
    text: Mapping[str, str]
    templates: Mapping[str, tuple[Segment, ...]]

    @property
    def has_free_text(self) -> bool:
        return any(param.type == "text" for param in self.params)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "title": dict(self.title),
            "params": [param.to_dict() for param in self.params],
            "text": dict(self.text),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Catalogue:
    """A parsed, valid catalogue. Build it with :meth:`from_dict` or :func:`parse_catalogue`."""

    name: str
    version: int
    languages: tuple[str, ...]
    messages: Mapping[str, Message]  # by code, in document order
    hash: str

    @classmethod
    def from_dict(cls, doc: object) -> Catalogue:
        """Validate a catalogue document.

        Raises:
            CatalogueError: see the module docstring for the codes.
        """
        return _parse_catalogue(doc)

    def to_dict(self) -> dict[str, Any]:
        """The document, exactly as it was read (its hash is :attr:`hash`)."""
        return {
            "catalogue": self.name,
            "version": self.version,
            "languages": list(self.languages),
            "messages": [message.to_dict() for message in self.messages.values()],
        }

    def message(self, code: object) -> Message:
        """The message with this code.

        Raises:
            CatalogueError: code ``unknown-code``.
        """
        message = self.messages.get(code) if isinstance(code, str) else None
        if message is None:
            raise CatalogueError(
                f"catalogue {self.name} v{self.version} has no message {code!r}",
                code="unknown-code",
            )
        return message


# --- parsing the document ---------------------------------------------------------------
def _fail(message: str, code: str = "invalid-catalogue") -> CatalogueError:
    return CatalogueError(message, code=code)


def _exact_keys(
    obj: object, where: str, required: Sequence[str], optional: Sequence[str] = ()
) -> Mapping[str, Any]:
    if not isinstance(obj, dict):
        raise _fail(f"{where} must be a JSON object")
    missing = [key for key in required if key not in obj]
    if missing:
        raise _fail(f"{where} lacks field {missing[0]!r}")
    extra = sorted(str(key) for key in obj if key not in required and key not in optional)
    if extra:
        raise _fail(f"{where} has unknown field {extra[0]!r}")
    return obj


def _one_line(value: object, where: str, max_length: int) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= max_length:
        raise _fail(f"{where} must be a string of 1 to {max_length} characters")
    if _CONTROL_OR_NEWLINE.search(value):
        raise _fail(f"{where} contains control characters or line breaks")
    return value


def _per_language(
    obj: object, where: str, languages: tuple[str, ...], max_length: int
) -> dict[str, str]:
    if not isinstance(obj, dict):
        raise _fail(f"{where} must be an object keyed by language")
    for lang in languages:
        if lang not in obj:
            raise _fail(f"{where} has no {lang!r} version", code="missing-translation")
    for lang in obj:
        if lang not in languages:
            raise _fail(
                f"{where} has a version in {lang!r}, which the catalogue does not list",
                code="missing-translation",
            )
    return {lang: _one_line(obj[lang], f"{where}.{lang}", max_length) for lang in languages}


def _parse_param(obj: object, where: str) -> ParamSpec:
    fields = _exact_keys(obj, where, ("name", "type"), ("unit",))
    name = fields["name"]
    if not isinstance(name, str) or not PARAM_NAME.match(name):
        raise _fail(f"{where}.name must be lowercase letters, digits and _ (a-z first)")
    kind = fields["type"]
    if kind not in PARAM_TYPES:
        raise _fail(f"{where}.type must be one of {', '.join(PARAM_TYPES)}")
    unit = fields.get("unit")
    if "unit" in fields and kind != "integer":
        raise _fail(f"{where}.unit is only allowed on integer parameters")
    if "unit" in fields and unit not in UNITS:
        raise _fail(f"{where}.unit must be one of {', '.join(UNITS)}")
    return ParamSpec(name=name, type=kind, unit=unit)


def _parse_template(
    text: str, where: str, lang: str, params: Mapping[str, ParamSpec]
) -> tuple[Segment, ...]:
    """Split a text into literals, ``{name}`` placeholders and ``{name|cat:form…}`` plurals."""
    segments: list[Segment] = []
    shown: set[str] = set()
    position = 0
    for match in _BRACED.finditer(text):
        segments.append(text[position : match.start()])
        position = match.end()
        name, bar, choices = match.group(1).partition("|")
        if not PARAM_NAME.match(name):
            raise _fail(f"{where}: {match.group(0)!r} is not a placeholder")
        if name not in params:
            raise _fail(
                f"{where} names {{{name}}}, which the message does not declare",
                code="placeholder-mismatch",
            )
        if not bar:
            segments.append(Placeholder(name))
            shown.add(name)
            continue
        segments.append(_parse_plural(name, choices, f"{where} {{{name}|…}}", lang, params))
    segments.append(text[position:])
    for literal in segments:
        if isinstance(literal, str) and ("{" in literal or "}" in literal):
            raise _fail(f"{where} has a stray brace: write only {{name}} placeholders")
    missing = [name for name in params if name not in shown]
    if missing:
        raise _fail(
            f"{where} does not show parameter {{{missing[0]}}}", code="placeholder-mismatch"
        )
    return tuple(segment for segment in segments if segment != "")


def _parse_plural(
    name: str, choices: str, where: str, lang: str, params: Mapping[str, ParamSpec]
) -> PluralForms:
    if params[name].type not in PLURAL_TYPES:
        raise _fail(f"{where}: only integer and speed parameters select plural forms")
    rules = PLURAL_RULES.get(lang.split("-", maxsplit=1)[0])
    if rules is None:
        raise _fail(f"{where}: plural rules for {lang!r} are not known; write it without")
    categories = rules[0]
    forms: dict[str, str] = {}
    for choice in choices.split("|"):
        category, colon, form = choice.partition(":")
        if not colon or category not in categories or category in forms or not form:
            raise _fail(
                f"{where}: write each of the {lang} plural categories "
                f"{', '.join(categories)} once, as category:form"
            )
        forms[category] = form
    if len(forms) != len(categories):
        missing = next(category for category in categories if category not in forms)
        raise _fail(f"{where}: no form for the {lang} plural category {missing!r}")
    return PluralForms(name, MappingProxyType(forms))


def _parse_message(obj: object, where: str, languages: tuple[str, ...]) -> Message:
    fields = _exact_keys(obj, where, ("code", "title", "params", "text"))
    code = fields["code"]
    if not isinstance(code, str) or not MESSAGE_CODE.match(code):
        raise _fail(f"{where}.code must be a capital letter and 1 to 3 digits, e.g. M10")
    where = f"message {code}"
    raw_params = fields["params"]
    if not isinstance(raw_params, list) or len(raw_params) > MAX_PARAMS:
        raise _fail(f"{where}.params must be a list of at most {MAX_PARAMS} parameters")
    params: dict[str, ParamSpec] = {}
    for index, raw in enumerate(raw_params):
        param = _parse_param(raw, f"{where}.params[{index}]")
        if param.name in params:
            raise _fail(f"{where} declares parameter {param.name!r} twice")
        params[param.name] = param
    title = _per_language(fields["title"], f"{where}.title", languages, MAX_TITLE)
    for lang, value in title.items():
        if "{" in value or "}" in value:
            raise _fail(f"{where}.title.{lang} must not hold braces or placeholders")
    text = _per_language(fields["text"], f"{where}.text", languages, MAX_TEMPLATE)
    templates = {
        lang: _parse_template(value, f"{where}.text.{lang}", lang, params)
        for lang, value in text.items()
    }
    return Message(
        code=code,
        title=MappingProxyType(title),
        params=tuple(params.values()),
        text=MappingProxyType(text),
        templates=MappingProxyType(templates),
    )


def _parse_catalogue(doc: object) -> Catalogue:
    fields = _exact_keys(doc, "catalogue", ("catalogue", "version", "languages", "messages"))
    name = fields["catalogue"]
    if not isinstance(name, str) or not CATALOGUE_NAME.match(name):
        raise _fail("catalogue.catalogue must be a name of lowercase letters, digits and -")
    version = fields["version"]
    if type(version) is not int or not 1 <= version <= MAX_SAFE_INTEGER:
        raise _fail("catalogue.version must be a whole number of at least 1")
    raw_languages = fields["languages"]
    if (
        not isinstance(raw_languages, list)
        or not 1 <= len(raw_languages) <= MAX_LANGUAGES
        or not all(isinstance(lang, str) and LANGUAGE_TAG.match(lang) for lang in raw_languages)
    ):
        raise _fail(
            f"catalogue.languages must list 1 to {MAX_LANGUAGES} language tags such as en, zh"
        )
    languages = tuple(raw_languages)
    if len(set(languages)) != len(languages):
        raise _fail("catalogue.languages lists a language twice")
    raw_messages = fields["messages"]
    if not isinstance(raw_messages, list) or not 1 <= len(raw_messages) <= MAX_MESSAGES:
        raise _fail(f"catalogue.messages must be a list of 1 to {MAX_MESSAGES} messages")
    messages: dict[str, Message] = {}
    for index, raw in enumerate(raw_messages):
        message = _parse_message(raw, f"catalogue.messages[{index}]", languages)
        if message.code in messages:
            raise _fail(f"two messages have the code {message.code}", code="duplicate-code")
        messages[message.code] = message
    return Catalogue(
        name=name,
        version=version,
        languages=languages,
        messages=MappingProxyType(messages),
        hash=catalogue_hash(doc),
    )


def parse_catalogue(data: bytes | str) -> Catalogue:
    """Parse and validate a catalogue file's contents.

    Raises:
        CatalogueError: not JSON (``invalid-catalogue``), or any code of :meth:`from_dict`.
    """
    try:
        doc = parse_json(data)
    except EncodingError as error:
        raise _fail(f"catalogue: {error}") from error
    return Catalogue.from_dict(doc)


def catalogue_hash(doc: object) -> str:
    """The pin of a catalogue: hex SHA-256 of its RFC 8785 canonical bytes.

    Any edit, even of one character of one translation, changes the hash. Key order and
    whitespace in the file do not.

    Raises:
        CatalogueError: code ``invalid-catalogue``, the document is outside the canonical
            JSON subset (e.g. it holds a float).
    """
    try:
        return hashlib.sha256(canonical_bytes(doc)).hexdigest()
    except EncodingError as error:
        raise _fail(f"catalogue cannot be hashed: {error}") from error


def load_starter() -> dict[str, Any]:
    """The starter catalogue shipped with openline (en, zh, ru), as a document."""
    data = resources.files("openline").joinpath("catalogues", "starter.json").read_bytes()
    doc = parse_json(data)
    assert isinstance(doc, dict)
    return doc


# --- catalogue.message bodies ------------------------------------------------------------
def validate_message_body(body: Mapping[str, Any]) -> None:
    """Check the shape of a ``catalogue.message`` body without its catalogue.

    This is the schema that ``core.kinds`` registers: it admits any code and parameters of
    the right form; :func:`validate_message` then checks them against the pinned catalogue.

    Raises:
        CatalogueError: code ``invalid-body``.
    """
    where = "catalogue.message body"

    def refuse(message: str) -> CatalogueError:
        return CatalogueError(f"{where}{message}", code="invalid-body")

    if not isinstance(body, dict):
        raise refuse(" must be a JSON object")
    missing = [key for key in ("catalogue", "code", "params") if key not in body]
    if missing:
        raise refuse(f" lacks field {missing[0]!r}")
    allowed = ("catalogue", "code", "params", "lang", "officer")
    extra = sorted(str(key) for key in body if key not in allowed)
    if extra:
        raise refuse(f" has unknown field {extra[0]!r}")
    if not isinstance(body["catalogue"], str) or not CATALOGUE_HASH.match(body["catalogue"]):
        raise refuse(".catalogue must be the catalogue's hash, 64 lowercase hex digits")
    if not isinstance(body["code"], str) or not MESSAGE_CODE.match(body["code"]):
        raise refuse(".code must be a capital letter and 1 to 3 digits, e.g. M10")
    if "lang" in body and (
        not isinstance(body["lang"], str) or not LANGUAGE_TAG.match(body["lang"])
    ):
        raise refuse(".lang must be a language tag such as en or zh-Hans")
    if "officer" in body:
        try:
            require_text(body, "officer", where, max_length=MAX_OFFICER)
        except EntryError as error:
            raise CatalogueError(str(error), code="invalid-body") from error
    params = body["params"]
    if not isinstance(params, dict) or len(params) > MAX_PARAMS:
        raise refuse(f".params must be an object of at most {MAX_PARAMS} values")
    for name, value in params.items():
        if not isinstance(name, str) or not PARAM_NAME.match(name):
            raise refuse(f".params has a badly formed name {name!r}")
        if type(value) is int:
            if not 0 <= value <= MAX_SAFE_INTEGER:
                raise refuse(f".params.{name} is out of range")
        elif isinstance(value, str):
            if not 1 <= len(value) <= MAX_TEXT_VALUE or CONTROL_CHARS.search(value):
                raise refuse(
                    f".params.{name} must be 1 to {MAX_TEXT_VALUE} characters, "
                    "without control characters"
                )
        else:
            raise refuse(f".params.{name} must be a string or a whole number")


def _bad(message: str) -> CatalogueError:
    return CatalogueError(message, code="bad-param")


def _check_value(spec: ParamSpec, value: object, where: str) -> None:
    kind = spec.type
    if kind == "text":
        if not isinstance(value, str) or not 1 <= len(value) <= MAX_TEXT_VALUE:
            raise _bad(f"{where} must be text of 1 to {MAX_TEXT_VALUE} characters")
        if CONTROL_CHARS.search(value):
            raise _bad(f"{where} contains control characters")
    elif kind in ("reference", "area"):
        limit = MAX_REFERENCE if kind == "reference" else MAX_AREA
        if not isinstance(value, str) or not 1 <= len(value) <= limit:
            raise _bad(f"{where} must be a {kind} of 1 to {limit} characters")
        if _CONTROL_OR_NEWLINE.search(value):
            raise _bad(f"{where} must be one line without control characters")
    elif kind == "time":
        if not isinstance(value, str):
            raise _bad(f"{where} must be a time such as 2026-01-31T12:00:00.000Z")
        try:
            parse_time(value)
        except EncodingError as error:
            raise _bad(f"{where}: {error}") from error
    else:
        limit = {"integer": MAX_SAFE_INTEGER, "speed": MAX_SPEED_KNOTS}.get(kind, 359)
        if type(value) is not int or not 0 <= value <= limit:
            raise _bad(f"{where} must be a whole number from 0 to {limit} ({kind})")


def check_params(message: Message, params: Mapping[str, Any]) -> None:
    """Check values against a message's declared parameters.

    Raises:
        CatalogueError: code ``missing-param``, ``extra-param`` or ``bad-param``.
    """
    declared = {param.name: param for param in message.params}
    for name in declared:
        if name not in params:
            raise CatalogueError(
                f"message {message.code} needs parameter {name!r}", code="missing-param"
            )
    for name in params:
        if name not in declared:
            raise CatalogueError(
                f"message {message.code} has no parameter {name!r}", code="extra-param"
            )
    for name, spec in declared.items():
        _check_value(spec, params[name], f"message {message.code} parameter {name!r}")


def validate_message(body: Mapping[str, Any], pinned: Mapping[str, Catalogue]) -> Message:
    """Check a ``catalogue.message`` body against the catalogues this node has pinned.

    Args:
        body: the entry body.
        pinned: the pinned catalogues by hash.

    Returns:
        The catalogue message the body sends.

    Raises:
        CatalogueError: ``invalid-body``, ``unpinned-catalogue``, ``unknown-code``,
            ``missing-param``, ``extra-param``, ``bad-param`` or ``bad-lang``.
    """
    validate_message_body(body)
    catalogue = pinned.get(body["catalogue"])
    if catalogue is None:
        raise CatalogueError(
            f"catalogue {body['catalogue'][:16]}… is not pinned here",
            code="unpinned-catalogue",
        )
    message = catalogue.message(body["code"])
    check_params(message, body["params"])
    if message.has_free_text and "lang" not in body:
        raise CatalogueError(
            f"message {message.code} carries free text: lang must say its language",
            code="bad-lang",
        )
    if not message.has_free_text and "lang" in body:
        raise CatalogueError(
            f"message {message.code} has no free text, so no lang", code="bad-lang"
        )
    return message


# --- rendering -------------------------------------------------------------------------
def _show(spec: ParamSpec, value: Any) -> str:
    if spec.type == "time":
        moment = parse_time(value)
        # Not strftime: glibc writes years before 1000 without leading zeros (timefmt.py).
        shown = (
            f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d} "
            f"{moment.hour:02d}:{moment.minute:02d}"
        )
        if moment.second or moment.microsecond:
            shown += f":{moment.second:02d}"
        if moment.microsecond:
            shown += f".{moment.microsecond // 1000:03d}"
        return f"{shown} UTC"
    if spec.type in ("bearing", "course"):
        return f"{value:03d}°"
    return str(value)


def render(catalogue: Catalogue, code: str, params: Mapping[str, Any], lang: str) -> str:
    """Show a catalogue message in one language, from the agreed text.

    Parameters of type text, reference and area are inserted as given, in the language
    they were written in: they are never translated, and a brace in them is kept as it is.

    Raises:
        CatalogueError: ``unsupported-language`` (``lang`` must be one the catalogue lists,
            exactly), ``unknown-code``, ``missing-param``, ``extra-param`` or ``bad-param``.
    """
    if lang not in catalogue.languages:
        raise CatalogueError(
            f"catalogue {catalogue.name} has no {lang!r} texts; "
            f"it has {', '.join(catalogue.languages)}",
            code="unsupported-language",
        )
    message = catalogue.message(code)
    check_params(message, params)
    declared = {param.name: param for param in message.params}
    rules = PLURAL_RULES.get(lang.split("-", maxsplit=1)[0])
    out: list[str] = []
    for segment in message.templates[lang]:
        if isinstance(segment, str):
            out.append(segment)
        elif isinstance(segment, Placeholder):
            out.append(_show(declared[segment.name], params[segment.name]))
        else:
            assert rules is not None  # parsing refused plural forms without rules
            out.append(segment.forms[rules[1](params[segment.name])])
    return "".join(out)


def render_message(body: Mapping[str, Any], pinned: Mapping[str, Catalogue], lang: str) -> str:
    """Validate a ``catalogue.message`` body and show it in ``lang``.

    Raises:
        CatalogueError: any code of :func:`validate_message` or :func:`render`.
    """
    validate_message(body, pinned)
    return render(pinned[body["catalogue"]], body["code"], body["params"], lang)
