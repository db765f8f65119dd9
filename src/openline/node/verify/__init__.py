"""``openline verify``: recheck the store from the bytes up, incrementally from a signed mark.

What one log's check means
--------------------------
Every leaf parses as a canonical entry, sits at its seq with no hole, has the id the table
claims (its RFC 9162 leaf hash) and carries a valid signature by its sender; every stored
checkpoint is signed by the log's owner, names this log and matches the root recomputed
from the leaves at its size (so any two of them are consistent: both are prefixes of one
leaf sequence); every cosignature verifies under the cosigner's pinned key over the
checkpoint recomputed at its size; and, where the log's interior Merkle nodes are stored
(``merkle_nodes``, which proofs are built from), each equals the node recomputed from the
leaves. The first problem met in log order is named, with today's wording, and the run
stops there.

The verified mark
-----------------
After a log checks out, the node signs with its own key a *mark* (``verified_marks``):
the size and root of the prefix verified, the highest storing order (``seen``) of the
checkpoint and cosignature rows checked, where the rolling re-check goes on, and when. The
signed text starts with ``openline-verified/v1\\n`` (design note 3: entries start with
``{``, checkpoints with ``openline/``, cosignatures with ``cosignature/v1\\n``, federation
requests with ``openline-fed/v1\\n``), names the log, and ends with a digest of both
parties' pinned keys: a mark says "verified against these cards", so replacing a card
invalidates it (:func:`forget_marks` clears it when that is intended).

The modes and what each guarantees
----------------------------------
``full=True`` (``openline verify --full``): everything above, for every row of every log,
ignoring what marks claim; a mark that is present must still verify and agree with the
recomputed root at its size (a mark that does not is reported once, and replaced). Entry
signatures are checked in worker processes, everything else streams with bounded memory:
a :class:`~openline.core.merkle.Frontier` instead of a tree, rows read in keyset pages,
checkpoints and cosignatures merged in size order. **Finds any change of any row.**

Incremental (the default, with the node's key): per log,

1. *the mark's own check*: its signature; no entry missing below its size (an index count);
   its root equals the root of the stored tree at its size (O(log n) stored nodes, or the
   stored ids streamed when the nodes are not stored yet); and the checkpoint it proves
   ("proven up to checkpoint N") still verifies and matches the stored tree;
2. *what is new*: every entry at or past the mark's size, every checkpoint and cosignature
   beyond it, and every checkpoint and cosignature row stored after the mark (by ``seen``,
   not by size: heartbeats re-cosign old sizes, resends add smaller checkpoints), each
   against the root at its size;
3. *the scrub*: the full check of ``scrub_budget`` old entries from where the last run
   stopped (wrapping around), with the stored nodes they complete and every checkpoint and
   cosignature in that size range.

So a forged mark, an entry deleted or moved away below it, a stored node or leaf id on the
path of its root or of its checkpoint's root, or an edit of that checkpoint, is found at
once; any other changed row below the mark is found by the scrub within
``ceil(size / scrub_budget)`` runs, and by ``--full`` always. Without a key (today's
callers) the check is full and no mark is read or written.

Missing cosignatures are never a problem: idle heartbeats are compacted, and no row is
owed. (Compaction never deletes the row it just stored, which holds the log's highest ``seen``,
so the next row cannot take a number already checked.) Every stored node below a log's
size is required (:func:`~openline.node.verify.prefixes.nodes_required`): stores written
before migration 0006 are filled in by the node when it opens them.

Speed: entry checks (hash, parse, signature) run in ``workers`` processes, a few thousand
leaves per job, while this process reads, builds the frontier and checks the rest; the parse
skips :meth:`Entry.from_leaf`'s second canonical encoding and the signed bytes are cut out
of the leaf rather than re-encoded (both checked equal by the tests): an entry costs about
1.5 times its Ed25519 verification, the rest being ``Entry.from_json``'s checks.

For reports and pages, :func:`proven_marks` reads the marks and checks their signatures
only ("proven up to checkpoint N at T"), and :func:`last_verify` says how the last run
ended; neither reads an entry.

The package
-----------
``marks`` signs and reads the marks; ``entries`` checks entries from the bytes up (in worker
processes); ``prefixes`` and ``log_check`` check one log; ``run`` checks every log and
writes the marks and the outcome; ``command`` is the command line.
"""

from __future__ import annotations

from openline.node.verify.command import run_verify_command

# benchmarks/verify.py reaches these as verify.usable_cores and verify._check_entries (it
# reports the cores and times the check of one chunk).
from openline.node.verify.entries import _check_entries as _check_entries
from openline.node.verify.entries import usable_cores as usable_cores
from openline.node.verify.marks import (
    MARK_DOMAIN,
    Mark,
    forget_marks,
    last_verify,
    proven_marks,
)
from openline.node.verify.report import VerifyReport
from openline.node.verify.run import (
    DEFAULT_SCRUB_BUDGET,
    logs_to_verify,
    verify_new,
    verify_store,
)

__all__ = [
    "DEFAULT_SCRUB_BUDGET",
    "MARK_DOMAIN",
    "Mark",
    "VerifyReport",
    "forget_marks",
    "last_verify",
    "logs_to_verify",
    "proven_marks",
    "run_verify_command",
    "verify_new",
    "verify_store",
]
