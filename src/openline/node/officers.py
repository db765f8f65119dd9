"""Officers' accounts on a node: add, list, disable, change a password, issue an API token.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's second recommended
parameter set); a hash made with older parameters is upgraded at the next successful
login. API tokens are 256 random bits shown once; the node keeps only their SHA-256, so a
copy of the database gives no way in. Every refusal is a :class:`CommandError` with a code.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from typing_extensions import TypedDict  # pydantic reads it on Python 3.11 (the API answers)

from openline.core.roles import AccountError, check_password, check_role, check_username
from openline.core.timefmt import format_time
from openline.i18n import LanguageError, check_language
from openline.node.errors import CommandError
from openline.store.database import OfficerRow

if TYPE_CHECKING:
    from openline.node.ports import Clock
    from openline.store import Store

_HASHER = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the user name is unknown, so that a wrong name takes as long
    as a wrong password: response times do not tell which names exist. Made on first use,
    not at import: hashing costs 64 MiB and tens of milliseconds, which every CLI command
    would otherwise pay."""
    return _HASHER.hash("openline: no such officer")


class Account(TypedDict):
    """An officer's account as the API and the CLI show it: never its password hash, and
    its token only as whether it has one."""

    username: str
    role: str
    disabled: bool
    has_token: bool
    created_at: str
    changed_at: str
    lang: str | None


class IssuedToken(TypedDict):
    """A new API token: in this answer only (the node keeps its digest)."""

    username: str
    token: str


@dataclass(frozen=True, slots=True)
class Officer:
    username: str
    role: str

    def to_json(self) -> dict[str, str]:
        return {"username": self.username, "role": self.role}


def _refused(error: AccountError) -> CommandError:
    return CommandError(str(error), code=error.code, status=422)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Officers:
    """Accounts need only the store and the clock, and are given nothing more."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def _now(self) -> str:
        return format_time(self.clock())

    def _row(self, username: str) -> OfficerRow:
        row = self.store.officer(username)
        if row is None:
            raise CommandError(f"no officer {username!r}", code="unknown-officer", status=404)
        return row

    # --- managing ------------------------------------------------------------------------

    def add(self, username: str, role: str, password: str) -> Account:
        try:
            check_username(username)
            check_role(role)
            check_password(password)
        except AccountError as error:
            raise _refused(error) from error
        if not self.store.add_officer(username, role, _HASHER.hash(password), self._now()):
            raise CommandError(
                f"officer {username!r} already exists", code="officer-exists", status=409
            )
        return self.show(username)

    def show(self, username: str) -> Account:
        return _row_json(self._row(username))

    def list(self) -> list[Account]:
        return [_row_json(row) for row in self.store.officers()]

    def set_disabled(self, username: str, disabled: bool) -> Account:
        """A disabled officer can neither log in nor use an API token; the account and
        everything it signed stay."""
        self._row(username)
        values: dict[str, Any] = {"disabled": int(disabled)}
        if disabled:
            values["token_digest"] = None  # a re-enabled officer gets a new token
        self.store.update_officer(username, self._now(), **values)
        return self.show(username)

    def set_password(self, username: str, password: str) -> Account:
        self._row(username)
        try:
            check_password(password)
        except AccountError as error:
            raise _refused(error) from error
        self.store.update_officer(username, self._now(), password_hash=_HASHER.hash(password))
        return self.show(username)

    def set_language(self, username: str, lang: str) -> Account:
        """The console language the officer chose, kept for their next session."""
        self._row(username)
        try:
            check_language(lang)
        except LanguageError as error:
            raise CommandError(str(error), code=error.code, status=422) from error
        self.store.update_officer(username, self._now(), lang=lang)
        return self.show(username)

    def issue_token(self, username: str) -> str:
        """A new API token for the officer, replacing any earlier one; shown only now."""
        row = self._row(username)
        if row.disabled:
            raise CommandError(
                f"officer {username!r} is disabled", code="officer-disabled", status=409
            )
        token = "olo_" + secrets.token_urlsafe(32)
        self.store.update_officer(username, self._now(), token_digest=token_digest(token))
        return token

    # --- authenticating ------------------------------------------------------------------

    def by_token(self, token: str) -> Officer | None:
        """The enabled officer holding this API token, or None."""
        if not token.startswith("olo_"):
            return None
        row = self.store.officer_by_token(token_digest(token))
        if row is None or row.disabled or row.token_digest is None:
            return None
        if not hmac.compare_digest(row.token_digest, token_digest(token)):
            return None
        return Officer(row.username, row.role)

    def authenticate(self, username: str, password: str) -> Officer | None:
        """The officer, if the password is theirs and the account is enabled."""
        row = self.store.officer(username)
        try:
            _HASHER.verify(row.password_hash if row else _dummy_hash(), password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None or row.disabled:
            return None
        if _HASHER.check_needs_rehash(row.password_hash):
            self.store.update_officer(username, self._now(), password_hash=_HASHER.hash(password))
        return Officer(row.username, row.role)


def _row_json(row: OfficerRow) -> Account:
    return {
        "username": row.username,
        "role": row.role,
        "disabled": row.disabled,
        "has_token": row.token_digest is not None,
        "created_at": row.created_at,
        "changed_at": row.changed_at,
        "lang": row.lang,
    }
