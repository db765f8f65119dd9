"""``openline`` commands for notifications, incident reports, desk checks and rendering.

Like ``cli_contacts``, each command turns its flags into an officers' API request (over
HTTP when the node runs, in process otherwise), so the CLI and the API share one validation.
The details of an activity or an incident come from a JSON file (``--file``); flags set or
override single fields. ``--lang`` on a command that sends is the language of its free text;
on a command that shows, it is the reader's language (default: the node's ``default_lang``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from openline.cli_support import (
    AfterOpt,
    BeforeOpt,
    DirArg,
    GivenPrecedenceOpt,
    JsonOpt,
    LimitOpt,
    access,
    fail,
    is_entry_id,
    is_party_id,
    more_hint,
    out,
    page_params,
    print_json,
)
from openline.core.kinds import type_field_of

app = typer.Typer()

Officer = Annotated[str, typer.Option(help="The officer acting (recorded in the entry).")]
FileOfficer = Annotated[
    str | None,
    typer.Option(help="The officer acting (recorded in the entry); overrides the file's."),
]
TextLang = Annotated[str | None, typer.Option(help="Language tag of the free text.")]
ReaderLang = Annotated[
    str | None, typer.Option("--lang", help="Show in this language: en, zh or ru.")
]
Recipients = Annotated[list[str], typer.Option("--to", help="A recipient party; repeatable.")]
FileOpt = Annotated[
    Path | None, typer.Option("--file", help="JSON file with the details (see README).")
]


def _read_details(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text("utf-8"))
    except OSError as error:
        fail(f"cannot read {path}: {error.strerror}")
    except (ValueError, UnicodeDecodeError) as error:
        fail(f"{path} is not JSON: {error}")
    if not isinstance(data, dict):
        fail(f"{path} must hold a JSON object of the details")
    return data


def _recipients(to: list[str]) -> list[str]:
    for party in to:
        if not is_party_id(party):
            fail(f"--to {party!r} is not a party id")
    return to


def _entry_id(value: str) -> str:
    if not is_entry_id(value):
        fail(f"{value!r} is not an entry id (64 hex digits)")
    return value


def _reader(lang: str | None, default: str) -> str:
    from openline.i18n import LanguageError, check_language

    try:
        return check_language(lang or default)
    except LanguageError as error:
        fail(f"--lang: {error} (unsupported-language)")


def _node_lang(handle: Any) -> str:
    """The node's default reader language (from its configuration on disk)."""
    return str(handle.home.load_config().default_lang)


def _overrides(details: dict[str, Any], **flags: Any) -> dict[str, Any]:
    merged = dict(details)
    merged.update({key: value for key, value in flags.items() if value is not None})
    return merged


def _send(directory: Path, path: str, body: dict[str, Any], json_out: bool, what: str) -> None:
    with access(directory) as handle:
        result = handle.api("POST", path, body)
        reader = _node_lang(handle)
    if json_out:
        print_json(result)
    else:
        _print_sent(result, what, reader)


def _print_sent(result: dict[str, Any], what: str, lang: str) -> None:
    for entry in result["entries"]:
        out.print(f"{what}: to {entry['to']} seq {entry['seq']} id {entry['id']}")
    if result.get("late_if_delivered_now"):
        from openline.i18n import format_duration

        lead = format_duration(result["lead_time_seconds_at_send"], lang)
        minimum = format_duration(result["minimum_lead_seconds"], lang)
        out.print(
            f"[yellow]warning:[/] lead time is {lead}, less than this node's minimum of "
            f"{minimum}: it will show as late (to a recipient with the same minimum too)"
        )
    out.print(f"notice {result['notice']}")


AckWithinOpt = Annotated[int | None, typer.Option(help="Minutes from delivery to acknowledge.")]


@app.command()
def notify(
    directory: DirArg,
    to: Recipients,
    activity: Annotated[
        str | None,
        typer.Option(
            help="exercise, patrol, joint-patrol, joint-exercise, missile-launch, "
            "air-defence-test or other."
        ),
    ] = None,
    file: FileOpt = None,
    title: Annotated[str | None, typer.Option(help="Title of the activity.")] = None,
    start: Annotated[str | None, typer.Option(help="Start (RFC 3339).")] = None,
    end: Annotated[str | None, typer.Option(help="End (RFC 3339).")] = None,
    ack_within: AckWithinOpt = None,
    precedence: GivenPrecedenceOpt = None,
    officer: FileOfficer = None,
    lang: TextLang = None,
    json_out: JsonOpt = False,
) -> None:
    """Notify one or more parties of military activity (one entry per recipient)."""
    body = _overrides(
        _read_details(file),
        to=_recipients(to),
        activity=activity,
        title=title,
        start=start,
        end=end,
        ack_within_minutes=ack_within,
        precedence=precedence,
        lang=lang,
        officer=officer,
    )
    _send(directory, "/api/v1/notifications", body, json_out, "notification")


@app.command()
def incident(
    directory: DirArg,
    to: Recipients,
    category: Annotated[
        str | None,
        typer.Option(
            help="unsafe-intercept, close-approach, weapons-lock, laser, collision or other."
        ),
    ] = None,
    file: FileOpt = None,
    description: Annotated[str | None, typer.Option(help="What happened.")] = None,
    ack_within: AckWithinOpt = None,
    precedence: GivenPrecedenceOpt = None,
    officer: FileOfficer = None,
    lang: TextLang = None,
    json_out: JsonOpt = False,
) -> None:
    """Report an unsafe air or maritime encounter."""
    body = _overrides(
        _read_details(file),
        to=_recipients(to),
        category=category,
        description=description,
        ack_within_minutes=ack_within,
        precedence=precedence,
        lang=lang,
        officer=officer,
    )
    _send(directory, "/api/v1/incidents", body, json_out, "incident report")


def _copy_line(copy: dict[str, Any], lang: str) -> str:
    from openline.i18n import format_duration, format_time, label

    def term(key: str) -> str:
        return label("term", key, lang)

    parts = [f"{copy['party']}: {label('state', copy['state'], lang)}"]
    if copy["delivered_at"]:
        parts.append(f"{term('delivered')} {format_time(copy['delivered_at'], lang)}")
    if copy["acknowledged_at"]:
        by = copy["acknowledged_by"] or ""
        when = format_time(copy["acknowledged_at"], lang)
        parts.append(f"{term('acknowledged')} {when} ({by})")
    elif copy["due"]:
        parts.append(f"{term('due')} {format_time(copy['due'], lang)}")
    if copy["lead_time_seconds"] is not None:
        lead = f"{term('lead-time')} {format_duration(copy['lead_time_seconds'], lang)}"
        parts.append(lead + (f" [red]{term('late')}[/]" if copy["late_notice"] else ""))
    return "; ".join(parts)


@app.command()
def notifications(
    directory: DirArg,
    ref: Annotated[
        str | None, typer.Argument(help="One notification: its notice id or a copy's id.")
    ] = None,
    direction: Annotated[str | None, typer.Option(help="in or out.")] = None,
    lang: ReaderLang = None,
    json_out: JsonOpt = False,
    limit: LimitOpt = None,
    before: BeforeOpt = None,
    after: AfterOpt = None,
) -> None:
    """Notifications and incident reports, each with every recipient's state: newest
    first, a page at a time (--limit, --before, --after)."""
    from openline.cli_table import print_table
    from openline.i18n import format_time, label

    if direction is not None and direction not in ("in", "out"):
        fail(f"--direction must be in or out, not {direction!r}")
    with access(directory) as handle:
        reader = _reader(lang, _node_lang(handle))
        answer: dict[str, Any] = {}
        if ref is not None:
            groups = [handle.api("GET", f"/api/v1/notifications/{ref}")]
        else:
            params = {} if direction is None else {"direction": direction}
            params.update(page_params(limit, before, after))
            answer = handle.api("GET", "/api/v1/notifications", params=params)
            groups = answer["notifications"]
    if json_out:
        shown = {"notifications": groups, "cursors": answer.get("cursors")}
        print_json(groups[0] if ref is not None else shown)
        return
    if not groups:
        out.print(label("term", "none", reader))
        return
    columns = ("time", "direction", "kind", "from", "summary", "recipients")
    table = []
    for group in groups:
        body = group["body"]
        typed_by = type_field_of(group["kind"])
        what = (
            label("kind", group["kind"], reader)
            if typed_by is None
            else label(typed_by, body[typed_by], reader)
        )
        table.append(  # what a peer wrote is shown as text, its controls replaced
            (
                format_time(group["time"], reader),
                label("term", group["direction"], reader),
                what,
                group["sender"],
                group["summary"],
                "\n".join(_copy_line(copy, reader) for copy in group["recipients"]),
            )
        )
    print_table([label("term", column, reader) for column in columns], table, rule_between=True)
    more_hint(answer)


@app.command("desk-check")
def desk_check(
    directory: DirArg,
    to: Annotated[
        list[str] | None, typer.Option("--to", help="A peer to check; default: every peer.")
    ] = None,
    status: Annotated[
        bool, typer.Option("--status", help="Show each peer's desk record instead.")
    ] = False,
    officer: Officer = "duty officer",
    lang: ReaderLang = None,
    json_out: JsonOpt = False,
) -> None:
    """Ask each peer's desk to answer now (a human must answer within the window)."""
    from openline.cli_table import print_table
    from openline.i18n import format_time, label

    with access(directory) as handle:
        reader = _reader(lang, _node_lang(handle))
        if status:
            result = handle.api("GET", "/api/v1/desk-checks")
        else:
            body = {"to": _recipients(to or []), "officer": officer}
            result = handle.api("POST", "/api/v1/desk-checks", body)
    if json_out:
        print_json(result)
        return
    if not status:
        for entry in result["entries"]:
            out.print(f"desk check: to {entry['to']} seq {entry['seq']} id {entry['id']}")
        return
    columns = ("peer", "desk", "checks", "answered", "unanswered", "last-answer")
    table = []
    for party, desk in result["desks"].items():
        last = desk["last_answer"]
        table.append(
            (
                party,
                label("state", desk["state"], reader),
                str(desk["checks"]),
                str(desk["answered"]),
                str(desk["unanswered"]),
                "—" if last is None else f"{format_time(last['at'], reader)} ({last['by']})",
            )
        )
    print_table([label("term", column, reader) for column in columns], table)


@app.command()
def render(
    directory: DirArg,
    entry_id: Annotated[str, typer.Argument(help="Id of any entry of the transcript.")],
    lang: ReaderLang = None,
    json_out: JsonOpt = False,
) -> None:
    """Print an entry as a person reads it, in their language."""
    _entry_id(entry_id)
    with access(directory) as handle:
        reader = _reader(lang, _node_lang(handle))
        result = handle.api("GET", f"/api/v1/entries/{entry_id}/render", params={"lang": reader})
    if json_out:
        print_json(result)
        return
    from openline.cli_table import shown_lines

    # What a peer wrote, with its controls and reordering characters made visible.
    out.print(shown_lines(result["text"]), markup=False, highlight=False)
