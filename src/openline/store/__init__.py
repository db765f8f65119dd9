"""Persistence: the transcript (entries, checkpoints, cosignatures) and rebuildable caches."""

from openline.store.database import Store

__all__ = ["Store"]
