"""Tests for openline.core.fedauth: signed federation requests between nodes."""

from __future__ import annotations

import base64
import hashlib

import pytest

from openline.core.fedauth import (
    FROM_HEADER,
    SIGNATURE_HEADER,
    TIME_HEADER,
    TO_HEADER,
    Authenticated,
    AuthFailure,
    authenticate,
    sign_request,
    signing_input,
)
from openline.core.keys import PrivateKey, PublicKey

US, PRC, THIRD = "us-dod", "prc-mnd", "ru-mod"
US_KEY = PrivateKey.from_seed(bytes([1]) * 32)
US_OLD_KEY = PrivateKey.from_seed(bytes([5]) * 32)
PRC_KEY = PrivateKey.from_seed(bytes([2]) * 32)
THIRD_KEY = PrivateKey.from_seed(bytes([3]) * 32)
NOW_MS = 1_764_380_899_123
WINDOW_MS = 300_000
METHOD = "POST"
PATH = "/fed/v1/links/prc-mnd~us-dod/batches"
BODY = b'{"entries":[],"checkpoint":"..."}'

PINNED: dict[str, tuple[PublicKey, ...]] = {
    US: (US_KEY.public_key,),
    THIRD: (THIRD_KEY.public_key,),
}


def keys_of(party: str) -> tuple[PublicKey, ...] | None:
    return PINNED.get(party)


def never_seen(signature: bytes) -> bool:
    return False


def headers(
    *,
    key: PrivateKey = US_KEY,
    method: str = METHOD,
    path: str = PATH,
    sender: str = US,
    recipient: str = PRC,
    time_ms: int = NOW_MS,
    body: bytes = BODY,
) -> dict[str, str]:
    return sign_request(
        key=key,
        method=method,
        path=path,
        sender=sender,
        recipient=recipient,
        time_ms=time_ms,
        body=body,
    )


def judge(
    request_headers: dict[str, str],
    *,
    method: str = METHOD,
    path: str = PATH,
    body: bytes = BODY,
    our_party: str = PRC,
    now_ms: int = NOW_MS,
    seen: set[bytes] | None = None,
) -> Authenticated | AuthFailure:
    return authenticate(
        headers=request_headers,
        method=method,
        path=path,
        body=body,
        our_party=our_party,
        keys_of=keys_of,
        now_ms=now_ms,
        window_ms=WINDOW_MS,
        seen=never_seen if seen is None else seen.__contains__,
    )


def failure(outcome: Authenticated | AuthFailure, status: int, code: str) -> None:
    assert isinstance(outcome, AuthFailure), outcome
    assert (outcome.status, outcome.code) == (status, code), outcome.message
    assert outcome.message


# --- the happy path --------------------------------------------------------------------------


def test_signed_request_authenticates() -> None:
    signed = headers()
    assert set(signed) == {FROM_HEADER, TO_HEADER, TIME_HEADER, SIGNATURE_HEADER}
    assert signed[FROM_HEADER] == US
    assert signed[TO_HEADER] == PRC
    assert signed[TIME_HEADER] == str(NOW_MS)
    outcome = judge(signed)
    assert outcome == Authenticated(US, base64.b64decode(signed[SIGNATURE_HEADER]))


def test_signature_is_over_the_domain_separated_request() -> None:
    signed = headers()
    message = signing_input(
        method="post", path=PATH, sender=US, recipient=PRC, time_ms=NOW_MS, body=BODY
    )
    assert message == (
        b"openline-fed/v1\nPOST\n" + PATH.encode() + b"\nus-dod\nprc-mnd\n"
        + str(NOW_MS).encode() + b"\n" + hashlib.sha256(BODY).hexdigest().encode()
    )  # fmt: skip
    assert US_KEY.public_key.verify(message, base64.b64decode(signed[SIGNATURE_HEADER]))


def test_method_case_does_not_matter() -> None:
    assert isinstance(judge(headers(method="post"), method="POST"), Authenticated)


def test_empty_body_and_get_requests_authenticate() -> None:
    signed = headers(method="GET", path="/fed/v1/card", body=b"")
    assert isinstance(judge(signed, method="GET", path="/fed/v1/card", body=b""), Authenticated)


def test_any_pinned_key_of_the_sender_is_accepted() -> None:
    PINNED[US] = (US_OLD_KEY.public_key, US_KEY.public_key)
    try:
        assert isinstance(judge(headers(key=US_OLD_KEY)), Authenticated)
        assert isinstance(judge(headers(key=US_KEY)), Authenticated)
    finally:
        PINNED[US] = (US_KEY.public_key,)


@pytest.mark.parametrize("offset", [-WINDOW_MS, 0, WINDOW_MS])
def test_times_at_the_edge_of_the_window_are_accepted(offset: int) -> None:
    assert isinstance(judge(headers(time_ms=NOW_MS + offset)), Authenticated)


# --- failures --------------------------------------------------------------------------------


@pytest.mark.parametrize("header", [FROM_HEADER, TO_HEADER, TIME_HEADER, SIGNATURE_HEADER])
def test_missing_header_is_unauthenticated(header: str) -> None:
    signed = headers()
    del signed[header]
    failure(judge(signed), 401, "unauthenticated")


@pytest.mark.parametrize("header", [FROM_HEADER, TO_HEADER, TIME_HEADER, SIGNATURE_HEADER])
def test_empty_header_is_unauthenticated(header: str) -> None:
    signed = headers()
    signed[header] = ""
    failure(judge(signed), 401, "unauthenticated")


def test_no_headers_at_all_is_unauthenticated() -> None:
    failure(judge({}), 401, "unauthenticated")


def test_unknown_party_is_refused() -> None:
    stranger = PrivateKey.from_seed(bytes([9]) * 32)
    failure(judge(headers(key=stranger, sender="xx-mod")), 401, "unknown-party")


def test_request_for_another_node_is_wrong_node() -> None:
    failure(judge(headers(recipient=THIRD)), 421, "wrong-node")
    # The same signed request, delivered to the node it names, is fine.
    assert isinstance(judge(headers(recipient=THIRD), our_party=THIRD), Authenticated)


@pytest.mark.parametrize(
    "time_text",
    [
        pytest.param("soon", id="word"),
        pytest.param("-1764380899123", id="negative"),
        pytest.param("1764380899.123", id="fraction"),
        pytest.param(" 1764380899123", id="leading-space"),
        pytest.param("1764380899123\n", id="trailing-newline"),
        pytest.param("1" * 17, id="too-long"),
        pytest.param("0x1a", id="hex"),
        pytest.param("²", id="superscript-two"),
        pytest.param("١٧٦٤٣٨٠٨٩٩١٢٣", id="arabic-indic-digits"),
        pytest.param("１７６４３８０８９９１２３", id="fullwidth-digits"),
    ],
)
def test_bad_time_text_is_unauthenticated(time_text: str) -> None:
    signed = headers()
    signed[TIME_HEADER] = time_text
    failure(judge(signed), 401, "unauthenticated")


@pytest.mark.parametrize(
    "signature_text",
    [
        pytest.param("not base64!", id="punctuation"),
        pytest.param("AAAA AAAA", id="space"),
        pytest.param("AAA", id="bad-padding"),
        pytest.param("ÄÖÜ=", id="non-ascii"),
    ],
)
def test_bad_base64_is_a_bad_signature(signature_text: str) -> None:
    signed = headers()
    signed[SIGNATURE_HEADER] = signature_text
    failure(judge(signed), 401, "bad-request-signature")


def test_short_signature_is_a_bad_signature() -> None:
    signed = headers()
    signed[SIGNATURE_HEADER] = base64.b64encode(bytes(32)).decode()
    failure(judge(signed), 401, "bad-request-signature")


def test_signature_by_another_key_is_refused() -> None:
    failure(judge(headers(key=PRC_KEY)), 401, "bad-request-signature")
    # A pinned party cannot speak for another pinned party either.
    failure(judge(headers(key=THIRD_KEY)), 401, "bad-request-signature")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        pytest.param(METHOD, PATH, BODY + b" ", id="body"),
        pytest.param(METHOD, PATH, b"", id="empty-body"),
        pytest.param(METHOD, "/fed/v1/links/prc-mnd~us-dod/heartbeat", BODY, id="path"),
        pytest.param(METHOD, PATH + "?x=1", BODY, id="path-query"),
        pytest.param("PUT", PATH, BODY, id="method"),
    ],
)
def test_tampered_request_is_refused(method: str, path: str, body: bytes) -> None:
    failure(judge(headers(), method=method, path=path, body=body), 401, "bad-request-signature")


def test_tampered_time_or_sender_header_is_refused() -> None:
    signed = headers()
    signed[TIME_HEADER] = str(NOW_MS + 1)
    failure(judge(signed), 401, "bad-request-signature")
    signed = headers()
    signed[FROM_HEADER] = THIRD  # claims another pinned party
    failure(judge(signed), 401, "bad-request-signature")


@pytest.mark.parametrize("offset", [-WINDOW_MS - 1, WINDOW_MS + 1, -10 * WINDOW_MS, NOW_MS])
def test_time_outside_the_window_is_stale(offset: int) -> None:
    failure(judge(headers(time_ms=NOW_MS + offset)), 401, "stale-request")


def test_stale_check_reads_the_clock_it_is_given() -> None:
    signed = headers(time_ms=NOW_MS)
    failure(judge(signed, now_ms=NOW_MS + WINDOW_MS + 1), 401, "stale-request")
    failure(judge(signed, now_ms=NOW_MS - WINDOW_MS - 1), 401, "stale-request")


def test_replayed_request_is_a_conflict() -> None:
    seen: set[bytes] = set()
    signed = headers()
    first = judge(signed, seen=seen)
    assert isinstance(first, Authenticated)
    seen.add(first.signature)  # the adapter records what it accepted
    failure(judge(signed, seen=seen), 409, "replayed-request")
    # A fresh request (another time) is not a replay.
    assert isinstance(judge(headers(time_ms=NOW_MS + 1), seen=seen), Authenticated)


def test_seen_is_asked_only_about_verified_signatures() -> None:
    asked: list[bytes] = []

    def seen(signature: bytes) -> bool:
        asked.append(signature)
        return False

    authenticate(
        headers=headers(key=PRC_KEY),
        method=METHOD,
        path=PATH,
        body=BODY,
        our_party=PRC,
        keys_of=keys_of,
        now_ms=NOW_MS,
        window_ms=WINDOW_MS,
        seen=seen,
    )
    assert asked == []
