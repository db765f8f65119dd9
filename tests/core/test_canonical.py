"""Tests for openline.core.canonical: the RFC 8785 (JCS) subset openline signs.

The property at the heart of this file: on every value of the subset, the fast encoder
(orjson, sorted keys) writes exactly the bytes of the reference RFC 8785 implementation
(the ``rfc8785`` package). Outside the subset, values are refused with EncodingError, and
``parse_canonical`` accepts only bytes that the encoder itself would write.
"""

from __future__ import annotations

import datetime
import decimal
import math
from typing import Any

import pytest
import rfc8785
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from openline.core.canonical import (
    MAX_SAFE_INTEGER,
    canonical_bytes,
    parse_canonical,
    parse_json,
)
from openline.core.errors import EncodingError

# Characters where JSON encoders differ most: every C0 control (short escapes \b \t \n \f \r
# and \u00XX), DEL and C1 controls (not escaped by RFC 8785), quotes and backslashes, the
# solidus (not escaped), U+2028/U+2029 (escaped by some JavaScript-minded encoders), BMP
# characters beyond ASCII, the last BMP code points, and non-BMP characters (surrogate
# pairs in UTF-16, which RFC 8785 sorts keys by).
TRICKY_CHARS = [chr(c) for c in range(0x20)] + [
    '"',
    "\\",
    "/",
    "\x7f",
    "\x80",
    "\x9b",
    "\u00e9",
    "\u2028",
    "\u2029",
    "\ufeff",
    "\uffff",
    "\U0001f600",
    "\U00010000",
    "\U0010ffff",
    "中",
]

strings = st.text(
    alphabet=st.one_of(
        st.sampled_from(TRICKY_CHARS),
        st.characters(exclude_categories=["Cs"]),  # any code point but lone surrogates
    ),
    max_size=12,
)
keys = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=6)
safe_ints = st.integers(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    safe_ints,
    st.sampled_from([0, -1, 1, MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER]),
    strings,
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(keys, children, max_size=5),
    ),
    max_leaves=25,
)


def depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((depth(item) for item in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth(item) for item in value.values()), default=0)
    return 0


def nested_lists(levels: int) -> Any:
    value: Any = []
    for _ in range(levels - 1):
        value = [value]
    return value


# --- equivalence with the reference implementation -------------------------------------------


@settings(max_examples=300)
@given(json_values)
def test_canonical_bytes_equal_rfc8785_reference_and_round_trip(value: Any) -> None:
    assume(depth(value) <= 32)
    data = canonical_bytes(value)
    assert data == rfc8785.dumps(value)
    assert parse_canonical(data) == value


@settings(max_examples=100)
@given(st.dictionaries(keys, safe_ints, min_size=2, max_size=8))
def test_keys_are_sorted_like_rfc8785(value: dict[str, int]) -> None:
    data = canonical_bytes(value)
    assert data == rfc8785.dumps(value)
    assert list(parse_json(data)) == sorted(value)


@pytest.mark.parametrize("char", TRICKY_CHARS, ids=[f"U+{ord(c):04X}" for c in TRICKY_CHARS])
def test_each_tricky_character_encodes_like_rfc8785(char: str) -> None:
    for value in (char, f"a{char}b", {"k": char}, [char, char]):
        assert canonical_bytes(value) == rfc8785.dumps(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, b"null"),
        (True, b"true"),
        (False, b"false"),
        (0, b"0"),
        (-0, b"0"),
        (MAX_SAFE_INTEGER, b"9007199254740991"),
        (-MAX_SAFE_INTEGER, b"-9007199254740991"),
        ("", b'""'),
        ("\n\t\b\f\r", b'"\\n\\t\\b\\f\\r"'),
        ("\x00\x1f", b'"\\u0000\\u001f"'),
        ('"\\/', b'"\\"\\\\/"'),
        ("\u2028\x7f", '"\u2028\x7f"'.encode()),
        ("\U0001f600", '"\U0001f600"'.encode()),
        ({"b": [], "a": {}, "A": None, " ": 1}, b'{" ":1,"A":null,"a":{},"b":[]}'),
        ([1, [2, [3]]], b"[1,[2,[3]]]"),
    ],
)
def test_known_encodings(value: Any, expected: bytes) -> None:
    assert canonical_bytes(value) == expected
    assert rfc8785.dumps(value) == expected


def test_nesting_up_to_the_limit_is_allowed() -> None:
    value = nested_lists(33)  # depth 0 .. 32
    assert canonical_bytes(value) == rfc8785.dumps(value)


# --- the subset's limits ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(0.0, id="float-zero"),
        pytest.param(1.0, id="float-integral"),
        pytest.param(0.5, id="float"),
        pytest.param(math.nan, id="nan"),
        pytest.param(math.inf, id="inf"),
        pytest.param(-math.inf, id="-inf"),
        pytest.param({"a": [1, 2.5]}, id="nested-float"),
        pytest.param(MAX_SAFE_INTEGER + 1, id="2**53"),
        pytest.param(-MAX_SAFE_INTEGER - 1, id="-2**53"),
        pytest.param(2**64, id="2**64"),
        pytest.param([2**63], id="nested-big-int"),
        pytest.param({"é": 1}, id="non-ascii-key"),
        pytest.param({"中": 1}, id="cjk-key"),
        pytest.param({"\U0001f600": 1}, id="non-bmp-key"),
        pytest.param({"a\nb": 1}, id="control-char-key"),
        pytest.param({"\x7f": 1}, id="del-key"),
        pytest.param({"ok": {"\x00": 1}}, id="nested-bad-key"),
        pytest.param({1: "a"}, id="int-key"),
        pytest.param({None: "a"}, id="none-key"),
        pytest.param("\ud800", id="lone-high-surrogate"),
        pytest.param("a\udfffb", id="lone-low-surrogate"),
        pytest.param({"k": ["\ud83d"]}, id="nested-lone-surrogate"),
        pytest.param({"\ud800": 1}, id="surrogate-key"),
        pytest.param(b"bytes", id="bytes"),
        pytest.param({1, 2}, id="set"),
        pytest.param(object(), id="object"),
        pytest.param(datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC), id="datetime"),
        pytest.param(decimal.Decimal(1), id="decimal"),
        pytest.param(complex(1, 2), id="complex"),
        pytest.param([frozenset()], id="nested-frozenset"),
        pytest.param(nested_lists(34), id="too-deep"),
    ],
)
def test_values_outside_the_subset_are_refused(value: Any) -> None:
    with pytest.raises(EncodingError):
        canonical_bytes(value)


@settings(max_examples=100)
@given(
    st.one_of(
        st.integers(min_value=MAX_SAFE_INTEGER + 1),
        st.integers(max_value=-MAX_SAFE_INTEGER - 1),
    )
)
def test_integers_beyond_the_safe_range_are_refused(value: int) -> None:
    with pytest.raises(EncodingError):
        canonical_bytes(value)
    with pytest.raises(EncodingError):
        canonical_bytes({"n": [value]})


@settings(max_examples=100)
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_every_float_is_refused(value: float) -> None:
    with pytest.raises(EncodingError):
        canonical_bytes([value])


@settings(max_examples=100)
@given(st.text(min_size=1, max_size=4).filter(lambda key: not key.isascii()))
def test_non_ascii_keys_are_refused(key: str) -> None:
    with pytest.raises(EncodingError):
        canonical_bytes({key: 1})


# --- parse_canonical -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b'{"a": 1}', id="space-after-colon"),
        pytest.param(b'{"a":1, "b":2}', id="space-after-comma"),
        pytest.param(b' {"a":1}', id="leading-space"),
        pytest.param(b'{"a":1}\n', id="trailing-newline"),
        pytest.param(b"[ ]", id="space-in-array"),
        pytest.param(b'{\n"a":1}', id="newline-inside"),
        pytest.param(b'{"b":1,"a":2}', id="unsorted-keys"),
        pytest.param(b'{"a":{"y":1,"x":2}}', id="unsorted-nested-keys"),
        pytest.param(b'{"a":1,"a":1}', id="duplicate-keys-same-value"),
        pytest.param(b'{"a":1,"a":2}', id="duplicate-keys"),
        pytest.param(b'"\\u0041"', id="needless-unicode-escape"),
        pytest.param(b'"\\/"', id="escaped-solidus"),
        pytest.param(b'"\\u001F"', id="uppercase-hex-escape"),
        pytest.param(b'"\\u000a"', id="long-form-of-short-escape"),
        pytest.param(b'"\\u00e9"', id="escaped-non-ascii"),
        pytest.param(b'"\\ud83d\\ude00"', id="escaped-surrogate-pair"),
        pytest.param(b"1.0", id="float"),
        pytest.param(b"1e2", id="exponent"),
        pytest.param(b"-0", id="negative-zero"),
        pytest.param(b"01", id="leading-zero"),
        pytest.param(b"9007199254740992", id="unsafe-integer"),
        pytest.param(b"18446744073709551616", id="huge-integer"),
        pytest.param(b'{"\xc3\xa9":1}', id="non-ascii-key"),
        pytest.param(b'"\\ud800"', id="escaped-lone-surrogate"),
        pytest.param(b'"\xed\xa0\x80"', id="utf8-encoded-surrogate"),
        pytest.param(b'"\xff"', id="invalid-utf8"),
        pytest.param(b"\xef\xbb\xbf{}", id="byte-order-mark"),
        pytest.param(b"", id="empty"),
        pytest.param(b"{", id="truncated"),
        pytest.param(b"NaN", id="nan"),
        pytest.param(b"[1,]", id="trailing-comma"),
        pytest.param(b"'a'", id="single-quotes"),
    ],
)
def test_parse_canonical_refuses_non_canonical_bytes(data: bytes) -> None:
    with pytest.raises(EncodingError):
        parse_canonical(data)


@pytest.mark.parametrize(
    "data",
    [
        b"null",
        b"true",
        b"0",
        b"-9007199254740991",
        b'""',
        b'"\\u0000\\b\\t\\n\\f\\r\\u001f\\"\\\\/"',
        '"\u2028\U0001f600\x7f"'.encode(),
        b'{" ":[],"A":{},"a":[null,true,false,-1,"x"]}',
        b"[[[]]]",
    ],
)
def test_parse_canonical_accepts_canonical_bytes(data: bytes) -> None:
    assert canonical_bytes(parse_canonical(data)) == data


def test_parse_json_is_lenient_but_refuses_non_json() -> None:
    assert parse_json(b'{ "b" : 1 , "a" : [ 2 ] }') == {"a": [2], "b": 1}
    assert parse_json('{"a":"\\u0041"}') == {"a": "A"}
    for data in (b"", b"{", b"[1,]", b"\xff", b"NaN", "{'a': 1}"):
        with pytest.raises(EncodingError):
            parse_json(data)


def test_encoding_error_is_a_value_error_with_a_code() -> None:
    with pytest.raises(ValueError, match="floating-point") as caught:
        canonical_bytes(1.5)
    assert isinstance(caught.value, EncodingError)
    assert caught.value.code == "malformed"
