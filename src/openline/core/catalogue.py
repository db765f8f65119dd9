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

The document is parsed and pinned by :mod:`openline.core.catalogue_document` (the CLDR
plural rules are :mod:`openline.core.catalogue_plurals`), bodies are checked by
:mod:`openline.core.catalogue_bodies` and rendered by :mod:`openline.core.catalogue_render`;
their names are re-exported here.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from openline.core.canonical import parse_json
from openline.core.catalogue_bodies import check_params, validate_message, validate_message_body
from openline.core.catalogue_document import (
    CATALOGUE_HASH,
    CATALOGUE_NAME,
    MAX_AREA,
    MAX_LANGUAGES,
    MAX_MESSAGES,
    MAX_OFFICER,
    MAX_PARAMS,
    MAX_REFERENCE,
    MAX_SPEED_KNOTS,
    MAX_TEMPLATE,
    MAX_TEXT_VALUE,
    MAX_TITLE,
    MESSAGE_CODE,
    PARAM_NAME,
    PARAM_TYPES,
    PLURAL_TYPES,
    UNITS,
    Catalogue,
    CatalogueError,
    Message,
    ParamSpec,
    Placeholder,
    PluralForms,
    Segment,
    catalogue_hash,
    parse_catalogue,
)
from openline.core.catalogue_plurals import PLURAL_RULES
from openline.core.catalogue_render import render, render_message

__all__ = [
    "CATALOGUE_HASH",
    "CATALOGUE_NAME",
    "MAX_AREA",
    "MAX_LANGUAGES",
    "MAX_MESSAGES",
    "MAX_OFFICER",
    "MAX_PARAMS",
    "MAX_REFERENCE",
    "MAX_SPEED_KNOTS",
    "MAX_TEMPLATE",
    "MAX_TEXT_VALUE",
    "MAX_TITLE",
    "MESSAGE_CODE",
    "PARAM_NAME",
    "PARAM_TYPES",
    "PLURAL_RULES",
    "PLURAL_TYPES",
    "UNITS",
    "Catalogue",
    "CatalogueError",
    "Message",
    "ParamSpec",
    "Placeholder",
    "PluralForms",
    "Segment",
    "catalogue_hash",
    "check_params",
    "load_starter",
    "parse_catalogue",
    "render",
    "render_message",
    "validate_message",
    "validate_message_body",
]


def load_starter() -> dict[str, Any]:
    """The starter catalogue shipped with openline (en, zh, ru), as a document."""
    data = resources.files("openline").joinpath("catalogues", "starter.json").read_bytes()
    doc = parse_json(data)
    assert isinstance(doc, dict)
    return doc
