"""What a run of ``openline verify`` found: :class:`VerifyReport`."""

from __future__ import annotations

from dataclasses import dataclass, field

from openline.node.verify.marks import Mark


@dataclass
class VerifyReport:
    problems: list[str] = field(default_factory=list)
    entries: int = 0
    checkpoints: int = 0
    cosignatures: int = 0
    logs: int = 0
    mode: str = "full"
    seconds: float = 0.0
    workers: int = 1
    marks: dict[str, Mark] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def entries_per_second(self) -> float:
        return self.entries / self.seconds if self.seconds > 0 else 0.0

    def to_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "logs": self.logs,
            "entries": self.entries,
            "checkpoints": self.checkpoints,
            "cosignatures": self.cosignatures,
            "problems": self.problems,
            "mode": self.mode,
            "seconds": round(self.seconds, 3),
            "entries_per_second": round(self.entries_per_second),
            "workers": self.workers,
            "marks": {log: mark.to_json() for log, mark in sorted(self.marks.items())},
        }
