"""Signing in and out, and the officer's language."""

from __future__ import annotations

import asyncio

from anyio.to_thread import run_sync
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from openline.api.acts import bound
from openline.console.auth import (
    LOGIN_COOKIE,
    PASSWORD_CHECKS,
    SESSION_COOKIE,
    client_address,
    new_login_token,
    refuse_cross_site,
    refuse_oversized,
    safe_next,
)
from openline.console.state import CurrentConsole
from openline.i18n import SUPPORTED_LANGUAGES
from openline.node.errors import CommandError

router = APIRouter()


@router.get("/login")
async def login_form(
    console: CurrentConsole, request: Request, next: str | None = None
) -> Response:
    token = new_login_token()
    lang = console.guard.language_of(request.query_params.get("lang"))
    response = console.show(None, "login.html", lang=lang, login_token=token, next=safe_next(next))
    _set_cookie(response, LOGIN_COOKIE, token, max_age=3600)
    return response


@router.post("/login", openapi_extra=bound("session"))
async def login(console: CurrentConsole, request: Request) -> Response:
    refuse_cross_site(request)
    refuse_oversized(request)
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    username = fields.get("username", "")[:200]
    password = fields.get("password", "")[:1000]
    target = safe_next(fields.get("next"))
    lang = console.guard.language_of(fields.get("lang"))
    token = new_login_token()

    def again(message: str, code: str, status: int, retry: float = 0.0) -> Response:
        response = console.show(
            None,
            "login.html",
            status=status,
            lang=lang,
            login_token=token,
            next=target,
            error=message,
            error_code=code,
            username=username,
            retry_after=int(retry + 0.999),
        )
        _set_cookie(response, LOGIN_COOKIE, token, max_age=3600)
        if retry:
            response.headers["Retry-After"] = str(int(retry + 0.999))
        return response

    presented = fields.get("login_token", "")
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not presented or not expected or not _same(presented, expected):
        return again("form-expired", "csrf-invalid", 403)
    address = client_address(request)
    wait = console.guard.throttle.retry_after(username, address, console.node.clock())
    if wait > 0:
        return again("throttled", "login-throttled", 429, wait)
    name = username.casefold()
    if name in console.guard.checking:  # a parallel guess waits its turn, then the throttle
        return again("throttled", "login-throttled", 429, 1.0)
    if console.guard.password_checks is None:
        console.guard.password_checks = asyncio.Semaphore(PASSWORD_CHECKS)
    console.guard.checking.add(name)
    try:
        async with console.guard.password_checks:
            officer = await run_sync(console.node.officers.authenticate, username, password)
        row = (
            None
            if officer is None
            else await run_sync(console.node.store.officer, officer.username)
        )
        if officer is None or row is None:
            console.guard.throttle.failed(username, address, console.node.clock())
            return again("wrong-password", "wrong-password", 401)
        console.guard.throttle.succeeded(username, address, console.node.clock())
    finally:
        console.guard.checking.discard(name)
    session_id = console.guard.open_session(officer.username, row.password_hash)
    response = RedirectResponse(target, status_code=303)
    _set_cookie(response, SESSION_COOKIE, session_id)
    response.delete_cookie(LOGIN_COOKIE, path="/console")
    return response


@router.post("/logout", openapi_extra=bound("session"))
async def logout(console: CurrentConsole, request: Request) -> Response:
    await console.posted(request)
    console.guard.close_session(request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/console")
    return response


@router.post("/language", openapi_extra=bound("session"))
async def language(console: CurrentConsole, request: Request) -> Response:
    signed, fields = await console.posted(request)
    chosen = dict(fields).get("lang", "")
    if chosen not in SUPPORTED_LANGUAGES:
        raise CommandError(
            f"unsupported language {chosen!r}: use one of {', '.join(SUPPORTED_LANGUAGES)}",
            code="unsupported-language",
            status=422,
        )
    await run_sync(console.node.officers.set_language, signed.officer.username, chosen)
    back = safe_next(dict(fields).get("next"))
    return RedirectResponse(back, status_code=303)


def _same(a: str, b: str) -> bool:
    import hmac

    return hmac.compare_digest(a.encode(), b.encode())


def _set_cookie(response: Response, name: str, value: str, max_age: int | None = None) -> None:
    # HttpOnly: no script reads the session; SameSite=Strict: no other site sends it along.
    response.set_cookie(
        name, value, max_age=max_age, path="/console", httponly=True, samesite="strict"
    )
