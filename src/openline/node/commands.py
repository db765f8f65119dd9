"""Commands as typed values, and the one way they are run.

A command is a frozen pydantic model: its fields, with their bounds, are declared once, and
the officers' API takes the same model as its request body (``openline.api``), the console
validates its forms with it, and the CLI sends it as JSON. :func:`execute` runs one: it names
the officer who acts, runs the command once per idempotency key under the node's lock, and
returns the entries it signed, from which every adapter builds its answer.

Some commands are run unkeyed (:attr:`Command.KEYED` False): those whose answer is not in
the entries they sign, such as an officer's account or a new API token. A replay can give
back only stored entries, and what these commands return must never be stored to be
replayed, so a retry runs them again and the state they left answers it.

Each command declares what the acting officer's role must allow (:meth:`Command.action`),
and :func:`execute` checks it before anything else: the level rule (minister-level work is
an approver's) is a command's, wherever the command comes from. An adapter's route is also
bound to an act (``openline.api.acts``), the floor its role check applies before the body is
read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict, ValidationInfo

from openline.core.errors import EncodingError
from openline.core.roles import AccountError, Action, require
from openline.core.timefmt import parse_user_time
from openline.node.errors import CommandError
from openline.node.idempotency import Attempt, Done

if TYPE_CHECKING:
    from openline.node.app import Node
    from openline.node.officers import Officer

DUTY_OFFICER = "duty officer"  # who a command names when the operator's request names no one

Short = Annotated[str, Field(min_length=1, max_length=200)]
Text = Annotated[str, Field(min_length=1, max_length=5_000)]
Title = Annotated[str, Field(min_length=1, max_length=400)]


def parse_when(text: str, field: str) -> datetime:
    """A time an officer typed: RFC 3339 with an offset, or the forms the CLI accepts.

    Raises:
        CommandError: 422 ``invalid-time``, naming the field.
    """
    try:
        return parse_user_time(text)
    except EncodingError as error:
        raise CommandError(f"{field}: {error}", code="invalid-time", status=422) from error


def _when(value: Any, info: ValidationInfo) -> Any:
    # A string is read as an officer's time; a datetime (from Python) passes to pydantic.
    return parse_when(value, info.field_name or "time") if isinstance(value, str) else value


When = Annotated[datetime, Strict(), BeforeValidator(_when)]
"""A time: from the API as text (``invalid-time`` names the field), from Python as is. Strict:
a number is refused, not read as seconds since 1970."""


class Command(BaseModel):
    """A typed act of an officer. Subclasses declare their fields and :meth:`run`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    DEFAULT_OFFICER: ClassVar[str | None] = DUTY_OFFICER
    """Who the entry names when the operator's request names no officer (None: no one)."""

    ACTION: ClassVar[Action] = Action.SEND
    """What the acting officer's role must allow, unless :meth:`action` says more."""

    KEYED: ClassVar[bool] = True
    """Whether a request's idempotency key holds for this command. False for a command whose
    answer is its return value, not its entries: a replay could answer only with entries,
    and a result holding an officer's account or a token must never be stored to be given
    back. :func:`execute` runs such a command unkeyed, whatever the request's key."""

    def action(self, node: Node) -> Action:
        """What the acting officer's role must allow for this command (with ``node``'s
        records at hand, for a rule that depends on what is stored)."""
        return self.ACTION

    def given_officer(self) -> str | None:
        """The ``officer`` the request gave, or None if it left the field to its default."""
        if "officer" not in self.model_fields_set:
            return None
        officer = getattr(self, "officer", None)
        return officer if isinstance(officer, str) else None

    def run(self, node: Node, officer: str | None) -> object:
        """Sign and store what the command asks, as ``officer``. What it signs is collected
        by :func:`execute` as it is stored; what this returns is :attr:`Done.result`, the
        answer of an unkeyed command (a keyed one answers from its entries)."""
        raise NotImplementedError

    def signed_by(self, officer: str | None) -> Self:
        """The command with ``officer`` as the one who acts (for :meth:`run`)."""
        return self if officer is None else self.model_copy(update={"officer": officer})


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: the operator (the admin token, the CLI) or a signed-in officer."""

    officer: Officer | None = None

    def authorize(self, action: Action) -> None:
        """Refuse an officer whose role does not allow ``action`` (the operator may do all).

        Raises:
            CommandError: 403, with the role table's code.
        """
        if self.officer is None:
            return
        try:
            require(self.officer.role, action)
        except AccountError as error:
            raise CommandError(
                f"{self.officer.username}: {error}", code=error.code, status=403
            ) from error

    def names(self, given: str | None, default: str | None) -> str | None:
        """The officer to write in the entries: an officer always signs as themself (a
        body naming someone else is refused); the operator signs as the body says, or as
        the command's default.

        Raises:
            CommandError: 403 ``officer-mismatch``.
        """
        if self.officer is None:
            return default if given is None else given
        if given is not None and given != self.officer.username:
            raise CommandError(
                f"{self.officer.username} cannot sign as {given!r}: leave officer out, or give "
                "your own user name",
                code="officer-mismatch",
                status=403,
            )
        return self.officer.username


def given(body: BaseModel | None) -> dict[str, Any]:
    """The fields a request body gave (none for a missing body), to build the command that
    adds what the path names: ``Respond(request_id=…, **given(body))``."""
    return {} if body is None else body.model_dump(exclude_unset=True)


def execute(node: Node, command: Command, actor: Actor, attempt: Attempt | None) -> Done:
    """Run ``command`` as ``actor``, once per idempotency key (``attempt``; None: unkeyed).

    The officer's role is checked first, so a refused command stores nothing, not even
    its key. A command that is not :attr:`~Command.KEYED` runs unkeyed and outside the
    node's lock, whatever ``attempt`` says. Blocking: adapters call it in a worker thread.
    """
    if actor.officer is not None:  # the operator may do all: no need to read the rule's data
        actor.authorize(command.action(node))
    officer = actor.names(command.given_officer(), command.DEFAULT_OFFICER)
    if not command.KEYED:
        return node.keys.unkeyed(lambda: command.run(node, officer))
    return node.keys.once(attempt, lambda: command.run(node, officer))
