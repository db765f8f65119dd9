"""The rules by which an entry's answer falls due, one per shape of deadline.

A kind that expects an answer names its rule in its spec (``core.kinds``), and
``core.obligations.deadline`` applies it: the formula of each kind's deadline is written
here once, and every fold, alarm and proof reads it from there. A relative deadline runs
from **delivery**, the recipient's first cosignature covering the entry, so that an entry
stuck behind a down line is not held against its recipient; until then it has none.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Literal

from openline.core.precedence import Precedence
from openline.core.timefmt import parse_time

Objectives = Mapping[Precedence, timedelta]
"""How soon a hotline message is to be acknowledged, by precedence (node configuration)."""

DueRule = Callable[[Mapping[str, Any], datetime | None, Objectives | None], datetime | None]
"""A kind's deadline from its body, its delivery time and (for hotline messages) the
objectives: None while a relative deadline cannot start."""

Unit = Literal["seconds", "minutes", "hours"]


def at_field(name: str) -> DueRule:
    """Due at the time the body names (a contact request's ``respond_by``)."""

    def due(body: Mapping[str, Any], _delivered: datetime | None, _: Objectives | None) -> datetime:
        return parse_time(body[name])

    return due


def after_delivery(name: str, unit: Unit) -> DueRule:
    """Due the body's ``name`` (a number of ``unit``) after delivery."""

    def due(
        body: Mapping[str, Any], delivered: datetime | None, _: Objectives | None
    ) -> datetime | None:
        if delivered is None:
            return None
        # timedelta's keywords are the unit names: a rule cannot name a unit it lacks.
        return delivered + timedelta(**{unit: body[name]})

    return due


def objective_after_delivery(
    body: Mapping[str, Any], delivered: datetime | None, objectives: Objectives | None
) -> datetime | None:
    """A hotline message: due its precedence's objective after delivery. The objectives are
    the node's configuration, not signed data, so no third party can check this deadline.

    Raises:
        ValueError: no ``objectives`` were given.
    """
    if objectives is None:
        raise ValueError("a hotline message's deadline needs the acknowledgement objectives")
    if delivered is None:
        return None
    return delivered + objectives[Precedence(body["precedence"])]
