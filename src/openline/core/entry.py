"""Transcript entries: the signed, content-addressed unit of everything a party says.

An entry is a JSON object (docs/architecture.md, "Links, logs and entries"; design note 1)::

    {"version": 1, "link": "prc-mnd~us-dod", "from": "us-dod", "to": "prc-mnd",
     "seq": 0, "time": "2026-11-29T01:48:19.123Z", "kind": "hotline.message",
     "body": {...}, "refs": ["<id>", ...], "sig": "<base64 Ed25519>"}

``sig`` is the sender's Ed25519 signature over the RFC 8785 bytes of the object without
``sig``. The *leaf* is the RFC 8785 bytes of the signed object, and the *id* is the RFC 9162
leaf hash of it, SHA-256(0x00 ‖ leaf), in hex. Unknown fields are refused rather than kept:
a signed transcript entry that we cannot fully read is not one we can vouch for.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from openline.core.canonical import canonical_bytes, parse_canonical
from openline.core.errors import EncodingError, EntryError
from openline.core.keys import PrivateKey, PublicKey, strict_b64decode
from openline.core.kinds import kind_spec
from openline.core.merkle import leaf_hash
from openline.core.schema import ENTRY_ID, is_party_id, require_exact_keys, require_object
from openline.core.timefmt import parse_time

ENTRY_VERSION = 1
ENVELOPE_FIELDS = ("version", "link", "from", "to", "seq", "time", "kind", "body", "refs", "sig")
MAX_REFS = 64


def link_id(party_a: str, party_b: str) -> str:
    """The name of the link between two parties: both ids, sorted, joined by ``~``."""
    first, second = sorted((party_a, party_b))
    return f"{first}~{second}"


@dataclass(frozen=True, slots=True)
class Entry:
    """A signed entry as held in a transcript. Build it with :func:`sign_entry` or parse it
    with :meth:`from_json` / :meth:`from_leaf`; both check the envelope and the body."""

    sender: str
    recipient: str
    seq: int
    time: str
    kind: str
    body: Mapping[str, Any]
    refs: tuple[str, ...]
    signature: bytes
    leaf: bytes
    id: str

    @property
    def link(self) -> str:
        return link_id(self.sender, self.recipient)

    @property
    def leaf_hash(self) -> bytes:
        return bytes.fromhex(self.id)

    def signing_input(self) -> bytes:
        # The entry was checked when it was built: its values are inside the canonical
        # subset, so the encoder alone gives the RFC 8785 bytes (no second walk).
        return orjson.dumps(_unsigned_object(self), option=orjson.OPT_SORT_KEYS)

    def to_json(self) -> dict[str, Any]:
        obj = _unsigned_object(self)
        obj["sig"] = base64.b64encode(self.signature).decode("ascii")
        return obj

    @classmethod
    def from_json(cls, obj: object) -> Entry:
        """Parse and check an entry object received from outside.

        Checks envelope types, the kind's body schema and the ref count; not the
        signature (that needs the sender's key: :func:`verify_entry_signature`).

        Raises:
            EntryError: with code ``invalid-entry``, ``unknown-kind`` or ``invalid-body``.
        """
        return cls._checked(obj, None)

    @classmethod
    def _checked(cls, obj: object, leaf: bytes | None) -> Entry:
        """``from_json``, given the canonical bytes of ``obj`` when they are known."""
        fields = require_object(obj, "entry", code="invalid-entry")
        require_exact_keys(fields, "entry", ENVELOPE_FIELDS, code="invalid-entry")
        if fields["version"] != ENTRY_VERSION or isinstance(fields["version"], bool):
            raise EntryError(f"entry.version must be {ENTRY_VERSION}", code="invalid-entry")
        sender, recipient = fields["from"], fields["to"]
        if not is_party_id(sender) or not is_party_id(recipient) or sender == recipient:
            raise EntryError("entry.from and entry.to must be two party ids", code="invalid-entry")
        if fields["link"] != link_id(sender, recipient):
            raise EntryError(
                f"entry.link must be {link_id(sender, recipient)!r}", code="wrong-link"
            )
        seq = fields["seq"]
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            raise EntryError("entry.seq must be a non-negative integer", code="invalid-entry")
        time = fields["time"]
        try:
            parse_time(time)
        except EncodingError as error:
            raise EntryError(f"entry.time: {error}", code="invalid-entry") from error
        kind = fields["kind"]
        if not isinstance(kind, str):
            raise EntryError("entry.kind must be a string", code="invalid-entry")
        spec = kind_spec(kind)
        refs = fields["refs"]
        if not isinstance(refs, list) or not all(
            isinstance(ref, str) and ENTRY_ID.match(ref) for ref in refs
        ):
            raise EntryError("entry.refs must be a list of entry ids", code="invalid-entry")
        if len(set(refs)) != len(refs) or len(refs) > MAX_REFS:
            raise EntryError("entry.refs must be distinct and few", code="invalid-entry")
        if not spec.min_refs <= len(refs) <= max(spec.max_refs, spec.min_refs):
            raise EntryError(
                f"{kind} must ref {spec.min_refs} to {spec.max_refs} entries",
                code="invalid-entry",
            )
        body = require_object(fields["body"], f"{kind} body")
        spec.validate_body(body)
        sig_text = fields["sig"]
        # Canonical base64 only: the leaf (and so the id) includes the sig text, and a lenient
        # decoder would let anyone respell a valid signature into a second "signed" entry
        # with another id, i.e. forge equivocation evidence against the sender.
        if not isinstance(sig_text, str):
            raise EntryError("entry.sig must be base64", code="invalid-entry")
        try:
            signature = strict_b64decode(sig_text)
        except ValueError as error:
            raise EntryError("entry.sig must be canonical base64", code="invalid-entry") from error
        if len(signature) != 64:
            raise EntryError("entry.sig must be a 64-byte signature", code="invalid-entry")
        if leaf is None:
            try:
                leaf = canonical_bytes(fields)
            except EncodingError as error:
                raise EntryError(f"entry: {error}", code="invalid-entry") from error
        return cls(
            sender=sender,
            recipient=recipient,
            seq=seq,
            time=time,
            kind=kind,
            body=body,
            refs=tuple(refs),
            signature=signature,
            leaf=leaf,
            id=leaf_hash(leaf).hex(),
        )

    @classmethod
    def from_leaf(cls, leaf: bytes) -> Entry:
        """Parse a stored or received leaf, which must be canonical JSON.

        Raises:
            EntryError: as :meth:`from_json`, or code ``invalid-entry`` if not canonical.
        """
        try:
            obj = parse_canonical(leaf)
        except EncodingError as error:
            raise EntryError(f"leaf: {error}", code="invalid-entry") from error
        return cls._checked(obj, leaf)  # parse_canonical showed ``leaf`` is its encoding


def _unsigned_object(entry: Entry) -> dict[str, Any]:
    return {
        "version": ENTRY_VERSION,
        "link": entry.link,
        "from": entry.sender,
        "to": entry.recipient,
        "seq": entry.seq,
        "time": entry.time,
        "kind": entry.kind,
        "body": dict(entry.body),
        "refs": list(entry.refs),
    }


def sign_entry(
    *,
    sender: str,
    recipient: str,
    seq: int,
    time: str,
    kind: str,
    body: Mapping[str, Any],
    refs: Sequence[str],
    key: PrivateKey,
) -> Entry:
    """Build, sign and check a new entry.

    Raises:
        EntryError: the fields break the envelope or the kind's schema (the caller's input
            was bad; nothing is signed).
    """
    unsigned: dict[str, Any] = {
        "version": ENTRY_VERSION,
        "link": link_id(sender, recipient),
        "from": sender,
        "to": recipient,
        "seq": seq,
        "time": time,
        # A Kind (a StrEnum) is signed as its plain value: canonical JSON takes exact types.
        "kind": str(kind),
        "body": dict(body),
        "refs": list(refs),
    }
    try:
        signing_input = canonical_bytes(unsigned)
    except EncodingError as error:
        raise EntryError(str(error), code="invalid-body") from error
    signed = dict(unsigned, sig=base64.b64encode(key.sign(signing_input)).decode("ascii"))
    # Checked in full as a received entry is; the only value added since the canonical
    # check above is the base64 signature, so the encoder alone gives the leaf.
    return Entry._checked(signed, orjson.dumps(signed, option=orjson.OPT_SORT_KEYS))


def verify_entry_signature(entry: Entry, public_key: PublicKey) -> bool:
    """True when the sender's key signed exactly this entry."""
    return public_key.verify(entry.signing_input(), entry.signature)
