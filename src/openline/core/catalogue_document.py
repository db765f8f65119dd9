"""The catalogue document: its model, its validation and its pin.

The document's shape, its parameter types and the error codes are described in
:mod:`openline.core.catalogue`, which re-exports what is defined here.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from openline.core.canonical import MAX_SAFE_INTEGER, canonical_bytes, parse_json
from openline.core.catalogue_plurals import PLURAL_RULES
from openline.core.errors import EncodingError, EntryError
from openline.core.schema import LANGUAGE_TAG

CATALOGUE_NAME = re.compile(r"\A[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?\Z")
MESSAGE_CODE = re.compile(r"\A[A-Z][0-9]{1,3}\Z")
PARAM_NAME = re.compile(r"\A[a-z][a-z0-9_]{0,31}\Z")
CATALOGUE_HASH = re.compile(r"\A[0-9a-f]{64}\Z")
# A control character or a line break: one-line values and texts refuse both.
CONTROL_OR_NEWLINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
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
    if CONTROL_OR_NEWLINE.search(value):
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
