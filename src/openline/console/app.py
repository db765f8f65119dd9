"""The console's routes, mounted by the node's server under ``/console``.

Pages are rendered on the server (Jinja2); the page script swaps in fresh fragments when
the node says something changed (server-sent events on ``/console/events``). Every act goes
through the officers' API's models and the node's application commands, and is authorised
by the same role table as the API (``openline.api.access``): the console signs nothing the
API would not.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio.to_thread
import orjson
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from openline.api.access import Caller, authorize
from openline.api.acts import ACTS, bound
from openline.api.catalogues import CatalogueMessageIn
from openline.api.notices import ActivityIn
from openline.api.officers import SendIn
from openline.api.requests import AnswerIn, RequestIn
from openline.console import views
from openline.console.auth import (
    LOGIN_COOKIE,
    PASSWORD_CHECKS,
    SESSION_COOKIE,
    Guard,
    NotSignedIn,
    Signed,
    client_address,
    new_login_token,
    refuse_cross_site,
    refuse_oversized,
    safe_next,
)
from openline.console.forms import (
    FormErrors,
    body_from_form,
    catalogue_value,
    field_of,
    one_recipient,
    shown_beside,
    validated,
)
from openline.console.templating import render
from openline.core.contact import FORMATS, LEVELS
from openline.core.notify import ACTIVITIES
from openline.core.precedence import PRECEDENCES
from openline.core.roles import Action, may
from openline.i18n import SUPPORTED_LANGUAGES
from openline.node.app import NewMessage, Node
from openline.node.errors import CommandError
from openline.node.idempotency import Attempt, Done, fingerprint, officer_actor, parse_key
from openline.node.verify import logs_to_verify

STATIC = Path(__file__).parent / "static"
LIVE_SECONDS = 1.0
KEEPALIVE_SECONDS = 15.0
SESSION_CHECK_SECONDS = 5.0
COMPOSE_FORMS = ("message", "request", "notification", "catalogue")


class ConsoleCompression:
    """gzip for the console's pages and assets, for officers on a slow link (the assets
    shrink to a third); federation and the API are left as they are. The live streams (events,
    verify progress) are never compressed: a compressor would hold back their small chunks."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.gzip = GZipMiddleware(
            app,
            minimum_size=1000,
            compresslevel=6,
            exclude_content_types=(*DEFAULT_EXCLUDED_CONTENT_TYPES, "application/x-ndjson"),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and str(scope.get("path", "")).startswith("/console"):
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def mount_console(app: FastAPI, node: Node, stopping: Callable[[], bool]) -> None:
    """Serve the console on ``app``; ``stopping`` tells live streams the server is closing,
    so that an open browser tab never holds up a node's shutdown."""
    guard = Guard(node)
    app.state.console_guard = guard
    app.add_middleware(ConsoleCompression)
    app.mount("/console/static", StaticFiles(directory=STATIC), name="console-static")
    app.include_router(console_router(node, guard, stopping))

    api_error = app.exception_handlers[CommandError]

    @app.exception_handler(CommandError)
    async def console_error(request: Request, error: Exception) -> Response:
        """A person at the console gets a page that says what went wrong (and its code);
        the page script and every other client get the API's JSON error."""
        assert isinstance(error, CommandError)
        wants_page = request.url.path.startswith("/console") and (
            "hx-request" not in request.headers
        )
        if not wants_page:
            answered = api_error(request, error)
            return await answered if inspect.isawaitable(answered) else answered
        signed = None
        with contextlib.suppress(NotSignedIn, CommandError):
            signed = await guard.signed(request)
        return page(
            signed,
            "error.html",
            status=error.status,
            party=node.party,
            lang=guard.language_of(None),
            code=error.code,
            message=str(error),
        )

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, _error: NotSignedIn) -> Response:
        page_load = "text/html" in request.headers.get("accept", "")
        if request.method == "GET" and page_load and "hx-request" not in request.headers:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/console/login?next={_quote(target)}", status_code=303)
        return JSONResponse(
            {"error": {"code": "not-signed-in", "message": "sign in to the console first"}},
            status_code=401,
        )


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="/")


def page(signed: Signed | None, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    fallback = context.pop("lang", "en")
    lang = signed.lang if signed else fallback
    html = render(lang, template, me=signed, may=_permissions(signed), **context)
    return HTMLResponse(html, status_code=status)


def _permissions(signed: Signed | None) -> dict[str, bool]:
    role = signed.officer.role if signed else ""
    # Keys a template can name: "send_minister", not "send-minister".
    return {
        action.value.replace("-", "_"): bool(signed) and may(role, action)
        for action in (
            Action.READ,
            Action.EXPORT,
            Action.SEND,
            Action.SEND_MINISTER,
            Action.MANAGE,
        )
    }


def console_router(node: Node, guard: Guard, stopping: Callable[[], bool]) -> APIRouter:
    router = APIRouter(prefix="/console", include_in_schema=False)
    floors = views.FloorCache()

    def run(function: Callable[..., Any], *args: Any) -> Any:
        return anyio.to_thread.run_sync(function, *args)

    def show(signed: Signed | None, template: str, status: int = 200, **context: Any) -> Response:
        context.setdefault("party", node.party)
        return page(signed, template, status, **context)

    async def authorized(
        signed: Signed, act: str, body: dict[str, Any], params: dict[str, str] | None = None
    ) -> None:
        """The role check of the act this form performs, from the one table of acts."""
        needed = await run(ACTS[act].action, node, orjson.dumps(body), params or {})
        authorize(Caller(signed.officer), needed)

    # --- signing in ------------------------------------------------------------------------

    @router.get("/login")
    async def login_form(request: Request, next: str | None = None) -> Response:
        token = new_login_token()
        lang = guard.language_of(request.query_params.get("lang"))
        response = show(None, "login.html", lang=lang, login_token=token, next=safe_next(next))
        _set_cookie(response, LOGIN_COOKIE, token, max_age=3600)
        return response

    @router.post("/login", openapi_extra=bound("session"))
    async def login(request: Request) -> Response:
        refuse_cross_site(request)
        refuse_oversized(request)
        form = await request.form()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        username = fields.get("username", "")[:200]
        password = fields.get("password", "")[:1000]
        target = safe_next(fields.get("next"))
        lang = guard.language_of(fields.get("lang"))
        token = new_login_token()

        def again(message: str, code: str, status: int, retry: float = 0.0) -> Response:
            response = show(
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
        wait = guard.throttle.retry_after(username, address, node.clock())
        if wait > 0:
            return again("throttled", "login-throttled", 429, wait)
        name = username.casefold()
        if name in guard.checking:  # a parallel guess waits its turn, then the throttle
            return again("throttled", "login-throttled", 429, 1.0)
        if guard.password_checks is None:
            guard.password_checks = asyncio.Semaphore(PASSWORD_CHECKS)
        guard.checking.add(name)
        try:
            async with guard.password_checks:
                officer = await run(node.officers.authenticate, username, password)
            row = None if officer is None else await run(node.store.officer, officer.username)
            if officer is None or row is None:
                guard.throttle.failed(username, address, node.clock())
                return again("wrong-password", "wrong-password", 401)
            guard.throttle.succeeded(username, address, node.clock())
        finally:
            guard.checking.discard(name)
        session_id = guard.open_session(officer.username, row.password_hash)
        response = RedirectResponse(target, status_code=303)
        _set_cookie(response, SESSION_COOKIE, session_id)
        response.delete_cookie(LOGIN_COOKIE, path="/console")
        return response

    @router.post("/logout", openapi_extra=bound("session"))
    async def logout(request: Request) -> Response:
        await guard.posted(request)
        guard.close_session(request.cookies.get(SESSION_COOKIE, ""))
        response = RedirectResponse("/console/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/console")
        return response

    @router.post("/language", openapi_extra=bound("session"))
    async def language(request: Request) -> Response:
        signed, fields = await guard.posted(request)
        chosen = dict(fields).get("lang", "")
        if chosen not in SUPPORTED_LANGUAGES:
            raise CommandError(
                f"unsupported language {chosen!r}: use one of {', '.join(SUPPORTED_LANGUAGES)}",
                code="unsupported-language",
                status=422,
            )
        await run(node.officers.set_language, signed.officer.username, chosen)
        back = safe_next(dict(fields).get("next"))
        return RedirectResponse(back, status_code=303)

    # --- the watch floor ---------------------------------------------------------------------

    @router.get("/")
    async def floor_page(request: Request) -> Response:
        signed = await guard.signed(request)
        floor = await run(views.floor, node, floors)
        return show(signed, "floor.html", floor=floor, title_key="floor")

    @router.get("/fragments/floor")
    async def floor_fragment(request: Request) -> Response:
        signed = await guard.signed(request)
        floor = await run(views.floor, node, floors)
        return show(signed, "_floor.html", floor=floor)

    @router.get("/events")
    async def events(request: Request) -> Response:
        await guard.signed(request, touch=False)

        async def stream() -> AsyncIterator[bytes]:
            last = ""
            quiet = 0.0
            checked = 0.0
            yield b"retry: 2000\n\n"
            while not stopping():
                if checked >= SESSION_CHECK_SECONDS:
                    # The stream ends with the session: a disabled officer, a changed
                    # password, a sign-out or an idle timeout stops the updates too.
                    checked = 0.0
                    try:
                        await guard.signed(request, touch=False)
                    except NotSignedIn:
                        yield b"event: signed-out\ndata: {}\n\n"
                        return
                stamp = await run(views.live_stamp, node)
                if stamp != last:
                    last = stamp
                    quiet = 0.0
                    yield f"event: changed\ndata: {json.dumps(stamp)}\n\n".encode()
                elif quiet >= KEEPALIVE_SECONDS:
                    quiet = 0.0
                    yield b": keep-alive\n\n"
                if await request.is_disconnected():
                    return
                await asyncio.sleep(LIVE_SECONDS)
                quiet += LIVE_SECONDS
                checked += LIVE_SECONDS

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    @router.post("/ack/{entry_id}", openapi_extra=bound("acknowledge"))
    async def acknowledge(request: Request, entry_id: str) -> Response:
        signed, fields = await guard.posted(request)
        await run(node.ack, entry_id, signed.officer.username)
        if "hx-request" in request.headers:
            floor = await run(views.floor, node, floors)
            return show(signed, "_floor.html", floor=floor)
        return RedirectResponse(safe_next(dict(fields).get("next")), status_code=303)

    # --- compose -----------------------------------------------------------------------------

    def compose_context(signed: Signed, form: str, **extra: Any) -> dict[str, Any]:
        peers = sorted(node.peers())
        context: dict[str, Any] = {
            "form": form,
            "forms": COMPOSE_FORMS,
            "peers": peers,
            "precedences": PRECEDENCES,
            "formats": FORMATS,
            "levels": LEVELS,
            "activities": ACTIVITIES,
            "languages_all": SUPPORTED_LANGUAGES,
            "values": {},
            "errors": {},
            "general": [],
            "title_key": "compose",
        }
        if form == "catalogue":
            chosen = extra.get("values", {}).get("to") or [""]
            context |= catalogue_context(chosen[0] if isinstance(chosen, list) else chosen)
        context["form_token"] = secrets.token_urlsafe(16)
        context |= extra
        return context

    def catalogue_context(peer: str) -> dict[str, Any]:
        status = node.catalogues.status()
        agreed = [
            catalogue
            for catalogue in status["catalogues"]
            if any(
                row["agreed"] and (not peer or row["party"] == peer) for row in catalogue["peers"]
            )
        ]
        return {"catalogues": agreed}

    @router.get("/compose/{form}")
    async def compose(request: Request, form: str) -> Response:
        signed = await guard.signed(request)
        if form not in COMPOSE_FORMS:
            raise CommandError(f"no form {form!r}", code="unknown-form", status=404)
        # A link may choose the counterpart and the catalogue message, never the text.
        query = request.query_params
        values: dict[str, Any] = {k: query[k] for k in ("catalogue", "code", "lang") if k in query}
        values["to"] = query.getlist("to")
        context = await run(lambda: compose_context(signed, form, values=values))
        if form == "catalogue":
            context |= await run(catalogue_message_spec, values)
        return show(signed, "compose.html", **context)

    def catalogue_message_spec(values: dict[str, Any]) -> dict[str, Any]:
        """The parameters of the chosen catalogue message, so the form can ask for each."""
        ref = values.get("catalogue")
        code = values.get("code")
        if not ref:
            return {"messages": [], "params": []}
        try:
            catalogue = node.catalogues.resolve(ref)
        except CommandError:
            return {"messages": [], "params": []}
        messages = list(catalogue.messages.values())
        chosen = catalogue.messages.get(code or "")
        return {
            "messages": [
                (m.code, m.title.get(values.get("lang") or "", next(iter(m.title.values()))))
                for m in messages
            ],
            "params": [] if chosen is None else [param.to_dict() for param in chosen.params],
        }

    @router.post("/compose/{form}", openapi_extra=bound("compose"))
    async def send(request: Request, form: str) -> Response:
        signed, fields = await guard.posted(request)
        if form not in COMPOSE_FORMS:
            raise CommandError(f"no form {form!r}", code="unknown-form", status=404)
        values = _values(fields)
        try:
            sent, replayed = await send_form(signed, form, fields, _attempt(signed, form, fields))
        except FormErrors as errors:
            names = [name for name, _value in fields]
            return await refused(signed, form, values, shown_beside(errors, names))
        except CommandError as error:
            if error.status == 403:
                raise  # not a mistake in the form: the console's error page says why
            return await refused(signed, form, values, _placed(error, fields))
        if replayed:
            # Sent again (Back, then Send; a refresh; a second click): the form's token is
            # its idempotency key, so nothing new was signed. Show what the first one sent.
            context = await run(lambda: compose_context(signed, form, sent=sent, already_sent=True))
            return show(signed, "compose.html", status=200, **context)
        context = await run(lambda: compose_context(signed, form, sent=sent))
        if form == "catalogue":
            context |= await run(catalogue_message_spec, {})
        return show(signed, "compose.html", status=201, **context)

    async def refused(
        signed: Signed, form: str, values: dict[str, Any], errors: FormErrors
    ) -> Response:
        context = await run(
            lambda: compose_context(
                signed,
                form,
                values=values,
                errors=errors.fields,
                general=errors.general,
                error_code=errors.code,
            )
        )
        if form == "catalogue":
            context |= await run(catalogue_message_spec, values)
        return show(signed, "compose.html", status=422, **context)

    async def send_form(
        signed: Signed, form: str, fields: list[tuple[str, str]], attempt: Attempt | None
    ) -> tuple[list[dict[str, Any]], bool]:
        """Sign what the form asks, once per form token: the entries, and whether they were
        signed by an earlier sending of this same form."""
        me = signed.officer.username

        async def once(command: Callable[[], object]) -> Done:
            done: Done = await run(node.keys.once, attempt, command)
            return done

        if form == "message":
            body = body_from_form(fields)
            sending = validated(SendIn, body)
            await authorized(signed, "send-message", body)
            message = NewMessage(sending.text, sending.precedence, sending.lang, officer=me)
            done = await once(lambda: node.send_messages(sending.to, [message]))
            return [_sent(entry) for entry in done.entries], done.replayed
        if form == "request":
            body = one_recipient(body_from_form(fields))
            request_model = validated(RequestIn, body)
            await authorized(signed, "new-request", body)
            new_request = request_model.command(me)
            done = await once(lambda: node.contacts.request(new_request))
            return [_sent(entry) for entry in done.entries], done.replayed
        if form == "notification":
            body = body_from_form(fields)
            activity = validated(ActivityIn, body)
            await authorized(signed, "notify", body)
            new_activity = activity.command(me)
            done = await once(lambda: node.notices.notify(activity.to, new_activity))
            late = bool(node.notices.sent(done.entries).get("late_if_delivered_now"))
            return [_sent(entry) | {"late": late} for entry in done.entries], done.replayed
        # a catalogue message: its parameters are typed by the catalogue's own declaration
        done = await send_catalogue_message(signed, fields, once)
        return [_sent(entry) for entry in done.entries], done.replayed

    async def send_catalogue_message(
        signed: Signed,
        fields: list[tuple[str, str]],
        once: Callable[[Callable[[], object]], Awaitable[Done]],
    ) -> Done:
        plain = [(name, value) for name, value in fields if not name.startswith("params.")]
        body = one_recipient(body_from_form(plain))
        spec = await run(catalogue_message_spec, {k: str(v) for k, v in body.items()})
        kinds = {param["name"]: param["type"] for param in spec["params"]}
        params = {
            name.removeprefix("params."): catalogue_value(
                kinds.get(name.removeprefix("params."), "text"), value
            )
            for name, value in fields
            if name.startswith("params.") and value.strip()
        }
        body["params"] = params
        if not any(param["type"] == "text" for param in spec["params"]):
            # Only free text has a language; the agreed texts are in every language.
            body.pop("lang", None)
        message = validated(CatalogueMessageIn, body)
        await authorized(signed, "send-catalogue-message", body)
        me = signed.officer.username
        return await once(
            lambda: node.catalogues.send(
                message.to,
                message.catalogue,
                message.code,
                message.params,
                message.lang,
                message.refs,
                me,
            )
        )

    # --- requests ----------------------------------------------------------------------------

    @router.get("/requests")
    async def requests_board(request: Request) -> Response:
        signed = await guard.signed(request)
        chosen = _board_filter(request)
        columns = await run(views.board, node, chosen)
        return show(
            signed,
            "requests.html",
            columns=columns,
            chosen=chosen,
            peers=sorted(node.peers()),
            formats=FORMATS,
            levels=LEVELS,
            party=node.party,
            claims=views.proof_claims,
            title_key="requests",
        )

    @router.get("/fragments/requests")
    async def requests_fragment(request: Request) -> Response:
        signed = await guard.signed(request)
        chosen = _board_filter(request)
        columns = await run(views.board, node, chosen)
        return show(
            signed, "_board.html", columns=columns, party=node.party, claims=views.proof_claims
        )

    async def request_view(
        signed: Signed,
        request_id: str,
        status: int = 200,
        values: dict[str, Any] | None = None,
        errors: FormErrors | None = None,
    ) -> Response:
        shown = await run(lambda: node.contacts.to_json(node.contacts.view(request_id)))
        return show(
            signed,
            "request.html",
            status=status,
            request=shown,
            claims=views.proof_claims(shown, node.party),
            values=values or {},
            errors={} if errors is None else errors.fields,
            general=[] if errors is None else errors.general,
            error_code=None if errors is None else errors.code,
            title_key="requests",
        )

    @router.get("/requests/{request_id}")
    async def request_page(request: Request, request_id: str) -> Response:
        return await request_view(await guard.signed(request), request_id)

    @router.post("/requests/{request_id}/respond", openapi_extra=bound("answer-request"))
    async def respond(request: Request, request_id: str) -> Response:
        signed, fields = await guard.posted(request)
        await run(node.contacts.view, request_id)  # 404 unknown-request before anything else
        try:
            body = body_from_form(fields)
            answer = validated(AnswerIn, body)
            await run(node.contacts.respond, request_id, answer.command(signed.officer.username))
        except FormErrors as errors:
            placed = shown_beside(errors, [name for name, _value in fields])
            return await request_view(signed, request_id, 422, _values(fields), placed)
        except CommandError as error:
            if error.status == 403:
                raise
            placed = _placed(error, fields)
            return await request_view(signed, request_id, 422, _values(fields), placed)
        return RedirectResponse(f"/console/requests/{request_id}", status_code=303)

    @router.get("/proofs/{claim}/{entry_id}")
    async def proof(request: Request, claim: str, entry_id: str) -> Response:
        signed = await guard.signed(request)
        authorize(Caller(signed.officer), Action.EXPORT)
        from openline.node.proving import Prover

        data = await run(lambda: Prover(node).prove(claim, entry_id))
        name = f"openline-{claim}-{entry_id[:12]}.proof.json"
        return Response(
            data,
            media_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    # --- counterparts ------------------------------------------------------------------------

    @router.get("/peers/{party}")
    async def counterpart(request: Request, party: str) -> Response:
        signed = await guard.signed(request)
        from openline.console.counterpart import counterpart_page

        context = await run(counterpart_page, node, party, signed.lang)
        return show(signed, "peer.html", title_key="counterparts", **context)

    # --- transcript --------------------------------------------------------------------------

    @router.get("/transcript")
    async def transcript(
        request: Request, peer: str | None = None, before: str | None = None
    ) -> Response:
        signed = await guard.signed(request)
        peers = sorted(node.peers())
        chosen = peer or (peers[0] if peers else None)
        if chosen is not None:
            node.peer(chosen)
        page = None if chosen is None else await run(views.transcript, node, chosen, before)
        rows = [] if page is None else list(page.items)
        rendered = await run(render_rows, rows, signed.lang)
        status = await run(node.status)
        link = next((p for p in status["peers"] if p["party"] == chosen), None)
        return show(
            signed,
            "transcript.html",
            peers=peers,
            peer=chosen,
            rows=rendered,
            older=None if page is None else page.before,
            paged=before is not None,
            link=link,
            equivocations=status["equivocations"],
            title_key="transcript",
        )

    def render_rows(rows: list[tuple[dict[str, Any], Any]], lang: str) -> list[dict[str, Any]]:
        from openline.node.rendering import reader_language, render_parsed

        reader = reader_language(node, lang)
        return [
            row | {"rendered": render_parsed(node, entry, reader)["rendered"]}
            for row, entry in rows
        ]

    @router.post("/verify", openapi_extra=bound("verify"))
    async def verify(request: Request) -> Response:
        await guard.posted(request)
        if guard.verifying:  # one at a time: each holds a worker thread for the whole walk
            raise CommandError(
                "a verification is already running on this node; try again when it ends",
                code="verify-running",
                status=409,
            )
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        loop = asyncio.get_running_loop()

        def progress(log: str) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, json.dumps({"log": log}))

        def check() -> None:
            try:
                report = node.verify(on_log=progress)
                assert report is not None  # waited for its turn
                result = json.dumps({"done": report.to_json()})
            except Exception as error:  # noqa: BLE001 -- the stream ends with a verdict, never hangs
                result = json.dumps({"done": {"ok": False, "problems": [str(error)]}})
            loop.call_soon_threadsafe(queue.put_nowait, result)
            loop.call_soon_threadsafe(queue.put_nowait, None)

        async def stream() -> AsyncIterator[bytes]:
            # Claimed here, where the finally below releases it whatever becomes of the
            # response (a client gone before the stream starts never claims it).
            if guard.verifying:
                yield (
                    json.dumps({"done": {"ok": False, "problems": ["verify-running"]}}) + "\n"
                ).encode()
                return
            guard.verifying = True
            try:
                logs = await run(logs_to_verify, node.store, node.all_cards())
                yield (json.dumps({"total": len(logs)}) + "\n").encode()
                worker = asyncio.ensure_future(anyio.to_thread.run_sync(check))
                while (line := await queue.get()) is not None:
                    yield (line + "\n").encode()
                await worker
            finally:
                guard.verifying = False

        return StreamingResponse(stream(), media_type="application/x-ndjson")

    # --- map ---------------------------------------------------------------------------------

    @router.get("/map")
    async def map_page(request: Request) -> Response:
        signed = await guard.signed(request)
        features = await run(views.map_features, node)
        return show(signed, "map.html", features=features["features"], title_key="map")

    @router.get("/map.json")
    async def map_json(request: Request) -> Response:
        await guard.signed(request)
        features = await run(views.map_features, node)
        return Response(orjson.dumps(features), media_type="application/geo+json")

    @router.get("/fragments/map-list")
    async def map_list(request: Request) -> Response:
        signed = await guard.signed(request)
        features = await run(views.map_features, node)
        return show(signed, "_map_list.html", features=features["features"])

    return router


def _board_filter(request: Request) -> views.BoardFilter:
    query = request.query_params

    def value(name: str) -> str | None:
        return query.get(name) or None

    return views.BoardFilter(
        counterpart=value("counterpart"),
        format=value("format"),
        level=value("level"),
        direction=value("direction"),
    )


def _values(fields: list[tuple[str, str]]) -> dict[str, Any]:
    """What the officer typed, to show the form again as they left it (every recipient)."""
    values: dict[str, Any] = {
        name: value for name, value in fields if name not in ("csrf", "form_token")
    }
    values["to"] = [value for name, value in fields if name == "to"]
    return values


def _placed(error: CommandError, fields: list[tuple[str, str]]) -> FormErrors:
    """A command's refusal, beside the field its message names, else above the form."""
    placed = FormErrors(code=error.code)
    where = field_of(str(error), [name for name, _value in fields])
    if where:
        placed.fields[where] = str(error).split(":", 1)[1].strip()
    else:
        placed.general.append(str(error))
    return placed


def _attempt(signed: Signed, form: str, fields: list[tuple[str, str]]) -> Attempt | None:
    """A compose form's one-time token is its idempotency key: the same form sent twice
    signs once, and the same token with other fields is refused (``idempotency-conflict``)."""
    token = dict(fields).get("form_token", "")
    if not token:
        return None
    asked = [f"{name}={value}" for name, value in fields if name not in ("csrf", "form_token")]
    return Attempt(
        officer_actor(signed.officer.username),
        parse_key(token),
        fingerprint("console", form, "\n".join(asked)),
    )


def _sent(entry: Any) -> dict[str, Any]:
    return {"id": entry.id, "to": entry.recipient, "kind": entry.kind}


def _same(a: str, b: str) -> bool:
    import hmac

    return hmac.compare_digest(a.encode(), b.encode())


def _set_cookie(response: Response, name: str, value: str, max_age: int | None = None) -> None:
    # HttpOnly: no script reads the session; SameSite=Strict: no other site sends it along.
    response.set_cookie(
        name, value, max_age=max_age, path="/console", httponly=True, samesite="strict"
    )
