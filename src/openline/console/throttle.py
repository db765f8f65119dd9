"""Throttling of failed console logins, per user name and per client address.

Passwords are hashed with argon2id, which makes each guess expensive for the node too; the
throttle makes guessing slow for the attacker as well, without ever locking an officer out
for good (a lockout would hand an attacker a way to keep the watch off its own console).

Each key, the case-folded user name and the client address, has its own record, kept
independently:

* the first ``free_failures`` failures (default 5) cost nothing: officers mistype;
* after that, each further attempt must wait a delay counted from the last failure, which
  starts at ``first_delay`` (default 2 s) and doubles with each failure, up to
  ``max_delay`` (default 15 minutes);
* a record is forgotten once its delay is over and a further ``window`` (default 15
  minutes) has passed without a failure: the slate is wiped only for a key that was allowed
  to try and left it alone, not for one that merely waited out its delay.

Keying by name slows a guesser who spreads over many addresses; keying by address slows
one address spraying many names, each kept under its own free failures. The throttle does
not know which names exist: it keys by whatever string it is given, so a name that is not
an officer's is throttled, and costs, exactly like one that is.

Memory is bounded: each of the two tables keeps at most ``max_keys`` records (default
10,000), dropping the one whose last failure is oldest. Failures from many names therefore
never push an address's record out, nor the reverse. Keys are held as SHA-256 digests, so
a huge or odd user name costs 32 bytes, and no list of typed names (often a password typed
in the wrong box) sits in memory.

Like the session store, nothing here reads a clock or does I/O: callers pass ``now`` (an
aware UTC datetime). Methods are safe to call from several worker threads.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

FREE_FAILURES = 5
# Officers of one centre often share one address (a NAT, a proxy): the address's own limit
# stops a script spraying many names without one officer's typos locking out the watch.
ADDRESS_FREE_FAILURES = 30
WINDOW = timedelta(minutes=15)
FIRST_DELAY = timedelta(seconds=2)
MAX_DELAY = timedelta(minutes=15)
MAX_KEYS = 10_000


@dataclass(frozen=True, slots=True)
class _Record:
    """Failures counted for one key since it was last forgotten."""

    failures: int
    last_failure: datetime


def _check_aware(now: datetime) -> None:
    # A naive time compared with the aware ones stored would raise deep inside a request,
    # or worse, be silently read as local time; refuse it where the mistake is made.
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("naive datetime: the console only handles aware UTC times")


def _key(text: str) -> bytes:
    # surrogatepass: a form field may carry a lone surrogate, which must be throttled
    # like any other string rather than raise.
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


class LoginThrottle:
    """Failed-login records for one node's console.

    Callers ask :meth:`retry_after` before checking a password, and refuse the attempt
    unchecked (HTTP 429 with ``Retry-After``) while it is positive; an attempt so refused
    need not be reported. Then they report the outcome with :meth:`failed` or
    :meth:`succeeded`.
    """

    def __init__(
        self,
        free_failures: int = FREE_FAILURES,
        address_free_failures: int = ADDRESS_FREE_FAILURES,
        window: timedelta = WINDOW,
        first_delay: timedelta = FIRST_DELAY,
        max_delay: timedelta = MAX_DELAY,
        max_keys: int = MAX_KEYS,
    ) -> None:
        if free_failures < 0 or address_free_failures < 0:
            raise ValueError("free_failures cannot be negative")
        if window <= timedelta(0) or first_delay <= timedelta(0):
            raise ValueError("the window and the first delay must be positive")
        if max_delay < first_delay:
            raise ValueError("max_delay cannot be shorter than first_delay")
        if max_keys < 1:
            raise ValueError("max_keys must be at least 1")
        self.free_failures = free_failures
        self.address_free_failures = address_free_failures
        self.window = window
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.max_keys = max_keys
        self._lock = threading.Lock()
        # Insertion order is last-failure order (a failure re-inserts its key), so the first
        # key of each table is the one to drop when the table is full.
        self._users: dict[bytes, _Record] = {}
        self._addresses: dict[bytes, _Record] = {}

    # --- the policy ------------------------------------------------------------------------

    def delay_after(self, failures: int, free_failures: int | None = None) -> timedelta:
        """How long a key must wait after its last failure, having failed ``failures``
        times: nothing within the free failures (a user name's by default), then
        ``first_delay`` doubling, capped."""
        free = self.free_failures if free_failures is None else free_failures
        past = failures - free
        if past < 0:
            return timedelta(0)
        delay = self.first_delay
        # Doubling step by step and stopping at the cap keeps timedelta arithmetic exact
        # and free of overflow however many failures an attacker piles up.
        for _ in range(past):
            if delay >= self.max_delay:
                break
            delay *= 2
        return min(delay, self.max_delay)

    # --- the checks ------------------------------------------------------------------------

    def retry_after(self, username: str, address: str, now: datetime) -> float:
        """Seconds the caller must still wait before an attempt for ``username`` from
        ``address`` is even checked: the longer of the two keys' waits, 0.0 if allowed."""
        _check_aware(now)
        user_key, address_key = _key(username.casefold()), _key(address)
        with self._lock:
            return max(
                self._wait(self._users, user_key, now),
                self._wait(self._addresses, address_key, now),
            )

    def failed(self, username: str, address: str, now: datetime) -> None:
        """Count a failed login (wrong password, unknown or disabled officer alike)
        against both the user name and the address."""
        _check_aware(now)
        user_key, address_key = _key(username.casefold()), _key(address)
        with self._lock:
            self._count(self._users, user_key, now)
            self._count(self._addresses, address_key, now)

    def succeeded(self, username: str, address: str, now: datetime) -> None:
        """Forget the user name's failures, but not the address's.

        The officer proved who they are, so their name's earlier failures were their own
        typing. The address's record stays: an attacker who holds one account, or who has
        just guessed one password, must not be able to wipe the slate of the address they
        are spraying other names from by logging in between guesses. The cost, officers
        behind one shared address waiting a little after a colleague's typos, is small,
        since the free failures come first.
        """
        _check_aware(now)
        user_key, address_key = _key(username.casefold()), _key(address)
        with self._lock:
            self._users.pop(user_key, None)
            self._wait(self._addresses, address_key, now)  # drops the record if stale

    def prune(self, now: datetime) -> int:
        """Drop every record that has been forgotten, returning how many. The checks already
        ignore such records; this only frees their memory."""
        _check_aware(now)
        with self._lock:
            dropped = 0
            for table in (self._users, self._addresses):
                free = self._free(table)
                stale = [key for key, record in table.items() if self._stale(record, now, free)]
                for key in stale:
                    del table[key]
                dropped += len(stale)
            return dropped

    def __len__(self) -> int:
        """Records held across both tables, forgotten ones not yet pruned included."""
        with self._lock:
            return len(self._users) + len(self._addresses)

    # --- internals (the lock is held) ------------------------------------------------------

    def _free(self, table: dict[bytes, _Record]) -> int:
        return self.address_free_failures if table is self._addresses else self.free_failures

    def _stale(self, record: _Record, now: datetime, free: int | None = None) -> bool:
        delay = self.delay_after(record.failures, free)
        return now >= record.last_failure + delay + self.window

    def _wait(self, table: dict[bytes, _Record], key: bytes, now: datetime) -> float:
        record = table.get(key)
        if record is None:
            return 0.0
        free = self._free(table)
        if self._stale(record, now, free):
            del table[key]
            return 0.0
        delay = self.delay_after(record.failures, free)
        # min(): a clock stepped back must not make anyone wait longer than the delay itself.
        remaining = min(record.last_failure + delay - now, delay)
        return max(remaining.total_seconds(), 0.0)

    def _count(self, table: dict[bytes, _Record], key: bytes, now: datetime) -> None:
        record = table.pop(key, None)
        stale = record is None or self._stale(record, now, self._free(table))
        failures = 1 if record is None or stale else record.failures + 1
        table[key] = _Record(failures=failures, last_failure=now)
        while len(table) > self.max_keys:
            del table[next(iter(table))]
