"""Who is at the console: server-side sessions, CSRF on every form, throttled logins.

A session cookie names a server-side session (``console.sessions``); the officer's account is
read again on every request, so disabling an officer or changing their role takes effect
at once, not at their next login. Every state-changing request must carry the session's
CSRF token (a form field or the ``X-CSRF-Token`` header that the page script adds), and a
cross-site ``Origin`` is refused outright.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

import anyio.to_thread
from fastapi import Request

from openline.api.access import Caller, authorize
from openline.api.acts import act_of_route
from openline.console.sessions import Session, SessionStore
from openline.console.throttle import LoginThrottle
from openline.i18n import SUPPORTED_LANGUAGES
from openline.node.app import Node
from openline.node.errors import CommandError
from openline.node.officers import Officer

SESSION_COOKIE = "openline_session"
# Sent by the page script when it refreshes a fragment on its own: such a request does not
# keep an idle session alive, so an unattended console still signs out after 2 hours.
BACKGROUND_HEADER = "x-openline-background"
MAX_FORM_BYTES = 1 << 20  # the largest form: a notification with a 1,000-position area
# Password checks at once: argon2id takes 64 MiB and tens of milliseconds each.
PASSWORD_CHECKS = 2
LOGIN_COOKIE = "openline_login"
CSRF_HEADER = "x-csrf-token"


class NotSignedIn(Exception):
    """No valid session: pages redirect to the login form, other requests get 401."""


@dataclass(frozen=True, slots=True)
class Signed:
    """The officer behind a request, their session, and the language they read."""

    officer: Officer
    session: Session
    lang: str

    @property
    def csrf(self) -> str:
        return self.session.csrf_token


class Guard:
    def __init__(self, node: Node) -> None:
        self.node = node
        self.sessions = SessionStore()
        self.throttle = LoginThrottle()
        # User names whose password is being checked: one check per name at a time, so
        # parallel guesses cannot all pass the throttle before the first failure counts.
        self.checking: set[str] = set()
        self.password_checks: asyncio.Semaphore | None = None  # made in the event loop
        self.verifying = False

    def open_session(self, username: str, password_hash: str) -> str:
        now = self.node.clock()
        self.sessions.prune(now)
        self.throttle.prune(now)
        session_id, _session = self.sessions.create(username, now, _digest(password_hash))
        return session_id

    def close_session(self, session_id: str) -> None:
        self.sessions.revoke(session_id)

    def language_of(self, chosen: str | None) -> str:
        if chosen in SUPPORTED_LANGUAGES:
            return str(chosen)
        default = self.node.config.default_lang
        return default if default in SUPPORTED_LANGUAGES else "en"

    async def signed(self, request: Request, touch: bool | None = None) -> Signed:
        session_id = request.cookies.get(SESSION_COOKIE, "")
        if touch is None:
            touch = BACKGROUND_HEADER not in request.headers
        now = self.node.clock()
        session = self.sessions.get(session_id, now, touch) if session_id else None
        if session is None:
            raise NotSignedIn
        row = await anyio.to_thread.run_sync(self.node.store.officer, session.username)
        if row is None or row.disabled or session.credential != _digest(row.password_hash):
            self.close_session(session_id)
            raise NotSignedIn
        return Signed(Officer(row.username, row.role), session, self.language_of(row.lang))

    async def posted(self, request: Request) -> tuple[Signed, list[tuple[str, str]]]:
        """The officer behind a state-changing request, once its origin and CSRF token are
        checked, with the submitted form fields."""
        refuse_cross_site(request)
        signed = await self.signed(request)
        refuse_oversized(request)
        form = await request.form()
        fields = [(name, value) for name, value in form.multi_items() if isinstance(value, str)]
        presented = request.headers.get(CSRF_HEADER) or dict(fields).get("csrf")
        if not SessionStore.check_csrf(signed.session, presented):
            raise CommandError(
                "this form has no valid CSRF token: reload the page and try again",
                code="csrf-missing" if not presented else "csrf-invalid",
                status=403,
            )
        # The route's act, from the one table: the floor before the command's own rule.
        act = act_of_route(request.scope.get("route"))
        if act is None:  # check_bound refuses such an app: fail closed all the same
            raise CommandError("this form is bound to no act", code="forbidden", status=403)
        authorize(Caller(signed.officer), act.action)  # a command's own rule is execute's
        return signed, fields


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def refuse_cross_site(request: Request) -> None:
    """A browser names the page a form came from; a form posted from another site is refused
    before anything else is read (the CSRF token would refuse it too; this says why)."""
    origin = request.headers.get("origin")
    if origin is None:
        return  # not a browser, or a browser too old to say: the CSRF token decides
    if origin == "null" or urlsplit(origin).netloc != request.headers.get("host", ""):
        raise CommandError(
            f"cross-site request from {origin} refused", code="cross-site", status=403
        )


def refuse_oversized(request: Request) -> None:
    """A form is read whole, so its size is checked first: a browser always says it."""
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        raise CommandError(
            "a form must give its Content-Length", code="length-required", status=411
        )
    if int(length) > MAX_FORM_BYTES:
        raise CommandError(
            f"a form may be at most {MAX_FORM_BYTES} bytes", code="form-too-large", status=413
        )


def new_login_token() -> str:
    return secrets.token_urlsafe(24)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def safe_next(target: str | None) -> str:
    """Where to go after logging in: only a path of this console, never another site."""
    if target and target.startswith("/console") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return "/console/"
