"""What judging a federation batch comes to: the outcomes of ``IncomingLog.accept_batch``.

:mod:`openline.core.link` says when each is returned and re-exports them. An outcome only
describes; nothing is stored until the caller does so and applies it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from openline.core.checkpoint import Checkpoint
from openline.core.cosignature import Cosignature
from openline.core.entry import Entry


@dataclass(frozen=True, slots=True)
class Accepted:
    """New entries to store; ``cosignature`` is the receipt to return once they are."""

    entries: tuple[Entry, ...]
    checkpoint: Checkpoint
    checkpoint_note: bytes
    cosignature: Cosignature
    sender_cosignature: Cosignature | None = None


@dataclass(frozen=True, slots=True)
class Duplicate:
    """Every entry was already held, byte for byte; the receipt is given again."""

    count: int
    checkpoint: Checkpoint
    checkpoint_note: bytes
    cosignature: Cosignature
    sender_cosignature: Cosignature | None = None


@dataclass(frozen=True, slots=True)
class Gap:
    """The batch starts past what is held: resend from ``expected_seq``."""

    expected_seq: int


@dataclass(frozen=True, slots=True)
class EquivocationEvidence:
    """Two conflicting statements, both signed by the sender."""

    reason: str
    seq: int | None
    held: bytes
    offered: bytes
    offered_checkpoint_note: bytes
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Equivocation:
    evidence: EquivocationEvidence


@dataclass(frozen=True, slots=True)
class Rejected:
    code: str
    reason: str


BatchOutcome = Accepted | Duplicate | Gap | Equivocation | Rejected
