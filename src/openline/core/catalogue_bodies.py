"""``catalogue.message`` bodies: their shape, and their check against the pinned catalogues.

The body is described in :mod:`openline.core.catalogue`. A receiver that refuses an entry
at the door stalls the sender's log behind it, so the sender runs :func:`validate_message`
against the catalogues *both* sides have pinned before it appends anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openline.core.canonical import MAX_SAFE_INTEGER
from openline.core.catalogue_document import (
    CATALOGUE_HASH,
    CONTROL_OR_NEWLINE,
    MAX_AREA,
    MAX_OFFICER,
    MAX_PARAMS,
    MAX_REFERENCE,
    MAX_SPEED_KNOTS,
    MAX_TEXT_VALUE,
    MESSAGE_CODE,
    PARAM_NAME,
    Catalogue,
    CatalogueError,
    Message,
    ParamSpec,
)
from openline.core.errors import EncodingError, EntryError
from openline.core.schema import CONTROL_CHARS, LANGUAGE_TAG, require_text
from openline.core.timefmt import parse_time


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
        if CONTROL_OR_NEWLINE.search(value):
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
