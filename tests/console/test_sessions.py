"""Tests for openline.console.sessions: console sessions, their expiry, and CSRF tokens."""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openline.console.sessions import (
    ABSOLUTE_TIMEOUT,
    IDLE_TIMEOUT,
    MAX_PER_USER,
    Session,
    SessionStore,
)

T0 = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
MICRO = timedelta(microseconds=1)


def test_defaults_are_a_watch_and_its_handover() -> None:
    store = SessionStore()
    assert store.idle_timeout == IDLE_TIMEOUT == timedelta(hours=2)
    assert store.absolute_timeout == ABSOLUTE_TIMEOUT == timedelta(hours=14)
    assert store.max_per_user == MAX_PER_USER == 20


def test_create_then_get_returns_the_session() -> None:
    store = SessionStore()
    session_id, session = store.create("alice", T0)
    assert session.username == "alice"
    assert session.created_at == session.last_seen == T0
    assert store.get(session_id, T0) == session


def test_ids_and_csrf_tokens_are_long_distinct_and_urlsafe() -> None:
    store = SessionStore()
    issued = [store.create("alice", T0) for _ in range(10)]
    secrets_seen = [sid for sid, _ in issued] + [s.csrf_token for _, s in issued]
    assert len(set(secrets_seen)) == 20
    for secret in secrets_seen:
        assert len(secret) >= 43  # 32 random bytes in base64url
        assert set(secret) <= set(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        )


def test_get_moves_last_seen_but_not_created_at() -> None:
    store = SessionStore()
    session_id, _ = store.create("alice", T0)
    later = T0 + timedelta(minutes=30)
    seen = store.get(session_id, later)
    assert seen is not None
    assert seen.last_seen == later
    assert seen.created_at == T0
    # The store keeps the bumped session, not only the copy it returned.
    again = store.get(session_id, later + MICRO)
    assert again is not None
    assert again.last_seen == later + MICRO


def test_a_clock_stepped_back_does_not_move_last_seen_back() -> None:
    store = SessionStore()
    session_id, _ = store.create("alice", T0)
    assert store.get(session_id, T0 + timedelta(hours=1)) is not None
    earlier = store.get(session_id, T0 + timedelta(minutes=5))
    assert earlier is not None
    assert earlier.last_seen == T0 + timedelta(hours=1)


def test_idle_expiry_is_exact_and_drops_the_session() -> None:
    store = SessionStore(idle_timeout=timedelta(hours=2))
    session_id, _ = store.create("alice", T0)
    assert store.get(session_id, T0 + timedelta(hours=2) - MICRO) is not None
    # Idle is counted from the last request, which was just now.
    last = T0 + timedelta(hours=2) - MICRO
    assert store.get(session_id, last + timedelta(hours=2) - MICRO) is not None
    last += timedelta(hours=2) - MICRO
    assert store.get(session_id, last + timedelta(hours=2)) is None
    assert len(store) == 0
    assert store.count("alice") == 0
    # Once dropped, it does not come back even at an earlier time.
    assert store.get(session_id, last) is None


def test_absolute_expiry_ends_even_a_busy_session() -> None:
    store = SessionStore(idle_timeout=timedelta(hours=2), absolute_timeout=timedelta(hours=14))
    session_id, _ = store.create("alice", T0)
    now = T0
    while now < T0 + timedelta(hours=14) - timedelta(minutes=10):
        now += timedelta(minutes=10)
        assert store.get(session_id, now) is not None, now
    assert store.get(session_id, T0 + timedelta(hours=14) - MICRO) is not None
    assert store.get(session_id, T0 + timedelta(hours=14)) is None
    assert len(store) == 0


def test_revoke_ends_one_session_only() -> None:
    store = SessionStore()
    first, _ = store.create("alice", T0)
    second, _ = store.create("alice", T0)
    store.revoke(first)
    assert store.get(first, T0) is None
    assert store.get(second, T0) is not None
    store.revoke(first)  # logging out twice is not an error
    assert store.count("alice") == 1


def test_revoke_user_ends_all_their_sessions_and_no_one_elses() -> None:
    store = SessionStore()
    alices = [store.create("alice", T0)[0] for _ in range(3)]
    bob, _ = store.create("bob", T0)
    assert store.revoke_user("alice") == 3
    assert all(store.get(sid, T0) is None for sid in alices)
    assert store.get(bob, T0) is not None
    assert store.count("alice") == 0
    assert store.revoke_user("alice") == 0
    assert store.revoke_user("nobody") == 0
    # A new login after revocation works as usual.
    fresh, _ = store.create("alice", T0 + MICRO)
    assert store.get(fresh, T0 + MICRO) is not None


def test_the_cap_per_user_drops_the_oldest() -> None:
    store = SessionStore(max_per_user=3)
    ids = [store.create("alice", T0 + i * MICRO)[0] for i in range(5)]
    assert store.count("alice") == 3
    assert [store.get(sid, T0 + timedelta(seconds=1)) is not None for sid in ids] == [
        False,
        False,
        True,
        True,
        True,
    ]


def test_the_cap_is_per_user() -> None:
    store = SessionStore(max_per_user=2)
    bob, _ = store.create("bob", T0)
    for _ in range(10):
        store.create("alice", T0)
    assert store.count("alice") == 2
    assert store.get(bob, T0) is not None
    assert len(store) == 3


def test_the_cap_evicts_expired_sessions_before_live_ones() -> None:
    store = SessionStore(idle_timeout=timedelta(hours=2), max_per_user=2)
    kept, _ = store.create("alice", T0)
    idle, _ = store.create("alice", T0 + MICRO)
    later = T0 + timedelta(hours=1, minutes=59)
    assert store.get(kept, later) is not None  # kept busy; the second one idles
    _, _ = store.create("alice", T0 + MICRO + timedelta(hours=2))
    assert store.get(kept, T0 + timedelta(hours=2, minutes=1)) is not None
    assert store.get(idle, T0 + timedelta(hours=2, minutes=1)) is None
    assert store.count("alice") == 2


def test_prune_drops_only_expired_sessions() -> None:
    store = SessionStore(idle_timeout=timedelta(hours=2))
    old, _ = store.create("alice", T0)
    young, _ = store.create("bob", T0 + timedelta(hours=1))
    assert store.prune(T0 + timedelta(hours=2) - MICRO) == 0
    assert store.prune(T0 + timedelta(hours=2)) == 1
    assert len(store) == 1
    assert store.count("alice") == 0
    assert store.get(young, T0 + timedelta(hours=2)) is not None
    assert store.get(old, T0) is None


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        " ",
        "x",
        "a" * 43,
        "a" * 100_000,
        "é" * 43,
        "\ud800",  # a lone surrogate: cannot even be encoded as UTF-8
        "\x00",
        "🔑" * 10,
        "%00%ff",
    ],
)
def test_garbage_ids_are_refused_without_raising(garbage: str) -> None:
    store = SessionStore()
    store.create("alice", T0)
    assert store.get(garbage, T0) is None
    store.revoke(garbage)
    assert len(store) == 1


@settings(max_examples=200)
@given(st.text(max_size=300))
def test_no_string_is_a_session_but_the_issued_id(text: str) -> None:
    store = SessionStore()
    session_id, _ = store.create("alice", T0)
    found = store.get(text, T0)
    assert (found is not None) == (text == session_id)


def test_ids_are_not_stored_in_clear() -> None:
    store = SessionStore()
    session_id, session = store.create("alice", T0)
    # White-box on purpose: the property is about what the store holds, not what it says.
    keys = list(store._sessions)
    assert keys == [hashlib.sha256(session_id.encode("ascii")).hexdigest()]
    assert session_id not in keys
    held = repr(store._sessions) + repr(store._by_user)
    assert session_id not in held
    # Nor does the session object carry it (or its CSRF token) into a log line.
    assert session_id not in repr(session)
    assert session.csrf_token not in repr(session)
    assert session_id not in {getattr(session, name) for name in Session.__slots__}


def test_a_session_is_frozen() -> None:
    _, session = SessionStore().create("alice", T0)
    with pytest.raises(AttributeError):
        session.username = "mallory"  # type: ignore[misc]


def test_csrf_accepts_only_the_sessions_token() -> None:
    store = SessionStore()
    _, session = store.create("alice", T0)
    _, other = store.create("alice", T0)
    assert SessionStore.check_csrf(session, session.csrf_token)
    assert store.check_csrf(session, session.csrf_token)
    assert not store.check_csrf(session, other.csrf_token)
    assert not store.check_csrf(session, session.csrf_token[:-1])
    assert not store.check_csrf(session, session.csrf_token + "A")
    assert not store.check_csrf(session, session.csrf_token.upper())


@pytest.mark.parametrize("presented", [None, "", "é", "\ud800", "x" * 100_000])
def test_csrf_refuses_missing_and_garbage_tokens(presented: str | None) -> None:
    _, session = SessionStore().create("alice", T0)
    assert SessionStore.check_csrf(session, presented) is False


def test_the_csrf_token_survives_get() -> None:
    store = SessionStore()
    session_id, session = store.create("alice", T0)
    seen = store.get(session_id, T0 + timedelta(minutes=1))
    assert seen is not None
    assert store.check_csrf(seen, session.csrf_token)


def test_naive_times_are_refused() -> None:
    store = SessionStore()
    naive = datetime(2026, 11, 29, 8, 0)
    with pytest.raises(ValueError, match="naive"):
        store.create("alice", naive)
    session_id, _ = store.create("alice", T0)
    with pytest.raises(ValueError, match="naive"):
        store.get(session_id, naive)
    with pytest.raises(ValueError, match="naive"):
        store.prune(naive)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"idle_timeout": timedelta(0)}, "positive"),
        ({"absolute_timeout": timedelta(seconds=-1)}, "positive"),
        ({"max_per_user": 0}, "at least one"),
    ],
)
def test_nonsense_settings_are_refused(arguments: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SessionStore(**arguments)  # type: ignore[arg-type]


def test_concurrent_logins_respect_the_cap() -> None:
    store = SessionStore(max_per_user=5)
    start = threading.Barrier(8)

    def log_in_many() -> None:
        start.wait()
        for _ in range(200):
            session_id, _ = store.create("alice", T0)
            store.get(session_id, T0)

    threads = [threading.Thread(target=log_in_many) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.count("alice") == 5
    assert len(store) == 5
