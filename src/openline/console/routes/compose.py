"""The compose forms: a hotline message, a contact request, an activity notification, an
incident report, a request for explanation, a desk check, a catalogue message. A form's
one-time token is its idempotency key."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from anyio.to_thread import run_sync
from fastapi import APIRouter, Request
from fastapi.responses import Response

from openline.api.acts import bound
from openline.console.auth import (
    Signed,
)
from openline.console.forms import (
    FormErrors,
    body_from_form,
    catalogue_value,
    form_values,
    one_recipient,
    placed_refusal,
    shown_beside,
    validated,
)
from openline.console.state import Console, CurrentConsole
from openline.core.contact import FORMATS, LEVELS
from openline.core.notify import ACTIVITIES, CATEGORIES, DOMAINS, FORCES
from openline.core.precedence import PRECEDENCES
from openline.i18n import SUPPORTED_LANGUAGES
from openline.node.catalogues import SendCatalogueMessage
from openline.node.commands import Actor, Command, execute
from openline.node.errors import CommandError
from openline.node.hotline import SendMessage
from openline.node.idempotency import Attempt, Done, fingerprint, officer_actor, parse_key
from openline.node.notices import DeskCheck, Notify, ReportIncident
from openline.node.request_commands import Explain, NewRequest

router = APIRouter()


# Each form, the command it runs (the catalogue message is typed by its catalogue), and
# whether its body names one recipient (a radio button) rather than a list.
FORM_COMMANDS: dict[str, tuple[type[Command], bool]] = {
    "message": (SendMessage, False),
    "request": (NewRequest, True),
    "notification": (Notify, False),
    "incident": (ReportIncident, False),
    "explain": (Explain, True),
    "desk-check": (DeskCheck, False),
}
COMPOSE_FORMS = (*FORM_COMMANDS, "catalogue")


def compose_context(console: Console, signed: Signed, form: str, **extra: Any) -> dict[str, Any]:
    peers = sorted(console.node.peers.pinned())
    context: dict[str, Any] = {
        "form": form,
        "forms": COMPOSE_FORMS,
        "peers": peers,
        "precedences": PRECEDENCES,
        "formats": FORMATS,
        "levels": LEVELS,
        "activities": ACTIVITIES,
        "categories": CATEGORIES,
        "forces": FORCES,
        "domains": DOMAINS,
        "languages_all": SUPPORTED_LANGUAGES,
        "values": {},
        "errors": {},
        "general": [],
        "title_key": "compose",
    }
    if form == "catalogue":
        chosen = extra.get("values", {}).get("to") or [""]
        context |= catalogue_context(console, chosen[0] if isinstance(chosen, list) else chosen)
    context["form_token"] = secrets.token_urlsafe(16)
    context |= extra
    return context


def catalogue_context(console: Console, peer: str) -> dict[str, Any]:
    status = console.node.catalogues.status()
    agreed = [
        catalogue
        for catalogue in status["catalogues"]
        if any(row["agreed"] and (not peer or row["party"] == peer) for row in catalogue["peers"])
    ]
    return {"catalogues": agreed}


@router.get("/compose/{form}")
async def compose(console: CurrentConsole, request: Request, form: str) -> Response:
    signed = await console.signed(request)
    if form not in COMPOSE_FORMS:
        raise CommandError(f"no form {form!r}", code="unknown-form", status=404)
    # A link may choose the counterpart and the catalogue message, never the text.
    query = request.query_params
    values: dict[str, Any] = {k: query[k] for k in ("catalogue", "code", "lang") if k in query}
    values["to"] = query.getlist("to")
    if query.getlist("refs"):  # "ask for an explanation" of an item: what it is about
        values["refs"] = "\n".join(query.getlist("refs"))
    context = await run_sync(lambda: compose_context(console, signed, form, values=values))
    if form == "catalogue":
        context |= await run_sync(catalogue_message_spec, console, values)
    return console.show(signed, "compose.html", **context)


def catalogue_message_spec(console: Console, values: dict[str, Any]) -> dict[str, Any]:
    """The parameters of the chosen catalogue message, so the form can ask for each."""
    ref = values.get("catalogue")
    code = values.get("code")
    if not ref:
        return {"messages": [], "params": []}
    try:
        catalogue = console.node.catalogues.resolve(ref)
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


@router.post(
    "/compose/{form}",
    openapi_extra=bound(
        "compose",
        *(command for command, _one in FORM_COMMANDS.values()),
        SendCatalogueMessage,
    ),
)
async def send(console: CurrentConsole, request: Request, form: str) -> Response:
    signed, fields = await console.posted(request)
    if form not in COMPOSE_FORMS:
        raise CommandError(f"no form {form!r}", code="unknown-form", status=404)
    values = form_values(fields)
    try:
        sent, replayed = await send_form(
            console, signed, form, fields, _attempt(signed, form, fields)
        )
    except FormErrors as errors:
        names = [name for name, _value in fields]
        return await refused(console, signed, form, values, shown_beside(errors, names))
    except CommandError as error:
        if error.status == 403:
            raise  # not a mistake in the form: the console's error page says why
        return await refused(console, signed, form, values, placed_refusal(error, fields))
    if replayed:
        # Sent again (Back, then Send; a refresh; a second click): the form's token is
        # its idempotency key, so nothing new was signed. Show what the first one sent.
        context = await run_sync(
            lambda: compose_context(console, signed, form, sent=sent, already_sent=True)
        )
        return console.show(signed, "compose.html", status=200, **context)
    context = await run_sync(lambda: compose_context(console, signed, form, sent=sent))
    if form == "catalogue":
        context |= await run_sync(catalogue_message_spec, console, {})
    return console.show(signed, "compose.html", status=201, **context)


async def refused(
    console: Console, signed: Signed, form: str, values: dict[str, Any], errors: FormErrors
) -> Response:
    context = await run_sync(
        lambda: compose_context(
            console,
            signed,
            form,
            values=values,
            errors=errors.fields,
            general=errors.general,
            error_code=errors.code,
        )
    )
    if form == "catalogue":
        context |= await run_sync(catalogue_message_spec, console, values)
    return console.show(signed, "compose.html", status=422, **context)


async def send_form(
    console: Console,
    signed: Signed,
    form: str,
    fields: list[tuple[str, str]],
    attempt: Attempt | None,
) -> tuple[list[dict[str, Any]], bool]:
    """Sign what the form asks, once per form token: the entries, and whether they were
    signed by an earlier sending of this same form."""

    async def executed(command: Command) -> Done:
        done: Done = await run_sync(execute, console.node, command, Actor(signed.officer), attempt)
        return done

    if form in FORM_COMMANDS:
        command, one = FORM_COMMANDS[form]
        body = body_from_form(fields, skip=("send_late",))
        if form == "notification" and not dict(fields).get("send_late"):
            warning = await run_sync(late_notice, console, signed.lang, body)
            if warning is not None:
                raise FormErrors(fields={"start": warning}, code="late-notice")
        done = await executed(validated(command, one_recipient(body) if one else body))
        sent = [_sent(entry) for entry in done.entries]
        if form == "notification":
            late = bool(console.node.notices.sent(done.entries).get("late_if_delivered_now"))
            sent = [entry | {"late": late} for entry in sent]
        return sent, done.replayed
    # a catalogue message: its parameters are typed by the catalogue's own declaration
    done = await send_catalogue_message(console, signed, fields, executed)
    return [_sent(entry) for entry in done.entries], done.replayed


async def send_catalogue_message(
    console: Console,
    signed: Signed,
    fields: list[tuple[str, str]],
    executed: Callable[[Command], Awaitable[Done]],
) -> Done:
    plain = [(name, value) for name, value in fields if not name.startswith("params.")]
    body = one_recipient(body_from_form(plain))
    spec = await run_sync(catalogue_message_spec, console, {k: str(v) for k, v in body.items()})
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
    message = validated(SendCatalogueMessage, body)
    return await executed(message)


ZERO = timedelta(0)


def late_notice(console: Console, lang: str, body: dict[str, Any]) -> str | None:
    """Why an activity would be notified late, were it sent now (None when it would not, or
    when the form is wrong in a way the command names): asked before signing, since a late
    notification stays late on both sides' records."""
    from openline.core.notify import is_late
    from openline.i18n.translations import late_notice_warning

    try:  # only a notification that would be signed as it stands is worth the question
        notification = validated(Notify, body)
        notification.body(console.node, "0" * 32)
    except (FormErrors, CommandError):
        return None  # the command names what is wrong when the form is sent
    activity, start = notification.activity, notification.start
    lead = start - console.node.clock()
    minimums = console.node.config.minimum_lead_times()
    if not is_late(activity, lead, minimums):
        return None
    minimum = minimums.get(activity, ZERO)
    return late_notice_warning(int(lead.total_seconds()), int(minimum.total_seconds()), lang)


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
