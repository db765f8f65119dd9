"""``openline`` commands for contact requests, explanations, proofs and reports.

Each command turns its flags into the officers' API request and calls it (over HTTP when
the node runs, in process otherwise; see ``cli_support``), so the CLI and the API share one
validation. Commands that create an entry print its id as the last word.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from openline.cli_support import (
    AfterOpt,
    BeforeOpt,
    DirArg,
    JsonOpt,
    LimitOpt,
    PrecedenceOpt,
    access,
    fail,
    is_entry_id,
    is_party_id,
    more_hint,
    out,
    page_params,
    print_json,
)

app = typer.Typer()

Officer = Annotated[str, typer.Option(help="The officer acting (recorded in the entry).")]
Lang = Annotated[str, typer.Option(help="Language tag of the free text.")]


def _entry_id(value: str) -> str:
    if not is_entry_id(value):
        fail(f"{value!r} is not an entry id (64 hex digits, as request and requests print)")
    return value


def _official(value: str, flag: str) -> dict[str, str]:
    name, sep, title = value.partition(",")
    if not sep or not name.strip() or not title.strip():
        fail(f"{flag} {value!r} must be 'Name, Title' (e.g. 'Pete Hegseth, Secretary of Defense')")
    return {"name": name.strip(), "title": title.strip()}


def _slot(value: str) -> dict[str, str]:
    start, sep, end = value.partition("/")
    if not sep or not start.strip() or not end.strip():
        fail(f"--slot {value!r} must be START/END, two RFC 3339 times")
    return {"start": start.strip(), "end": end.strip()}


def _created(result: dict[str, Any], what: str) -> None:
    out.print(f"{what}: to {result['to']} seq {result['seq']} id {result['id']}")


@app.command()
def request(
    directory: DirArg,
    to: Annotated[str, typer.Option(help="The party asked.")],
    format: Annotated[str, typer.Option(help="phone-call, video-call, meeting or dialogue.")],
    subject: Annotated[str, typer.Option(help="Subject or agenda title.")],
    from_official: Annotated[str, typer.Option(help="Requesting official: 'Name, Title'.")],
    to_official: Annotated[str, typer.Option(help="Requested official: 'Name, Title'.")],
    slot: Annotated[list[str], typer.Option(help="Proposed START/END (RFC 3339); repeat.")],
    respond_by: Annotated[str, typer.Option(help="Deadline for an answer (RFC 3339).")],
    level: Annotated[
        str, typer.Option(help="minister, chief-of-defence, commander or working.")
    ] = "working",
    precedence: PrecedenceOpt = "routine",
    agenda: Annotated[str | None, typer.Option(help="Agenda, free text.")] = None,
    location: Annotated[str | None, typer.Option(help="Where (required for a meeting).")] = None,
    series: Annotated[str | None, typer.Option(help="Dialogue series (for a dialogue).")] = None,
    officer: Officer = "duty officer",
    lang: Lang = "en",
) -> None:
    """Ask a peer for a phone call, video call, meeting or dialogue, with a deadline."""
    if not is_party_id(to):
        fail(f"--to {to!r} is not a party id")
    body: dict[str, Any] = {
        "to": to,
        "format": format,
        "level": level,
        "subject": subject,
        "from_official": _official(from_official, "--from-official"),
        "to_official": _official(to_official, "--to-official"),
        "slots": [_slot(item) for item in slot],
        "respond_by": respond_by,
        "precedence": precedence,
        "lang": lang,
        "officer": officer,
    }
    for key, value in (("agenda", agenda), ("location", location), ("series", series)):
        if value is not None:
            body[key] = value
    with access(directory) as handle:
        result = handle.api("POST", "/api/v1/requests", body)
    _created(result, "request")


@app.command()
def respond(
    directory: DirArg,
    request_id: Annotated[str, typer.Argument(help="Id of the received request.")],
    action: Annotated[str, typer.Argument(help="accept, decline, counter, defer or reply.")],
    slot: Annotated[
        list[str] | None,
        typer.Option(help="accept: slot number N; counter: START/END, repeatable."),
    ] = None,
    reason: Annotated[str | None, typer.Option(help="decline: the reason.")] = None,
    condition: Annotated[
        list[str] | None, typer.Option(help="decline: a condition; repeatable.")
    ] = None,
    format: Annotated[str | None, typer.Option(help="counter: another format.")] = None,
    until: Annotated[str | None, typer.Option(help="defer: answer promised by (RFC 3339).")] = None,
    text: Annotated[str | None, typer.Option(help="reply: the explanation.")] = None,
    note: Annotated[str | None, typer.Option(help="A note to the requester.")] = None,
    officer: Officer = "duty officer",
    lang: Lang = "en",
) -> None:
    """Answer a received request: accept, decline, counter, defer (or reply to an explanation
    request)."""
    _entry_id(request_id)
    body: dict[str, Any] = {"answer": action, "officer": officer, "lang": lang}
    slots = slot or []
    if action == "accept":
        if len(slots) != 1 or not slots[0].isascii() or not slots[0].isdigit():
            fail("accept takes --slot N, the number of one proposed slot")
        body["slot"] = int(slots[0])
    elif slots:
        if action != "counter":
            fail(f"--slot is for accept and counter, not {action}")
        body["slots"] = [_slot(item) for item in slots]
    for key, value in (
        ("reason", reason),
        ("format", format),
        ("until", until),
        ("text", text),
        ("note", note),
    ):
        if value is not None:
            body[key] = value
    if condition:
        body["conditions"] = condition
    with access(directory) as handle:
        result = handle.api("POST", f"/api/v1/requests/{request_id}/respond", body)
    _created(result, action)


@app.command()
def update(
    directory: DirArg,
    request_id: Annotated[str, typer.Argument(help="Id of the request.")],
    status: Annotated[str, typer.Argument(help="scheduled, held, cancelled or withdrawn.")],
    slot: Annotated[str | None, typer.Option(help="scheduled: the agreed START/END.")] = None,
    summary: Annotated[str | None, typer.Option(help="held: a short summary.")] = None,
    reason: Annotated[str | None, typer.Option(help="cancelled/withdrawn: why.")] = None,
    officer: Officer = "duty officer",
    lang: Lang = "en",
) -> None:
    """Record what became of a request: scheduled, held, cancelled, or withdrawn."""
    _entry_id(request_id)
    body: dict[str, Any] = {"status": status, "officer": officer, "lang": lang}
    if slot is not None:
        body["slot"] = _slot(slot)
    for key, value in (("summary", summary), ("reason", reason)):
        if value is not None:
            body[key] = value
    with access(directory) as handle:
        result = handle.api("POST", f"/api/v1/requests/{request_id}/update", body)
    _created(result, status)


@app.command()
def explain(
    directory: DirArg,
    to: Annotated[str, typer.Option(help="The party asked to explain.")],
    subject: Annotated[str, typer.Option(help="What it is about.")],
    text: Annotated[str, typer.Option(help="The question.")],
    within_hours: Annotated[
        int, typer.Option(help="Agreed reply window from delivery, in hours.")
    ] = 48,
    ref: Annotated[
        list[str] | None, typer.Option(help="Id of the entry it asks about; repeatable.")
    ] = None,
    precedence: PrecedenceOpt = "priority",
    officer: Officer = "duty officer",
    lang: Lang = "en",
) -> None:
    """Request an explanation of an activity or incident, within an agreed window."""
    body = {
        "to": to,
        "subject": subject,
        "text": text,
        "within_hours": within_hours,
        "refs": [_entry_id(item) for item in ref or []],
        "precedence": precedence,
        "lang": lang,
        "officer": officer,
    }
    with access(directory) as handle:
        result = handle.api("POST", "/api/v1/explanations", body)
    _created(result, "explanation request")


@app.command()
def requests(
    directory: DirArg,
    state: Annotated[str | None, typer.Option(help="Only requests in this state.")] = None,
    peer: Annotated[str | None, typer.Option(help="Only requests with this peer.")] = None,
    as_json: JsonOpt = False,
    limit: LimitOpt = None,
    before: BeforeOpt = None,
    after: AfterOpt = None,
) -> None:
    """Contact requests and explanation requests, both ways, with their state: newest
    first, a page at a time (--limit, --before, --after)."""
    from openline.cli_table import print_table
    from openline.core.requests import STATES

    if state is not None and state not in STATES:
        fail(f"--state must be one of {', '.join(STATES)}")
    if peer is not None and not is_party_id(peer):
        fail(f"--peer {peer!r} is not a party id")
    params = {key: value for key, value in (("state", state), ("peer", peer)) if value}
    params.update(page_params(limit, before, after))
    with access(directory) as handle:
        answer = handle.api("GET", "/api/v1/requests", params=params)
    rows = answer["requests"]
    if as_json:
        print_json({"requests": rows, "cursors": answer["cursors"]})
        return
    headers = ("id", "", "peer", "format", "level", "state", "due", "subject", "note")
    table = []
    for row in rows:
        outgoing = row["direction"] == "out"
        table.append(
            (
                row["id"][:16],
                "→" if outgoing else "←",
                row["counterpart"] if outgoing else row["requester"],
                row["format"],
                row["level"] or "-",
                row["state"] + (" (late)" if row["late"] else ""),
                row["due"] or "-",
                row["subject"][:40],  # a peer's text: shown as text, its controls replaced
                row["note"],
            )
        )
    print_table(headers, table)
    more_hint(answer)


@app.command()
def prove(
    directory: DirArg,
    claim: Annotated[str, typer.Argument(help="delivery, answer or unanswered.")],
    entry_id: Annotated[str, typer.Argument(help="Id of the entry (the request).")],
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write here (default: DIR/proofs/).")
    ] = None,
) -> None:
    """Export a proof that a third party can check offline with the parties' cards."""
    if claim not in ("delivery", "answer", "unanswered"):
        fail("claim must be delivery, answer or unanswered")
    _entry_id(entry_id)
    with access(directory) as handle:
        data = handle.api("GET", f"/api/v1/proofs/{claim}/{entry_id}", raw=True)
    target = out_file or directory / "proofs" / f"{claim}-{entry_id[:16]}.json"
    try:
        if out_file is None:  # our own folder; a folder the officer named must exist
            target.parent.mkdir(exist_ok=True)
        target.write_bytes(data)
    except OSError as error:
        fail(f"cannot write {target}: {error.strerror}")
    out.print(f"proof of {claim} ({len(data)} bytes) written to {target}")


@app.command("check-proof")
def check_proof(
    proof_file: Annotated[Path, typer.Argument(help="The proof file.")],
    card: Annotated[list[Path], typer.Option(help="A party's card (JSON); repeat for each.")],
    as_json: JsonOpt = False,
) -> None:
    """Check a proof offline against the parties' cards: exit 0 if it holds, 1 if not."""
    from openline.core.card import Card
    from openline.core.errors import CardError, OpenlineError
    from openline.core.proofs import check_proof as check

    try:
        data = proof_file.read_bytes()
    except OSError as error:
        fail(f"cannot read {proof_file}: {error.strerror}")
    cards = []
    for path in card:
        try:
            cards.append(Card.from_bytes(path.read_bytes()))
        except OSError as error:
            fail(f"cannot read {path}: {error.strerror}")
        except CardError as error:
            fail(f"{path} is not a valid card: {error}")
    try:
        verdict = check(data, cards)
    except OpenlineError as error:
        if as_json:
            print_json({"valid": False, "code": error.code, "reason": str(error)})
        sys.stderr.write(f"proof rejected: {error} ({error.code})\n")
        raise typer.Exit(1) from error
    if as_json:
        print_json({"valid": True, "lines": verdict.lines()})
        return
    out.print("proof holds:")
    for line in verdict.lines():
        out.print(f"  {line}")


@app.command()
def report(
    directory: DirArg,
    counterpart: Annotated[str, typer.Option(help="The peer reported on.")],
    since: Annotated[str | None, typer.Option(help="Period start (RFC 3339).")] = None,
    until: Annotated[str | None, typer.Option(help="Period end (RFC 3339), exclusive.")] = None,
    format: Annotated[str, typer.Option(help="md, json or html.")] = "md",
    out_file: Annotated[Path | None, typer.Option("--out", help="Write here.")] = None,
) -> None:
    """Accountability report: what was asked and answered, both ways, from verified
    transcripts only."""
    if format not in ("md", "json", "html"):
        fail("--format must be md, json or html")
    if not is_party_id(counterpart):
        fail(f"--counterpart {counterpart!r} is not a party id")
    params = {"counterpart": counterpart, "format": format}
    for key, value in (("since", since), ("until", until)):
        if value is not None:
            params[key] = value
    with access(directory) as handle:
        data = handle.api("GET", "/api/v1/report", params=params, raw=True)
    if out_file is None:
        sys.stdout.write(data.decode("utf-8"))
        return
    try:
        out_file.write_bytes(data)
    except OSError as error:
        fail(f"cannot write {out_file}: {error.strerror}")
    out.print(f"report written to {out_file}")
