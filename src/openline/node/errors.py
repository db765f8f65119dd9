"""Errors of application commands: each says what the officer or peer did wrong, with a
machine-readable code and the HTTP status an adapter should answer with."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from openline.core.paging import CursorError, page_limit
from openline.core.schema import LANGUAGE_TAG


class CommandError(Exception):
    def __init__(self, message: str, *, code: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.status = status

    def to_json(self) -> dict[str, dict[str, str]]:
        return {"error": {"code": self.code, "message": str(self)}}


def invalid(message: str, code: str) -> CommandError:
    """An officer's input that cannot become a valid entry (HTTP 422)."""
    return CommandError(message, code=code, status=422)


def choice(value: str, choices: Sequence[str], what: str, code: str) -> str:
    if value not in choices:
        raise invalid(f"{what} must be one of {', '.join(choices)}, not {value!r}", code)
    return value


def language_tag(value: str) -> str:
    """The language of an officer's free text: a tag such as en, zh or ru."""
    if not LANGUAGE_TAG.match(value):
        raise invalid(f"{value!r} is not a language tag such as en, zh or ru", "invalid-lang")
    return value


@contextmanager
def cursor_errors() -> Iterator[None]:
    """A cursor that names no place in the list read is the caller's error (HTTP 400)."""
    try:
        yield
    except CursorError as error:
        raise CommandError(str(error), code="invalid-cursor", status=400) from error


def page_size(limit: int | None) -> int:
    """A page's size: the default, or the caller's within bounds (HTTP 422 ``invalid-limit``)."""
    try:
        return page_limit(limit)
    except ValueError as error:
        raise CommandError(str(error), code="invalid-limit", status=422) from error
