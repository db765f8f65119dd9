"""``openline officer add|list|disable|enable|passwd|token``: the node's officer accounts.

A password is read from standard input, never from the command line (where other users of
the machine can see it in the process list and it stays in shell history): typed twice at a
terminal without echo, or the first line of a pipe (``printf '%s\\n' "$PW" | openline
officer add …``).
"""

from __future__ import annotations

import getpass
import sys
from typing import Annotated, Any

import typer

from openline.cli_support import DirArg, JsonOpt, access, escape, fail, out, print_json

app = typer.Typer(no_args_is_help=True, help="Officer accounts: add, list, disable, passwords.")

User = Annotated[str, typer.Argument(help="The officer's user name.", show_default=False)]


def read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("password: ")
        if getpass.getpass("again: ") != first:
            fail("the two passwords differ")
        return first
    line = sys.stdin.readline()
    if not line:
        fail("no password on standard input (pipe one line, or run at a terminal)")
    return line.removesuffix("\n").removesuffix("\r")


def _shown(row: dict[str, Any]) -> str:
    state = "disabled" if row["disabled"] else "enabled"
    token = ", has an API token" if row["has_token"] else ""
    return f"{row['username']} ({row['role']}), {state}{token}"


@app.command()
def add(
    directory: DirArg,
    username: User,
    role: Annotated[str, typer.Option(help="duty-officer, approver, auditor or admin.")],
) -> None:
    """Add an officer; the password is read from standard input."""
    password = read_password()
    with access(directory) as handle:
        row = handle.api(
            "POST", "/api/v1/officers", {"username": username, "role": role, "password": password}
        )
    out.print(f"added: {escape(_shown(row))}")


@app.command("list")
def list_officers(directory: DirArg, json_out: JsonOpt = False) -> None:
    """Every officer account, with its role and state."""
    from rich.table import Table

    with access(directory) as handle:
        rows = handle.api("GET", "/api/v1/officers")["officers"]
    if json_out:
        print_json({"officers": rows})
        return
    if not rows:
        out.print("no officers")
        return
    table = Table("user", "role", "state", "API token", "since")
    for row in rows:
        table.add_row(
            escape(row["username"]),
            row["role"],
            "disabled" if row["disabled"] else "enabled",
            "yes" if row["has_token"] else "no",
            row["created_at"],
        )
    out.print(table)


@app.command()
def disable(directory: DirArg, username: User) -> None:
    """Disable an officer: no login, no API token; what they signed stays."""
    with access(directory) as handle:
        row = handle.api("POST", f"/api/v1/officers/{username}/disable")
    out.print(f"disabled: {escape(_shown(row))}")


@app.command()
def enable(directory: DirArg, username: User) -> None:
    """Enable a disabled officer again (a new API token must be issued)."""
    with access(directory) as handle:
        row = handle.api("POST", f"/api/v1/officers/{username}/enable")
    out.print(f"enabled: {escape(_shown(row))}")


@app.command()
def passwd(directory: DirArg, username: User) -> None:
    """Set an officer's password; it is read from standard input."""
    password = read_password()
    with access(directory) as handle:
        row = handle.api("POST", f"/api/v1/officers/{username}/password", {"password": password})
    out.print(f"password changed: {escape(_shown(row))}")


@app.command()
def token(directory: DirArg, username: User) -> None:
    """Issue the officer a new API token (replacing any earlier one); printed once."""
    with access(directory) as handle:
        issued = handle.api("POST", f"/api/v1/officers/{username}/token")
    sys.stdout.write(issued["token"] + "\n")
