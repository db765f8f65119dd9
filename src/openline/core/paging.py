"""Keyset paging: a page of a list, and opaque cursors that name a place in it.

Every list a node shows (the transcript of a link, requests, notifications, desk checks) is
read a page at a time, by the key it is sorted on, never by offset: a page costs what it
shows, however long the history, and a cursor keeps meaning the same place while new items
are appended (an offset would shift by one with every new entry).

A cursor is the sort key of an item, tagged with the list it belongs to, in URL-safe
base64 of a small JSON array. It is opaque to callers but not secret: it only names a
place. A cursor of another list, or one that does not decode to a key of the right shape,
is refused with :class:`CursorError` (``invalid-cursor``), which adapters answer with 400.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import orjson

from openline.core.errors import OpenlineError

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "CursorError",
    "Key",
    "Page",
    "decode_cursor",
    "encode_cursor",
    "page_limit",
]

DEFAULT_LIMIT = 200
"""Items per page when the caller does not say: a few hundred, what a screen can use."""
MAX_LIMIT = 1000

KeyPart = str | int
Key = tuple[KeyPart, ...]
"""A sort key: strings and integers only (times are fixed-width strings, seqs integers)."""

T = TypeVar("T")

_MAX_CURSOR_CHARS = 512


class CursorError(OpenlineError, ValueError):
    """A cursor that names no place in this list."""

    code = "invalid-cursor"


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list, in the list's order.

    ``before`` names the place just past the page's last item in list order (pass it back
    to continue), ``after`` the place before its first (to go the other way); either is
    None when nothing lies beyond it at the time of reading.
    """

    items: Sequence[T]
    before: str | None
    after: str | None


def page_limit(limit: int | None) -> int:
    """The number of items to read: the default, or the caller's within 1..MAX_LIMIT.

    Raises:
        ValueError: ``limit`` is below 1 or above :data:`MAX_LIMIT`.
    """
    if limit is None:
        return DEFAULT_LIMIT
    if isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be 1 to {MAX_LIMIT}, not {limit!r}")
    return limit


def encode_cursor(list_name: str, key: Key) -> str:
    """The opaque cursor of ``key`` in the list ``list_name``."""
    raw = orjson.dumps([list_name, *key])
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(list_name: str, cursor: str, shape: Sequence[type]) -> Key:
    """The key a cursor names, checked against the list and the key's shape.

    Args:
        list_name: The list the cursor must belong to.
        cursor: What a caller passed.
        shape: The type of each part of the key (``str`` or ``int``).

    Raises:
        CursorError: not a cursor, a cursor of another list, or a key of another shape.
    """
    if not isinstance(cursor, str) or not cursor or len(cursor) > _MAX_CURSOR_CHARS:
        raise CursorError("the cursor is empty or too long")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = orjson.loads(raw)
    except (binascii.Error, ValueError, orjson.JSONDecodeError) as error:
        raise CursorError(f"{cursor[:40]!r} is not a cursor of this list") from error
    if not isinstance(value, list) or not value or value[0] != list_name:
        raise CursorError(f"{cursor[:40]!r} is not a cursor of the {list_name} list")
    parts = value[1:]
    if len(parts) != len(shape) or not all(
        isinstance(part, kind) and not isinstance(part, bool)
        for part, kind in zip(parts, shape, strict=True)
    ):
        raise CursorError(f"{cursor[:40]!r} does not name a place in the {list_name} list")
    if any(isinstance(part, int) and part < 0 for part in parts):
        raise CursorError(f"{cursor[:40]!r} names a negative position")
    return tuple(parts)
