"""Authentication of federation requests between nodes.

Every request a node makes to a peer carries four headers::

    Openline-From: us-dod
    Openline-To: prc-mnd
    Openline-Time: 1764380899123            (milliseconds since the epoch)
    Openline-Signature: <base64 Ed25519>

The signature covers a domain-separated string of method, path, both parties, the time and
the SHA-256 of the body, so a captured request cannot be re-aimed at another path, another
node or another body. The receiver refuses a time outside its window and a signature it
has already seen inside the window (a replay). Judging is pure: the clock reading and the
set of recently seen signatures are passed in.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from openline.core.keys import PrivateKey, PublicKey

FROM_HEADER = "openline-from"
TO_HEADER = "openline-to"
TIME_HEADER = "openline-time"
SIGNATURE_HEADER = "openline-signature"
_DOMAIN = b"openline-fed/v1\n"


def signing_input(
    *, method: str, path: str, sender: str, recipient: str, time_ms: int, body: bytes
) -> bytes:
    return _DOMAIN + "\n".join(
        (method.upper(), path, sender, recipient, str(time_ms), hashlib.sha256(body).hexdigest())
    ).encode("utf-8")


def sign_request(
    *,
    key: PrivateKey,
    method: str,
    path: str,
    sender: str,
    recipient: str,
    time_ms: int,
    body: bytes,
) -> dict[str, str]:
    """The headers that authenticate one request."""
    message = signing_input(
        method=method, path=path, sender=sender, recipient=recipient, time_ms=time_ms, body=body
    )
    return {
        FROM_HEADER: sender,
        TO_HEADER: recipient,
        TIME_HEADER: str(time_ms),
        SIGNATURE_HEADER: base64.b64encode(key.sign(message)).decode("ascii"),
    }


@dataclass(frozen=True, slots=True)
class AuthFailure:
    status: int
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Authenticated:
    sender: str
    signature: bytes


def authenticate(
    *,
    headers: Mapping[str, str],
    method: str,
    path: str,
    body: bytes,
    our_party: str,
    keys_of: Callable[[str], tuple[PublicKey, ...] | None],
    now_ms: int,
    window_ms: int,
    seen: Callable[[bytes], bool],
) -> Authenticated | AuthFailure:
    """Judge a request's headers. ``seen`` says whether a signature was used already."""
    sender = headers.get(FROM_HEADER)
    recipient = headers.get(TO_HEADER)
    time_text = headers.get(TIME_HEADER)
    signature_text = headers.get(SIGNATURE_HEADER)
    if not sender or not recipient or not time_text or not signature_text:
        return AuthFailure(401, "unauthenticated", "request lacks the Openline-* signature headers")
    keys = keys_of(sender)
    if keys is None:
        return AuthFailure(401, "unknown-party", f"party {sender!r} is not pinned on this node")
    if recipient != our_party:
        return AuthFailure(421, "wrong-node", f"this node is {our_party!r}, not {recipient!r}")
    # isascii: str.isdigit() is also true for "²" or "١", which int() refuses or misreads.
    if not time_text.isascii() or not time_text.isdigit() or len(time_text) > 16:
        return AuthFailure(401, "unauthenticated", "Openline-Time must be milliseconds")
    time_ms = int(time_text)
    try:
        signature = base64.b64decode(signature_text, validate=True)
    except (binascii.Error, ValueError):
        return AuthFailure(401, "bad-request-signature", "Openline-Signature is not base64")
    message = signing_input(
        method=method, path=path, sender=sender, recipient=recipient, time_ms=time_ms, body=body
    )
    if not any(key.verify(message, signature) for key in keys):
        return AuthFailure(401, "bad-request-signature", f"request is not signed by {sender!r}")
    if abs(now_ms - time_ms) > window_ms:
        return AuthFailure(
            401,
            "stale-request",
            f"request time is {abs(now_ms - time_ms) // 1000} s off; the window is "
            f"{window_ms // 1000} s (check the clocks)",
        )
    if seen(signature):
        return AuthFailure(409, "replayed-request", "this exact request was already received")
    return Authenticated(sender, signature)
