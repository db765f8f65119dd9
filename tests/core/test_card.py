"""Tests for openline.core.card: self-signed party cards, rotation and fingerprints."""

from __future__ import annotations

import base64
import copy
import re
from typing import Any

import pytest

from openline.core.canonical import canonical_bytes, parse_canonical
from openline.core.card import (
    Card,
    check_rotation,
    make_card,
    party_cosigner,
    party_signer,
)
from openline.core.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from openline.core.cosignature import cosign, verify_cosignature
from openline.core.errors import CardError, NoteSignatureError
from openline.core.keys import PrivateKey

PARTY = "us-dod"
OLD_KEY = PrivateKey.from_seed(bytes([1]) * 32)
NEW_KEY = PrivateKey.from_seed(bytes([2]) * 32)
NEWER_KEY = PrivateKey.from_seed(bytes([3]) * 32)
STRANGER_KEY = PrivateKey.from_seed(bytes([4]) * 32)
CREATED = "2026-11-29T01:48:19.123Z"
LATER = "2027-01-01T00:00:00.000Z"
NAMES = {"en": "U.S. Department of Defense", "zh": "美国国防部"}
URLS = ["http://127.0.0.1:8701", "https://hotline.example.mil"]
FINGERPRINT = re.compile(r"\A[A-Z2-7]{4}( [A-Z2-7]{4}){7}\Z")

Obj = dict[str, Any]


def card(
    *,
    party: str = PARTY,
    key: PrivateKey = OLD_KEY,
    previous_key: PrivateKey | None = None,
    names: dict[str, str] | None = None,
    urls: list[str] | None = None,
    created: str = CREATED,
) -> Card:
    return make_card(
        party=party,
        names=NAMES if names is None else names,
        urls=URLS if urls is None else urls,
        created=created,
        key=key,
        previous_key=previous_key,
    )


PINNED = card()
ROTATED = card(key=NEW_KEY, previous_key=OLD_KEY, created=LATER)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def changed(obj: Obj, **fields: object) -> Obj:
    new = copy.deepcopy(obj)
    new.update(fields)
    return new


def refused(obj: object) -> CardError:
    with pytest.raises(CardError) as caught:
        Card.from_json(obj)
    return caught.value


# --- round trips -----------------------------------------------------------------------------


@pytest.mark.parametrize("subject", [PINNED, ROTATED], ids=["plain", "rotated"])
def test_card_round_trips_through_json_and_bytes(subject: Card) -> None:
    assert Card.from_json(subject.to_json()) == subject
    assert Card.from_bytes(subject.to_bytes()) == subject
    assert Card.from_bytes(subject.to_bytes()).to_bytes() == subject.to_bytes()


def test_card_bytes_are_canonical_json_with_every_field() -> None:
    data = PINNED.to_bytes()
    obj = parse_canonical(data)
    assert data == canonical_bytes(obj)
    assert obj == {
        "type": "openline.card",
        "version": 1,
        "party": PARTY,
        "names": NAMES,
        "urls": URLS,
        "key": b64(OLD_KEY.public_key.raw),
        "created": CREATED,
        "previous_key": None,
        "sig": b64(PINNED.signature),
        "endorsement": None,
    }


def test_card_fields_and_signatures() -> None:
    assert PINNED.party == PARTY
    assert PINNED.key == OLD_KEY.public_key
    assert PINNED.urls == tuple(URLS)
    assert PINNED.previous_key is None
    assert PINNED.endorsement is None
    assert OLD_KEY.public_key.verify(PINNED.signing_input(), PINNED.signature)
    assert ROTATED.previous_key == OLD_KEY.public_key
    assert ROTATED.endorsement is not None
    assert NEW_KEY.public_key.verify(ROTATED.signing_input(), ROTATED.signature)
    assert OLD_KEY.public_key.verify(ROTATED.signing_input(), ROTATED.endorsement)


def test_card_parses_with_non_canonical_whitespace_and_reencodes_canonically() -> None:
    loose = b"\n" + PINNED.to_bytes().replace(b",", b", ") + b"\n"
    assert Card.from_bytes(loose).to_bytes() == PINNED.to_bytes()


def test_display_name_falls_back_to_english_then_any() -> None:
    assert PINNED.display_name("zh") == "美国国防部"
    assert PINNED.display_name("ru") == "U.S. Department of Defense"
    assert PINNED.display_name() == "U.S. Department of Defense"
    only_russian = card(names={"ru": "Министерство обороны"})
    assert only_russian.display_name("zh") == "Министерство обороны"


def test_fingerprint_is_the_keys_in_eight_groups_of_four() -> None:
    assert PINNED.fingerprint == OLD_KEY.public_key.fingerprint()
    assert FINGERPRINT.match(PINNED.fingerprint)
    assert ROTATED.fingerprint == NEW_KEY.public_key.fingerprint()
    assert ROTATED.fingerprint != PINNED.fingerprint
    # A new card with the same key (new URL) keeps the fingerprint people compared.
    assert card(urls=["http://10.0.0.1:9000"]).fingerprint == PINNED.fingerprint


def test_note_verifier_checks_checkpoints_signed_by_the_party() -> None:
    checkpoint = Checkpoint(origin="openline/us-dod/prc-mnd", size=3, root=bytes(32))
    note = sign_checkpoint(checkpoint, party_signer(PARTY, OLD_KEY))
    opened, _ = open_checkpoint(note, PINNED.note_verifier())
    assert opened == checkpoint
    with pytest.raises(NoteSignatureError):
        open_checkpoint(note, ROTATED.note_verifier())


def test_cosignature_verifier_checks_the_partys_cosignatures() -> None:
    checkpoint = Checkpoint(origin="openline/prc-mnd/us-dod", size=3, root=bytes(32))
    cosignature = cosign(checkpoint, party_cosigner(PARTY, OLD_KEY), 1_764_380_899)
    assert verify_cosignature(checkpoint, cosignature, PINNED.cosignature_verifier())
    assert not verify_cosignature(checkpoint, cosignature, ROTATED.cosignature_verifier())
    assert not verify_cosignature(checkpoint, cosignature, PINNED.note_verifier())


# --- tampering and malformed cards -------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"names": {"en": "Ministry of Truth"}}, id="name"),
        pytest.param({"names": {**NAMES, "ru": "Пентагон"}}, id="added-name"),
        pytest.param({"urls": ["http://203.0.113.9:8701"]}, id="url"),
        pytest.param({"urls": []}, id="urls-removed"),
        pytest.param({"key": b64(STRANGER_KEY.public_key.raw)}, id="key"),
        pytest.param({"party": "prc-mnd"}, id="party"),
        pytest.param({"created": LATER}, id="created"),
        pytest.param({"sig": b64(bytes(64))}, id="sig"),
        pytest.param({"sig": b64(STRANGER_KEY.sign(PINNED.signing_input()))}, id="stranger-sig"),
    ],
)
def test_tampered_cards_are_refused(fields: Obj) -> None:
    refused(changed(PINNED.to_json(), **fields))


def test_a_self_consistent_card_with_a_swapped_key_still_fails() -> None:
    # An attacker re-signs the card with its own key: the card is valid, but it is not the
    # pinned party's key, which is exactly what the fingerprint check by phone catches.
    forged = card(key=STRANGER_KEY)
    assert forged.fingerprint != PINNED.fingerprint
    with pytest.raises(CardError):
        check_rotation(PINNED, forged)


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"type": "openline.kard"}, id="type"),
        pytest.param({"version": 2}, id="version-2"),
        pytest.param({"version": True}, id="version-true"),
        pytest.param({"version": 1.0}, id="version-float"),
        pytest.param({"version": "1"}, id="version-string"),
        pytest.param({"party": "US-DOD"}, id="party-uppercase"),
        pytest.param({"party": ""}, id="party-empty"),
        pytest.param({"party": 5}, id="party-not-a-string"),
        pytest.param({"names": {}}, id="names-empty"),
        pytest.param({"names": ["en"]}, id="names-a-list"),
        pytest.param({"names": {"EN": "x"}}, id="names-bad-tag"),
        pytest.param({"names": {"en": ""}}, id="names-empty-name"),
        pytest.param({"names": {"en": "x" * 201}}, id="names-too-long"),
        pytest.param({"names": {"en": 5}}, id="names-not-a-string"),
        pytest.param({"urls": "http://127.0.0.1:8701"}, id="urls-a-string"),
        pytest.param({"urls": ["ftp://127.0.0.1"]}, id="urls-scheme"),
        pytest.param({"urls": ["http://127.0.0.1:8701/"]}, id="urls-trailing-slash"),
        pytest.param({"urls": ["http://127.0.0.1:8701/api"]}, id="urls-path"),
        pytest.param({"urls": ["http://exa mple.org"]}, id="urls-space"),
        pytest.param({"urls": [5]}, id="urls-not-a-string"),
        pytest.param({"created": "2026-11-29T01:48:19Z"}, id="created-not-entry-form"),
        pytest.param({"created": None}, id="created-null"),
        pytest.param({"key": "not base64!"}, id="key-not-base64"),
        pytest.param({"key": b64(bytes(31))}, id="key-short"),
        pytest.param({"key": None}, id="key-null"),
        pytest.param({"sig": "###"}, id="sig-not-base64"),
        pytest.param({"sig": None}, id="sig-null"),
        pytest.param({"previous_key": "???"}, id="previous-key-not-base64"),
        pytest.param({"previous_key": b64(bytes(33))}, id="previous-key-long"),
    ],
)
def test_malformed_cards_are_refused(fields: Obj) -> None:
    refused(changed(PINNED.to_json(), **fields))


@pytest.mark.parametrize(
    "name",
    [
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
    ],
)
def test_every_card_field_is_required(name: str) -> None:
    obj = PINNED.to_json()
    del obj[name]
    refused(obj)


def test_unknown_card_fields_are_refused() -> None:
    refused(changed(PINNED.to_json(), revoked=False))


@pytest.mark.parametrize("value", [None, [], "card", 1])
def test_card_must_be_an_object(value: object) -> None:
    refused(value)


@pytest.mark.parametrize("data", [b"", b"not json", b"{", b"[]", b"null", b'{"type":"x"}'])
def test_from_bytes_refuses_non_cards(data: bytes) -> None:
    with pytest.raises(CardError):
        Card.from_bytes(data)


def test_base64_fields_must_be_canonical() -> None:
    obj = PINNED.to_json()
    sig: str = obj["sig"]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    respelled = sig[:-3] + alphabet[alphabet.index(sig[-3]) ^ 1] + "=="
    assert base64.b64decode(respelled) == PINNED.signature
    refused(changed(obj, sig=respelled))
    refused(changed(obj, sig=sig.rstrip("=")))


def test_previous_key_and_endorsement_go_together() -> None:
    obj = ROTATED.to_json()
    refused(changed(obj, endorsement=None))
    refused(changed(PINNED.to_json(), endorsement=b64(bytes(64))))


def test_endorsement_must_be_by_the_previous_key() -> None:
    obj = ROTATED.to_json()
    refused(changed(obj, endorsement=b64(STRANGER_KEY.sign(ROTATED.signing_input()))))
    refused(changed(obj, endorsement=b64(bytes(64))))
    # Naming another previous key breaks the self-signature as well as the endorsement.
    refused(changed(obj, previous_key=b64(STRANGER_KEY.public_key.raw)))


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"party": "Bad Party"}, id="party"),
        pytest.param({"names": {}}, id="names"),
        pytest.param({"urls": ["mailto:x@example.org"]}, id="urls"),
        pytest.param({"created": "yesterday"}, id="created"),
        pytest.param({"names": {"é": "x"}}, id="non-ascii-name-key"),
        # A name is printed next to the fingerprint that `peer add` asks people to compare:
        # no control characters that could fake or hide that line.
        pytest.param({"names": {"en": "DoD\nFingerprint: AAAA"}}, id="name-newline"),
        pytest.param({"names": {"en": "DoD\x1b[2J"}}, id="name-escape"),
        pytest.param({"names": {"en": "DoD\x9b2J"}}, id="name-c1-csi"),
        pytest.param({"names": {"en": "DoD\x7f"}}, id="name-delete"),
        pytest.param({"urls": ["http://host:٨٧٠١"]}, id="url-non-ascii-port"),
        pytest.param({"urls": ["http://127.0.0.1:8701/"]}, id="url-trailing-slash"),
    ],
)
def test_make_card_refuses_bad_fields(fields: Obj) -> None:
    arguments: Obj = {
        "party": PARTY,
        "names": NAMES,
        "urls": URLS,
        "created": CREATED,
        "key": OLD_KEY,
    }
    arguments.update(fields)
    with pytest.raises(CardError):
        make_card(**arguments)


# --- rotation --------------------------------------------------------------------------------


def test_rotated_card_endorsed_by_the_pinned_key_is_accepted() -> None:
    check_rotation(PINNED, ROTATED)


def test_same_key_with_new_urls_and_names_is_accepted() -> None:
    check_rotation(PINNED, card(urls=["http://10.0.0.1:9000"], names={"en": "DoD"}))
    check_rotation(PINNED, PINNED)


def test_unendorsed_new_key_is_refused() -> None:
    with pytest.raises(CardError, match="not endorsed"):
        check_rotation(PINNED, card(key=NEW_KEY, created=LATER))


def test_new_key_endorsed_by_another_key_is_refused() -> None:
    endorsed_by_stranger = card(key=NEW_KEY, previous_key=STRANGER_KEY)
    with pytest.raises(CardError):
        check_rotation(PINNED, endorsed_by_stranger)


def test_skipping_a_rotation_is_refused() -> None:
    # old → new → newer: a peer that pinned the old card must see the middle card first.
    newer = card(key=NEWER_KEY, previous_key=NEW_KEY)
    check_rotation(ROTATED, newer)
    with pytest.raises(CardError):
        check_rotation(PINNED, newer)


def test_rotation_is_not_reversible() -> None:
    with pytest.raises(CardError):
        check_rotation(ROTATED, PINNED)


@pytest.mark.parametrize(
    "offered",
    [
        pytest.param(card(party="prc-mnd"), id="same-key"),
        pytest.param(card(party="prc-mnd", key=NEW_KEY, previous_key=OLD_KEY), id="endorsed"),
    ],
)
def test_another_partys_card_is_refused(offered: Card) -> None:
    with pytest.raises(CardError, match="not 'us-dod'"):
        check_rotation(PINNED, offered)
