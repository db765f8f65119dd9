"""One entry, from the bytes up: the checks of a stored leaf, and the worker processes that
run them for large ranges."""

from __future__ import annotations

import base64
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor

import orjson
from nacl.bindings import crypto_sign_open
from nacl.exceptions import CryptoError

from openline.core.entry import Entry
from openline.core.errors import EncodingError, EntryError
from openline.core.keys import SIGNATURE_SIZE, PublicKey
from openline.core.merkle import leaf_hash
from openline.store import audit


def _parse_leaf(leaf: bytes) -> Entry:
    """:meth:`Entry.from_leaf` with one canonical encoding instead of two: ``from_json``
    re-encodes the parsed object anyway, and the leaf is canonical exactly when that
    re-encoding gives it back."""
    try:
        obj = orjson.loads(leaf)
    except orjson.JSONDecodeError as error:
        raise EntryError(f"leaf: not JSON: {error}", code="invalid-entry") from error
    entry = Entry.from_json(obj)
    if entry.leaf != leaf:
        raise EntryError("leaf: JSON is not in RFC 8785 canonical form", code="invalid-entry")
    return entry


def _signing_input(entry: Entry) -> bytes:
    """The bytes the sender signed: the canonical leaf without its ``sig`` member.

    RFC 8785 sorts the keys, so ``"sig"`` sits between ``"seq"`` and ``"time"``; base64 needs
    no escaping, so the member is ``,"sig":"<base64>"`` and it is the last occurrence of that
    text (only ``time``, ``to`` and ``version`` follow, which cannot contain it). Cutting it
    out gives what :meth:`Entry.signing_input` re-encodes, for a fraction of the cost;
    anything unexpected falls back to that."""
    leaf = entry.leaf
    member = b',"sig":"' + base64.b64encode(entry.signature) + b'"'
    cut = leaf.rfind(member)
    after = cut + len(member)
    if cut > 0 and leaf.startswith(b',"time":', after):
        return leaf[:cut] + leaf[after:]
    return entry.signing_input()


def _entry_problem(
    where: str, sender: str, recipient: str, keys: Sequence[PublicKey], row: audit.EntryRow
) -> str | None:
    seq, entry_id, leaf, kind, entry_time = row
    label = f"entry {where} seq {seq} (id {entry_id[:16]}…)"
    if leaf_hash(leaf).hex() != entry_id:
        return f"{label}: stored bytes do not hash to the entry id (altered)"
    try:
        entry = _parse_leaf(leaf)
    except (EntryError, EncodingError) as error:
        return f"{label}: does not parse: {error}"
    if (entry.sender, entry.recipient, entry.seq) != (sender, recipient, seq):
        return f"{label}: entry says {entry.sender}→{entry.recipient} seq {entry.seq}"
    if entry.kind != kind or entry.time != entry_time:
        return f"{label}: indexed kind or time differ from the signed entry"
    message = _signing_input(entry)
    if not any(_verifies(key.raw, message, entry.signature) for key in keys):
        return f"{label}: signature does not verify under {sender}'s key"
    return None


def _verifies(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """:meth:`PublicKey.verify` without building a PyNaCl ``VerifyKey`` per call (the same
    libsodium ``crypto_sign_open``, with its strict checks): ~5 % of an entry's check."""
    if len(signature) != SIGNATURE_SIZE:
        return False
    try:
        crypto_sign_open(signature + message, public_key)
    except (CryptoError, TypeError, ValueError):
        return False
    return True


Job = tuple[str, str, str, tuple[bytes, ...], list[audit.EntryRow]]
Outcome = tuple[int, str] | None
_worker_keys: dict[tuple[bytes, ...], list[PublicKey]] = {}


def _check_entries(job: Job) -> Outcome:
    """Check a chunk of entries; ``(index in the chunk, problem)`` of the first bad one."""
    where, sender, recipient, raw_keys, rows = job
    keys = _worker_keys.get(raw_keys)
    if keys is None:
        keys = _worker_keys.setdefault(raw_keys, [PublicKey(raw) for raw in raw_keys])
    for index, row in enumerate(rows):
        problem = _entry_problem(where, sender, recipient, keys, row)
        if problem is not None:
            return index, problem
    return None


class EntryChecker:
    """Checks chunks of entries in worker processes, or in this one."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        if workers > 1:
            # A fork server, not a fork of this process: verify may run in a thread of the
            # server, and forking a threaded process copies locks held by other threads.
            methods = multiprocessing.get_all_start_methods()
            context = multiprocessing.get_context(
                "forkserver" if "forkserver" in methods else "spawn"
            )
            if "forkserver" in methods:
                context.set_forkserver_preload([__name__])
            try:
                self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
            except (OSError, NotImplementedError):  # no processes here: check in this one
                self.workers = 1

    @property
    def depth(self) -> int:
        """Chunks in flight: enough to keep every worker busy while this process reads."""
        return 1 if self._pool is None else 2 * self.workers + 1

    def submit(self, job: Job) -> Future[Outcome]:
        if self._pool is not None:
            return self._pool.submit(_check_entries, job)
        done: Future[Outcome] = Future()
        done.set_result(_check_entries(job))
        return done

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def usable_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)
