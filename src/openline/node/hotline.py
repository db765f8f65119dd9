"""Hotline messages: a message to send, checked before anything is signed, and the
commands that send and acknowledge them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from openline.core.entry import Entry
from openline.core.kinds import Kind
from openline.core.notices import NOTICE_KINDS
from openline.core.precedence import PRECEDENCES
from openline.core.requests import REQUEST_KINDS
from openline.core.roles import Action, action_for_level
from openline.core.schema import LANGUAGE_TAG
from openline.node.commands import Command, Short
from openline.node.errors import CommandError
from openline.store import projection as folds

if TYPE_CHECKING:
    from openline.node.app import Node
    from openline.node.ports import Ledger


@dataclass(frozen=True, slots=True)
class NewMessage:
    text: str
    precedence: str = "routine"
    lang: str = "en"
    officer: str | None = None  # who sends it; in the signed body only when known

    def body(self) -> dict[str, str]:
        if self.precedence not in PRECEDENCES:
            raise CommandError(
                f"precedence must be one of {', '.join(PRECEDENCES)}",
                code="invalid-precedence",
                status=422,
            )
        if not LANGUAGE_TAG.match(self.lang):
            raise CommandError(
                f"{self.lang!r} is not a language tag", code="invalid-lang", status=422
            )
        body = {"text": self.text, "lang": self.lang, "precedence": self.precedence}
        if self.officer is not None:
            body["officer"] = self.officer
        return body


MessageBody = Annotated[str, Field(min_length=1, max_length=20_000)]


class MessageText(BaseModel):
    """One message of a batch, as an officer typed it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: MessageBody
    precedence: str = "routine"
    lang: str = "en"


class SendMessage(MessageText, Command):
    """``POST /messages``: one hotline message to every party in ``to``."""

    DEFAULT_OFFICER: ClassVar[str | None] = None  # the operator's message names no one

    to: list[str] = Field(min_length=1)
    officer: Short | None = None

    def run(self, node: Node, officer: str | None) -> object:
        message = NewMessage(self.text, self.precedence, self.lang, officer)
        return send_messages(node, self.to, [message])


class SendBatch(Command):
    """``POST /messages/batch``: many messages to every party in ``to``, in one commit."""

    DEFAULT_OFFICER: ClassVar[str | None] = None

    to: list[str] = Field(min_length=1)
    messages: list[MessageText] = Field(min_length=1, max_length=10_000)
    officer: Short | None = None

    def run(self, node: Node, officer: str | None) -> object:
        messages = [NewMessage(m.text, m.precedence, m.lang, officer) for m in self.messages]
        return send_messages(node, self.to, messages)


class AckAs(Command):
    """The body of an acknowledgement: who acknowledges."""

    DEFAULT_OFFICER: ClassVar[str | None] = "admin"

    officer: Short = "admin"


class Acknowledge(AckAs):
    """``POST /entries/{id}/ack``: acknowledge a message, notification, desk check or
    request received (for a request, acknowledging is a read receipt)."""

    entry_id: str

    def action(self, node: Node) -> Action:
        # Acknowledging a request is its read receipt: the request's level rule holds.
        view = node.contacts.find(self.entry_id)
        return action_for_level(None if view is None else view.level)

    def run(self, node: Node, officer: str | None) -> object:
        return acknowledge(node, self.entry_id, officer or "admin")


def send_messages(
    ledger: Ledger, recipients: Sequence[str], messages: Sequence[NewMessage]
) -> list[Entry]:
    """Send each message to each recipient: one entry per link."""
    if not recipients:
        raise CommandError("name at least one recipient", code="no-recipient", status=422)
    if not messages:
        raise CommandError("no message to send", code="no-message", status=422)
    for party in recipients:
        ledger.peers.peer(party)
    bodies = [message.body() for message in messages]
    items = [(Kind.HOTLINE_MESSAGE, body, ()) for body in bodies]
    batches = ledger.append_to_many([(party, items) for party in dict.fromkeys(recipients)])
    return [entry for appended in batches for entry in appended]


def acknowledge(node: Node, entry_id: str, officer: str) -> Entry:
    """Acknowledge what this node received: a hotline message with a ``hotline.ack``, a
    notice with its answer, a request with its read receipt."""
    # Under the lock from the check to the append: never two acknowledgements of one
    # entry when two officers (or one double click) acknowledge at once.
    with node.lock:
        target = node.store.entry_by_id(entry_id)
        if target is None:
            raise CommandError(f"no entry {entry_id}", code="unknown-entry", status=404)
        received = target.recipient == node.party
        if target.kind in REQUEST_KINDS and received:
            # For a request, acknowledging is reading.
            return node.contacts.read(entry_id, officer)
        if target.kind in NOTICE_KINDS and received:
            return node.notices.acknowledge(Entry.from_leaf(target.leaf), officer)
        if target.kind != Kind.HOTLINE_MESSAGE or not received:
            raise CommandError(
                "only a hotline message, notification, incident report, desk check or request "
                "received by this node can be acknowledged",
                code="not-acknowledgeable",
                status=422,
            )
        with node.store.read() as connection:
            ack_id = folds.message_ack_id(connection, entry_id)
        if ack_id is not None:
            raise CommandError(
                f"already acknowledged by entry {ack_id}",
                code="already-acknowledged",
                status=409,
            )
        (entry,) = node.append(
            target.sender, [(Kind.HOTLINE_ACK, {"officer": officer}, (entry_id,))]
        )
        return entry
