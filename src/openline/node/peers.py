"""Who the node is and whom it talks to: its own card, and the peers' cards it pinned.

:class:`Peers` is given only what a card needs (the configuration and the key), the store
that keeps the pins, the clock that dates them, and the node's lock: a pin and what the
node drops with it (``on_pinned``) happen together, never between two steps of a batch
being received from that peer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from openline.core.card import Card, check_rotation, make_card
from openline.core.errors import CardError
from openline.core.keys import PrivateKey, PublicKey
from openline.core.timefmt import format_time
from openline.node.errors import CommandError
from openline.node.home import NodeConfig
from openline.node.ports import Clock
from openline.store import Store
from openline.store.database import PinnedPeer


class Peers:
    """The node's card and its pinned peers, cached in memory until a pin changes them."""

    def __init__(
        self,
        store: Store,
        config: NodeConfig,
        key: PrivateKey,
        clock: Clock,
        lock: threading.RLock,
        on_pinned: Callable[[str], object] = lambda party: None,
    ) -> None:
        self._store = store
        self._config = config
        self._key = key
        self._clock = clock
        self._lock = lock
        self._on_pinned = on_pinned
        self._pinned: dict[str, PinnedPeer] | None = None

    def card(self) -> Card:
        """This node's own self-signed card."""
        config = self._config
        return make_card(
            party=config.party,
            names=config.names,
            urls=[config.url],
            created=config.card_created,
            key=self._key,
        )

    def pinned(self) -> dict[str, PinnedPeer]:
        """Every pinned peer, by party."""
        if self._pinned is None:
            self._pinned = {peer.party: peer for peer in self._store.peers()}
        return self._pinned

    def peer(self, party: str) -> PinnedPeer:
        """The pinned peer ``party`` (404 ``unknown-peer`` if it is not one)."""
        peer = self.pinned().get(party)
        if peer is None:
            raise CommandError(f"{party!r} is not a pinned peer", code="unknown-peer", status=404)
        return peer

    def add(self, card_bytes: bytes, url: str | None = None, replace: bool = False) -> PinnedPeer:
        """Pin a peer's card at ``url`` (else the card's first URL). A pinned peer's new
        card must be endorsed by its old key, unless ``replace``."""
        try:
            card = Card.from_bytes(card_bytes)
        except CardError as error:
            raise CommandError(f"bad card: {error}", code="bad-card", status=422) from error
        if card.party == self._config.party:
            raise CommandError("that is this node's own card", code="own-card", status=422)
        pinned = self.pinned().get(card.party)
        if pinned is not None and not replace:
            try:
                check_rotation(pinned.card, card)
            except CardError as error:
                raise CommandError(str(error), code="key-changed", status=409) from error
        target = url or (card.urls[0] if card.urls else None)
        if not target:
            raise CommandError("the card names no URL; pass --url", code="no-url", status=422)
        with self._lock:
            self._store.pin_peer(card, target.rstrip("/"), format_time(self._clock()))
            self._pinned = None
            self._on_pinned(card.party)
        if pinned is not None and pinned.card.key != card.key:
            from openline.node.verify import forget_marks

            # The marks said "verified against the old card": check its logs again from
            # their first entry against the new one.
            forget_marks(self._store, card.party)
        return self.peer(card.party)

    def all_cards(self) -> dict[str, Card]:
        """Every card the transcript needs to be checked against, ours included."""
        cards = {party: pinned.card for party, pinned in self.pinned().items()}
        cards[self._config.party] = self.card()
        return cards

    def keys_of(self, party: str) -> tuple[PublicKey, ...] | None:
        """The keys a federation request from ``party`` may be signed with (its previous
        one too, while a rotation is under way); None for a party not pinned."""
        peer = self.pinned().get(party)
        if peer is None:
            return None
        card = peer.card
        return (card.key,) if card.previous_key is None else (card.key, card.previous_key)
