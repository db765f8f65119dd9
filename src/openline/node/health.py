"""What the running node knows of each link now: when it last heard from the peer, its
failures, and the state that follows (up, degraded, down, diverging). Not persisted: a
restarted node learns it again within a heartbeat."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class LinkHealth:
    """What the running node has seen of a link (not persisted: it is about now)."""

    last_receipt: datetime | None = None
    last_heard: datetime | None = None
    last_failure: datetime | None = None
    last_error: str | None = None
    failures: int = 0
    equivocation: str | None = None

    def state(self, now: datetime, heartbeat_seconds: float) -> str:
        if self.equivocation:
            return "diverging"
        seen = [t for t in (self.last_receipt, self.last_heard) if t is not None]
        if not seen:
            return "down"
        age = (now - max(seen)).total_seconds()
        if age <= 2.5 * heartbeat_seconds and self.failures == 0:
            return "up"
        if age <= 2.5 * heartbeat_seconds:
            return "degraded"
        return "down"
