"""Tests for openline.console.throttle: failed logins slow down guessing, per name and address."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openline.console.throttle import (
    ADDRESS_FREE_FAILURES,
    FIRST_DELAY,
    FREE_FAILURES,
    MAX_DELAY,
    MAX_KEYS,
    WINDOW,
    LoginThrottle,
)

T0 = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
MICRO = timedelta(microseconds=1)
SECOND = timedelta(seconds=1)


def equal_limits(**settings: Any) -> LoginThrottle:
    """A throttle whose address limit is its user-name limit, so that one count of failures
    exercises both tables (the node's own default gives addresses more room)."""
    free = settings.get("free_failures", FREE_FAILURES)
    return LoginThrottle(address_free_failures=free, **settings)


def test_an_address_shared_by_a_watch_gets_more_room_than_one_name() -> None:
    throttle = LoginThrottle()
    for n in range(ADDRESS_FREE_FAILURES - 1):
        # Each officer of the watch mistypes once: no name reaches its own limit.
        throttle.failed(f"officer-{n}", "192.0.2.1", T0)
    assert throttle.retry_after("someone-else", "192.0.2.1", T0) == 0.0
    throttle.failed("officer-x", "192.0.2.1", T0)  # one more from the address: it waits
    assert throttle.retry_after("someone-else", "192.0.2.1", T0) > 0.0
    # While one name alone is held after its own free failures.
    for _ in range(FREE_FAILURES):
        throttle.failed("alice", "198.51.100.7", T0)
    assert throttle.retry_after("alice", "198.51.100.9", T0) > 0.0


def fail_times(throttle: LoginThrottle, count: int, username: str, address: str) -> None:
    for _ in range(count):
        throttle.failed(username, address, T0)


def test_defaults() -> None:
    throttle = equal_limits()
    assert throttle.free_failures == FREE_FAILURES == 5
    assert throttle.window == WINDOW == timedelta(minutes=15)
    assert throttle.first_delay == FIRST_DELAY == timedelta(seconds=2)
    assert throttle.max_delay == MAX_DELAY == timedelta(minutes=15)
    assert throttle.max_keys == MAX_KEYS == 10_000


def test_the_delay_is_free_then_doubles_from_two_seconds_up_to_the_cap() -> None:
    throttle = equal_limits()
    delays = [throttle.delay_after(n).total_seconds() for n in range(16)]
    assert delays[:6] == [0, 0, 0, 0, 0, 2]
    assert delays[5:15] == [2, 4, 8, 16, 32, 64, 128, 256, 512, 900]
    assert delays[15] == 900
    assert throttle.delay_after(10**9) == timedelta(minutes=15)
    assert throttle.delay_after(-3) == timedelta(0)


def test_five_free_failures_then_growing_waits() -> None:
    throttle = equal_limits()
    now = T0
    for _ in range(5):
        assert throttle.retry_after("alice", "192.0.2.1", now) == 0.0
        throttle.failed("alice", "192.0.2.1", now)
    waits = []
    for _ in range(12):
        wait = throttle.retry_after("alice", "192.0.2.1", now)
        waits.append(wait)
        # Just before the wait is over the attempt is still refused; at the end it is not.
        later = now + timedelta(seconds=wait)
        assert throttle.retry_after("alice", "192.0.2.1", later - MICRO) > 0.0
        assert throttle.retry_after("alice", "192.0.2.1", later) == 0.0
        now = later
        throttle.failed("alice", "192.0.2.1", now)
    assert waits == [2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 900.0, 900.0, 900.0]


def test_the_wait_counts_down_from_the_last_failure() -> None:
    throttle = equal_limits()
    fail_times(throttle, 7, "alice", "192.0.2.1")  # 8 s after the seventh failure
    assert throttle.retry_after("alice", "192.0.2.1", T0) == 8.0
    assert throttle.retry_after("alice", "192.0.2.1", T0 + 3 * SECOND) == 5.0
    assert throttle.retry_after("alice", "192.0.2.1", T0 + 8 * SECOND) == 0.0
    assert throttle.retry_after("alice", "192.0.2.1", T0 + 9 * SECOND) == 0.0


def test_a_clock_stepped_back_does_not_lengthen_the_wait() -> None:
    throttle = equal_limits()
    fail_times(throttle, 6, "alice", "192.0.2.1")
    assert throttle.retry_after("alice", "192.0.2.1", T0 - timedelta(hours=1)) == 4.0


def test_the_name_is_throttled_from_any_address_and_in_any_case() -> None:
    throttle = equal_limits()
    for i in range(6):
        throttle.failed("alice", f"198.51.100.{i}", T0)
    assert throttle.retry_after("alice", "203.0.113.9", T0) == 4.0
    assert throttle.retry_after("ALICE", "203.0.113.9", T0) == 4.0
    assert throttle.retry_after("bob", "203.0.113.9", T0) == 0.0


def test_case_variants_share_one_record() -> None:
    throttle = equal_limits()
    for i, name in enumerate(["alice", "Alice", "ALICE", "aLiCe", "alicE"]):
        throttle.failed(name, f"198.51.100.{i}", T0)
    assert throttle.retry_after("alice", "203.0.113.9", T0) == 2.0


def test_one_address_spraying_many_names_slows_down() -> None:
    throttle = equal_limits()
    for i in range(8):
        throttle.failed(f"officer{i}", "192.0.2.66", T0)
    # Each name failed once, far below its free failures; the address did not.
    assert throttle.retry_after("someone-new", "192.0.2.66", T0) == 16.0
    assert throttle.retry_after("officer0", "198.51.100.1", T0) == 0.0
    assert throttle.retry_after("someone-new", "198.51.100.1", T0) == 0.0


def test_the_longer_of_the_two_waits_applies() -> None:
    throttle = equal_limits()
    fail_times(throttle, 8, "alice", "192.0.2.1")  # name and address: 16 s
    for i in range(6):
        throttle.failed(f"officer{i}", "192.0.2.2", T0)  # this address: 4 s
    assert throttle.retry_after("alice", "192.0.2.2", T0) == 16.0
    assert throttle.retry_after("bob", "192.0.2.1", T0) == 16.0
    assert throttle.retry_after("bob", "192.0.2.2", T0) == 4.0


def test_success_clears_the_name_but_not_the_address() -> None:
    throttle = equal_limits()
    fail_times(throttle, 7, "alice", "192.0.2.1")
    throttle.succeeded("alice", "192.0.2.1", T0 + 8 * SECOND)
    at = T0 + 8 * SECOND
    assert throttle.retry_after("alice", "198.51.100.1", at) == 0.0
    # The address still has seven failures: its next one costs 16 s, not nothing.
    throttle.failed("mallory", "192.0.2.1", at)
    assert throttle.retry_after("bob", "192.0.2.1", at) == 16.0
    # While the name, counted afresh, is back among its free failures.
    throttle.failed("alice", "198.51.100.1", at)
    assert throttle.retry_after("alice", "198.51.100.2", at) == 0.0


def test_an_attacker_cannot_wipe_their_address_by_logging_in() -> None:
    throttle = equal_limits()
    now = T0
    for i in range(20):
        now += timedelta(seconds=throttle.retry_after(f"victim{i}", "192.0.2.66", now))
        throttle.failed(f"victim{i}", "192.0.2.66", now)
        throttle.succeeded("mallory", "192.0.2.66", now)
    assert throttle.retry_after("victim99", "192.0.2.66", now) == 900.0


def test_a_record_is_forgotten_after_a_quiet_window() -> None:
    throttle = equal_limits()
    fail_times(throttle, 3, "alice", "192.0.2.1")
    just_before = T0 + WINDOW - MICRO
    throttle.failed("alice", "192.0.2.1", just_before)
    throttle.failed("alice", "192.0.2.1", just_before)
    assert throttle.retry_after("alice", "192.0.2.1", just_before) == 2.0  # five failures

    other = equal_limits()
    fail_times(other, 3, "alice", "192.0.2.1")
    at_window = T0 + WINDOW
    other.failed("alice", "192.0.2.1", at_window)
    other.failed("alice", "192.0.2.1", at_window)
    assert other.retry_after("alice", "192.0.2.1", at_window) == 0.0  # two failures


def test_the_window_starts_once_the_wait_is_over() -> None:
    throttle = equal_limits()
    fail_times(throttle, 6, "alice", "192.0.2.1")  # a 4 s wait
    forget_at = T0 + 4 * SECOND + WINDOW
    assert len(throttle) == 2
    assert throttle.prune(forget_at - MICRO) == 0
    throttle.failed("alice", "192.0.2.1", forget_at - MICRO)
    assert throttle.retry_after("alice", "192.0.2.1", forget_at - MICRO) == 8.0

    other = equal_limits()
    fail_times(other, 6, "alice", "192.0.2.1")
    other.failed("alice", "192.0.2.1", forget_at)
    assert other.retry_after("alice", "192.0.2.1", forget_at) == 0.0


def test_prune_frees_forgotten_records_only() -> None:
    throttle = equal_limits()
    throttle.failed("alice", "192.0.2.1", T0)
    throttle.failed("bob", "192.0.2.2", T0 + timedelta(minutes=10))
    assert len(throttle) == 4
    assert throttle.prune(T0 + WINDOW - MICRO) == 0
    assert throttle.prune(T0 + WINDOW) == 2
    assert len(throttle) == 2
    assert throttle.prune(T0 + timedelta(minutes=10) + WINDOW) == 2
    assert len(throttle) == 0


def test_the_key_cap_drops_the_oldest_name() -> None:
    throttle = equal_limits(max_keys=3)
    fail_times(throttle, 6, "alice", "192.0.2.1")
    assert throttle.retry_after("alice", "198.51.100.9", T0) == 4.0
    for name in ("bob", "carol", "dave"):
        throttle.failed(name, "192.0.2.1", T0 + SECOND)
    assert throttle.retry_after("alice", "198.51.100.9", T0 + SECOND) == 0.0
    assert len(throttle) == 3 + 1


def test_the_key_cap_drops_by_last_failure_not_first() -> None:
    throttle = equal_limits(max_keys=2)
    fail_times(throttle, 6, "alice", "192.0.2.1")
    throttle.failed("bob", "192.0.2.1", T0 + SECOND)
    throttle.failed("alice", "192.0.2.1", T0 + 2 * SECOND)  # alice is now the newest
    throttle.failed("carol", "192.0.2.1", T0 + 3 * SECOND)  # so bob goes
    assert throttle.retry_after("alice", "198.51.100.9", T0 + 3 * SECOND) == 7.0


def test_many_names_never_push_out_an_address() -> None:
    throttle = equal_limits(max_keys=10)
    for i in range(500):
        throttle.failed(f"name{i}", "192.0.2.66", T0)
    assert len(throttle) == 10 + 1
    assert throttle.retry_after("fresh", "192.0.2.66", T0) == 900.0


def test_many_addresses_never_push_out_a_name() -> None:
    throttle = equal_limits(max_keys=10)
    for i in range(500):
        throttle.failed("alice", f"10.0.{i // 256}.{i % 256}", T0)
    assert len(throttle) == 1 + 10
    assert throttle.retry_after("alice", "192.0.2.1", T0) == 900.0


@pytest.mark.parametrize(
    ("username", "address"),
    [("", ""), ("\ud800", "\udfff"), ("é" * 100_000, "::1"), ("\x00", "\x00" * 1000)],
)
def test_odd_strings_are_throttled_without_raising(username: str, address: str) -> None:
    throttle = equal_limits()
    fail_times(throttle, 6, username, address)
    assert throttle.retry_after(username, address, T0) == 4.0
    throttle.succeeded(username, address, T0)
    assert throttle.retry_after(username, "elsewhere", T0) == 0.0


def test_keys_are_not_held_in_clear() -> None:
    throttle = equal_limits()
    throttle.failed("correct horse battery staple", "192.0.2.1", T0)
    held = repr(throttle._users) + repr(throttle._addresses)
    assert "correct horse" not in held
    assert "192.0.2.1" not in held


def test_naive_times_are_refused() -> None:
    throttle = equal_limits()
    naive = datetime(2026, 11, 29, 8, 0)
    for check in (throttle.retry_after, throttle.failed, throttle.succeeded):
        with pytest.raises(ValueError, match="naive"):
            check("alice", "192.0.2.1", naive)
    with pytest.raises(ValueError, match="naive"):
        throttle.prune(naive)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"free_failures": -1}, "negative"),
        ({"window": timedelta(0)}, "positive"),
        ({"first_delay": timedelta(0)}, "positive"),
        ({"max_delay": timedelta(seconds=1)}, "shorter"),
        ({"max_keys": 0}, "at least 1"),
    ],
)
def test_nonsense_settings_are_refused(arguments: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LoginThrottle(**arguments)  # type: ignore[arg-type]


def test_concurrent_failures_are_all_counted() -> None:
    throttle = equal_limits(free_failures=1000)
    start = threading.Barrier(8)

    def fail_many() -> None:
        start.wait()
        for _ in range(100):
            throttle.failed("alice", "192.0.2.1", T0)

    threads = [threading.Thread(target=fail_many) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # 800 failures: 200 short of the first wait; one lost update and the wait comes late.
    fail_times(throttle, 199, "alice", "192.0.2.1")
    assert throttle.retry_after("alice", "192.0.2.1", T0) == 0.0
    throttle.failed("alice", "192.0.2.1", T0)
    assert throttle.retry_after("alice", "192.0.2.1", T0) == 2.0


# --- properties --------------------------------------------------------------------------

durations = st.integers(min_value=1, max_value=10**6).map(lambda n: timedelta(milliseconds=n))


@settings(max_examples=200)
@given(
    free=st.integers(min_value=0, max_value=10),
    first=durations,
    extra=durations,
    failures=st.lists(st.integers(min_value=-5, max_value=10**6), min_size=2, max_size=20),
)
def test_the_delay_never_shrinks_with_more_failures_and_never_passes_the_cap(
    free: int, first: timedelta, extra: timedelta, failures: list[int]
) -> None:
    throttle = equal_limits(free_failures=free, first_delay=first, max_delay=first + extra)
    ordered = sorted(failures)
    delays = [throttle.delay_after(n) for n in ordered]
    assert delays == sorted(delays)
    assert all(timedelta(0) <= delay <= throttle.max_delay for delay in delays)
    assert all(
        (delay == timedelta(0)) == (n < free) for n, delay in zip(ordered, delays, strict=True)
    )


events = st.lists(
    st.tuples(
        st.sampled_from(["failed", "succeeded", "check"]),
        st.sampled_from(["alice", "Alice", "bob", "mallory"]),
        st.sampled_from(["192.0.2.1", "192.0.2.2", "2001:db8::1"]),
        # Mostly forward, sometimes back: clocks get stepped.
        st.integers(min_value=-120, max_value=3600),
    ),
    max_size=60,
)


@settings(max_examples=200)
@given(events)
def test_the_wait_is_never_negative_and_never_beyond_the_cap(
    steps: list[tuple[str, str, str, int]],
) -> None:
    throttle = equal_limits(max_keys=4)
    now = T0
    for action, username, address, step in steps:
        now += timedelta(seconds=step)
        if action == "failed":
            throttle.failed(username, address, now)
        elif action == "succeeded":
            throttle.succeeded(username, address, now)
        wait = throttle.retry_after(username, address, now)
        assert 0.0 <= wait <= throttle.max_delay.total_seconds()
        assert len(throttle) <= 2 * throttle.max_keys
