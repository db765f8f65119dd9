"""Checks of one field that the notification bodies and their geometries share.

A whole number is an ``int`` and nothing else (not a bool, not a float: signed JSON carries
no floats, docs/design-notes.md §2), and every failure is an ``EntryError`` with the code
``invalid-body``, naming the member at fault.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openline.core.errors import EntryError


def invalid(message: str) -> EntryError:
    """The error of a body that breaks its schema (code ``invalid-body``)."""
    return EntryError(message, code="invalid-body")


def is_whole(value: object) -> bool:
    """True for an ``int`` that is no bool."""
    return type(value) is int  # not bool, not float: 1.0 and True are refused


def require_whole(
    obj: Mapping[str, Any], key: str, where: str, low: int, high: int, what: str
) -> int:
    """``obj[key]``, a whole number of ``what`` from ``low`` to ``high``."""
    value = obj[key]
    if not is_whole(value) or not low <= value <= high:
        raise invalid(f"{where}.{key} must be a whole number of {what}, {low} to {high}")
    assert isinstance(value, int)
    return value
