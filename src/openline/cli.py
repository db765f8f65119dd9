"""The ``openline`` command line (DESIGN.md, "The command-line contract").

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
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from typer.exceptions import TyperException

from openline import cli_catalogue, cli_contacts, cli_notices, cli_officers
from openline.cli_support import (
    DirArg,
    JsonOpt,
    UsageFailure,
    access,
    fail,
    open_node,
    out,
    print_json,
)
from openline.core.card import make_card
from openline.core.errors import OpenlineError
from openline.core.keys import PrivateKey
from openline.core.schema import ENTRY_ID, LANGUAGE_TAG, is_party_id
from openline.core.timefmt import format_time
from openline.i18n import SUPPORTED_LANGUAGES
from openline.node.errors import CommandError
from openline.node.home import HomeError, NodeConfig, NodeHome

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
        fingerprint = node.card().fingerprint
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
        own = node.card()
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
        if handle.node is not None:
            pinned = handle.node.add_peer(raw, url, replace)
            result = {
                "party": pinned.party,
                "url": pinned.url,
                "fingerprint": pinned.card.fingerprint,
            }
        else:
            try:
                card_json = json.loads(raw)
            except ValueError:
                fail(f"{card_file} is not JSON")
            result = handle.call(
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
            for p in node.peers().values()
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
    from openline.node.server import run_node

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
        if handle.node is not None:
            from openline.node.app import NewMessage

            message = NewMessage(text, precedence, lang, officer)
            entries = [
                {"id": e.id, "to": e.recipient, "seq": e.seq}
                for e in handle.node.send_messages(to, [message])
            ]
            state = "queued (node not running; delivered when it runs)"
        else:
            body = {"to": to, "text": text, "precedence": precedence, "lang": lang}
            if officer is not None:
                body["officer"] = officer
            entries = handle.call("POST", "/api/v1/messages", body)["entries"]
            state = "sent"
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
    if not ENTRY_ID.match(entry_id):
        fail(f"{entry_id!r} is not an entry id (64 hex digits, as send and log print)")
    with access(directory) as handle:
        if handle.node is not None:
            entry = handle.node.ack(entry_id, officer)
            result = {"id": entry.id, "to": entry.recipient}
        else:
            result = handle.call("POST", f"/api/v1/entries/{entry_id}/ack", {"officer": officer})[
                "entries"
            ][0]
    out.print(f"acknowledged; ack to {result['to']} id {result['id']}")


@app.command()
def status(directory: DirArg, as_json: JsonOpt = False) -> None:
    """The node, its links and their health, and overdue acknowledgements."""
    with access(directory) as handle:
        data = (
            handle.node.status()
            if handle.node is not None
            else handle.call("GET", "/api/v1/status")
        )
    if as_json:
        print_json(data)
        return
    out.print(f"[bold]{data['party']}[/bold]  key {data['fingerprint']}  at {data['time']}")
    table = Table(
        "peer", "line", "desk", "sent", "delivered", "pending", "received", "last receipt"
    )
    for peer in data["peers"]:
        table.add_row(
            peer["party"],
            peer["line"],  # the link's state, or "line-up-desk-not-answering"
            peer["desk"]["state"],
            str(peer["sent"]),
            str(peer["delivered"]),
            str(peer["pending"]),
            str(peer["received"]),
            peer["last_receipt"] or "-",
        )
    out.print(table)
    overdue = data["overdue_acks"]
    out.print(f"overdue acknowledgements: ours {overdue['ours']}, theirs {overdue['theirs']}")
    for direction, label in (("out", "requests we sent"), ("in", "requests we received")):
        counts = data["requests"][direction]
        if counts:
            listed = ", ".join(f"{state} {count}" for state, count in sorted(counts.items()))
            out.print(f"{label}: {listed}")
    for alarm in data["alarms"]:
        out.print(
            f"[red]ALARM[/red] {alarm['kind']}: {alarm['owed_by']} owes {alarm['owed_to']} "
            f"an answer to {escape(repr(alarm['subject']))}, due {alarm['due']} "
            f"({alarm['id'][:16]})"
        )
    for item in data["equivocations"]:
        out.print(
            f"[red]EQUIVOCATION[/red] {item['sender']}→{item['recipient']}: "
            f"{escape(item['reason'])}"
        )


@app.command("log")
def show_log(
    directory: DirArg,
    peer: Annotated[str, typer.Option(help="The peer whose link to show.")],
    as_json: JsonOpt = False,
) -> None:
    """Both directions of the transcript with one peer, in time order."""
    if not is_party_id(peer):
        fail(f"{peer!r} is not a party id")
    with access(directory) as handle:
        rows = (
            handle.node.log(peer)
            if handle.node is not None
            else handle.call("GET", f"/api/v1/peers/{peer}/log")["entries"]
        )
    if as_json:
        print_json({"peer": peer, "entries": rows})
        return
    for row in rows:
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
        out.print(
            f"{row['time']} {arrow} {row['seq']:>5} {row['kind']:<16} "
            f"{escape(f'{summary[:60]!s:<60}')} {','.join(marks)} {row['id'][:16]}"
        )


@app.command()
def verify(directory: DirArg, as_json: JsonOpt = False) -> None:
    """Recheck every entry, signature, checkpoint and cosignature; exit 1 on the first fault."""
    from openline.node.verify import verify_store

    node = open_node(NodeHome(directory))
    try:
        report = verify_store(node.store, node.all_cards())
    finally:
        node.close()
    if as_json:
        print_json(report.to_json())
    elif report.ok:
        out.print(
            f"ok: {report.logs} logs, {report.entries} entries, {report.checkpoints} checkpoints, "
            f"{report.cosignatures} cosignatures verified"
        )
    if not report.ok:
        sys.stderr.write(f"verify failed: {report.problems[0]}\n")
        raise typer.Exit(1)


@app.command()
def rebuild(directory: DirArg) -> None:
    """Regenerate every cache table from the transcript alone."""
    with access(directory) as handle:
        counts = (
            handle.node.rebuild()
            if handle.node is not None
            else handle.call("POST", "/api/v1/rebuild")
        )
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
        code = app(standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except (UsageFailure, HomeError) as error:
        sys.stderr.write(f"openline: {error}\n")
        sys.exit(2)
    except CommandError as error:
        sys.stderr.write(f"openline: {error} ({error.code})\n")
        sys.exit(2)
    except OpenlineError as error:
        sys.stderr.write(f"openline: {error}\n")
        sys.exit(2)
    except typer.Abort:
        sys.stderr.write("openline: aborted\n")
        sys.exit(2)
    except TyperException as error:  # usage errors: unknown command, missing option, ...
        message = error.format_message() if hasattr(error, "format_message") else str(error)
        sys.stderr.write(f"openline: {message}\n")
        sys.exit(2)
    except Exception as error:  # noqa: BLE001 - the contract: never a traceback
        sys.stderr.write(f"openline: internal error: {type(error).__name__}: {error}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
