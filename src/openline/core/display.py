"""What a peer wrote, shown as it is: characters that would make a line read as other than
it is are made visible.

A bidirectional override or isolate (U+202A–202E, U+2066–2069) reorders what follows it:
``test`` U+202E ``evil`` reads as "testlive". A control character can move a cursor or
ring a bell. Each is shown as its code point in brackets (``[U+202E]``), so an officer
sees that it is there and where, and reads the text in the order it was written. Joiners
(U+200C, U+200D) stay: scripts need them.
"""

from __future__ import annotations

import re

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_HIDDEN = re.compile("[\u202a-\u202e\u2066-\u2069\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def marker(char: str) -> str:
    """How a hidden character is shown: ``[U+202E]``."""
    return f"[U+{ord(char):04X}]"


def defused(text: str) -> str:
    """``text`` with every bidirectional control and every control character but line
    breaks and tabs shown as its :func:`marker`."""
    return _HIDDEN.sub(lambda found: marker(found.group()), text)
