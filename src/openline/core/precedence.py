"""Military message precedence and the acknowledgement objective each one sets."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from enum import StrEnum


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
