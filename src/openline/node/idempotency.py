"""Once per key: a request retried with its ``Idempotency-Key`` signs nothing new.

A client whose request timed out after the node committed, or whose node was killed between
the commit and the answer, cannot tell whether its messages went. It retries with the same
key (the IETF ``Idempotency-Key`` header draft; the console's one-time form token serves the
same purpose) and gets the entries the first attempt created, never a second copy:

* the same key and the same request: the same entries, and nothing is signed;
* the same key and a different request: 409 ``idempotency-conflict``;
* keys belong to an actor (the operator, or one officer) and are kept for two days.

The key is written in the transaction that stores the entries (:meth:`IdempotencyKeys.note`,
called by the node's one write path), so there is no moment at which the entries are
committed and the key is not. The check and the command run under the node's lock, so two
copies of one request sent at once serialise: the second finds the first's key.

What the adapters answer is computed from the entries alone (the API's result of each
command, the console's "sent" page), so a replay answers what the first attempt would have.
A command whose answer is not in its entries (an officer's account, a new API token, a pin)
is never keyed: :meth:`IdempotencyKeys.unkeyed` runs it, and its return value is the answer.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import threading
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection

from openline.core.entry import Entry
from openline.core.timefmt import format_time
from openline.node.errors import CommandError
from openline.store import idempotency as stored
from openline.store.database import Store

RETENTION = timedelta(hours=48)  # the draft asks for at least 24 hours
OPERATOR = "operator"  # the actor of the admin token (the CLI, scripts)
# A fault point for the crash tests: ``OPENLINE_FAULT=kill-after-commit`` makes the process
# kill itself (SIGKILL) right after a keyed request's entries are committed, before any
# answer is sent. Read once, when the node opens; never set outside a test.
FAULT_ENV = "OPENLINE_FAULT"
KILL_AFTER_COMMIT = "kill-after-commit"

# The draft's key is a Structured Field string; a bare token is taken too. Visible ASCII,
# 1 to 255 characters: enough for a UUID or a random token, and safe in logs and errors.
_KEY = re.compile(r'\A"?([\x21\x23-\x7e]{1,255})"?\Z')


def parse_key(header: str) -> str:
    """The key of an ``Idempotency-Key`` header.

    Raises:
        CommandError: 400 ``invalid-idempotency-key``.
    """
    match = _KEY.match(header.strip())
    if match is None or header.strip().count('"') not in (0, 2):
        raise CommandError(
            "Idempotency-Key must be 1 to 255 visible ASCII characters, as a quoted string "
            '(Idempotency-Key: "8e03978e-40d5-43e8-bc93-6894a57f9324")',
            code="invalid-idempotency-key",
            status=400,
        )
    return match.group(1)


def officer_actor(username: str) -> str:
    return f"officer:{username}"


def fingerprint(*parts: bytes | str) -> str:
    """SHA-256 over the parts, each length-prefixed: what makes two requests "the same"."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class Attempt:
    """One keyed request: who asked, their key, and the fingerprint of what they asked."""

    actor: str
    key: str
    fingerprint: str


@dataclass(frozen=True, slots=True)
class Done:
    """The entries a command created; ``replayed`` when a retry found them already made.

    ``result`` is what the command returned when it ran now, and None for a replay: only
    the entries are stored with a key, so an answer built from ``result`` cannot be
    replayed (such commands are run unkeyed)."""

    entries: list[Entry]
    replayed: bool = False
    result: object = None


@dataclass
class _Claim:
    attempt: Attempt | None
    entries: list[Entry] = field(default_factory=list)
    stored: bool = False


# The command running in this thread, if any: the write path adds its entries to it.
_running: ContextVar[_Claim | None] = ContextVar("openline_idempotency_claim", default=None)


class IdempotencyKeys:
    """Runs commands once per key; needs only the store, the node's lock and its clock."""

    def __init__(
        self,
        store: Store,
        lock: threading.RLock,
        clock: Callable[[], datetime],
        fault: str | None = None,
    ) -> None:
        self.store = store
        self.lock = lock
        self.clock = clock
        self.fault = os.environ.get(FAULT_ENV) if fault is None else fault

    def once(self, attempt: Attempt | None, command: Callable[[], object]) -> Done:
        """Run ``command`` and return the entries it created (and what it returned), or,
        when ``attempt``'s key was used before for the same request, return the entries it
        created then.

        Raises:
            CommandError: 409 ``idempotency-conflict`` for a key used for another request;
                whatever ``command`` raises (and then no key is stored).
        """
        with self.lock:
            if attempt is not None:
                earlier = self._earlier(attempt)
                if earlier is not None:
                    return Done(earlier, replayed=True)
            return self._run(attempt, command)

    def unkeyed(self, command: Callable[[], object]) -> Done:
        """Run ``command`` with no key, outside the node's lock, and return what it signed
        and what it returned.

        For the commands that are never keyed: with no key there is nothing to check
        under the lock, and the acts they call take the locks they need themselves. An
        account command hashes a password (argon2id: 64 MiB, tens of milliseconds), which
        must not hold up every send and every batch received meanwhile.
        """
        return self._run(None, command)

    def _run(self, attempt: Attempt | None, command: Callable[[], object]) -> Done:
        claim = _Claim(attempt)
        token = _running.set(claim)
        try:
            result = command()
        finally:
            _running.reset(token)
        return Done(list(claim.entries), result=result)

    def _earlier(self, attempt: Attempt) -> list[Entry] | None:
        with self.store.read() as connection:
            found = stored.find(connection, attempt.actor, attempt.key)
        if found is None or found.created_at < self._cutoff():
            return None  # never used, or used so long ago that the key is free again
        if found.fingerprint != attempt.fingerprint:
            raise CommandError(
                "this Idempotency-Key was already used for a different request; use a new "
                "key for a new request",
                code="idempotency-conflict",
                status=409,
            )
        entries = []
        for entry_id in found.entry_ids:
            row = self.store.entry_by_id(entry_id)
            if row is None:  # the transcript is append-only: only a damaged store gets here
                raise CommandError(
                    f"the entry {entry_id} this key created is missing from the store",
                    code="store-damaged",
                    status=500,
                )
            entries.append(Entry.from_leaf(row.leaf))
        return entries

    def _cutoff(self) -> str:
        return format_time(self.clock() - RETENTION)

    def note(self, connection: Connection, appended: Iterable[Entry], now: str) -> None:
        """Inside the write transaction: add the entries to the running command's claim
        and, for a keyed request, store its key with them (dropping a few expired keys)."""
        claim = _running.get()
        if claim is None:
            return
        claim.entries.extend(appended)
        attempt = claim.attempt
        if attempt is None:
            return
        if not claim.stored:
            stored.purge(connection, self._cutoff())
            stored.forget(connection, attempt.actor, attempt.key)  # an expired use, if any
        stored.record(
            connection,
            attempt.actor,
            attempt.key,
            attempt.fingerprint,
            now,
            [entry.id for entry in claim.entries],
        )
        claim.stored = True

    def committed(self) -> None:
        """After the write transaction committed: the crash tests' fault point."""
        claim = _running.get()
        if claim is not None and claim.attempt is not None and self.fault == KILL_AFTER_COMMIT:
            os.kill(os.getpid(), signal.SIGKILL)
