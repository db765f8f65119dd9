"""The commands of officers' accounts: add an officer, disable or enable one, set a
password, issue an API token.

Each is a frozen pydantic model (``openline.node.commands``), the officers' API's request
body, and needs a role that may manage the node. The acts themselves are
:class:`openline.node.officers.Officers`'s.

They sign no entries: each changes an officer's row, and what it returns (the account as
stored, or the new token) is the API's answer. None of them is keyed (``KEYED`` False): a
replay can give back only stored entries, and an answer holding a new API token or an
account just given a password must never be stored to be given back. A retry runs the
command again, and the account's state answers it: adding an officer twice is 409
``officer-exists``, disabling twice changes nothing more, a second token replaces the first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, ClassVar

from pydantic import Field

from openline.core.roles import Action
from openline.node.commands import Command
from openline.node.officers import Account, IssuedToken

if TYPE_CHECKING:
    from openline.node.app import Node

# Kept out of the model's repr: a command in a traceback or a log shows no password.
Password = Annotated[str, Field(min_length=1, max_length=1024, repr=False)]


class _Account(Command):
    ACTION: ClassVar[Action] = Action.MANAGE
    KEYED: ClassVar[bool] = False
    DEFAULT_OFFICER: ClassVar[str | None] = None  # no entry is signed: no one to name


class AddOfficer(_Account):
    """``POST /officers``: a new officer with a role and a password."""

    username: Annotated[str, Field(min_length=1, max_length=64)]
    role: str
    password: Password

    def run(self, node: Node, officer: str | None) -> Account:
        return node.officers.add(self.username, self.role, self.password)


class _OfAnOfficer(_Account):
    """A command about a stored account, named by the path (unbounded there: a name that
    cannot exist is 404 ``unknown-officer``, as for any other unknown name)."""

    username: str


class DisableOfficer(_OfAnOfficer):
    """``POST /officers/{username}/disable``: no more logins or API calls as them."""

    def run(self, node: Node, officer: str | None) -> Account:
        return node.officers.set_disabled(self.username, True)


class EnableOfficer(_OfAnOfficer):
    """``POST /officers/{username}/enable``: the account may be used again (with a new
    token: disabling dropped the old one)."""

    def run(self, node: Node, officer: str | None) -> Account:
        return node.officers.set_disabled(self.username, False)


class NewPassword(_Account):
    """The body of a password change."""

    password: Password


class SetPassword(NewPassword, _OfAnOfficer):
    """``POST /officers/{username}/password``: replace the officer's password."""

    def run(self, node: Node, officer: str | None) -> Account:
        return node.officers.set_password(self.username, self.password)


class IssueToken(_OfAnOfficer):
    """``POST /officers/{username}/token``: a new API token, replacing any earlier one; it
    is in this answer only (the node keeps its digest)."""

    def run(self, node: Node, officer: str | None) -> IssuedToken:
        return {"username": self.username, "token": node.officers.issue_token(self.username)}
