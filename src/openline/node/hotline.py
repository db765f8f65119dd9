"""A hotline message to send, as the officer gave it: checked before anything is signed."""

from __future__ import annotations

from dataclasses import dataclass

from openline.core.precedence import PRECEDENCES
from openline.core.schema import LANGUAGE_TAG
from openline.node.errors import CommandError


@dataclass(frozen=True, slots=True)
class NewMessage:
    text: str
    precedence: str = "routine"
    lang: str = "en"
    officer: str | None = None  # who sends it; in the signed body only when known

    def body(self) -> dict[str, str]:
        if self.precedence not in PRECEDENCES:
            raise CommandError(
                f"precedence must be one of {', '.join(PRECEDENCES)}",
                code="invalid-precedence",
                status=422,
            )
        if not LANGUAGE_TAG.match(self.lang):
            raise CommandError(
                f"{self.lang!r} is not a language tag", code="invalid-lang", status=422
            )
        body = {"text": self.text, "lang": self.lang, "precedence": self.precedence}
        if self.officer is not None:
            body["officer"] = self.officer
        return body
