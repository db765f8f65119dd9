"""Every error the core raises, in one place.

    OpenlineError
    ├── EncodingError        bytes or JSON that are not well formed, or not canonical
    ├── NoteError            a signed note, checkpoint or cosignature that does not parse
    │   └── NoteSignatureError   a trusted key's signature fails, or no trusted key signed
    ├── CardError            a party card that does not parse or whose signature fails
    ├── EntryError           an entry that breaks the schema of its kind (carries a code)
    └── LinkError            local misuse of a link (a bug in the caller, not the peer)

Errors caused by a peer's bytes carry a short machine-readable ``code`` so that adapters can
map them to a 4xx reply without parsing messages.
"""

from __future__ import annotations


class OpenlineError(Exception):
    """Base class for every error the core raises."""

    code: str = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class EncodingError(OpenlineError, ValueError):
    code = "malformed"


class NoteError(OpenlineError, ValueError):
    code = "malformed-note"


class NoteSignatureError(NoteError):
    code = "bad-signature"


class CardError(OpenlineError, ValueError):
    code = "bad-card"


class EntryError(OpenlineError, ValueError):
    code = "bad-entry"


class LinkError(OpenlineError):
    code = "link-misuse"
