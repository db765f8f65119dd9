"""Tables. The transcript tables are the source of truth; the cache tables are folds over
them that ``openline rebuild`` drops and regenerates (docs/architecture.md, "Derived
state")."""

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

# Officers: local accounts of the people who use this node (design note 22). Passwords are
# kept only as argon2id hashes, API tokens only as SHA-256 digests.
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

# A contact request or request for explanation, as the fold (``core.requests``) last left
# it: re-folded from its own follow-ups whenever one arrives or a receipt first covers it,
# so its cost is that request's history, never the log's. ``state`` is the state as of its
# last event; ``armed_due``/``overdue_state`` say when and into what a deadline turns it, so
# a query at any time computes the state at that time without a fold.
requests = Table(
    "requests",
    metadata,
    Column("id", Text, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("requester", Text, nullable=False),
    Column("counterpart", Text, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("time", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("due", Text, nullable=True),
    Column("armed_due", Text, nullable=True),
    Column("overdue_state", Text, nullable=True),
    Column("owed", Integer, nullable=False),
    Column("delivered_at", Text, nullable=True),
    Column("follow_ups", Text, nullable=False),  # JSON list of the ids that ref it
    Column("view", Text, nullable=False),  # JSON of RequestView.to_dict()
)

# One copy of a notification or incident report, or one desk check, with its delivery and
# its first answer (``core.notices``). Copies of one broadcast share ``group_key``; the
# ``leader`` (the copy with the smallest id) stands for the group in listings.
notices = Table(
    "notices",
    metadata,
    Column("id", Text, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("sender", Text, nullable=False),
    Column("recipient", Text, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("time", Text, nullable=False),
    Column("notice", Text, nullable=False),
    Column("group_key", Text, nullable=False),
    Column("leader", Integer, nullable=False),
    Column("precedence", Text, nullable=False),
    Column("delivered_at", Text, nullable=True),
    Column("due", Text, nullable=True),
    Column("answer_id", Text, nullable=True),
    Column("answered_at", Text, nullable=True),
    Column("answered_by", Text, nullable=True),
    Column("lead_time_seconds", BigInteger, nullable=True),
    Column("late_notice", Integer, nullable=True),
    Column("body", Text, nullable=False),  # JSON of the signed body
)

# What someone still owes an answer to, in either direction, whatever its kind: the watch
# floor reads the most urgent of these through one index, never the whole history. A row
# leaves when its item is answered (or closed, for a request).
open_items = Table(
    "open_items",
    metadata,
    Column("id", Text, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("sender", Text, nullable=False),
    Column("recipient", Text, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("time", Text, nullable=False),
    Column("rank", Integer, nullable=False),  # precedence: 0 flash .. 3 routine
    Column("deadline", Text, nullable=True),
    # The deadline, or "~" (after every time) while there is none: one index sorts by it.
    Column("sort_deadline", Text, nullable=False),
)

# Running totals of each log's desk checks, kept by the notices fold in the transaction that
# changes a check (``put_notice``): a desk's summary reads one row, not every check of years.
desk_tallies = Table(
    "desk_tallies",
    metadata,
    Column("sender", Text, primary_key=True),
    Column("recipient", Text, primary_key=True),
    Column("checks", BigInteger, nullable=False),
    Column("answered", BigInteger, nullable=False),
    Column("answered_late", BigInteger, nullable=False),
    Column("latest_answered_at", Text, nullable=True),
    Column("latest_answered_by", Text, nullable=True),
)

CACHE_TABLES = (messages, requests, notices, open_items, desk_tallies)

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

# Idempotency keys (the IETF ``Idempotency-Key`` draft): which entries the first request with
# a key created, written in the same transaction as those entries, so that a retry after a
# lost answer (a timeout, a killed process) gets the same entries back instead of new ones.
# Not a cache: rebuild keeps it. Kept for two days (at least the draft's 24 hours).
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("actor", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("fingerprint", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("entry_ids", Text, nullable=False),  # a JSON list, in the order they were signed
    PrimaryKeyConstraint("actor", "key"),
)

meta = Table(
    "meta",
    metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
)

Index("idempotency_keys_by_age", idempotency_keys.c.created_at)
Index("messages_by_peer", messages.c.sender, messages.c.recipient, messages.c.seq)
# The latest acknowledged messages, for the floor's "recent" list; an unacknowledged message
# (the bulk of the hot path's inserts) is not in this index until it is acknowledged.
Index(
    "messages_acknowledged_by_time",
    messages.c.time,
    messages.c.id,
    sqlite_where=messages.c.ack_id.is_not(None),
    postgresql_where=messages.c.ack_id.is_not(None),
)
Index("requests_by_time", requests.c.time, requests.c.id)
Index("requests_by_log", requests.c.requester, requests.c.counterpart, requests.c.seq)
Index("requests_by_link_time", requests.c.requester, requests.c.counterpart, requests.c.time)
Index(
    "requests_armed",
    requests.c.armed_due,
    sqlite_where=requests.c.armed_due.is_not(None),
    postgresql_where=requests.c.armed_due.is_not(None),
)
# Deadlines one party owes another, by time: is a self-timed checkpoint the first after one?
Index(
    "requests_armed_by_link",
    requests.c.counterpart,
    requests.c.requester,
    requests.c.armed_due,
    sqlite_where=requests.c.armed_due.is_not(None),
    postgresql_where=requests.c.armed_due.is_not(None),
)
Index("notices_by_group", notices.c.group_key)
Index("notices_by_notice", notices.c.notice)
Index(
    "notices_leaders",
    notices.c.time,
    notices.c.id,
    sqlite_where=notices.c.leader == 1,
    postgresql_where=notices.c.leader == 1,
)
Index("notices_by_log", notices.c.sender, notices.c.recipient, notices.c.seq)
Index("notices_by_log_kind", notices.c.sender, notices.c.recipient, notices.c.kind, notices.c.seq)
# Pages of desk checks, newest first: a link's direction at a time, or every link's.
Index(
    "notices_by_log_kind_time",
    notices.c.sender,
    notices.c.recipient,
    notices.c.kind,
    notices.c.time,
    notices.c.id,
)
Index("notices_by_kind_time", notices.c.kind, notices.c.time, notices.c.id)
# The latest answered desk check of a log, found without walking the unanswered ones.
Index(
    "notices_answered_by_log",
    notices.c.sender,
    notices.c.recipient,
    notices.c.kind,
    notices.c.seq,
    sqlite_where=notices.c.answer_id.is_not(None),
    postgresql_where=notices.c.answer_id.is_not(None),
)
Index(
    "notices_unanswered",
    notices.c.due,
    sqlite_where=notices.c.answer_id.is_(None),
    postgresql_where=notices.c.answer_id.is_(None),
)
Index(
    "notices_unanswered_by_link",
    notices.c.recipient,
    notices.c.sender,
    notices.c.due,
    sqlite_where=notices.c.answer_id.is_(None),
    postgresql_where=notices.c.answer_id.is_(None),
)
Index(
    "open_items_by_urgency",
    open_items.c.rank,
    open_items.c.sort_deadline,
    open_items.c.time,
    open_items.c.id,
)
# The open items of one kind owed by one party, latest deadline first: the floor's alarm
# reads the desk checks still inside their window, however many stale ones stay open.
Index(
    "open_items_by_kind",
    open_items.c.kind,
    open_items.c.recipient,
    open_items.c.sort_deadline,
)
# What is owed an acknowledgement, by deadline: the watcher reads it every second, and
# status counts the overdue ones, ours and theirs, from it alone (hence the recipient).
Index(
    "messages_unacknowledged",
    messages.c.ack_due,
    messages.c.recipient,
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
    "cosignatures_by_time",
    cosignatures.c.log_sender,
    cosignatures.c.log_recipient,
    cosignatures.c.cosigner,
    cosignatures.c.timestamp,
)
Index(
    "cosignatures_by_cosigner",
    cosignatures.c.log_sender,
    cosignatures.c.log_recipient,
    cosignatures.c.cosigner,
    cosignatures.c.size,
)
