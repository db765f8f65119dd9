"""The ``openline`` command line (docs/architecture.md, "The command-line contract").

Commands that act on a node talk to the running node through its officers' API when
``openline run`` serves the folder, and open the store directly when it does not; both
paths end in the same application command (``openline.node.app.Node``).

Exit codes: 0 success, 1 a check failed (verify), 2 bad usage or bad input, with one line
on stderr and never a traceback.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.exceptions import TyperException

from openline import __version__, cli_catalogue, cli_contacts, cli_notices, cli_officers
from openline.cli_support import (
    AfterOpt,
    BeforeOpt,
    DirArg,
    JsonOpt,
    LimitOpt,
    NodeAccess,
    UsageFailure,
    access,
    build_command,
    escape,
    fail,
    is_entry_id,
    is_party_id,
    more_hint,
    open_node,
    out,
    page_params,
    print_json,
)
from openline.node.home import HomeError, NodeHome

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="openline: open lines of communication with signed, provable transcripts.",
)
peer_app = typer.Typer(no_args_is_help=True, help="Pin and list peers' cards.")
app.add_typer(peer_app, name="peer")
app.registered_commands.extend(cli_contacts.app.registered_commands)
app.registered_commands.extend(cli_notices.app.registered_commands)
app.add_typer(cli_catalogue.app, name="catalogue")
app.add_typer(cli_officers.app, name="officer")


def _show_version(wanted: bool) -> None:
    if wanted:
        sys.stdout.write(f"openline {__version__}\n")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """openline: open lines of communication with signed, provable transcripts."""


# --- commands ------------------------------------------------------------------------------


@app.command()
def init(
    directory: DirArg,
    party: Annotated[str, typer.Option(help="Party id: lowercase letters, digits and '-'.")],
    name: Annotated[
        list[str], typer.Option(help="Display name; repeat as LANG=NAME for more languages.")
    ],
    listen: Annotated[str, typer.Option(help="HOST:PORT to serve on.")] = "127.0.0.1:8700",
    url: Annotated[str | None, typer.Option(help="URL peers use (default: from --listen).")] = None,
    lang: Annotated[
        str, typer.Option(help="Language its officers read by default: en, zh or ru.")
    ] = "en",
) -> None:
    """Create a node: key pair, admin token, configuration and database."""
    from openline.core.card import make_card
    from openline.core.errors import OpenlineError
    from openline.core.keys import PrivateKey
    from openline.core.schema import LANGUAGE_TAG
    from openline.core.timefmt import format_time
    from openline.i18n import SUPPORTED_LANGUAGES
    from openline.node.home import NodeConfig

    if not is_party_id(party):
        fail(f"party id {party!r} must be lowercase letters, digits and '-'")
    names: dict[str, str] = {}
    for item in name:
        tag, sep, text = item.partition("=")
        if sep and LANGUAGE_TAG.match(tag):
            names[tag] = text
        else:
            names.setdefault("en", item)
    if not names or not all(names.values()):
        fail("--name must not be empty")
    if not LANGUAGE_TAG.match(lang):
        fail(f"--lang {lang!r} is not a language tag such as en, zh or ru")
    if lang not in SUPPORTED_LANGUAGES:  # the officers' default reading language
        fail(
            f"--lang {lang!r}: openline shows entries in {', '.join(SUPPORTED_LANGUAGES)} "
            "(unsupported-language)"
        )
    host, sep, port = listen.rpartition(":")
    if not sep or not host or not (port.isascii() and port.isdigit()) or not 0 < int(port) < 65536:
        fail(f"--listen {listen!r} must be HOST:PORT")
    home = NodeHome(directory)
    key = PrivateKey.generate()
    config = NodeConfig(
        party=party,
        names=names,
        listen=listen,
        url=(url or f"http://{listen}").rstrip("/"),
        card_created=format_time(datetime.now(UTC)),
        default_lang=lang,
    )
    try:
        make_card(party=party, names=names, urls=[config.url], created=config.card_created, key=key)
    except OpenlineError as error:
        fail(f"cannot make a card: {error}")
    home.create(config, key)
    node = open_node(home)
    try:
        fingerprint = node.peers.card().fingerprint
    finally:
        node.close()
    out.print(f"created node {party} in {directory}")
    out.print(f"key fingerprint: {fingerprint}")
    out.print(f"admin token in {home.token_path}")


@app.command()
def card(
    directory: DirArg,
    out_file: Annotated[Path | None, typer.Option("--out", help="Write the card here.")] = None,
) -> None:
    """Print this node's self-signed card (give it to peers out of band)."""
    home = NodeHome(directory)
    node = open_node(home)
    try:
        own = node.peers.card()
    finally:
        node.close()
    data = json.dumps(own.to_json(), indent=2, ensure_ascii=False) + "\n"
    if out_file is None:
        sys.stdout.write(data)
    else:
        try:
            out_file.write_text(data, "utf-8")
        except OSError as error:
            fail(f"cannot write {out_file}: {error.strerror}")
        out.print(f"wrote card of {own.party} to {out_file}")
        out.print(f"fingerprint: {own.fingerprint}")


@peer_app.command("add")
def peer_add(
    directory: DirArg,
    card_file: Annotated[Path, typer.Argument(help="The peer's card (JSON).")],
    url: Annotated[str | None, typer.Option(help="Override the URL in the card.")] = None,
    replace: Annotated[
        bool, typer.Option(help="Replace a pinned card whose key changed without endorsement.")
    ] = False,
) -> None:
    """Pin a peer's card; read the printed fingerprint back to them by phone."""
    try:
        raw = card_file.read_bytes()
    except OSError as error:
        fail(f"cannot read {card_file}: {error.strerror}")
    with access(directory) as handle:
        try:
            card_json = json.loads(raw)
        except ValueError:
            fail(f"{card_file} is not JSON")
        result = handle.api(
            "POST", "/api/v1/peers", {"card": card_json, "url": url, "replace": replace}
        )
    out.print(f"pinned {result['party']} at {result['url']}")
    out.print(f"fingerprint: {result['fingerprint']}  (check it by phone)")


@peer_app.command("list")
def peer_list(directory: DirArg, as_json: JsonOpt = False) -> None:
    """List pinned peers with their fingerprints."""
    node = open_node(NodeHome(directory))
    try:
        rows = [
            {
                "party": p.party,
                "url": p.url,
                "fingerprint": p.card.fingerprint,
                "pinned_at": p.pinned_at,
            }
            for p in node.peers.pinned().values()
        ]
    finally:
        node.close()
    if as_json:
        print_json(rows)
        return
    for row in rows:
        out.print(f"{row['party']:<16} {row['url']:<32} {row['fingerprint']}")


@app.command()
def run(directory: DirArg) -> None:
    """Serve federation, the officers' API and the senders until SIGTERM or Ctrl-C."""
    from openline.server.run import run_node

    home = NodeHome(directory)
    home.load_config()
    run_node(home)


@app.command()
def send(
    directory: DirArg,
    to: Annotated[list[str], typer.Option(help="Recipient party; repeat for several.")],
    text: Annotated[str, typer.Option(help="The message text.")],
    precedence: Annotated[
        str, typer.Option(help="flash, immediate, priority or routine.")
    ] = "routine",
    lang: Annotated[str, typer.Option(help="Language tag of the text.")] = "en",
    officer: Annotated[
        str | None, typer.Option(help="Name of the sending officer, signed with the message.")
    ] = None,
) -> None:
    """Send a hotline message; queued durably, delivered when the node runs."""
    with access(directory) as handle:
        body = {"to": to, "text": text, "precedence": precedence, "lang": lang}
        if officer is not None:
            body["officer"] = officer
        entries = handle.api("POST", "/api/v1/messages", body)["entries"]
        running = handle.url is not None
    state = "sent" if running else "queued (node not running; delivered when it runs)"
    for entry in entries:
        out.print(f"{state}: to {entry['to']} seq {entry['seq']} id {entry['id']}")


@app.command()
def ack(
    directory: DirArg,
    entry_id: Annotated[str, typer.Argument(help="Id of the received message.")],
    officer: Annotated[
        str, typer.Option(help="Name of the acknowledging officer.")
    ] = "duty officer",
) -> None:
    """Acknowledge a received hotline message (a signed entry in our log)."""
    if not is_entry_id(entry_id):
        fail(f"{entry_id!r} is not an entry id (64 hex digits, as send and log print)")
    with access(directory) as handle:
        body = {"officer": officer}
        result = handle.api("POST", f"/api/v1/entries/{entry_id}/ack", body)["entries"][0]
    out.print(f"acknowledged; ack to {result['to']} id {result['id']}")


@app.command()
def status(directory: DirArg, as_json: JsonOpt = False) -> None:
    """The node, its links and their health, and overdue acknowledgements."""
    with access(directory) as handle:
        data = handle.api("GET", "/api/v1/status")
    if as_json:
        print_json(data)
        return
    from openline.cli_table import print_table

    out.print(f"[bold]{data['party']}[/bold]  key {data['fingerprint']}  at {data['time']}")
    headers = ("peer", "line", "desk", "sent", "delivered", "pending", "received", "last receipt")
    print_table(
        headers,
        [
            (
                peer["party"],
                peer["line"],  # the link's state, or "line-up-desk-not-answering"
                peer["desk"]["state"],
                str(peer["sent"]),
                str(peer["delivered"]),
                str(peer["pending"]),
                str(peer["received"]),
                peer["last_receipt"] or "-",
            )
            for peer in data["peers"]
        ],
    )
    overdue = data["overdue_acks"]
    out.print(f"overdue acknowledgements: ours {overdue['ours']}, theirs {overdue['theirs']}")
    for direction, label in (("out", "requests we sent"), ("in", "requests we received")):
        counts = data["requests"][direction]
        if counts:
            listed = ", ".join(f"{state} {count}" for state, count in sorted(counts.items()))
            out.print(f"{label}: {listed}")
    _print_alarms(data["alarms"])
    for item in data["equivocations"]:
        out.print(
            f"[red]EQUIVOCATION[/red] {item['sender']}→{item['recipient']}: "
            f"{escape(item['reason'])}"
        )


@app.command()
def alarms(directory: DirArg, as_json: JsonOpt = False) -> None:
    """Every raised alarm (what is owed past its deadline, either way), latest due first."""
    from openline.cli_table import print_table

    with access(directory) as handle:
        raised = handle.api("GET", "/api/v1/alarms")["alarms"]
    if as_json:
        print_json({"alarms": raised})
        return
    if not raised:
        out.print("no alarms")
        return
    raised.sort(key=lambda alarm: alarm["due"], reverse=True)
    print_table(
        ("kind", "owed by", "owed to", "due", "subject", "id"),
        [
            (
                alarm["kind"],
                alarm["owed_by"],
                alarm["owed_to"],
                alarm["due"],
                alarm["subject"][:60],
                alarm["id"][:16],
            )
            for alarm in raised
        ],
    )


STATUS_ALARMS_SHOWN = 20  # the most pressing; ``openline alarms`` lists all that are raised


def _print_alarms(alarms: list[dict[str, Any]]) -> None:
    """How many alarms of each kind, and the :data:`STATUS_ALARMS_SHOWN` latest due: a
    screenful, however many a year of history has left owed."""
    if not alarms:
        return
    counted: dict[str, int] = {}
    for alarm in alarms:
        counted[alarm["kind"]] = counted.get(alarm["kind"], 0) + 1
    listed = ", ".join(f"{kind} {count}" for kind, count in sorted(counted.items()))
    out.print(f"[red]alarms[/red]: {listed}")
    latest = sorted(alarms, key=lambda alarm: alarm["due"], reverse=True)
    for alarm in latest[:STATUS_ALARMS_SHOWN]:
        out.print(
            f"[red]ALARM[/red] {alarm['kind']}: {alarm['owed_by']} owes {alarm['owed_to']} "
            f"an answer to {escape(repr(alarm['subject']))}, due {alarm['due']} "
            f"({alarm['id'][:16]})"
        )
    if len(alarms) > STATUS_ALARMS_SHOWN:
        out.print(f"and {len(alarms) - STATUS_ALARMS_SHOWN} more: openline alarms DIR")


@app.command("log")
def show_log(
    directory: DirArg,
    peer: Annotated[str, typer.Option(help="The peer whose link to show.")],
    as_json: JsonOpt = False,
    limit: LimitOpt = None,
    before: BeforeOpt = None,
    after: AfterOpt = None,
    tail: Annotated[
        int | None, typer.Option("--tail", help="Only the last N entries (as --limit N).")
    ] = None,
    follow: Annotated[
        bool, typer.Option("--follow", help="Then keep printing new entries until Ctrl-C.")
    ] = False,
) -> None:
    """Both directions of the transcript with one peer, in time order: the latest page
    (200 entries, or --limit/--tail N), or the page before or after a cursor."""
    if not is_party_id(peer):
        fail(f"{peer!r} is not a party id")
    if tail is not None and limit is not None:
        fail("give --tail or --limit, not both")
    if follow and (as_json or after is not None or before is not None):
        fail("--follow prints entries as they come: it takes no --json, --before or --after")
    params = page_params(tail if tail is not None else limit, before, after)
    path = f"/api/v1/peers/{peer}/log"
    with access(directory) as handle:
        answer = handle.api("GET", path, params=params)
        if as_json:
            print_json({"peer": peer, "entries": answer["entries"], "cursors": answer["cursors"]})
            return
        for row in answer["entries"]:
            _print_log_row(row)
        more_hint(answer)
        if follow:
            _follow(handle, path, answer["cursors"]["after"])


def _follow(handle: NodeAccess, path: str, cursor: str) -> None:
    """Print what is appended after ``cursor``, polling once a second, until Ctrl-C."""
    import time

    try:
        while True:
            answer = handle.api("GET", path, params={"after": cursor, "limit": "1000"})
            for row in answer["entries"]:
                _print_log_row(row)
            sys.stdout.flush()  # a reader at the other end of a pipe sees each entry now
            cursor = answer["cursors"]["after"] or cursor
            if not answer["entries"]:
                time.sleep(1.0)
    except KeyboardInterrupt:
        return


def _print_log_row(row: dict[str, Any]) -> None:
    arrow = "→" if row["direction"] == "out" else "←"
    body = row["body"]
    summary = body.get("text") or body.get("officer") or ""
    marks = []
    if row["direction"] == "out":
        marks.append("delivered" if row["delivered"] else "pending")
    if row["acked_by"]:
        marks.append("acked")
    elif row["overdue"]:
        marks.append("OVERDUE")
    # Plain text, one line per entry: rich's highlighting took a third of the command's
    # time for a page of 200, and a peer's line breaks or bidi controls are shown, not obeyed.
    from openline.cli_table import cell_width, shown_text

    text = shown_text(str(summary)[:60])
    text += " " * (60 - cell_width(text))
    sys.stdout.write(
        f"{row['time']} {arrow} {row['seq']:>5} {row['kind']:<16} "
        f"{text} {','.join(marks)} {row['id'][:16]}\n"
    )


@app.command()
def verify(
    directory: DirArg,
    as_json: JsonOpt = False,
    full: Annotated[
        bool, typer.Option("--full", help="Re-check every row, whatever the marks say.")
    ] = False,
) -> None:
    """Check what is new since the last verify and a slice of the rest (--full: every
    entry, signature, checkpoint and cosignature); exit 1 naming the first fault."""
    from openline.node.verify import run_verify_command

    node = open_node(NodeHome(directory))
    try:
        code = run_verify_command(node, full=full, as_json=as_json)
    finally:
        node.close()
    if code:
        raise typer.Exit(code)


@app.command()
def rebuild(directory: DirArg) -> None:
    """Regenerate every cache table from the transcript alone."""
    with access(directory) as handle:
        counts = handle.api("POST", "/api/v1/rebuild")
    out.print(f"rebuilt from {counts['entries']} entries: {counts['messages']} messages")


@app.command()
def demo(
    exit_after_scenario: Annotated[
        bool, typer.Option("--exit-after-scenario", help="Stop once the story has played.")
    ] = False,
    directory: Annotated[
        Path | None, typer.Option("--dir", help="Keep the nodes' data here (default: temporary).")
    ] = None,
    base_port: Annotated[
        int, typer.Option(help="First of three loopback ports (0: pick free ones).")
    ] = 0,
) -> None:
    """Three nodes (us-dod, prc-mnd, ru-mod) on loopback playing the story."""
    from openline.demo import run_demo

    code = run_demo(directory=directory, base_port=base_port, exit_after=exit_after_scenario)
    raise typer.Exit(code)


def main() -> None:
    """Entry point: every failure becomes one line on stderr."""
    try:
        # Without standalone mode click returns the code of typer.Exit instead of exiting.
        code = build_command(app)(standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except Exception as error:  # noqa: BLE001 - the contract: never a traceback
        sys.stderr.write(f"openline: {_reason(error)}\n")
        sys.exit(2)


def _reason(error: Exception) -> str:
    """The one line a failure is reported with. The core's and the node's error classes are
    imported only now: a command that succeeds never needs them."""
    from openline.core.errors import OpenlineError
    from openline.node.errors import CommandError

    if isinstance(error, UsageFailure | HomeError):
        return str(error)
    if isinstance(error, CommandError):
        return f"{error} ({error.code})"
    if isinstance(error, OpenlineError):
        return str(error)
    if isinstance(error, typer.Abort):
        return "aborted"
    if isinstance(error, TyperException):  # usage errors: unknown command, missing option, ...
        return error.format_message() if hasattr(error, "format_message") else str(error)
    return f"internal error: {type(error).__name__}: {error}"


if __name__ == "__main__":
    main()
