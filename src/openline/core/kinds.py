"""The kinds of entry, each with a strict body schema and the rule for its refs.

A kind that answers another (an acknowledgement answers a message) names the kinds it may
ref. Refs of such a kind must point into the *counterpart's* log: one can only acknowledge
what one has received. The receiver checks this against its own transcript (DESIGN.md,
"Entries"), so an answer to something never sent is refused at the door.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any

from openline.core.errors import EntryError
from openline.core.schema import (
    LANGUAGE_TAG,
    require_choice,
    require_exact_keys,
    require_object,
    require_pattern,
    require_text,
)

MAX_TEXT_LENGTH = 20_000
MAX_NAME_LENGTH = 200


class Precedence(StrEnum):
    """Military message precedence, highest first."""

    FLASH = "flash"
    IMMEDIATE = "immediate"
    PRIORITY = "priority"
    ROUTINE = "routine"


PRECEDENCES: tuple[str, ...] = tuple(p.value for p in Precedence)

DEFAULT_ACK_OBJECTIVES: Mapping[Precedence, timedelta] = {
    Precedence.FLASH: timedelta(minutes=10),
    Precedence.IMMEDIATE: timedelta(minutes=30),
    Precedence.PRIORITY: timedelta(hours=3),
    Precedence.ROUTINE: timedelta(hours=6),
}


@dataclass(frozen=True, slots=True)
class KindSpec:
    """What a kind's body must look like and what its refs may point at."""

    name: str
    validate_body: Callable[[Mapping[str, Any]], None]
    answers: frozenset[str] = field(default_factory=frozenset)
    min_refs: int = 0
    max_refs: int = 0


def _hotline_message(body: Mapping[str, Any]) -> None:
    where = "hotline.message body"
    require_exact_keys(body, where, ("text", "lang", "precedence"))
    require_text(body, "text", where, max_length=MAX_TEXT_LENGTH)
    require_pattern(body, "lang", where, LANGUAGE_TAG, "a language tag such as en or zh-Hans")
    require_choice(body, "precedence", where, PRECEDENCES)


def _hotline_ack(body: Mapping[str, Any]) -> None:
    where = "hotline.ack body"
    require_exact_keys(body, where, ("officer",))
    require_text(body, "officer", where, max_length=MAX_NAME_LENGTH)


KINDS: Mapping[str, KindSpec] = {
    spec.name: spec
    for spec in (
        KindSpec("hotline.message", _hotline_message),
        KindSpec(
            "hotline.ack",
            _hotline_ack,
            answers=frozenset({"hotline.message"}),
            min_refs=1,
            max_refs=1,
        ),
    )
}


def kind_spec(kind: str) -> KindSpec:
    """The spec of a known kind.

    Raises:
        EntryError: code ``unknown-kind``.
    """
    spec = KINDS.get(kind)
    if spec is None:
        raise EntryError(f"unknown kind {kind!r}", code="unknown-kind")
    return spec


def validate_body(kind: str, body: object) -> None:
    """Check a body against its kind's schema.

    Raises:
        EntryError: code ``unknown-kind`` or ``invalid-body``.
    """
    spec = kind_spec(kind)
    spec.validate_body(require_object(body, f"{kind} body"))
