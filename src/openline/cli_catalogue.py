"""``openline catalogue pin|show|send``: the agreed message catalogue.

Each command calls the officers' API (``/api/v1/catalogues…``, see
``openline.api.catalogues``) over HTTP when the node runs and in process otherwise, so the
CLI and the API share one validation. ``send`` prints the entry id as its last word.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from openline.cli_support import (
    DirArg,
    JsonOpt,
    access,
    escape,
    fail,
    is_entry_id,
    is_party_id,
    out,
    print_json,
)

app = typer.Typer(
    no_args_is_help=True,
    help="Agreed message catalogues: pin one, show it, send its messages.",
)


def _read_document(file: Path | None, starter: bool) -> Any:
    from openline.core.canonical import parse_json
    from openline.core.catalogue import load_starter
    from openline.core.errors import EncodingError

    if starter == (file is not None):
        fail("give either a catalogue FILE or --starter")
    if file is None:
        return load_starter()
    try:
        data = file.read_bytes()
    except OSError as error:
        fail(f"cannot read {file}: {error.strerror}")
    try:
        return parse_json(data)
    except EncodingError as error:
        fail(f"{file} is not a JSON document: {error}")


def _catalogue_ref(value: str, where: str) -> str:
    from openline.core.catalogue import CATALOGUE_HASH, CATALOGUE_NAME

    if not CATALOGUE_NAME.match(value) and not CATALOGUE_HASH.match(value):
        fail(f"{where} {value!r} is not a catalogue name or hash (as catalogue show prints)")
    return value


def _yes(value: bool) -> str:
    return "yes" if value else "no"


@app.command()
def pin(
    directory: DirArg,
    file: Annotated[
        Path | None, typer.Argument(help="The catalogue (JSON).", show_default=False)
    ] = None,
    starter: Annotated[
        bool, typer.Option("--starter", help="Pin the starter catalogue shipped with openline.")
    ] = False,
    to: Annotated[
        list[str] | None,
        typer.Option(help="A peer to tell (catalogue.pin); repeat. Default: every peer."),
    ] = None,
    officer: Annotated[str, typer.Option(help="The officer pinning it.")] = "duty officer",
    as_json: JsonOpt = False,
) -> None:
    """Pin a catalogue here and tell peers so; it is agreed with a peer once they pin it too."""
    document = _read_document(file, starter)
    for party in to or []:
        if not is_party_id(party):
            fail(f"--to {party!r} is not a party id")
    body: dict[str, Any] = {"document": document, "officer": officer}
    if to:
        body["to"] = to
    with access(directory) as handle:
        result = handle.api("POST", "/api/v1/catalogues", body)
    if as_json:
        print_json(result)
        return
    what = f"{result['name']} v{result['version']} ({result['hash']})"
    state = "pinned" if result["newly_pinned"] else "already pinned"
    out.print(
        escape(
            f"{state}: {what}, {result['messages']} messages in {', '.join(result['languages'])}"
        )
    )
    if result["sent_to"]:
        out.print(f"catalogue.pin sent to {', '.join(result['sent_to'])}")
    if result["already_told"]:
        out.print(f"already told: {', '.join(result['already_told'])}")


def _show_all(listing: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table("catalogue", "version", "hash", "peer", "we told them", "they pinned", "agreed")
    for catalogue in listing["catalogues"]:
        peers = catalogue["peers"] or [None]
        for row in peers:
            table.add_row(
                escape(catalogue["name"]),
                str(catalogue["version"]),
                catalogue["hash"][:16],
                "-" if row is None else row["party"],
                "-" if row is None else _yes(row["we_told_them"]),
                "-" if row is None else _yes(row["they_pinned"]),
                "-" if row is None else _yes(row["agreed"]),
            )
    if listing["catalogues"]:
        out.print(table)
    else:
        out.print("no catalogue is pinned here")
    for offered in listing["offered_by_peers"]:
        out.print(escape(f"{offered['note']}: {offered['hash']}"))


def _show_one(shown: dict[str, Any], lang: str) -> None:
    from rich.table import Table

    out.print(
        escape(f"{shown['name']} v{shown['version']} ({shown['hash']}), in {lang}"),
        highlight=False,
    )
    agreed = [row["party"] for row in shown["peers"] if row["agreed"]]
    out.print(escape(f"agreed with: {', '.join(agreed) or 'nobody yet'}"), highlight=False)
    table = Table("code", "title", "text", "params")
    for message in shown["messages"]:
        title, text = message["title"], message["text"]
        params = ", ".join(
            f"{param['name']}:{param['type']}" + (f" ({param['unit']})" if "unit" in param else "")
            for param in message["params"]
        )
        table.add_row(
            message["code"],
            escape(title if isinstance(title, str) else title[lang]),
            escape(text if isinstance(text, str) else text[lang]),
            escape(params),
        )
    out.print(table)


def _default_lang(handle: Any, languages: list[str]) -> str:
    preferred = str(handle.home.load_config().default_lang)
    return preferred if preferred in languages else languages[0]


@app.command()
def show(
    directory: DirArg,
    ref: Annotated[
        str | None,
        typer.Argument(help="A catalogue's name or hash: show its messages.", show_default=False),
    ] = None,
    lang: Annotated[
        str | None, typer.Option(help="Language of the texts (default: the node's).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """The pinned catalogues and their agreement with each peer; with REF, its messages."""
    with access(directory) as handle:
        if ref is None:
            if lang is not None:
                fail("--lang needs a catalogue REF")
            listing = handle.api("GET", "/api/v1/catalogues")
            shown = None
        else:
            params = None if lang is None else {"lang": lang}
            path = f"/api/v1/catalogues/{_catalogue_ref(ref, 'REF')}"
            shown = handle.api("GET", path, params=params)
            lang = lang or _default_lang(handle, shown["languages"])
    if shown is None:
        if as_json:
            print_json(listing)
        else:
            _show_all(listing)
        return
    if as_json:
        print_json(shown)
        return
    assert lang is not None
    _show_one(shown, lang)


def _params(values: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name:
            fail(f"--param {item!r} must be NAME=VALUE (e.g. distance=5)")
        if name in params:
            fail(f"--param {name} is given twice")
        params[name] = value
    return params


@app.command()
def send(
    directory: DirArg,
    to: Annotated[str, typer.Option(help="The peer.")],
    code: Annotated[str, typer.Option(help="The message code, e.g. M10.")],
    param: Annotated[
        list[str] | None, typer.Option(help="A parameter NAME=VALUE; repeat for each.")
    ] = None,
    catalogue: Annotated[
        str | None,
        typer.Option(help="The catalogue's name or hash (default: the only one agreed)."),
    ] = None,
    lang: Annotated[
        str | None, typer.Option(help="Language of the free-text parameter, if it has one.")
    ] = None,
    ref: Annotated[
        list[str] | None, typer.Option(help="Id of an entry it is about; repeat (up to 4).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Send a message of an agreed catalogue: its code and parameters, shown to each reader
    in their own language."""
    if not is_party_id(to):
        fail(f"--to {to!r} is not a party id")
    for item in ref or []:
        if not is_entry_id(item):
            fail(f"--ref {item!r} is not an entry id (64 hex digits)")
    body: dict[str, Any] = {
        "to": to,
        "code": code,
        "params": _params(param or []),
        "refs": ref or [],
    }
    if catalogue is not None:
        body["catalogue"] = _catalogue_ref(catalogue, "--catalogue")
    if lang is not None:
        body["lang"] = lang
    with access(directory) as handle:
        result = handle.api("POST", "/api/v1/catalogue-messages", body)
        shown_lang = _default_lang(handle, list(result["rendered"]))
    if as_json:
        print_json(result)
        return
    from openline.cli_table import shown_lines

    shown = shown_lines(f"[{shown_lang}] {result['rendered'][shown_lang]}")
    out.print(escape(shown), highlight=False)
    out.print(f"sent: to {result['to']} seq {result['seq']} id {result['id']}")
