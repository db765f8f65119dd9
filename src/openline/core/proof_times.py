"""Cosignature times in proofs: whole seconds since the epoch, as UTC datetimes.

A C2SP tlog-cosignature carries its timestamp as whole seconds (truncated); a proof speaks
of the times its signatures carry, never of now.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from openline.core.proof_format import ProofError

ONE_SECOND = timedelta(seconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def cosignature_time(timestamp: int, where: str) -> datetime:
    """A cosignature's timestamp as a UTC datetime.

    Raises:
        ProofError: code ``malformed``, the timestamp is out of range.
    """
    try:
        return _EPOCH + timedelta(seconds=timestamp)
    except OverflowError as error:
        raise ProofError(f"{where} timestamp is out of range", code="malformed") from error


def whole_seconds(moment: datetime) -> int:
    """The whole seconds since the epoch at ``moment``, truncated as a cosignature's are."""
    return (moment - _EPOCH) // ONE_SECOND
