"""Tables. The transcript tables are the source of truth; the cache tables are folds over
them that ``openline rebuild`` drops and regenerates (DESIGN.md, "Derived state")."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
)

metadata = MetaData()

# --- transcript: never rewritten, only appended ------------------------------------------

entries = Table(
    "entries",
    metadata,
    Column("log_sender", Text, nullable=False),
    Column("log_recipient", Text, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("id", Text, nullable=False, unique=True),
    Column("leaf", LargeBinary, nullable=False),
    Column("kind", Text, nullable=False),
    Column("time", Text, nullable=False),
    # Local fact, not part of the signed entry: when this node stored it.
    Column("stored_at", Text, nullable=False),
    PrimaryKeyConstraint("log_sender", "log_recipient", "seq"),
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("log_sender", Text, nullable=False),
    Column("log_recipient", Text, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("root", LargeBinary, nullable=False),
    Column("note", LargeBinary, nullable=False),
    Column("seen", BigInteger, nullable=True),  # storing order per log, as for cosignatures
    PrimaryKeyConstraint("log_sender", "log_recipient", "size"),
)

# The interior nodes of each log's Merkle tree (RFC 9162), level >= 1: ``hash`` is the MTH of
# leaves ``idx * 2**level .. (idx + 1) * 2**level - 1``, stored once those leaves are. Level 0
# is the leaf hash, which ``entries.id`` already holds. Roots and proofs of any size are then
# O(log n) lookups, and no process keeps a whole tree in memory.
merkle_nodes = Table(
    "merkle_nodes",
    metadata,
    Column("log_sender", Text, nullable=False),
    Column("log_recipient", Text, nullable=False),
    Column("level", Integer, nullable=False),
    Column("idx", BigInteger, nullable=False),
    Column("hash", LargeBinary, nullable=False),
    PrimaryKeyConstraint("log_sender", "log_recipient", "level", "idx"),
)

cosignatures = Table(
    "cosignatures",
    metadata,
    Column("log_sender", Text, nullable=False),
    Column("log_recipient", Text, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("cosigner", Text, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("line", Text, nullable=False),
    # Local bookkeeping, not signed: the order in which this node stored the row (per log,
    # 1, 2, ...), so an incremental verify finds what was added since it last ran; and
    # whether the row is evidence to keep when idle heartbeats are compacted (a proof used it).
    Column("seen", BigInteger, nullable=True),
    Column("keep", Integer, nullable=False, server_default="0"),
    PrimaryKeyConstraint("log_sender", "log_recipient", "size", "cosigner", "timestamp"),
)

equivocations = Table(
    "equivocations",
    metadata,
    Column("n", Integer, primary_key=True, autoincrement=True),
    Column("log_sender", Text, nullable=False),
    Column("log_recipient", Text, nullable=False),
    Column("seq", BigInteger, nullable=True),
    Column("reason", Text, nullable=False),
    Column("held", LargeBinary, nullable=False),
    Column("offered", LargeBinary, nullable=False),
    Column("checkpoint_note", LargeBinary, nullable=False),
    Column("detected_at", Text, nullable=False),
)

# --- configuration: pinned cards -----------------------------------------------------------

peers = Table(
    "peers",
    metadata,
    Column("party", Text, primary_key=True),
    Column("card", LargeBinary, nullable=False),
    Column("url", Text, nullable=False),
    Column("pinned_at", Text, nullable=False),
)

# Agreed message catalogues this node has pinned, by the hash of their canonical bytes. Pinning
# is also announced in the transcript (a ``catalogue.pin`` entry per peer); this table keeps
# the document itself, which entries never carry.
catalogues = Table(
    "catalogues",
    metadata,
    Column("hash", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("document", LargeBinary, nullable=False),
    Column("pinned_at", Text, nullable=False),
)

# Officers: local accounts of the people who use this node (issue 5). Passwords are kept
# only as argon2id hashes, API tokens only as SHA-256 digests.
officers = Table(
    "officers",
    metadata,
    Column("username", Text, primary_key=True),
    Column("role", Text, nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("token_digest", Text, nullable=True, unique=True),
    Column("disabled", Integer, nullable=False, default=0),
    Column("created_at", Text, nullable=False),
    Column("changed_at", Text, nullable=False),
    # The console language the officer last chose; None until they choose (the node's own).
    Column("lang", Text, nullable=True),
)

# --- caches: folds over the transcript -------------------------------------------------------

messages = Table(
    "messages",
    metadata,
    Column("id", Text, primary_key=True),
    Column("sender", Text, nullable=False),
    Column("recipient", Text, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("time", Text, nullable=False),
    Column("precedence", Text, nullable=False),
    Column("lang", Text, nullable=False),
    Column("text", Text, nullable=False),
    # When the recipient's first receipt covered it: the objective runs from then.
    Column("delivered_at", Text, nullable=True),
    Column("ack_due", Text, nullable=True),
    Column("ack_id", Text, nullable=True),
    Column("ack_time", Text, nullable=True),
    Column("ack_officer", Text, nullable=True),
)

CACHE_TABLES = (messages,)

# --- bookkeeping ----------------------------------------------------------------------------

# How far ``openline verify`` has checked each log: the size and root it recomputed, the
# last checkpoint and cosignature rows (by ``seen``) it checked, and where the rolling
# re-check of older rows goes on. Signed by the node's key, so a row edited by hand is not
# taken for a verified one.
verified_marks = Table(
    "verified_marks",
    metadata,
    Column("log_sender", Text, nullable=False),
    Column("log_recipient", Text, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("root", LargeBinary, nullable=False),
    Column("checkpoints_seen", BigInteger, nullable=False),
    Column("cosignatures_seen", BigInteger, nullable=False),
    Column("scrub_next", BigInteger, nullable=False),
    Column("verified_at", Text, nullable=False),
    Column("signature", LargeBinary, nullable=False),
    PrimaryKeyConstraint("log_sender", "log_recipient"),
)

meta = Table(
    "meta",
    metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
)

Index("messages_by_peer", messages.c.sender, messages.c.recipient, messages.c.seq)
# What is owed an acknowledgement, by deadline: the watcher reads it every second.
Index(
    "messages_unacknowledged",
    messages.c.ack_due,
    sqlite_where=messages.c.ack_id.is_(None),
    postgresql_where=messages.c.ack_id.is_(None),
)
# Requests and their follow-ups are read by kind; hotline traffic, the bulk, stays unindexed.
Index(
    "entries_by_kind",
    entries.c.kind,
    sqlite_where=entries.c.kind != "hotline.message",
    postgresql_where=entries.c.kind != "hotline.message",
)
Index(
    "checkpoints_by_seen", checkpoints.c.log_sender, checkpoints.c.log_recipient, checkpoints.c.seen
)
Index(
    "cosignatures_by_seen",
    cosignatures.c.log_sender,
    cosignatures.c.log_recipient,
    cosignatures.c.seen,
)
Index(
    "cosignatures_by_cosigner",
    cosignatures.c.log_sender,
    cosignatures.c.log_recipient,
    cosignatures.c.cosigner,
    cosignatures.c.size,
)
