"""What the node's services may use of the node: one narrow interface, not the whole hub.

``Contacts``, ``Notices``, ``Catalogues`` and ``send_messages`` are given a :class:`Ledger`:
who the node is, its clock, its store (to read), its pinned peers (:class:`PinnedPeers`,
read only: pinning is the node's ``Peers``), its configuration, its lock, and the one way to
sign and store entries. ``Node`` is a ``Ledger`` by its shape (mypy checks it where the
services are built), and a test may give a service any other object of that shape.
``Officers`` needs less still, and is given only the store and the clock; the
``DeadlineWatcher`` a :class:`Watched`: the store, the clock, the store's revision and the
notices' overdue list.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from openline.core.entry import Entry
from openline.node.home import NodeConfig
from openline.store import Store
from openline.store.database import PinnedPeer

if TYPE_CHECKING:
    from openline.node.notices import Notices

Clock = Callable[[], datetime]
Items = Sequence[tuple[str, Mapping[str, Any], Sequence[str]]]
"""Entries to append to one log: (kind, body, refs) each."""


class PinnedPeers(Protocol):
    """The node's pinned peers, as its services see them: to read, not to pin."""

    def pinned(self) -> dict[str, PinnedPeer]:
        """Every pinned peer, by party."""
        ...

    def peer(self, party: str) -> PinnedPeer:
        """The pinned peer ``party`` (404 ``unknown-peer`` if it is not one)."""
        ...


class Ledger(Protocol):
    """The node as its services see it."""

    party: str
    store: Store
    config: NodeConfig
    lock: threading.RLock
    """Held from a check of the folds to the append it allows (two officers at once)."""

    @property
    def clock(self) -> Clock: ...

    @property
    def peers(self) -> PinnedPeers: ...

    def append(self, peer: str, items: Items) -> list[Entry]:
        """Sign and durably store entries to one peer, in order."""
        ...

    def append_to_many(self, batches: Sequence[tuple[str, Items]]) -> list[list[Entry]]:
        """Sign and store entries to several peers in one transaction: all or none."""
        ...


class Watched(Protocol):
    """The node as the deadline watcher sees it."""

    store: Store
    notices: Notices

    @property
    def clock(self) -> Clock: ...

    @property
    def revision(self) -> int:
        """Bumped whenever the transcript or its receipts change."""
        ...
