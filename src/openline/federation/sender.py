"""One sender loop per peer: drains the write-ahead outbox and keeps the heartbeat.

The outbox is the outgoing log itself: everything past the size the peer has cosigned is
pending. The loop sends consecutive entries in batches with a signed checkpoint at the end
of each batch, and stores the peer's cosignature (the receipt) before moving on. Transport
is at-least-once (a lost reply means a resend); the receiver's idempotent append makes the
transcript exactly-once. Failures back off exponentially, capped, with jitter, forever.

When nothing is pending the loop still sends an empty batch with the current checkpoint
every heartbeat: the peer's cosignature of it proves the line was up at that time, and
"as of T the log had size N" is what later non-answer proofs rely on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random

import anyio.to_thread
import httpx

from openline.core.checkpoint import Checkpoint
from openline.core.cosignature import Cosignature
from openline.core.fedauth import sign_request
from openline.core.merkle import Frontier, leaf_hash
from openline.federation.endpoint import batch_body
from openline.node.app import Node

log = logging.getLogger("openline.sender")

BATCH_PATH = "/fed/v1/batch"


class PeerSender:
    def __init__(self, node: Node, peer: str, client: httpx.AsyncClient) -> None:
        self.node = node
        self.peer = peer
        self.client = client
        self.wake = asyncio.Event()
        self.next_seq: int | None = None
        # The compact range of our log at next_seq: each batch's checkpoint is this range
        # extended by the batch's leaves, computed here without the node's lock.
        self.frontier: Frontier | None = None
        self._last_exchange = 0.0
        # The previous receipt, being stored while the next batch is on its way: storing a
        # receipt is a durable commit, and the peer can check the next batch meanwhile.
        self._recording: asyncio.Task[None] | None = None

    def poke(self) -> None:
        self.wake.set()

    async def run(self) -> None:
        node = self.node
        config = node.config
        failures = 0
        loop = asyncio.get_running_loop()
        while True:
            # Cleared before looking for work, so a poke that lands while we work is kept.
            self.wake.clear()
            try:
                sent_something = await self._step(loop.time())
                if not sent_something:
                    await self._recorded()  # idle: every receipt stored before sleeping
                failures = 0
            except Exception as error:  # noqa: BLE001 - a sender never dies; it backs off
                # Start again from what is stored: a receipt not recorded means its
                # entries are sent again, which the peer answers as duplicates.
                await self.finish()
                self.next_seq = None
                failures += 1
                message = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
                node.record_failure(self.peer, message)
                delay = min(
                    config.retry_max_seconds, config.retry_initial_seconds * 2 ** (failures - 1)
                )
                delay *= random.uniform(0.5, 1.0)
                log.info("send to %s failed (%s); retry in %.2fs", self.peer, message, delay)
                await self._sleep(delay, wake_early=False)
                continue
            if sent_something:
                continue
            idle = config.heartbeat_seconds - (loop.time() - self._last_exchange)
            if idle > 0:
                await self._sleep(idle, wake_early=True)

    async def _sleep(self, seconds: float, *, wake_early: bool) -> None:
        if not wake_early:
            await asyncio.sleep(seconds)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wake.wait(), timeout=seconds)

    async def finish(self) -> None:
        """Let a receipt being stored finish (its failure is the next attempt's business)."""
        with contextlib.suppress(Exception):
            await self._recorded()

    async def _recorded(self) -> None:
        """Wait for the receipt being stored, raising what storing it raised."""
        recording, self._recording = self._recording, None
        if recording is not None:
            await recording

    async def _record(
        self,
        previous: asyncio.Task[None] | None,
        checkpoint: Checkpoint,
        note: bytes,
        cosignature: Cosignature,
    ) -> None:
        if previous is not None:
            await previous  # receipts are stored in the order they came
        recorded = await anyio.to_thread.run_sync(
            self.node.record_receipt, self.peer, checkpoint, note, cosignature
        )
        if not recorded:
            raise RuntimeError(f"{self.peer} answered with a cosignature that does not verify")

    async def _step(self, now: float) -> bool:
        """Send one batch if anything is pending, or a heartbeat if due. True if a batch of
        entries went out (so the caller loops at once)."""
        node = self.node
        if self._recording is not None and self._recording.done():
            await self._recorded()  # surfaces a failure to store the previous receipt
        if self.next_seq is None:
            self.next_seq = await anyio.to_thread.run_sync(node.delivered_size, self.peer)
            self.frontier = None
        if self.frontier is None or self.frontier.size != self.next_seq:
            self.frontier = await anyio.to_thread.run_sync(
                node.frontier_at, self.peer, self.next_seq
            )
        size = node.outgoing(self.peer).size
        start = self.next_seq
        if start >= size and now - self._last_exchange < node.config.heartbeat_seconds:
            return False
        limit = node.config.send_batch_entries
        leaves = node.cached_leaves(self.peer, start, limit) if start < size else []
        if leaves is None:
            rows = await anyio.to_thread.run_sync(
                lambda: node.store.entries(node.party, self.peer, start, limit)
            )
            leaves = [row.leaf for row in rows]
        end = start + len(leaves)
        after = self.frontier.copy()
        for leaf in leaves:
            after.append(leaf_hash(leaf))
        # Hashing a batch and signing a checkpoint take a few milliseconds: no thread hop.
        checkpoint, note = node.sign_sent_checkpoint(self.peer, after)
        body = batch_body(leaves, note)
        headers = sign_request(
            key=node.key,
            method="POST",
            path=BATCH_PATH,
            sender=node.party,
            recipient=self.peer,
            time_ms=int(node.clock().timestamp() * 1000),
            body=body,
        )
        headers["content-type"] = "application/json"
        url = node.peers.peer(self.peer).url + BATCH_PATH
        response = await self.client.post(url, content=body, headers=headers)
        payload = response.json()
        if response.status_code == 409 and payload.get("error", {}).get("code") == "gap":
            expected = int(payload["error"]["expected_seq"])
            if expected < start:
                log.warning("%s asks to resend from %d, below its receipt", self.peer, expected)
            self.next_seq = expected  # the frontier is read again at that size
            return True
        if response.status_code != 200:
            error = payload.get("error", {})
            raise RuntimeError(f"{self.peer} refused: {error.get('code')}: {error.get('message')}")
        cosignature = Cosignature.from_line(payload["cosignature"])
        self._recording = asyncio.create_task(
            self._record(self._recording, checkpoint, note, cosignature)
        )
        self.next_seq = end
        self.frontier = after
        self._last_exchange = asyncio.get_running_loop().time()
        return bool(leaves)
