"""Agreed message catalogues on a node: pin, agree with each peer, send, and the door check.

The agreement rule ("pinned by both sides"): a catalogue is *agreed* with peer P when

    (a) this node has pinned it (its document is in the ``catalogues`` table), and
    (b) P's log to us holds a ``catalogue.pin`` entry naming its hash.

P signs ``catalogue.pin`` only after pinning locally, so a sender that refuses to send a
``catalogue.message`` unless the catalogue is agreed is never refused at P's door, which
checks P's own pins (:meth:`Catalogues.door_check`): an honest sender never stalls its log.

Pinning stores the document and appends one ``catalogue.pin`` to each named peer (by default
every pinned peer) not already told of that hash, so pinning again is idempotent and only
tells peers pinned since. Every refusal is a :class:`CommandError` raised before anything
is stored.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from pydantic import Field

from openline.core.canonical import canonical_bytes
from openline.core.catalogue import (
    Catalogue,
    CatalogueError,
    Message,
    parse_catalogue,
    validate_message,
)
from openline.core.entry import Entry
from openline.core.errors import EncodingError, EntryError
from openline.core.kinds import Kind, validate_body
from openline.core.roles import Action
from openline.core.timefmt import format_time, parse_time, parse_user_time
from openline.node.commands import DUTY_OFFICER, Command, Short
from openline.node.errors import CommandError

if TYPE_CHECKING:
    from openline.node.app import Node
    from openline.node.ports import Ledger

PIN = Kind.CATALOGUE_PIN
MESSAGE = Kind.CATALOGUE_MESSAGE
NUMERIC_TYPES = frozenset({"integer", "bearing", "course", "speed"})


def describe(name: str, version: int, digest: str) -> str:
    """How an officer reads a catalogue: ``openline-starter v1 (3f2a…)``."""
    return f"{name} v{version} ({digest[:16]}…)"


def describe_pin(body: Mapping[str, Any]) -> str:
    return describe(body["name"], body["version"], body["catalogue"])


def describe_catalogue(catalogue: Catalogue) -> str:
    return describe(catalogue.name, catalogue.version, catalogue.hash)


def refused(error: EntryError, status: int = 422) -> CommandError:
    return CommandError(str(error), code=error.code, status=status)


class Catalogues:
    """The catalogues this node has pinned, and the ``catalogue.message`` rules that use them."""

    def __init__(self, node: Ledger) -> None:
        self.node = node
        self._pinned: dict[str, Catalogue] | None = None
        self._pin_lock = threading.Lock()  # one pin at a time: a peer is told a hash once

    # --- what is pinned where ----------------------------------------------------------------

    def pinned(self) -> dict[str, Catalogue]:
        """Every catalogue pinned here, by hash."""
        pinned = self._pinned
        if pinned is None:
            pinned = {
                stored.hash: parse_catalogue(stored.document)
                for stored in self.node.store.catalogue_documents()
            }
            self._pinned = pinned
        return pinned

    def _pin_entries(self) -> tuple[dict[tuple[str, str], Entry], dict[tuple[str, str], Entry]]:
        """``catalogue.pin`` entries by (peer, hash): those we sent, and those peers sent us."""
        ours: dict[tuple[str, str], Entry] = {}
        theirs: dict[tuple[str, str], Entry] = {}
        for stored in self.node.store.entries_of_kinds([PIN]):
            entry = Entry.from_leaf(stored.leaf)
            digest = str(entry.body["catalogue"])
            if entry.sender == self.node.party:
                ours.setdefault((entry.recipient, digest), entry)
            elif entry.recipient == self.node.party:
                theirs.setdefault((entry.sender, digest), entry)
        return ours, theirs

    def agreement(self, digest: str) -> list[dict[str, Any]]:
        """Per peer, how far the catalogue with this hash is agreed.

        Returns:
            One row per pinned peer: ``party``, ``pinned_here``, ``we_told_them`` (our
            ``catalogue.pin`` is in our log to them), ``they_pinned`` (theirs is in their
            log to us) and ``agreed`` (pinned here and they pinned it).
        """
        ours, theirs = self._pin_entries()
        return self._agreement_rows(digest, digest in self.pinned(), ours, theirs)

    def _agreement_rows(
        self,
        digest: str,
        pinned_here: bool,
        ours: Mapping[tuple[str, str], Entry],
        theirs: Mapping[tuple[str, str], Entry],
    ) -> list[dict[str, Any]]:
        rows = []
        for party in sorted(self.node.peers.pinned()):
            told = ours.get((party, digest))
            heard = theirs.get((party, digest))
            rows.append(
                {
                    "party": party,
                    "pinned_here": pinned_here,
                    "we_told_them": told is not None,
                    "they_pinned": heard is not None,
                    "they_pinned_at": None if heard is None else heard.time,
                    "agreed": pinned_here and heard is not None,
                }
            )
        return rows

    def status(self) -> dict[str, Any]:
        """Every catalogue pinned here with its agreement per peer, and the catalogues peers
        pinned that this node has not (``offered_by_peers``)."""
        ours, theirs = self._pin_entries()
        pinned = self.pinned()
        pinned_at = {
            stored.hash: stored.pinned_at for stored in self.node.store.catalogue_documents()
        }
        catalogues = [
            {
                **self.summary(catalogue),
                "pinned_at": pinned_at.get(digest),
                "peers": self._agreement_rows(digest, True, ours, theirs),
            }
            for digest, catalogue in pinned.items()
        ]
        offered = [
            {
                "party": party,
                "hash": digest,
                "name": entry.body["name"],
                "version": entry.body["version"],
                "officer": entry.body["officer"],
                "time": entry.time,
                "id": entry.id,
                "note": f"{party} pinned {describe_pin(entry.body)}, not pinned here",
            }
            for (party, digest), entry in sorted(theirs.items())
            if digest not in pinned
        ]
        return {"catalogues": catalogues, "offered_by_peers": offered}

    @staticmethod
    def summary(catalogue: Catalogue) -> dict[str, Any]:
        return {
            "hash": catalogue.hash,
            "name": catalogue.name,
            "version": catalogue.version,
            "languages": list(catalogue.languages),
            "messages": len(catalogue.messages),
        }

    def resolve(self, ref: str) -> Catalogue:
        """A pinned catalogue by its full hash, or by name (the latest version pinned).

        Raises:
            CommandError: 404 ``unknown-catalogue``.
        """
        pinned = self.pinned()
        if ref in pinned:
            return pinned[ref]
        named = [catalogue for catalogue in pinned.values() if catalogue.name == ref]
        if named:
            return max(named, key=lambda catalogue: catalogue.version)
        raise CommandError(
            f"no catalogue {ref!r} is pinned here (give its name or its full hash)",
            code="unknown-catalogue",
            status=404,
        )

    # --- pinning -----------------------------------------------------------------------------

    def pin(self, document: bytes, officer: str, to: Sequence[str] | None = None) -> dict[str, Any]:
        """Pin a catalogue here and tell peers with a ``catalogue.pin`` entry.

        Args:
            document: the catalogue file's bytes (JSON).
            officer: who pinned it (written in each ``catalogue.pin``).
            to: the peers to tell; None means every pinned peer. A peer already told of
                this hash is not told again.

        Returns:
            ``hash``, ``name``, ``version``, ``languages``, ``messages`` (how many),
            ``newly_pinned``, ``sent_to`` and ``already_told`` (party ids).

        Raises:
            CommandError: 422 with a catalogue code (``invalid-catalogue``,
                ``missing-translation``, …) or ``invalid-body`` (officer); 404
                ``unknown-peer``; 409 ``version-conflict`` (another document with the same
                name and version is pinned here).
        """
        try:
            catalogue = parse_catalogue(document)
        except CatalogueError as error:
            raise refused(error) from error
        canonical = canonical_bytes(catalogue.to_dict())  # hashable, so encodable
        body = {
            "catalogue": catalogue.hash,
            "name": catalogue.name,
            "version": catalogue.version,
            "officer": officer,
        }
        try:
            validate_body(PIN, body)
        except EntryError as error:
            raise refused(error) from error
        peers = sorted(self.node.peers.pinned()) if to is None else list(dict.fromkeys(to))
        for party in peers:
            self.node.peers.peer(party)
        with self._pin_lock:
            clash = next(
                (
                    other
                    for other in self.pinned().values()
                    if other.name == catalogue.name
                    and other.version == catalogue.version
                    and other.hash != catalogue.hash
                ),
                None,
            )
            if clash is not None:
                raise CommandError(
                    f"another document is pinned as {describe_catalogue(clash)}"
                    "; give an edited catalogue a new version",
                    code="version-conflict",
                    status=409,
                )
            newly = self.node.store.pin_catalogue(
                catalogue.hash,
                catalogue.name,
                catalogue.version,
                canonical,
                format_time(self.node.clock()),
            )
            self._pinned = None
            ours, _ = self._pin_entries()
            sent_to: list[str] = []
            already: list[str] = []
            for party in peers:
                if (party, catalogue.hash) in ours:
                    already.append(party)
                    continue
                self.node.append(party, [(PIN, body, ())])
                sent_to.append(party)
        return {
            **self.summary(catalogue),
            "newly_pinned": newly,
            "sent_to": sent_to,
            "already_told": already,
        }

    # --- sending -----------------------------------------------------------------------------

    def agreed_with(self, peer: str) -> list[Catalogue]:
        """The catalogues agreed with ``peer``, oldest pin first."""
        _, theirs = self._pin_entries()
        return [
            catalogue for digest, catalogue in self.pinned().items() if (peer, digest) in theirs
        ]

    def _choose(self, peer: str, ref: str | None) -> Catalogue:
        """The catalogue a send names, which must be agreed with ``peer``."""
        _, theirs = self._pin_entries()
        offered = {digest: entry for (party, digest), entry in theirs.items() if party == peer}
        if ref is None:
            pinned = self.pinned()
            agreed = [catalogue for digest, catalogue in pinned.items() if digest in offered]
            if len(agreed) > 1:
                names = ", ".join(describe_catalogue(c) for c in agreed)
                raise CommandError(
                    f"several catalogues are agreed with {peer} ({names}); name one",
                    code="ambiguous-catalogue",
                    status=422,
                )
            if agreed:
                return agreed[0]
            # Nothing agreed: say which side is missing when there is one obvious candidate.
            if len(pinned) == 1:
                ref = next(iter(pinned))
            elif not pinned and len(offered) == 1:
                ref = next(iter(offered))
            else:
                raise CommandError(
                    f"no catalogue is agreed with {peer}: both sides must pin the same one "
                    f"(openline catalogue pin); {len(pinned)} pinned here, "
                    f"{len(offered)} pinned by {peer}",
                    code="catalogue-not-agreed",
                    status=409,
                )
        try:
            catalogue = self.resolve(ref)
        except CommandError:
            theirs_only = next(
                (entry for digest, entry in offered.items() if ref in (digest, entry.body["name"])),
                None,
            )
            if theirs_only is None:
                raise
            raise CommandError(
                f"{self.node.party} (this node) has not pinned {describe_pin(theirs_only.body)}, "
                f"which {peer} pinned",
                code="catalogue-not-agreed",
                status=409,
            ) from None
        if catalogue.hash not in offered:
            raise CommandError(
                f"{peer} has not pinned {describe_catalogue(catalogue)}",
                code="catalogue-not-agreed",
                status=409,
            )
        return catalogue

    def send(
        self,
        to: str,
        ref: str | None,
        code: str,
        params: Mapping[str, Any],
        lang: str | None = None,
        refs: Sequence[str] = (),
        officer: str | None = None,
    ) -> Entry:
        """Send a catalogue message to a peer with whom its catalogue is agreed.

        Args:
            to: the peer.
            ref: the catalogue's name or hash; None for the only one agreed with ``to``.
            code: the message code, e.g. ``M10``.
            params: the values; numbers may be given as strings of digits, and times as
                any RFC 3339 time with an offset (both are normalised).
            lang: the language of a free-text parameter (exactly when there is one).
            refs: ids of up to 4 entries of this link the message is about.
            officer: who sends it, written in the body when known.

        Raises:
            CommandError: 404 ``unknown-peer`` or ``unknown-catalogue``; 409
                ``catalogue-not-agreed``; 422 ``ambiguous-catalogue``, ``invalid-body``,
                ``unknown-code``, ``missing-param``, ``extra-param``, ``bad-param``,
                ``bad-lang`` or a ref code (``unknown-ref``, ``bad-ref``).
        """
        self.node.peers.peer(to)
        catalogue = self._choose(to, ref)
        message = catalogue.messages.get(code)
        values = dict(params) if message is None else normalise(message, params)
        body: dict[str, Any] = {"catalogue": catalogue.hash, "code": code, "params": values}
        if lang is not None:
            body["lang"] = lang
        if officer is not None:
            body["officer"] = officer
        try:
            validate_message(body, {catalogue.hash: catalogue})
        except CatalogueError as error:
            raise refused(error) from error
        (entry,) = self.node.append(to, [(MESSAGE, body, tuple(refs))])
        return entry

    # --- receiving ---------------------------------------------------------------------------

    def door_check(self, entry: Entry) -> None:
        """Refuse a ``catalogue.message`` that this node cannot read as agreed.

        Raises:
            CatalogueError: ``unpinned-catalogue``, ``unknown-code``, ``missing-param``,
                ``extra-param``, ``bad-param`` or ``bad-lang``.
        """
        if entry.kind == MESSAGE:
            validate_message(entry.body, self.pinned())


def normalise(message: Message, params: Mapping[str, Any]) -> dict[str, Any]:
    """Values as the body carries them: ``"5"`` → 5 for a numeric parameter (the CLI passes
    strings), and a time with an offset in the entry form. Anything else is left for
    :func:`validate_message` to judge."""
    types = {param.name: param.type for param in message.params}
    values = dict(params)
    for name, value in params.items():
        kind = types.get(name)
        if not isinstance(value, str):
            continue
        if kind in NUMERIC_TYPES and value.isascii() and value.isdigit() and len(value) <= 16:
            values[name] = int(value)
        elif kind == "time":
            values[name] = _entry_time(value)
    return values


def _entry_time(text: str) -> str:
    try:
        parse_time(text)
    except EncodingError:
        pass
    else:
        return text
    try:
        moment = parse_user_time(text)
    except EncodingError:
        return text
    if moment.microsecond % 1000:
        return text  # finer than an entry time: refuse rather than round
    return format_time(moment)


EntryId = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class SendCatalogueMessage(Command):
    """``POST /catalogue-messages``: one message of an agreed catalogue, to ``to``."""

    DEFAULT_OFFICER: ClassVar[str | None] = None  # the operator's message names no one

    to: Short
    catalogue: Short | None = None  # name or hash; default: the only one agreed with ``to``
    code: Annotated[str, Field(min_length=1, max_length=8)]
    params: dict[str, Any] = Field(default_factory=dict)
    lang: Annotated[str, Field(min_length=1, max_length=35)] | None = None
    refs: list[EntryId] = Field(default_factory=list, max_length=4)
    officer: Short | None = None

    def run(self, node: Node, officer: str | None) -> object:
        return node.catalogues.send(
            self.to, self.catalogue, self.code, self.params, self.lang, self.refs, officer
        )


class PinCatalogue(Command):
    """``POST /catalogues``: pin the catalogue ``document`` here and tell the peers in
    ``to`` (default: every pinned peer) with a ``catalogue.pin`` entry.

    Not keyed, though it signs entries: its answer (``newly_pinned``, ``already_told``, the
    catalogue's summary) cannot be rebuilt from the entries alone, and a pin that told no
    peer signed none to replay. It needs no key: pinning is idempotent by state, as the
    document is stored once and a peer already told of its hash is not told again, so a
    retry signs nothing new and answers with what is now so.
    """

    ACTION: ClassVar[Action] = Action.SEND
    KEYED: ClassVar[bool] = False
    DEFAULT_OFFICER: ClassVar[str | None] = DUTY_OFFICER

    document: dict[str, Any]
    to: list[Short] | None = Field(default=None, max_length=100)
    officer: Short = DUTY_OFFICER

    def run(self, node: Node, officer: str | None) -> dict[str, Any]:
        try:  # refuses what JSON parsing let through: floats (NaN too), huge integers
            document = canonical_bytes(self.document)
        except EncodingError as error:
            raise CommandError(
                f"catalogue: {error}", code="invalid-catalogue", status=422
            ) from error
        return node.catalogues.pin(document, officer or DUTY_OFFICER, self.to)
