"""Small, strict validators for JSON bodies received from peers and officers.

Each failure names the field and what was expected, and carries the code ``invalid-body``
(or ``invalid-entry`` for envelope fields), so that a peer's 4xx reply and an officer's
form error say exactly what is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from openline.core.errors import EntryError

PARTY_ID = re.compile(r"\A[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?\Z")
LANGUAGE_TAG = re.compile(r"\A[a-z]{2,3}(?:-[A-Za-z0-9]{1,8})*\Z")
ENTRY_ID = re.compile(r"\A[0-9a-f]{64}\Z")
# Every C0 and C1 control (Unicode category Cc: U+0000-001F, U+007F-009F) but tab and
# newline. C1 matters as much as C0: U+009B is CSI, as much a terminal escape as ESC.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def is_party_id(value: object) -> bool:
    return isinstance(value, str) and PARTY_ID.match(value) is not None


def require_object(value: object, where: str, code: str = "invalid-body") -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise EntryError(f"{where} must be a JSON object", code=code)
    return value


def require_exact_keys(
    obj: Mapping[str, Any],
    where: str,
    required: Sequence[str],
    optional: Sequence[str] = (),
    code: str = "invalid-body",
) -> None:
    """Refuse missing and unknown fields: signed bodies never carry what we cannot read."""
    missing = [key for key in required if key not in obj]
    if missing:
        raise EntryError(f"{where} lacks field {missing[0]!r}", code=code)
    allowed = set(required) | set(optional)
    extra = sorted(key for key in obj if key not in allowed)
    if extra:
        raise EntryError(f"{where} has unknown field {extra[0]!r}", code=code)


def require_text(
    obj: Mapping[str, Any],
    key: str,
    where: str,
    *,
    max_length: int,
    min_length: int = 1,
    code: str = "invalid-body",
) -> str:
    value = obj[key]
    if not isinstance(value, str):
        raise EntryError(f"{where}.{key} must be a string", code=code)
    if not min_length <= len(value) <= max_length:
        raise EntryError(
            f"{where}.{key} must be {min_length} to {max_length} characters long", code=code
        )
    if CONTROL_CHARS.search(value):
        raise EntryError(f"{where}.{key} contains control characters", code=code)
    return value


def require_choice(
    obj: Mapping[str, Any], key: str, where: str, choices: Sequence[str], code: str = "invalid-body"
) -> str:
    value = obj[key]
    if value not in choices:
        raise EntryError(f"{where}.{key} must be one of {', '.join(choices)}", code=code)
    assert isinstance(value, str)
    return value


def require_pattern(
    obj: Mapping[str, Any],
    key: str,
    where: str,
    pattern: re.Pattern[str],
    what: str,
    code: str = "invalid-body",
) -> str:
    value = obj[key]
    if not isinstance(value, str) or pattern.match(value) is None:
        raise EntryError(f"{where}.{key} must be {what}", code=code)
    return value
