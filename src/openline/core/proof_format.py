"""The proof file format: the JSON wrapper and its C2SP tlog-proof parts (docs/proofs.md).

This module only reads and writes the bytes; what a proof claims and how that is checked
is :mod:`openline.core.proofs`. Keeping the two apart lets another checker port the format
without the claims, and keeps every ``malformed`` decision in one place.

A proof file is an RFC 8785 JSON object followed by one newline. Its fields depend on its
``claim`` and none other may appear. Each "leaf + inclusion + checkpoint" part is a
c2sp.org/tlog-proof text whose ``extra`` line carries the entry's leaf; the ``unanswered``
claim adds the counterpart's checkpoints, leaves and compact range. Parsing is strict, so
a proof has one spelling: every field known and of its type, base64 canonical, decimals
without leading zeros, and at most 64 inclusion hashes of 32 bytes each. Signature lines
inside the notes are the checker's business, not this module's.

:class:`ProofError` lives here because the format is the lowest layer that raises it;
:mod:`openline.core.proofs` re-exports it and raises it for every other failure too.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from openline.core.canonical import canonical_bytes, parse_canonical
from openline.core.errors import EncodingError, OpenlineError
from openline.core.keys import strict_b64decode
from openline.core.merkle import HASH_SIZE

__all__ = [
    "CLAIMS",
    "PROOF_TYPE",
    "PROOF_VERSION",
    "TLOG_PROOF_HEADER",
    "Claim",
    "ProofError",
    "TlogProof",
    "bundle_from_bytes",
    "bundle_to_bytes",
    "decode_b64",
    "decode_hash",
    "encode_b64",
]

PROOF_TYPE = "openline.proof"
PROOF_VERSION = 1
TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1"
Claim = Literal["delivery", "answer", "unanswered"]
CLAIMS: tuple[Claim, ...] = ("delivery", "answer", "unanswered")

_FIELDS: Mapping[str, tuple[str, ...]] = {
    "delivery": ("type", "version", "claim", "entry"),
    "answer": ("type", "version", "claim", "request", "answer"),
    "unanswered": ("type", "version", "claim", "request", "counterpart"),
}
_COUNTERPART_FIELDS = ("prefix_checkpoint", "prefix_range", "entries", "checkpoint")
# tlog-proof "Format": ASCII decimal, no leading zeroes. 2**64 - 1 has 20 digits.
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,19}")
# An inclusion proof in a tree below 2**64 has at most 64 hashes.
_MAX_PROOF_HASHES = 64


class ProofError(OpenlineError, ValueError):
    """A proof that does not hold, or input a builder cannot make a proof of.

    Codes: ``malformed`` (framing, JSON, fields, base64, tlog-proof or note syntax),
    ``missing-card``, ``bad-entry`` (a leaf that is not a valid entry), ``bad-signature``
    (an entry, checkpoint or cosignature that the card's key did not make, or a missing
    or unexpected signature line), ``wrong-log`` (a checkpoint or entry of another log or
    index), ``not-included`` (an inclusion proof or range that does not reach the
    checkpoint's root), ``bad-range`` (counterpart entries that are not the consecutive
    range the checkpoints need), ``not-an-answer``, ``not-provable`` (a kind without a
    deadline from signed data), ``delivered-late`` (delivered after the deadline),
    ``too-early`` (the counterpart's checkpoint is not after the deadline),
    ``prefix-too-late`` (the hidden prefix is not fixed before the request), ``answered``
    (a disclosed entry answers the request) and ``bad-input`` (a builder's input).
    """

    code = "bad-proof"


# --- the JSON wrapper ------------------------------------------------------------------


def bundle_to_bytes(parts: Mapping[str, Any]) -> bytes:
    """Write a proof file: ``type`` and ``version`` plus ``parts``, as RFC 8785 JSON and
    one newline, so that a text file has exactly one spelling."""
    return canonical_bytes({"type": PROOF_TYPE, "version": PROOF_VERSION, **parts}) + b"\n"


def bundle_from_bytes(data: bytes) -> dict[str, Any]:
    """Read a proof file's wrapper: its framing, fields and their JSON types.

    The tlog-proof and note texts are returned as strings and the counterpart's lists as
    base64 strings: decoding them is left to the checker, in the order it checks them.

    Raises:
        ProofError: code ``malformed`` for anything but the canonical JSON of a known
            version and claim with exactly that claim's fields of the right types.
    """
    # orjson refuses lone surrogates, so every string of the bundle encodes back to UTF-8.
    if not isinstance(data, bytes) or not data.endswith(b"\n"):
        raise ProofError("a proof is RFC 8785 JSON followed by one newline", code="malformed")
    try:
        obj = parse_canonical(data[:-1])
    except EncodingError as error:
        raise ProofError(f"proof is not canonical JSON: {error}", code="malformed") from error
    if not isinstance(obj, dict):
        raise ProofError("proof must be a JSON object", code="malformed")
    if obj.get("type") != PROOF_TYPE or type(obj.get("version")) is not int:
        raise ProofError(f"not an {PROOF_TYPE} document", code="malformed")
    if obj["version"] != PROOF_VERSION:
        raise ProofError(f"unsupported proof version {obj['version']}", code="malformed")
    claim = obj.get("claim")
    if not isinstance(claim, str) or claim not in _FIELDS:
        raise ProofError(f"proof.claim must be one of {', '.join(CLAIMS)}", code="malformed")
    _require_fields(obj, _FIELDS[claim], "proof")
    for name in ("entry", "request", "answer"):
        if name in obj and not isinstance(obj[name], str):
            raise ProofError(f"proof.{name} must be a tlog-proof text", code="malformed")
    if claim == "unanswered":
        counterpart = obj["counterpart"]
        if not isinstance(counterpart, dict):
            raise ProofError("proof.counterpart must be an object", code="malformed")
        _require_fields(counterpart, _COUNTERPART_FIELDS, "proof.counterpart")
        prefix = counterpart["prefix_checkpoint"]
        if not isinstance(counterpart["checkpoint"], str) or not (
            prefix is None or isinstance(prefix, str)
        ):
            raise ProofError("proof.counterpart checkpoints must be note texts", code="malformed")
        for name in ("prefix_range", "entries"):
            items = counterpart[name]
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                raise ProofError(
                    f"proof.counterpart.{name} must be a list of base64", code="malformed"
                )
    return obj


def _require_fields(obj: Mapping[str, Any], names: Sequence[str], where: str) -> None:
    missing = [name for name in names if name not in obj]
    extra = sorted(set(obj) - set(names))
    if missing:
        raise ProofError(f"{where} lacks field {missing[0]!r}", code="malformed")
    if extra:
        raise ProofError(f"{where} has unknown field {extra[0]!r}", code="malformed")


# --- the tlog-proof part ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TlogProof:
    """A c2sp.org/tlog-proof@v1 whose ``extra`` is the entry's leaf.

    Attributes:
        leaf: The entry's exact leaf bytes (the ``extra`` line).
        index: The leaf's index in the log (the ``index`` line).
        hashes: The inclusion proof, one hash a line.
        note: The checkpoint's signed note, verbatim; its lines are not checked here.
    """

    leaf: bytes
    index: int
    hashes: tuple[bytes, ...]
    note: bytes

    def to_text(self) -> str:
        """The tlog-proof text."""
        lines = [TLOG_PROOF_HEADER, f"extra {encode_b64(self.leaf)}", f"index {self.index}"]
        lines.extend(encode_b64(item) for item in self.hashes)
        # tlog-proof "Format": the proof lines, an empty line, the checkpoint verbatim.
        return "\n".join(lines) + "\n\n" + self.note.decode("utf-8")

    @classmethod
    def from_text(cls, text: str, where: str) -> TlogProof:
        """Parse a tlog-proof text; ``where`` names the part in error messages.

        Raises:
            ProofError: code ``malformed`` if the header, ``extra``, ``index`` or hash
                lines are missing or not canonical, or there are more than 64 hashes.
        """
        head, sep, note = text.partition("\n\n")
        lines = head.split("\n")
        # tlog-proof "Format": the first line is the header; our profile requires `extra`.
        if not sep or len(lines) < 3 or lines[0] != TLOG_PROOF_HEADER:
            raise ProofError(
                f"{where} is not a {TLOG_PROOF_HEADER} with extra and index lines",
                code="malformed",
            )
        extra, index_line, *hash_lines = lines[1:]
        if not extra.startswith("extra "):
            raise ProofError(f"{where}: the extra line (the leaf) is missing", code="malformed")
        leaf = decode_b64(extra[len("extra ") :], f"{where} extra")
        if not index_line.startswith("index ") or not _DECIMAL.fullmatch(index_line[6:]):
            raise ProofError(f"{where}: the index line is not 'index <decimal>'", code="malformed")
        if len(hash_lines) > _MAX_PROOF_HASHES:
            raise ProofError(f"{where}: too many inclusion hashes", code="malformed")
        hashes = tuple(
            decode_hash(line, f"{where} inclusion hash {i}") for i, line in enumerate(hash_lines)
        )
        return cls(leaf, int(index_line[6:]), hashes, note.encode("utf-8"))


# --- base64 ----------------------------------------------------------------------------


def encode_b64(data: bytes) -> str:
    """Standard padded base64, as every binary value of a proof is written."""
    return base64.b64encode(data).decode("ascii")


def decode_b64(text: str, where: str) -> bytes:
    """Decode canonical base64 (RFC 4648 §4, padded, unused bits zero).

    Raises:
        ProofError: code ``malformed`` naming ``where`` for any other spelling.
    """
    try:
        return strict_b64decode(text)
    except ValueError as error:
        raise ProofError(f"{where} is not canonical base64", code="malformed") from error


def decode_hash(text: str, where: str) -> bytes:
    """Decode canonical base64 of a 32-byte hash.

    Raises:
        ProofError: code ``malformed`` naming ``where`` for bad base64 or a wrong length.
    """
    value = decode_b64(text, where)
    if len(value) != HASH_SIZE:
        raise ProofError(f"{where} is not a {HASH_SIZE}-byte hash", code="malformed")
    return value
