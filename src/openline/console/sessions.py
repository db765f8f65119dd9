"""Server-side sessions of the web console, each with its own CSRF token.

A session lives in memory only: a restarted node logs everyone out, which is acceptable
for a watch console and spares the database a table of secrets. The session id, a cookie,
is 256 random bits; the store keys sessions by the id's SHA-256, so a memory dump, a
debugger or a log of the store's keys gives nothing that can be replayed as a cookie.

A session ends after ``idle_timeout`` without a request (default 2 hours: a console left
open on an unattended desk does not stay open) and at the latest ``absolute_timeout``
after login (default 14 hours: a 12-hour watch plus the handover), however busy it is.
An officer holds at most ``max_per_user`` sessions (default 20); logging in once more
drops the oldest, so a script that logs in in a loop cannot exhaust the node's memory.

Nothing here reads a clock or does I/O: callers pass ``now`` (an aware UTC datetime),
which keeps every expiry testable to the microsecond. Methods are safe to call from
several worker threads.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

IDLE_TIMEOUT = timedelta(hours=2)
ABSOLUTE_TIMEOUT = timedelta(hours=14)
MAX_PER_USER = 20

# Ids and CSRF tokens we issue are 43 characters (token_urlsafe(32)); anything much longer
# is garbage or an attack and is refused before it costs a hash.
_MAX_PRESENTED = 256


@dataclass(frozen=True, slots=True)
class Session:
    """One officer's login, as the console sees it on each request.

    The session id is deliberately not a field: a session object may be logged or
    shown, and must never carry what it takes to be that officer. The CSRF token is
    kept out of ``repr`` for the same reason.
    """

    username: str
    csrf_token: str = dataclasses.field(repr=False)
    created_at: datetime
    last_seen: datetime
    # What the password was when the session opened (a digest of its hash): a password
    # changed since then ends the session.
    credential: str = dataclasses.field(default="", repr=False)


def _check_aware(now: datetime) -> None:
    # A naive time compared with the aware ones stored would raise deep inside a request,
    # or worse, be silently read as local time; refuse it where the mistake is made.
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("naive datetime: the console only handles aware UTC times")


def _digest(session_id: str) -> str | None:
    """The key a session is stored under, or None if ``session_id`` cannot be one of ours.

    Ids we issue are short ASCII, so anything else is refused without hashing, and the
    caller never sees an exception for a malformed cookie (lone surrogates included).
    """
    if not session_id or len(session_id) > _MAX_PRESENTED or not session_id.isascii():
        return None
    return hashlib.sha256(session_id.encode("ascii")).hexdigest()


class SessionStore:
    """All live console sessions of one node, in memory."""

    def __init__(
        self,
        idle_timeout: timedelta = IDLE_TIMEOUT,
        absolute_timeout: timedelta = ABSOLUTE_TIMEOUT,
        max_per_user: int = MAX_PER_USER,
    ) -> None:
        if idle_timeout <= timedelta(0) or absolute_timeout <= timedelta(0):
            raise ValueError("session timeouts must be positive")
        if max_per_user < 1:
            raise ValueError("an officer must be allowed at least one session")
        self.idle_timeout = idle_timeout
        self.absolute_timeout = absolute_timeout
        self.max_per_user = max_per_user
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}
        # Per officer, their session keys oldest first (a dict as an ordered set), so that
        # revoking a user or enforcing the cap does not scan every session of the node.
        self._by_user: dict[str, dict[str, None]] = {}

    # --- the lifecycle ---------------------------------------------------------------------

    def create(self, username: str, now: datetime, credential: str = "") -> tuple[str, Session]:
        """Log ``username`` in: the new session id (for the cookie, shown only now) and
        the session. Call only after the password was checked."""
        _check_aware(now)
        session_id = secrets.token_urlsafe(32)
        session = Session(
            username=username,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen=now,
            credential=credential,
        )
        key = _digest(session_id)
        assert key is not None  # token_urlsafe is short ASCII
        with self._lock:
            # Expired sessions go first, so that the cap evicts a live session only when
            # the officer really has max_per_user of them.
            for old in list(self._by_user.get(username, ())):
                if self._expired(self._sessions[old], now):
                    self._drop(old)
            live = list(self._by_user.get(username, ()))  # oldest first
            excess = len(live) + 1 - self.max_per_user
            for old in live[: max(0, excess)]:
                self._drop(old)
            self._sessions[key] = session
            self._by_user.setdefault(username, {})[key] = None
        return session_id, session

    def get(self, session_id: str, now: datetime, touch: bool = True) -> Session | None:
        """The live session for this id, with ``last_seen`` moved to ``now`` (unless
        ``touch`` is false: a page refreshing itself is not an officer at the desk); None
        when the id is unknown, malformed or expired (an expired session is dropped on the
        spot)."""
        _check_aware(now)
        key = _digest(session_id)
        if key is None:
            return None
        with self._lock:
            session = self._sessions.get(key)
            if session is None:
                return None
            if self._expired(session, now):
                self._drop(key)
                return None
            if not touch:
                return session
            # max(): a clock stepped back must not make the session look idle for longer.
            session = dataclasses.replace(session, last_seen=max(session.last_seen, now))
            self._sessions[key] = session
            return session

    def revoke(self, session_id: str) -> None:
        """End one session (logout); an unknown or malformed id is ignored, so logging
        out twice is not an error."""
        key = _digest(session_id)
        if key is None:
            return
        with self._lock:
            if key in self._sessions:
                self._drop(key)

    def revoke_user(self, username: str) -> int:
        """End every session of ``username``, returning how many there were. Call it when
        an officer is disabled or their password changes: whoever held the old password
        must not keep a way in."""
        with self._lock:
            keys = list(self._by_user.get(username, ()))
            for key in keys:
                self._drop(key)
            return len(keys)

    def prune(self, now: datetime) -> int:
        """Drop every expired session, returning how many. ``get`` already refuses expired
        sessions; this only frees the memory of those nobody comes back for."""
        _check_aware(now)
        with self._lock:
            stale = [key for key, session in self._sessions.items() if self._expired(session, now)]
            for key in stale:
                self._drop(key)
            return len(stale)

    # --- CSRF ------------------------------------------------------------------------------

    @staticmethod
    def check_csrf(session: Session, presented: str | None) -> bool:
        """True when ``presented`` (a form field or header) is this session's CSRF token.

        The comparison takes the same time wherever the strings differ, so the token cannot
        be guessed a character at a time. compare_digest refuses non-ASCII strings with a
        TypeError; such input cannot be our token, so it is simply False.
        """
        if not presented or len(presented) > _MAX_PRESENTED or not presented.isascii():
            return False
        return hmac.compare_digest(session.csrf_token, presented)

    # --- inspection ------------------------------------------------------------------------

    def __len__(self) -> int:
        """Sessions held, expired ones not yet pruned included."""
        with self._lock:
            return len(self._sessions)

    def count(self, username: str) -> int:
        """Sessions held for ``username``, expired ones not yet pruned included."""
        with self._lock:
            return len(self._by_user.get(username, ()))

    # --- internals (the lock is held) ------------------------------------------------------

    def _expired(self, session: Session, now: datetime) -> bool:
        # Both limits are reached exactly at the boundary: a session 2 hours idle is over.
        return (
            now - session.last_seen >= self.idle_timeout
            or now - session.created_at >= self.absolute_timeout
        )

    def _drop(self, key: str) -> None:
        session = self._sessions.pop(key)
        mine = self._by_user[session.username]
        del mine[key]
        if not mine:
            del self._by_user[session.username]
