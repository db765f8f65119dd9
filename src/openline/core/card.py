"""Party cards: who a party is, where its node listens, and the key it signs with.

A card is a self-signed canonical JSON document, exchanged out of band and pinned by
``openline peer add`` after its fingerprint has been read out over the phone::

    {"type": "openline.card", "version": 1, "party": "us-dod",
     "names": {"en": "U.S. Department of Defense"}, "urls": ["http://127.0.0.1:8701"],
     "key": "<base64 Ed25519>", "created": "2026-11-29T01:48:19.123Z",
     "previous_key": null, "sig": "<base64>", "endorsement": null}

``sig`` is made with ``key`` over the canonical bytes of the card without ``sig`` and
``endorsement``. A rotated card names the key it replaces in ``previous_key`` and carries
``endorsement``, the old key's signature over the same bytes: a peer that pinned the old
card accepts the new one without another phone call (docs/architecture.md, "Parties and
cards").
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from openline.core.canonical import canonical_bytes, parse_json
from openline.core.cosignature import cosigner
from openline.core.errors import CardError, EncodingError
from openline.core.keys import PrivateKey, PublicKey, strict_b64decode
from openline.core.note import COSIGNATURE_V1_TYPE, NoteSigner, NoteVerifier, key_id
from openline.core.schema import LANGUAGE_TAG, is_party_id
from openline.core.timefmt import parse_time

CARD_TYPE = "openline.card"
CARD_VERSION = 1
_CARD_FIELDS = (
    "type",
    "version",
    "party",
    "names",
    "urls",
    "key",
    "created",
    "previous_key",
    "sig",
    "endorsement",
)
# A name is printed next to the fingerprint people compare by phone: no control character
# (not even a newline) may fake or hide that line.
_NAME_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_URL = re.compile(r"\Ahttps?://[A-Za-z0-9.\-\[\]:]+(?::[0-9]{1,5})?/?\Z")


@dataclass(frozen=True, slots=True)
class Card:
    """A verified party card. Only :meth:`from_json` and :func:`make_card` build one."""

    party: str
    names: Mapping[str, str]
    urls: tuple[str, ...]
    key: PublicKey
    created: str
    previous_key: PublicKey | None
    signature: bytes
    endorsement: bytes | None

    @property
    def fingerprint(self) -> str:
        return self.key.fingerprint()

    def display_name(self, lang: str = "en") -> str:
        return self.names.get(lang) or self.names.get("en") or next(iter(self.names.values()))

    def signing_input(self) -> bytes:
        return canonical_bytes(_unsigned(self))

    def to_json(self) -> dict[str, Any]:
        obj = _unsigned(self)
        obj["sig"] = _b64(self.signature)
        obj["endorsement"] = None if self.endorsement is None else _b64(self.endorsement)
        return obj

    def to_bytes(self) -> bytes:
        return canonical_bytes(self.to_json())

    def note_verifier(self) -> NoteVerifier:
        """Verifier for checkpoints this party signs (signed-note type 0x01)."""
        return _verifier(self.party, self.key)

    def cosignature_verifier(self) -> NoteVerifier:
        """Verifier for this party's tlog-cosignatures (type 0x04)."""
        return NoteVerifier(
            name=self.party,
            key_id=key_id(self.party, COSIGNATURE_V1_TYPE, self.key.raw),
            public_key=self.key,
            key_type=COSIGNATURE_V1_TYPE,
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> Card:
        try:
            return cls.from_json(parse_json(data))
        except EncodingError as error:
            raise CardError(f"card is not JSON: {error}") from error

    @classmethod
    def from_json(cls, obj: object) -> Card:
        """Parse a card and check its self-signature and, if rotated, its endorsement.

        Raises:
            CardError: anything malformed, or a signature that fails.
        """
        if not isinstance(obj, dict):
            raise CardError("card must be a JSON object")
        missing = [name for name in _CARD_FIELDS if name not in obj]
        extra = sorted(set(obj) - set(_CARD_FIELDS))
        if missing or extra:
            raise CardError(f"card field {(missing or extra)[0]!r} is missing or unknown")
        version = obj["version"]
        # type(...) is int: True and 1.0 compare equal to 1 but are other JSON values, and the
        # signature covers the re-encoded card, so they would pass as another spelling.
        if obj["type"] != CARD_TYPE or type(version) is not int or version != CARD_VERSION:
            raise CardError(f"not an {CARD_TYPE} version {CARD_VERSION} card")
        party = obj["party"]
        if not is_party_id(party):
            raise CardError("card.party must be lowercase letters, digits and '-'")
        names = obj["names"]
        if (
            not isinstance(names, dict)
            or not names
            or not all(
                isinstance(lang, str)
                and LANGUAGE_TAG.match(lang)
                and isinstance(name, str)
                and 0 < len(name) <= 200
                and not _NAME_CONTROL_CHARS.search(name)
                for lang, name in names.items()
            )
        ):
            raise CardError("card.names must map language tags to names")
        urls = obj["urls"]
        if not isinstance(urls, list) or not all(
            isinstance(url, str) and _URL.match(url) for url in urls
        ):
            raise CardError("card.urls must be a list of http(s) base URLs")
        try:
            parse_time(obj["created"])
        except EncodingError as error:
            raise CardError(f"card.created: {error}") from error
        key = _public_key(obj["key"], "card.key")
        previous = None if obj["previous_key"] is None else _public_key(obj["previous_key"], "")
        card = cls(
            party=party,
            names=dict(names),
            urls=tuple(url.rstrip("/") for url in urls),
            key=key,
            created=obj["created"],
            previous_key=previous,
            signature=_unb64(obj["sig"], "card.sig"),
            endorsement=None
            if obj["endorsement"] is None
            else _unb64(obj["endorsement"], "card.endorsement"),
        )
        if tuple(urls) != card.urls:
            raise CardError("card.urls must not end with '/'")
        message = card.signing_input()
        if not key.verify(message, card.signature):
            raise CardError(f"card of {party!r} is not signed by its own key")
        if (previous is None) != (card.endorsement is None):
            raise CardError("card.previous_key and card.endorsement go together")
        if (
            previous is not None
            and card.endorsement is not None
            and not previous.verify(message, card.endorsement)
        ):
            raise CardError(f"card of {party!r} is not endorsed by its previous key")
        return card


def make_card(
    *,
    party: str,
    names: Mapping[str, str],
    urls: Sequence[str],
    created: str,
    key: PrivateKey,
    previous_key: PrivateKey | None = None,
) -> Card:
    """Build and sign a card; pass ``previous_key`` to rotate from an older card's key.

    Raises:
        CardError: the fields are not valid card fields.
    """
    unsigned: dict[str, Any] = {
        "type": CARD_TYPE,
        "version": CARD_VERSION,
        "party": party,
        "names": dict(names),
        "urls": list(urls),
        "key": _b64(key.public_key.raw),
        "created": created,
        "previous_key": None if previous_key is None else _b64(previous_key.public_key.raw),
    }
    try:
        message = canonical_bytes(unsigned)
    except EncodingError as error:
        raise CardError(str(error)) from error
    endorsement = None if previous_key is None else _b64(previous_key.sign(message))
    return Card.from_json(dict(unsigned, sig=_b64(key.sign(message)), endorsement=endorsement))


def check_rotation(pinned: Card, offered: Card) -> None:
    """Accept ``offered`` in place of ``pinned`` only if it is the same party and either the
    same key (a changed URL or name, still self-signed) or a key endorsed by the pinned one.

    Raises:
        CardError: the offered card is not a valid successor.
    """
    if offered.party != pinned.party:
        raise CardError(f"card is for {offered.party!r}, not {pinned.party!r}")
    if offered.key == pinned.key:
        return
    if offered.previous_key != pinned.key:
        raise CardError(
            f"new key for {pinned.party!r} is not endorsed by the pinned key; "
            "verify the new fingerprint by phone and re-pin with --replace"
        )


def party_signer(party: str, key: PrivateKey) -> NoteSigner:
    """The signed-note signer a party uses for its checkpoints."""
    return NoteSigner(name=party, private_key=key)


def party_cosigner(party: str, key: PrivateKey) -> NoteSigner:
    """The tlog-cosignature signer a party uses for receipts and self-cosignatures."""
    return cosigner(party, key)


def _verifier(party: str, key: PublicKey) -> NoteVerifier:
    return NoteVerifier(name=party, key_id=key_id(party, 0x01, key.raw), public_key=key)


def _unsigned(card: Card) -> dict[str, Any]:
    return {
        "type": CARD_TYPE,
        "version": CARD_VERSION,
        "party": card.party,
        "names": dict(card.names),
        "urls": list(card.urls),
        "key": _b64(card.key.raw),
        "created": card.created,
        "previous_key": None if card.previous_key is None else _b64(card.previous_key.raw),
    }


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: object, where: str) -> bytes:
    if not isinstance(text, str):
        raise CardError(f"{where} must be base64 text")
    try:
        return strict_b64decode(text)
    except ValueError as error:
        raise CardError(f"{where} is not canonical base64") from error


def _public_key(text: object, where: str) -> PublicKey:
    try:
        return PublicKey(_unb64(text, where or "card.previous_key"))
    except ValueError as error:
        raise CardError(f"{where or 'card.previous_key'} is not an Ed25519 key") from error
