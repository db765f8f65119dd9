"""Bad input at the federation door of a real, running node.

prc-mnd runs as a real ``openline run`` process; us-dod's node is never started. The test
acts as us-dod itself (its key is read from its data folder) and crafts federation requests
by hand: signed entries, signed checkpoints, signed requests, some of them wrong on purpose.
Every wrong request must be refused with its own 4xx status and code and a message, leave
prc-mnd's mirror of the us-dod→prc-mnd log untouched, and leave the node serving: the next
valid batch is accepted with a cosignature that verifies under prc-mnd's card.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from harness import NodeProcess, pin_all
from openline.core.canonical import canonical_bytes
from openline.core.card import Card
from openline.core.checkpoint import Checkpoint, sign_checkpoint
from openline.core.cosignature import Cosignature, verify_cosignature
from openline.core.entry import link_id
from openline.core.fedauth import sign_request
from openline.core.keys import PrivateKey
from openline.core.link import log_origin
from openline.core.merkle import leaf_hash, root_from_hashes
from openline.core.note import NoteSignature, NoteSigner
from openline.core.timefmt import format_time

pytestmark = pytest.mark.e2e

US, PRC, RU = "us-dod", "prc-mnd", "ru-mod"
ORIGIN = log_origin(US, PRC)
BATCH_PATH = "/fed/v1/batch"
CHECKPOINT_PATH = f"/fed/v1/checkpoint/{US}/{PRC}"

# Small limits on prc-mnd so that oversize input is cheap to make.
MAX_REQUEST_BYTES = 65_536
MAX_ENTRY_BYTES = 4_096
WINDOW_SECONDS = 60

Entry = dict[str, Any]
"""An entry as it travels: a JSON object, signed or not, valid or not."""


# --- acting as us-dod ------------------------------------------------------------------------


def load_key(node: NodeProcess) -> PrivateKey:
    return PrivateKey.from_seed(base64.b64decode((node.dir / "node.key").read_text().strip()))


def now_text() -> str:
    return format_time(datetime.now(UTC))


def signed(fields: Entry, key: PrivateKey) -> Entry:
    """Sign any entry-shaped object over its JCS bytes, as a sender does, valid or not."""
    signature = key.sign(canonical_bytes(fields))
    return dict(fields, sig=base64.b64encode(signature).decode("ascii"))


def entry_id(entry: Entry) -> str:
    return leaf_hash(canonical_bytes(entry)).hex()


def parse_cosignature(line: str) -> Cosignature:
    return Cosignature.from_note_signature(NoteSignature.from_line(line))


@dataclass(frozen=True)
class Signed:
    """A federation request ready to go, bytes and headers fixed (so it can be replayed)."""

    body: bytes
    headers: dict[str, str]
    path: str = BATCH_PATH


@dataclass(frozen=True)
class Snapshot:
    """What prc-mnd holds of the us-dod→prc-mnd log, as its APIs show it."""

    incoming: tuple[tuple[int, str], ...]
    checkpoint: tuple[int, Any]
    equivocations: tuple[tuple[str, str, int | None], ...]


@dataclass
class Craft:
    """Speaks for us-dod to prc-mnd's running node, and tracks what prc-mnd holds."""

    us: NodeProcess
    prc: NodeProcess
    key: PrivateKey = field(init=False)
    held: list[bytes] = field(init=False, default_factory=list)  # leaf hashes, by seq
    client: httpx.Client = field(init=False)
    _last_ms: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.key = load_key(self.us)
        self.client = httpx.Client(base_url=self.prc.url, timeout=30)
        card = Card.from_bytes(self.prc.card_path.read_bytes())
        self.cosigner = card.cosignature_verifier()

    @property
    def size(self) -> int:
        return len(self.held)

    # building

    def time_ms(self) -> int:
        """Now, in ms, strictly increasing: two requests never share a signature by chance."""
        self._last_ms = max(int(time.time() * 1000), self._last_ms + 1)
        return self._last_ms

    def entry(
        self,
        seq: int | None = None,
        *,
        text: str = "Request a call",
        recipient: str = PRC,
        key: PrivateKey | None = None,
        **overrides: Any,
    ) -> Entry:
        fields: Entry = {
            "version": 1,
            "link": link_id(US, recipient),
            "from": US,
            "to": recipient,
            "seq": self.size if seq is None else seq,
            "time": now_text(),
            "kind": "hotline.message",
            "body": {"text": text, "lang": "en", "precedence": "routine"},
            "refs": [],
        }
        fields.update(overrides)
        return signed(fields, key or self.key)

    def checkpoint(
        self,
        entries: Sequence[Entry],
        *,
        start: int | None = None,
        origin: str = ORIGIN,
        signer: NoteSigner | None = None,
    ) -> tuple[Checkpoint, bytes]:
        """The checkpoint of the held log up to ``start`` followed by ``entries``."""
        hashes = self.held[: self.size if start is None else start]
        hashes = hashes + [leaf_hash(canonical_bytes(entry)) for entry in entries]
        checkpoint = Checkpoint(origin=origin, size=len(hashes), root=root_from_hashes(hashes))
        return checkpoint, sign_checkpoint(checkpoint, signer or NoteSigner(US, self.key))

    def next_entries(self, count: int = 1, text: str = "Request a call") -> list[Entry]:
        return [self.entry(self.size + i, text=f"{text} #{self.size + i}") for i in range(count)]

    @staticmethod
    def batch(entries: Sequence[Entry], note: bytes) -> bytes:
        return orjson.dumps({"entries": list(entries), "checkpoint": note.decode("utf-8")})

    def sign(
        self,
        body: bytes,
        *,
        sender: str = US,
        recipient: str = PRC,
        key: PrivateKey | None = None,
        time_ms: int | None = None,
        method: str = "POST",
        path: str = BATCH_PATH,
    ) -> Signed:
        headers = sign_request(
            key=key or self.key,
            method=method,
            path=path,
            sender=sender,
            recipient=recipient,
            time_ms=self.time_ms() if time_ms is None else time_ms,
            body=body,
        )
        return Signed(body, headers, path)

    def signed_batch(self, entries: Sequence[Entry], note: bytes) -> Signed:
        return self.sign(self.batch(entries, note))

    # sending

    def send(self, request: Signed) -> httpx.Response:
        headers = {**request.headers, "content-type": "application/json"}
        return self.client.post(request.path, content=request.body, headers=headers)

    def check_receipt(self, reply: httpx.Response, checkpoint: Checkpoint) -> None:
        """The reply cosigns exactly our checkpoint, under prc-mnd's pinned card."""
        cosignature = parse_cosignature(reply.json()["cosignature"])
        assert cosignature.name == PRC
        assert verify_cosignature(checkpoint, cosignature, self.cosigner)
        assert abs(cosignature.timestamp - time.time()) < 60

    def send_valid(self, count: int = 1) -> list[str]:
        """Send the next valid batch: it must be accepted and receipted. Returns the ids."""
        entries = self.next_entries(count)
        checkpoint, note = self.checkpoint(entries)
        reply = self.send(self.signed_batch(entries, note))
        assert reply.status_code == 200, reply.text
        payload = reply.json()
        assert payload["status"] == "accepted"
        assert payload["accepted"] == count
        assert payload["size"] == self.size + count
        self.check_receipt(reply, checkpoint)
        self.held.extend(leaf_hash(canonical_bytes(entry)) for entry in entries)
        ids = [entry_id(entry) for entry in entries]
        assert [held_id for _, held_id in self.incoming()][-count:] == ids
        return ids

    def ensure_held(self, count: int) -> None:
        if self.size < count:
            self.send_valid(count - self.size)

    # looking

    def incoming(self) -> tuple[tuple[int, str], ...]:
        rows: list[dict[str, Any]] = []
        path = f"/api/v1/peers/{US}/log?limit=1000"
        while path:
            reply = self.prc.api("GET", path)
            assert reply.status_code == 200, reply.text
            rows += reply.json()["entries"]
            path = reply.json()["next"]
        return tuple(sorted((row["seq"], row["id"]) for row in rows if row["direction"] == "in"))

    def snapshot(self) -> Snapshot:
        status = self.prc.api("GET", "/api/v1/status")
        assert status.status_code == 200, status.text
        request = self.sign(b"", method="GET", path=CHECKPOINT_PATH)
        latest = self.client.get(CHECKPOINT_PATH, headers=request.headers)
        incoming = self.incoming()
        assert [seq for seq, _ in incoming] == list(range(self.size))
        assert [bytes.fromhex(held_id) for _, held_id in incoming] == self.held
        return Snapshot(
            incoming=incoming,
            checkpoint=(latest.status_code, latest.json()),
            equivocations=tuple(
                (item["sender"], item["recipient"], item["seq"])
                for item in status.json()["equivocations"]
            ),
        )


# --- the cases -------------------------------------------------------------------------------

Fire = Callable[[], httpx.Response]
Prepare = Callable[[Craft], Fire]
"""Builds a bad request (doing any valid steps it needs first); the result sends it."""


def malformed_json(craft: Craft) -> Fire:
    request = craft.sign(b'{"entries": [{"version": 1,')
    return lambda: craft.send(request)


def entries_not_a_list(craft: Craft) -> Fire:
    _, note = craft.checkpoint([])
    body = orjson.dumps({"entries": "all of them", "checkpoint": note.decode()})
    request = craft.sign(body)
    return lambda: craft.send(request)


def seq_not_an_integer(craft: Craft) -> Fire:
    fields = craft.entry()
    del fields["sig"]
    fields["seq"] = str(craft.size)
    entry = signed(fields, craft.key)  # properly signed: only the envelope is wrong
    _, note = craft.checkpoint([entry])
    request = craft.signed_batch([entry], note)
    return lambda: craft.send(request)


def unknown_kind(craft: Craft) -> Fire:
    entry = craft.entry(kind="hotline.telepathy")
    _, note = craft.checkpoint([entry])
    request = craft.signed_batch([entry], note)
    return lambda: craft.send(request)


def body_breaks_schema(craft: Craft) -> Fire:
    entry = craft.entry(body={"text": "Request a call", "lang": "en", "precedence": "urgent"})
    _, note = craft.checkpoint([entry])
    request = craft.signed_batch([entry], note)
    return lambda: craft.send(request)


def oversize_batch(craft: Craft) -> list[Entry]:
    """A batch of valid, signed entries, each within limits, together over the body limit."""
    entries = [craft.entry(craft.size + i, text="x" * 3000) for i in range(25)]
    assert all(len(canonical_bytes(entry)) < MAX_ENTRY_BYTES for entry in entries)
    return entries


def request_too_large(craft: Craft) -> Fire:
    entries = oversize_batch(craft)
    _, note = craft.checkpoint(entries)
    request = craft.signed_batch(entries, note)
    assert len(request.body) > MAX_REQUEST_BYTES
    return lambda: craft.send(request)


def request_too_large_chunked(craft: Craft) -> Fire:
    """The same, streamed without Content-Length: the limit holds while reading."""
    entries = oversize_batch(craft)
    _, note = craft.checkpoint(entries)
    request = craft.signed_batch(entries, note)
    chunks = [request.body[i : i + 8192] for i in range(0, len(request.body), 8192)]

    def fire() -> httpx.Response:
        headers = {**request.headers, "content-type": "application/json"}
        reply = craft.client.post(BATCH_PATH, content=iter(chunks), headers=headers)
        assert "content-length" not in reply.request.headers
        return reply

    return fire


def entry_too_large(craft: Craft) -> Fire:
    entry = craft.entry(text="x" * (MAX_ENTRY_BYTES + 100))
    assert len(canonical_bytes(entry)) > MAX_ENTRY_BYTES
    _, note = craft.checkpoint([entry])
    request = craft.signed_batch([entry], note)
    assert len(request.body) < MAX_REQUEST_BYTES
    return lambda: craft.send(request)


def unknown_party(craft: Craft) -> Fire:
    """ru-mod is not pinned on prc-mnd; it signs everything properly with its own key."""
    ru_key = PrivateKey.generate()
    fields: Entry = {
        "version": 1,
        "link": link_id(RU, PRC),
        "from": RU,
        "to": PRC,
        "seq": 0,
        "time": now_text(),
        "kind": "hotline.message",
        "body": {"text": "Hello", "lang": "en", "precedence": "routine"},
        "refs": [],
    }
    entry = signed(fields, ru_key)
    root = root_from_hashes([leaf_hash(canonical_bytes(entry))])
    checkpoint = Checkpoint(origin=log_origin(RU, PRC), size=1, root=root)
    note = sign_checkpoint(checkpoint, NoteSigner(RU, ru_key))
    request = craft.sign(craft.batch([entry], note), sender=RU, key=ru_key)
    return lambda: craft.send(request)


def unsigned(craft: Craft) -> Fire:
    entries = craft.next_entries()
    _, note = craft.checkpoint(entries)
    body = craft.batch(entries, note)
    return lambda: craft.client.post(
        BATCH_PATH, content=body, headers={"content-type": "application/json"}
    )


def bad_request_signature(craft: Craft) -> Fire:
    """A valid batch, but the request claims to be from us-dod and is signed by another key."""
    entries = craft.next_entries()
    _, note = craft.checkpoint(entries)
    request = craft.sign(craft.batch(entries, note), key=PrivateKey.generate())
    return lambda: craft.send(request)


def stale_request(craft: Craft) -> Fire:
    entries = craft.next_entries()
    _, note = craft.checkpoint(entries)
    old = craft.time_ms() - (WINDOW_SECONDS + 30) * 1000
    request = craft.sign(craft.batch(entries, note), time_ms=old)
    return lambda: craft.send(request)


def request_from_the_future(craft: Craft) -> Fire:
    entries = craft.next_entries()
    _, note = craft.checkpoint(entries)
    ahead = craft.time_ms() + (WINDOW_SECONDS + 30) * 1000
    request = craft.sign(craft.batch(entries, note), time_ms=ahead)
    return lambda: craft.send(request)


def replayed_request(craft: Craft) -> Fire:
    """A valid batch is accepted; the very same signed request sent again is refused."""
    entries = craft.next_entries()
    checkpoint, note = craft.checkpoint(entries)
    request = craft.signed_batch(entries, note)
    first = craft.send(request)
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "accepted"
    craft.check_receipt(first, checkpoint)
    craft.held.append(leaf_hash(canonical_bytes(entries[0])))
    return lambda: craft.send(request)


def wrong_node(craft: Craft) -> Fire:
    """Meant for ru-mod (and signed so), delivered to prc-mnd."""
    entries = craft.next_entries()
    _, note = craft.checkpoint(entries)
    request = craft.sign(craft.batch(entries, note), recipient=RU)
    return lambda: craft.send(request)


def bad_entry_signature(craft: Craft) -> Fire:
    entry = craft.entry(key=PrivateKey.generate())
    _, note = craft.checkpoint([entry])
    request = craft.signed_batch([entry], note)
    return lambda: craft.send(request)


def checkpoint_by_wrong_key(craft: Craft) -> Fire:
    entries = craft.next_entries()
    _, note = craft.checkpoint(entries, signer=NoteSigner(US, PrivateKey.generate()))
    request = craft.signed_batch(entries, note)
    return lambda: craft.send(request)


def entry_of_another_link(craft: Craft) -> Fire:
    """us-dod's validly signed entry to ru-mod, sent to prc-mnd."""
    entry = craft.entry(recipient=RU)
    _, note = craft.checkpoint([entry])
    request = craft.signed_batch([entry], note)
    return lambda: craft.send(request)


def checkpoint_of_another_log(craft: Craft) -> Fire:
    entries = craft.next_entries()
    _, note = craft.checkpoint(entries, origin=log_origin(US, RU))
    request = craft.signed_batch(entries, note)
    return lambda: craft.send(request)


def seq_gap(craft: Craft) -> Fire:
    """Six entries signed; only the last reaches prc-mnd, with the checkpoint over all six."""
    entries = craft.next_entries(6)
    _, note = craft.checkpoint(entries)
    request = craft.signed_batch(entries[-1:], note)
    return lambda: craft.send(request)


def equivocation(craft: Craft) -> Fire:
    """A different entry, validly signed by us-dod, at seq 0 which prc-mnd already holds."""
    craft.ensure_held(1)
    other = craft.entry(0, text="We never asked for a call")
    _, note = craft.checkpoint([other], start=0)
    request = craft.signed_batch([other], note)
    return lambda: craft.send(request)


def admin_without_token(craft: Craft) -> Fire:
    return lambda: httpx.get(craft.prc.url + "/api/v1/status", timeout=30)


def admin_with_wrong_token(craft: Craft) -> Fire:
    headers = {"authorization": "Bearer " + "A" * 43}
    body = {"to": [US], "text": "not from an officer"}
    return lambda: httpx.post(
        craft.prc.url + "/api/v1/messages", json=body, headers=headers, timeout=30
    )


@dataclass(frozen=True)
class Case:
    name: str
    category: str  # the failures the protocol must tell apart; one (status, code) each
    status: int
    code: str
    prepare: Prepare


CASES = [
    Case("malformed-json", "malformed JSON", 400, "malformed-json", malformed_json),
    Case("entries-not-a-list", "wrong request shape", 422, "invalid-request", entries_not_a_list),
    Case("seq-not-an-integer", "wrong entry envelope", 422, "invalid-entry", seq_not_an_integer),
    Case("unknown-kind", "unknown kind", 422, "unknown-kind", unknown_kind),
    Case("body-breaks-schema", "body breaks schema", 422, "invalid-body", body_breaks_schema),
    Case("request-too-large", "request too large", 413, "too-large", request_too_large),
    Case(
        "request-too-large-chunked",
        "request too large",
        413,
        "too-large",
        request_too_large_chunked,
    ),
    Case("entry-too-large", "entry too large", 422, "entry-too-large", entry_too_large),
    Case("unknown-party", "unknown party", 401, "unknown-party", unknown_party),
    Case("unsigned", "unsigned request", 401, "unauthenticated", unsigned),
    Case(
        "bad-request-signature",
        "bad request signature",
        401,
        "bad-request-signature",
        bad_request_signature,
    ),
    Case("stale-request", "stale request", 401, "stale-request", stale_request),
    Case("request-from-the-future", "stale request", 401, "stale-request", request_from_the_future),
    Case("replayed-request", "replayed request", 409, "replayed-request", replayed_request),
    Case("wrong-node", "request for another node", 421, "wrong-node", wrong_node),
    Case("bad-entry-signature", "bad signature", 422, "bad-signature", bad_entry_signature),
    Case("checkpoint-by-wrong-key", "bad signature", 422, "bad-signature", checkpoint_by_wrong_key),
    Case("entry-of-another-link", "wrong link", 422, "wrong-link", entry_of_another_link),
    Case("checkpoint-of-another-log", "wrong link", 422, "wrong-link", checkpoint_of_another_log),
    Case("seq-gap", "gap", 409, "gap", seq_gap),
    Case("equivocation", "equivocation", 409, "equivocation", equivocation),
    Case("admin-without-token", "no admin token", 401, "unauthorized", admin_without_token),
    Case("admin-with-wrong-token", "no admin token", 401, "unauthorized", admin_with_wrong_token),
]
CASE = {case.name: case for case in CASES}
REFUSALS = [case for case in CASES if case.name != "equivocation"]

OBSERVED: dict[str, tuple[int, str, str]] = {}
"""case name → (status, code, message) as the running node answered."""


def fire(craft: Craft, case: Case) -> Snapshot:
    """Prepare and send one bad request; check the refusal. Returns the state before it."""
    send = case.prepare(craft)
    before = craft.snapshot()
    reply = send()
    assert reply.headers["content-type"].startswith("application/json"), reply.text
    error = reply.json()["error"]
    OBSERVED[case.name] = (reply.status_code, error["code"], error["message"])
    assert (reply.status_code, error["code"]) == (case.status, case.code), reply.text
    assert isinstance(error["message"], str)
    assert error["message"].strip()
    if case.code == "gap":
        assert error["expected_seq"] == craft.size
    return before


# --- the nodes -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def craft(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Craft]:
    """One prc-mnd node for the module, with small limits; us-dod exists but never runs."""
    root: Path = tmp_path_factory.mktemp("bad-input")
    limits = {
        "max_request_bytes": MAX_REQUEST_BYTES,
        "max_entry_bytes": MAX_ENTRY_BYTES,
        "request_window_seconds": WINDOW_SECONDS,
    }
    us, prc = NodeProcess(root, US, **limits), NodeProcess(root, PRC, **limits)
    pin_all([us, prc])
    prc.start()
    handle = Craft(us, prc)
    try:
        yield handle
    finally:
        handle.client.close()
        prc.stop()


# --- the tests -------------------------------------------------------------------------------


def test_the_refusals_asked_for_have_distinct_codes() -> None:
    """The table itself: one (status, code) per kind of failure, never shared by two."""
    by_category: dict[str, set[tuple[int, str]]] = {}
    for case in CASES:
        by_category.setdefault(case.category, set()).add((case.status, case.code))
        assert 400 <= case.status < 500
    assert all(len(codes) == 1 for codes in by_category.values()), by_category
    codes = [next(iter(codes)) for codes in by_category.values()]
    assert len(codes) == len(set(codes)), codes


@pytest.mark.parametrize("case", REFUSALS, ids=lambda case: case.name)
def test_bad_request_is_refused_stores_nothing_and_the_node_keeps_serving(
    craft: Craft, case: Case
) -> None:
    before = fire(craft, case)
    assert craft.snapshot() == before
    craft.send_valid()


def test_equivocation_is_refused_kept_as_evidence_and_alarmed(craft: Craft) -> None:
    craft.ensure_held(1)
    original = craft.incoming()[0]
    before = fire(craft, CASE["equivocation"])

    after = craft.snapshot()
    assert after.incoming == before.incoming  # never merged: the original is still seq 0
    assert after.incoming[0] == original
    assert after.checkpoint == before.checkpoint
    assert after.equivocations[: len(before.equivocations)] == before.equivocations
    assert after.equivocations[len(before.equivocations) :] == ((US, PRC, 0),)

    status = json.loads(craft.prc.cli("status", "--json", check=True).stdout)
    assert status["equivocations"]
    assert {(e["sender"], e["recipient"], e["seq"]) for e in status["equivocations"]} >= {
        (US, PRC, 0)
    }
    assert all(e["reason"] for e in status["equivocations"])
    link = next(peer for peer in status["peers"] if peer["party"] == US)
    assert link["link"] == "diverging"
    logged = [(row["seq"], row["id"]) for row in craft.prc.log(US) if row["direction"] == "in"]
    assert logged[0] == original

    craft.send_valid()


def test_checkpoint_that_disagrees_with_the_entries_is_equivocation(craft: Craft) -> None:
    """A signed checkpoint of a size already held, over a different root."""
    craft.ensure_held(2)
    forged = craft.entry(1, text="a branch of the log prc-mnd never saw")
    _, note = craft.checkpoint([forged], start=1)
    request = craft.signed_batch([], note)
    before = craft.snapshot()
    reply = craft.send(request)
    assert reply.status_code == 409, reply.text
    assert reply.json()["error"]["code"] == "equivocation"
    after = craft.snapshot()
    assert after.incoming == before.incoming
    assert after.checkpoint == before.checkpoint
    assert len(after.equivocations) == len(before.equivocations) + 1
    craft.send_valid()


def test_duplicate_resend_is_receipted_again_and_stored_once(craft: Craft) -> None:
    entries = craft.next_entries(2)
    checkpoint, note = craft.checkpoint(entries)
    body = craft.batch(entries, note)
    first = craft.send(craft.sign(body))
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "accepted"
    craft.held.extend(leaf_hash(canonical_bytes(entry)) for entry in entries)
    before = craft.snapshot()

    again = craft.send(craft.sign(body))  # a fresh request signature: not a replay
    assert again.status_code == 200, again.text
    payload = again.json()
    assert (payload["status"], payload["accepted"], payload["size"]) == ("duplicate", 0, craft.size)
    craft.check_receipt(again, checkpoint)
    after = craft.snapshot()
    assert after.incoming == before.incoming
    assert after.equivocations == before.equivocations
    craft.send_valid()


def test_unsigned_checkpoint_query_is_refused(craft: Craft) -> None:
    reply = httpx.get(craft.prc.url + CHECKPOINT_PATH, timeout=30)
    assert reply.status_code == 401
    assert reply.json()["error"]["code"] == "unauthenticated"


def test_every_refusal_observed_has_its_own_code_and_the_transcript_verifies(
    craft: Craft,
) -> None:
    """Across everything the node actually answered (cases not run yet are run now)."""
    for case in CASES:
        if case.name not in OBSERVED:
            fire(craft, case)
            craft.send_valid()
    by_category: dict[str, set[tuple[int, str]]] = {}
    for case in CASES:
        status, code, _ = OBSERVED[case.name]
        by_category.setdefault(case.category, set()).add((status, code))
    assert all(len(codes) == 1 for codes in by_category.values()), by_category
    codes = [next(iter(codes)) for codes in by_category.values()]
    assert len(codes) == len(set(codes)), codes

    width = max(len(name) for name in OBSERVED)
    print()
    for name, (status, code, message) in OBSERVED.items():
        print(f"{name:<{width}}  {status} {code:<22} {message}")

    verified = craft.prc.cli("verify")
    assert verified.returncode == 0, verified.stderr
    assert "Traceback" not in verified.stderr
