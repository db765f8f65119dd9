"""Officers' roles and what each may do (design note 22): a pure table, checked by every adapter.

A node's officers are local accounts. Each has one role:

* ``duty-officer``: reads everything and sends (messages, notifications, requests and
  answers below minister level, acknowledgements, desk checks);
* ``approver``: what a duty officer does, and sends or answers **minister-level** requests:
  a commitment of the minister is never made by the watch alone;
* ``auditor``: reads and exports (proofs, reports, the transcript), never sends;
* ``admin``: manages officer accounts and peers, reads and exports; does not send, so that
  the people who run the node are not the people who speak for the party.

The node's own admin token (``DIR/admin.token``) is the operator's key to the CLI and is not
an officer: it may do everything, and entries it produces name the officer given.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum

from openline.core.errors import OpenlineError

ROLES: tuple[str, ...] = ("duty-officer", "approver", "auditor", "admin")
USERNAME = re.compile(r"\A[a-z][a-z0-9._-]{1,31}\Z")
MIN_PASSWORD = 12
MAX_PASSWORD = 1024


class Action(StrEnum):
    READ = "read"
    EXPORT = "export"
    SEND = "send"
    SEND_MINISTER = "send-minister"
    MANAGE = "manage"


ALLOWED: Mapping[str, frozenset[Action]] = {
    "duty-officer": frozenset({Action.READ, Action.EXPORT, Action.SEND}),
    "approver": frozenset({Action.READ, Action.EXPORT, Action.SEND, Action.SEND_MINISTER}),
    "auditor": frozenset({Action.READ, Action.EXPORT}),
    "admin": frozenset({Action.READ, Action.EXPORT, Action.MANAGE}),
}


class AccountError(OpenlineError):
    """A refused account operation or a forbidden act, with a machine-readable code."""

    code = "forbidden"


def may(role: str, action: Action) -> bool:
    """True when an officer of ``role`` may do ``action``; an unknown role may do nothing."""
    return action in ALLOWED.get(role, frozenset())


def require(role: str, action: Action) -> None:
    """Raises:
    AccountError: code ``forbidden``, naming the role and the act.
    """
    if not may(role, action):
        raise AccountError(f"a {role} may not {_WORDS[action]}", code="forbidden")


def action_for_level(level: str | None) -> Action:
    """Sending a request or an answer at ``level`` (a contact level, or None)."""
    return Action.SEND_MINISTER if level == "minister" else Action.SEND


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AccountError(
            f"role must be one of {', '.join(ROLES)}, not {role!r}", code="invalid-role"
        )
    return role


def check_username(name: str) -> str:
    if not USERNAME.match(name):
        raise AccountError(
            f"{name!r} is not a user name: 2 to 32 lowercase letters, digits, '.', '_' or '-', "
            "starting with a letter",
            code="invalid-username",
        )
    return name


def check_password(password: str) -> str:
    """A password long enough to resist guessing; passphrases are welcome."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(
            f"a password needs at least {MIN_PASSWORD} characters", code="weak-password"
        )
    if len(password) > MAX_PASSWORD:
        raise AccountError(
            f"a password has at most {MAX_PASSWORD} characters", code="invalid-password"
        )
    if not password.strip():
        raise AccountError("a password cannot be only spaces", code="weak-password")
    return password


_WORDS: Mapping[Action, str] = {
    Action.READ: "read the transcript",
    Action.EXPORT: "export proofs or reports",
    Action.SEND: "send or answer on behalf of the party",
    Action.SEND_MINISTER: "send or answer at minister level (only an approver may)",
    Action.MANAGE: "manage officer accounts or peers (only an admin may)",
}
