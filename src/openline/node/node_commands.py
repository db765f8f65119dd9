"""The commands of running the node itself: pin a peer's card, rebuild the caches.

Both need a role that may manage the node, sign no entries and answer with what they
return, so neither is keyed (``KEYED`` False; see ``openline.node.commands``). Each is
idempotent by state: pinning the same card again stores the same peer, and a rebuild
regenerates the same caches from the same transcript.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import orjson

from openline.core.roles import Action
from openline.node.commands import Command

if TYPE_CHECKING:
    from openline.node.app import Node


class _Running(Command):
    ACTION: ClassVar[Action] = Action.MANAGE
    KEYED: ClassVar[bool] = False
    DEFAULT_OFFICER: ClassVar[str | None] = None  # no entry is signed: no one to name


class AddPeer(_Running):
    """``POST /peers``: pin a peer's card, at ``url`` or the first URL it names; with
    ``replace``, even a new key the pinned one did not endorse (checked by phone first)."""

    card: dict[str, Any]
    url: str | None = None
    replace: bool = False

    def run(self, node: Node, officer: str | None) -> dict[str, Any]:
        pinned = node.peers.add(orjson.dumps(self.card), self.url, self.replace)
        return {"party": pinned.party, "url": pinned.url, "fingerprint": pinned.card.fingerprint}


class Rebuild(_Running):
    """``POST /rebuild``: regenerate every cache (the folds) from the transcript."""

    def run(self, node: Node, officer: str | None) -> dict[str, int]:
        return node.rebuild()
