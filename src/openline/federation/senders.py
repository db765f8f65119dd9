"""The sender loops of a running node: one per pinned peer, woken by every append."""

from __future__ import annotations

import asyncio

import httpx

from openline.federation.sender import PeerSender
from openline.node.app import Node


class Senders:
    """The sender loops, one per pinned peer, started and stopped with the server."""

    def __init__(self, node: Node, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.node = node
        self.client = httpx.AsyncClient(
            transport=transport, timeout=httpx.Timeout(30.0, connect=5.0)
        )
        self.loops: dict[str, PeerSender] = {}
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.node.listeners.append(self._on_append)
        self.sync_peers()

    def sync_peers(self) -> None:
        for party in self.node.peers.pinned():
            if party not in self.loops:
                sender = PeerSender(self.node, party, self.client)
                self.loops[party] = sender
                self.tasks[party] = asyncio.create_task(sender.run(), name=f"sender-{party}")

    def _on_append(self, peer: str) -> None:
        if self._loop is None:
            return
        self._loop.call_soon_threadsafe(self._poke, peer)

    def _poke(self, peer: str) -> None:
        self.sync_peers()
        sender = self.loops.get(peer)
        if sender is not None:
            sender.poke()

    async def stop(self) -> None:
        for task in self.tasks.values():
            task.cancel()
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)
        for sender in self.loops.values():
            await sender.finish()  # a receipt being stored is stored before the store closes
        await self.client.aclose()
