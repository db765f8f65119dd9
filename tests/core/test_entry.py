"""Tests for openline.core.entry (the signed envelope) and the kind schemas of kinds.py.

Every envelope and body rule is checked by breaking one field of a valid signed entry and
expecting the documented error code; the signature is checked by changing each signed
field in turn.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openline.core.canonical import canonical_bytes, parse_canonical
from openline.core.entry import (
    ENVELOPE_FIELDS,
    MAX_REFS,
    Entry,
    link_id,
    sign_entry,
    verify_entry_signature,
)
from openline.core.errors import EntryError
from openline.core.keys import PrivateKey
from openline.core.kinds import (
    KINDS,
    MAX_NAME_LENGTH,
    MAX_TEXT_LENGTH,
    kind_spec,
    validate_body,
)
from openline.core.merkle import leaf_hash
from openline.core.precedence import PRECEDENCES
from openline.core.timefmt import format_time

US, PRC, THIRD = "us-dod", "prc-mnd", "ru-mod"
US_KEY = PrivateKey.from_seed(bytes([1]) * 32)
PRC_KEY = PrivateKey.from_seed(bytes([2]) * 32)
TIME = "2026-11-29T01:48:19.123Z"
MESSAGE_BODY = {"text": "Request a call at 0900Z.", "lang": "en", "precedence": "flash"}
ACK_BODY = {"officer": "Lt. Chen"}
SOME_ID = "ab" * 32
OTHER_ID = "cd" * 32

Obj = dict[str, Any]


def message(
    *,
    sender: str = US,
    recipient: str = PRC,
    seq: int = 0,
    body: Obj | None = None,
    key: PrivateKey = US_KEY,
) -> Entry:
    return sign_entry(
        sender=sender,
        recipient=recipient,
        seq=seq,
        time=TIME,
        kind="hotline.message",
        body=MESSAGE_BODY if body is None else body,
        refs=(),
        key=key,
    )


def ack(*, refs: tuple[str, ...] = (SOME_ID,)) -> Entry:
    return sign_entry(
        sender=PRC,
        recipient=US,
        seq=3,
        time=TIME,
        kind="hotline.ack",
        body=ACK_BODY,
        refs=refs,
        key=PRC_KEY,
    )


def message_json() -> Obj:
    return message().to_json()


def ack_json() -> Obj:
    return ack().to_json()


def error_of(obj: object) -> EntryError:
    with pytest.raises(EntryError) as caught:
        Entry.from_json(obj)
    return caught.value


# --- round trips -----------------------------------------------------------------------------


def test_signed_entry_round_trips_through_json_and_leaf() -> None:
    entry = message()
    assert Entry.from_json(entry.to_json()) == entry
    assert Entry.from_leaf(entry.leaf) == entry
    assert Entry.from_json(parse_canonical(entry.leaf)) == entry
    assert entry.leaf == canonical_bytes(entry.to_json())


def test_entry_fields_are_as_signed() -> None:
    entry = message(seq=7)
    assert (entry.sender, entry.recipient, entry.seq, entry.time, entry.kind) == (
        US,
        PRC,
        7,
        TIME,
        "hotline.message",
    )
    assert dict(entry.body) == MESSAGE_BODY
    assert entry.refs == ()
    assert entry.link == "prc-mnd~us-dod"
    assert len(entry.signature) == 64
    obj = entry.to_json()
    assert set(obj) == set(ENVELOPE_FIELDS)
    assert obj["version"] == 1
    assert obj["link"] == "prc-mnd~us-dod"
    assert base64.b64decode(obj["sig"]) == entry.signature


def test_id_is_the_rfc9162_leaf_hash_of_the_leaf() -> None:
    entry = message()
    assert entry.id == leaf_hash(entry.leaf).hex()
    assert entry.leaf_hash == leaf_hash(entry.leaf)
    assert len(entry.id) == 64
    # Distinct content, distinct id.
    assert message(seq=1).id != entry.id


def test_signing_input_is_the_canonical_entry_without_sig() -> None:
    entry = message()
    unsigned = entry.to_json()
    del unsigned["sig"]
    assert entry.signing_input() == canonical_bytes(unsigned)
    assert US_KEY.public_key.verify(entry.signing_input(), entry.signature)


def test_signature_verifies_with_the_senders_key_only() -> None:
    entry = message()
    assert verify_entry_signature(entry, US_KEY.public_key)
    assert not verify_entry_signature(entry, PRC_KEY.public_key)


def test_entry_signed_with_another_key_parses_but_does_not_verify() -> None:
    forged = message(key=PRC_KEY)  # claims to be from us-dod
    assert forged.sender == US
    assert not verify_entry_signature(forged, US_KEY.public_key)


def test_ack_round_trips_with_its_ref() -> None:
    entry = ack()
    assert entry.refs == (SOME_ID,)
    assert Entry.from_leaf(entry.leaf) == entry
    assert verify_entry_signature(entry, PRC_KEY.public_key)


def test_link_id_is_symmetric_and_sorted() -> None:
    assert link_id(US, PRC) == link_id(PRC, US) == "prc-mnd~us-dod"
    assert link_id("a", "b") == "a~b"


def test_sign_entry_refuses_bad_input_without_returning_an_entry() -> None:
    with pytest.raises(EntryError) as caught:
        message(body={"text": "", "lang": "en", "precedence": "flash"})
    assert caught.value.code == "invalid-body"
    with pytest.raises(EntryError) as caught:
        message(body={"text": "\ud800", "lang": "en", "precedence": "flash"})
    assert caught.value.code == "invalid-body"
    with pytest.raises(EntryError) as caught:
        message(recipient=US)
    assert caught.value.code == "invalid-entry"


def test_from_leaf_refuses_non_canonical_or_non_json_bytes() -> None:
    leaf = message().leaf
    for bad in (
        leaf + b"\n",
        b" " + leaf,
        leaf.replace(b'"version":1', b'"version": 1'),
        leaf.replace(b"Request", b"\\u0052equest"),
        b"not json",
        b"",
    ):
        with pytest.raises(EntryError) as caught:
            Entry.from_leaf(bad)
        assert caught.value.code == "invalid-entry"


# --- envelope errors -------------------------------------------------------------------------


def with_field(obj: Obj, key: str, value: object) -> Obj:
    changed = copy.deepcopy(obj)
    changed[key] = value
    return changed


def without_field(obj: Obj, key: str) -> Obj:
    changed = copy.deepcopy(obj)
    del changed[key]
    return changed


@pytest.mark.parametrize("value", [None, [], "entry", 1, True])
def test_entry_must_be_an_object(value: object) -> None:
    assert error_of(value).code == "invalid-entry"


@pytest.mark.parametrize("field", ENVELOPE_FIELDS)
def test_every_envelope_field_is_required(field: str) -> None:
    assert error_of(without_field(message_json(), field)).code == "invalid-entry"


@pytest.mark.parametrize("field", ["extra", "id", "signature", "Version"])
def test_unknown_envelope_fields_are_refused(field: str) -> None:
    assert error_of(with_field(message_json(), field, 1)).code == "invalid-entry"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("version", 2),
        ("version", 0),
        ("version", "1"),
        ("version", True),
        ("version", 1.0),
        ("version", None),
        ("from", "US-DOD"),
        ("from", ""),
        ("from", "-us"),
        ("from", "us-"),
        ("from", "us_dod"),
        ("from", "us dod"),
        ("from", "x" * 65),
        ("from", 5),
        ("from", None),
        ("to", "PRC"),
        ("to", ["prc-mnd"]),
        ("seq", True),
        ("seq", False),
        ("seq", -1),
        ("seq", "0"),
        ("seq", 0.0),
        ("seq", None),
        ("seq", 2**53),
        ("time", "2026-11-29T01:48:19Z"),
        ("time", "2026-11-29T01:48:19.123+00:00"),
        ("time", "2026-02-30T00:00:00.000Z"),
        ("time", 1764380899123),
        ("time", None),
        ("kind", 5),
        ("kind", None),
        ("refs", "ab" * 32),
        ("refs", None),
        ("refs", {"0": SOME_ID}),
        ("refs", [SOME_ID]),  # a message refs nothing
        ("sig", 5),
        ("sig", None),
        ("sig", "not base64!"),
        ("sig", base64.b64encode(bytes(63)).decode()),
        ("sig", base64.b64encode(bytes(65)).decode()),
        ("sig", ""),
    ],
)
def test_bad_envelope_fields_are_invalid_entry(field: str, value: object) -> None:
    assert error_of(with_field(message_json(), field, value)).code == "invalid-entry"


def test_from_and_to_must_differ() -> None:
    obj = message_json()
    obj["to"] = US
    obj["link"] = link_id(US, US)
    assert error_of(obj).code == "invalid-entry"


@pytest.mark.parametrize(
    "refs",
    [
        pytest.param([], id="none"),
        pytest.param([SOME_ID, OTHER_ID], id="two"),
        pytest.param([SOME_ID, SOME_ID], id="duplicate"),
        pytest.param(["ab" * 31], id="short-id"),
        pytest.param(["AB" * 32], id="uppercase-id"),
        pytest.param(["zz" * 32], id="not-hex"),
        pytest.param([SOME_ID + "\n"], id="trailing-newline"),
        pytest.param([5], id="not-a-string"),
        pytest.param([SOME_ID] * (MAX_REFS + 1), id="too-many"),
    ],
)
def test_ack_refs_must_be_one_entry_id(refs: list[object]) -> None:
    assert error_of(with_field(ack_json(), "refs", refs)).code == "invalid-entry"


@pytest.mark.parametrize(
    "link",
    [
        pytest.param("us-dod~prc-mnd", id="unsorted"),
        pytest.param("prc-mnd~ru-mod", id="other-parties"),
        pytest.param("prc-mnd-us-dod", id="wrong-separator"),
        pytest.param("", id="empty"),
        pytest.param(5, id="not-a-string"),
    ],
)
def test_link_field_must_name_the_two_parties(link: object) -> None:
    assert error_of(with_field(message_json(), "link", link)).code == "wrong-link"


@pytest.mark.parametrize("kind", ["hotline.unknown", "", "HOTLINE.MESSAGE", "contact.requests"])
def test_unknown_kinds_are_refused(kind: str) -> None:
    assert error_of(with_field(message_json(), "kind", kind)).code == "unknown-kind"


def test_sig_must_be_canonical_base64() -> None:
    obj = message_json()
    sig: str = obj["sig"]
    assert sig.endswith("==")
    # The character before the padding carries 4 unused bits: respell it with one set.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = sig[-3]
    respelled = sig[:-3] + alphabet[alphabet.index(last) ^ 1] + "=="
    assert base64.b64decode(respelled) == base64.b64decode(sig)
    # Otherwise one signature would give a second leaf, hence a second id, for the same entry.
    assert error_of(with_field(obj, "sig", respelled)).code == "invalid-entry"
    assert error_of(with_field(obj, "sig", sig[:-2])).code == "invalid-entry"  # unpadded
    assert error_of(with_field(obj, "sig", sig[:4] + "\n" + sig[4:])).code == "invalid-entry"


# --- body errors -----------------------------------------------------------------------------


def message_with_body(body: object) -> Obj:
    return with_field(message_json(), "body", body)


def ack_with_body(body: object) -> Obj:
    return with_field(ack_json(), "body", body)


def message_body(**changes: object) -> Obj:
    body: Obj = dict(MESSAGE_BODY)
    for key, value in changes.items():
        if value is None:
            del body[key]
        else:
            body[key] = value
    return body


@pytest.mark.parametrize(
    "body",
    [
        pytest.param([], id="list"),
        pytest.param("text", id="string"),
        pytest.param(None, id="null"),
        pytest.param(message_body(text=None), id="missing-text"),
        pytest.param(message_body(lang=None), id="missing-lang"),
        pytest.param(message_body(precedence=None), id="missing-precedence"),
        pytest.param(message_body(extra="x"), id="extra-field"),
        pytest.param(message_body(subject="x"), id="field-of-another-kind"),
        pytest.param(message_body(text=""), id="empty-text"),
        pytest.param(message_body(text="x" * (MAX_TEXT_LENGTH + 1)), id="text-too-long"),
        pytest.param(message_body(text=5), id="text-not-a-string"),
        pytest.param(message_body(text=["a"]), id="text-a-list"),
        pytest.param(message_body(text="a\x00b"), id="text-nul"),
        pytest.param(message_body(text="a\x1b[2Jb"), id="text-escape"),
        pytest.param(message_body(text="a\rb"), id="text-carriage-return"),
        pytest.param(message_body(text="a\x7fb"), id="text-delete"),
        pytest.param(message_body(text="a\x9b2Jb"), id="text-c1-csi"),
        pytest.param(message_body(lang="EN"), id="lang-uppercase"),
        pytest.param(message_body(lang="e"), id="lang-too-short"),
        pytest.param(message_body(lang="english"), id="lang-a-word"),
        pytest.param(message_body(lang="en_US"), id="lang-underscore"),
        pytest.param(message_body(lang="en-"), id="lang-trailing-hyphen"),
        pytest.param(message_body(lang="en\n"), id="lang-trailing-newline"),
        pytest.param(message_body(lang=""), id="lang-empty"),
        pytest.param(message_body(lang=5), id="lang-not-a-string"),
        pytest.param(message_body(precedence="FLASH"), id="precedence-uppercase"),
        pytest.param(message_body(precedence="urgent"), id="precedence-unknown"),
        pytest.param(message_body(precedence=""), id="precedence-empty"),
        pytest.param(message_body(precedence=1), id="precedence-a-number"),
        pytest.param(message_body(precedence=["flash"]), id="precedence-a-list"),
    ],
)
def test_hotline_message_body_violations_are_invalid_body(body: object) -> None:
    assert error_of(message_with_body(body)).code == "invalid-body"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({}, id="missing-officer"),
        pytest.param({"officer": "Lt. Chen", "note": "x"}, id="extra-field"),
        pytest.param({"officer": ""}, id="empty-officer"),
        pytest.param({"officer": "x" * (MAX_NAME_LENGTH + 1)}, id="officer-too-long"),
        pytest.param({"officer": "Lt.\x00Chen"}, id="officer-control-char"),
        pytest.param({"officer": 7}, id="officer-not-a-string"),
        pytest.param(dict(MESSAGE_BODY), id="message-body"),
        pytest.param([], id="list"),
    ],
)
def test_hotline_ack_body_violations_are_invalid_body(body: object) -> None:
    assert error_of(ack_with_body(body)).code == "invalid-body"


@pytest.mark.parametrize(
    "text",
    [
        "x",
        "x" * MAX_TEXT_LENGTH,
        "line one\nline two\ttabbed",
        "中文 русский \u2028 \U0001f600",
        'quotes " and \\ backslashes',
    ],
)
def test_hotline_message_text_limits_that_pass(text: str) -> None:
    entry = message(body=message_body(text=text))
    assert Entry.from_leaf(entry.leaf).body["text"] == text


@pytest.mark.parametrize("lang", ["en", "zh", "ru", "fil", "zh-Hans", "en-US", "sr-Latn-RS"])
def test_hotline_message_language_tags_that_pass(lang: str) -> None:
    assert message(body=message_body(lang=lang)).body["lang"] == lang


@pytest.mark.parametrize("precedence", PRECEDENCES)
def test_every_precedence_passes(precedence: str) -> None:
    assert message(body=message_body(precedence=precedence)).body["precedence"] == precedence


def test_ack_officer_at_max_length_passes() -> None:
    body = {"officer": "x" * MAX_NAME_LENGTH}
    assert Entry.from_json(ack_with_body(body)).body == body


def test_kind_registry_and_validate_body() -> None:
    assert {"hotline.message", "hotline.ack", "contact.request", "receipt.read"} <= set(KINDS)
    assert kind_spec("hotline.ack").answers == frozenset({"hotline.message"})
    assert (kind_spec("hotline.ack").min_refs, kind_spec("hotline.ack").max_refs) == (1, 1)
    validate_body("hotline.message", MESSAGE_BODY)
    validate_body("hotline.ack", ACK_BODY)
    with pytest.raises(EntryError) as caught:
        validate_body("hotline.nope", {})
    assert caught.value.code == "unknown-kind"
    with pytest.raises(EntryError) as caught:
        validate_body("hotline.ack", ["officer"])
    assert caught.value.code == "invalid-body"


# --- the signature covers every field --------------------------------------------------------


def swap_parties(obj: Obj) -> None:  # the link name stays the same
    obj["from"], obj["to"] = obj["to"], obj["from"]


def other_recipient(obj: Obj) -> None:
    obj["to"] = THIRD
    obj["link"] = link_id(obj["from"], THIRD)


def other_sender(obj: Obj) -> None:
    obj["from"] = THIRD
    obj["link"] = link_id(THIRD, obj["to"])


MUTATIONS: dict[str, Callable[[Obj], None]] = {
    "version": lambda obj: obj.update(version=2),
    "link": lambda obj: obj.update(link="prc-mnd~ru-mod"),
    "from-to-swapped": swap_parties,
    "from": other_sender,
    "to": other_recipient,
    "seq": lambda obj: obj.update(seq=obj["seq"] + 1),
    "time": lambda obj: obj.update(time="2026-11-29T01:48:19.124Z"),
    "kind": lambda obj: obj.update(kind="hotline.ack"),
    "body.text": lambda obj: obj["body"].update(text=obj["body"]["text"] + "."),
    "body.lang": lambda obj: obj["body"].update(lang="zh"),
    "body.precedence": lambda obj: obj["body"].update(precedence="routine"),
    "refs": lambda obj: obj.update(refs=[SOME_ID]),
    "sig": lambda obj: obj.update(sig=base64.b64encode(bytes(64)).decode()),
}

ACK_MUTATIONS: dict[str, Callable[[Obj], None]] = {
    "body.officer": lambda obj: obj["body"].update(officer="Maj. Li"),
    "refs": lambda obj: obj.update(refs=[OTHER_ID]),
    "kind": lambda obj: obj.update(kind="hotline.message"),
}


def assert_signature_breaks(obj: Obj, key: PrivateKey) -> None:
    try:
        entry = Entry.from_json(obj)
    except EntryError:
        return  # refused at parse time: as good as a failed signature
    assert not verify_entry_signature(entry, key.public_key)
    assert not verify_entry_signature(entry, PRC_KEY.public_key)
    assert not verify_entry_signature(entry, US_KEY.public_key)


@pytest.mark.parametrize("mutation", MUTATIONS.values(), ids=MUTATIONS.keys())
def test_changing_any_field_of_a_message_breaks_it(mutation: Callable[[Obj], None]) -> None:
    obj = message_json()
    mutation(obj)
    assert obj != message_json()
    assert_signature_breaks(obj, US_KEY)


@pytest.mark.parametrize("mutation", ACK_MUTATIONS.values(), ids=ACK_MUTATIONS.keys())
def test_changing_any_field_of_an_ack_breaks_it(mutation: Callable[[Obj], None]) -> None:
    obj = ack_json()
    mutation(obj)
    assert_signature_breaks(obj, PRC_KEY)


def test_mutations_that_still_parse_fail_only_on_the_signature() -> None:
    # These must not be caught by schema checks alone: only the signature protects them.
    for name in ("from-to-swapped", "to", "seq", "time", "body.text", "body.lang", "sig"):
        obj = message_json()
        MUTATIONS[name](obj)
        entry = Entry.from_json(obj)
        assert not verify_entry_signature(entry, US_KEY.public_key), name


def test_every_signed_field_is_covered_by_a_mutation() -> None:
    covered = {name.split(".")[0].split("-")[0] for name in MUTATIONS}
    assert set(ENVELOPE_FIELDS) <= covered


# --- property: any valid hotline message round-trips -------------------------------------------

texts = st.text(
    alphabet=st.one_of(
        st.characters(exclude_categories=["Cs", "Cc"]),
        st.sampled_from("\n\t"),
    ),
    min_size=1,
    max_size=200,
)
langs = st.from_regex(r"[a-z]{2,3}(-[A-Za-z0-9]{1,8}){0,2}", fullmatch=True)
party_ids = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
times = st.datetimes(
    min_value=datetime(2000, 1, 1),  # hypothesis bounds are naive
    max_value=datetime(2100, 1, 1),
    timezones=st.just(UTC),
).map(format_time)


@settings(max_examples=100)
@given(
    sender=party_ids,
    recipient=party_ids,
    seq=st.integers(min_value=0, max_value=2**53 - 1),
    time=times,
    text=texts,
    lang=langs,
    precedence=st.sampled_from(PRECEDENCES),
)
def test_random_valid_hotline_messages_round_trip(
    sender: str, recipient: str, seq: int, time: str, text: str, lang: str, precedence: str
) -> None:
    if sender == recipient:
        recipient = sender + "-x"
    body = {"text": text, "lang": lang, "precedence": precedence}
    entry = sign_entry(
        sender=sender,
        recipient=recipient,
        seq=seq,
        time=time,
        kind="hotline.message",
        body=body,
        refs=(),
        key=US_KEY,
    )
    assert Entry.from_json(entry.to_json()) == entry
    parsed = Entry.from_leaf(entry.leaf)
    assert parsed == entry
    assert dict(parsed.body) == body
    assert parsed.link == link_id(sender, recipient)
    assert parsed.id == leaf_hash(entry.leaf).hex()
    assert verify_entry_signature(parsed, US_KEY.public_key)
    assert not verify_entry_signature(parsed, PRC_KEY.public_key)
