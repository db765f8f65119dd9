"""Errors of application commands: each says what the officer or peer did wrong, with a
machine-readable code and the HTTP status an adapter should answer with."""

from __future__ import annotations


class CommandError(Exception):
    def __init__(self, message: str, *, code: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.status = status

    def to_json(self) -> dict[str, dict[str, str]]:
        return {"error": {"code": self.code, "message": str(self)}}
