"""The CLI's options say what the commands say.

The CLI does not import the command models: they pull in the node (SQLAlchemy, pydantic),
about 0.5 s that every ``openline`` call would pay before printing anything. Its options are
declared with the CLI and translated into the API's body; this test holds them to the
commands: every option is a field of the command the route runs (or a flag the CLI itself
reads), and a default the CLI gives is the command's default.
"""

from __future__ import annotations

from typing import Any

import pytest
import typer.main
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from openline import cli
from openline.node.catalogues import PinCatalogue, SendCatalogueMessage
from openline.node.commands import Command
from openline.node.hotline import Acknowledge, SendMessage
from openline.node.notices import DeskCheck, Notify, ReportIncident
from openline.node.request_commands import Answer, Explain, NewRequest, Update

# CLI command → (the command it runs, its options named otherwise in the body, and the
# options that are the CLI's own: where the data folder is, an id in the path, output).
CLI_COMMANDS: dict[str, tuple[type[Command], dict[str, str], set[str]]] = {
    "send": (SendMessage, {}, set()),
    "ack": (Acknowledge, {}, set()),
    "request": (NewRequest, {"slot": "slots"}, set()),
    "respond": (Answer, {"action": "answer", "condition": "conditions"}, {"request_id"}),
    "update": (Update, {}, {"request_id"}),
    "explain": (Explain, {"ref": "refs"}, set()),
    "desk-check": (DeskCheck, {}, {"status", "json_out", "lang"}),  # lang: the reader's
    "notify": (Notify, {"ack_within": "ack_within_minutes"}, {"file", "json_out"}),
    "incident": (ReportIncident, {"ack_within": "ack_within_minutes"}, {"file", "json_out"}),
    "catalogue send": (SendCatalogueMessage, {"param": "params", "ref": "refs"}, {"as_json"}),
    # The file (or --starter) is read into the body's document.
    "catalogue pin": (PinCatalogue, {}, {"file", "starter", "as_json"}),
}

# Defaults the CLI chooses on purpose where the command has none or another.
CLI_DEFAULTS = {
    # An officer at the terminal asks at working level unless they say otherwise; the API
    # has no default, so a program must choose.
    ("request", "level"): "working",
    # The operator's terminal signs as the duty officer; the API's operator default is the
    # admin who holds the token.
    ("ack", "officer"): "duty officer",
}

# ``respond --slot`` is both accept's slot number and counter's START/END slots.
SPLIT = {("respond", "slot"): {"slot", "slots"}}


def commands() -> dict[str, Any]:
    """Every command of the CLI by its full name ("send", "catalogue send")."""
    found: dict[str, Any] = {}

    def walk(group: Any, prefix: str) -> None:
        for name, command in getattr(group, "commands", {}).items():
            found[prefix + name] = command
            walk(command, f"{prefix}{name} ")

    walk(typer.main.get_command(cli.app), "")
    assert found, "the CLI has no commands"
    return found


def field_default(model: type[BaseModel], name: str) -> Any:
    return model.model_fields[name].get_default(call_default_factory=True)


@pytest.mark.parametrize("name", sorted(CLI_COMMANDS))
def test_every_option_is_a_field_of_the_command(name: str) -> None:
    command, renamed, own = CLI_COMMANDS[name]
    params = [p.name for p in commands()[name].params if p.name not in ("directory", *own)]
    fields = set(command.model_fields)
    for param in params:
        assert param is not None
        wanted = SPLIT.get((name, param), {renamed.get(param, param)})
        assert wanted <= fields, f"openline {name} --{param} is no field of {command.__name__}"


@pytest.mark.parametrize("name", sorted(CLI_COMMANDS))
def test_every_default_of_the_cli_is_the_commands(name: str) -> None:
    command, renamed, own = CLI_COMMANDS[name]
    for param in commands()[name].params:
        if param.name in ("directory", *own) or param.default in (None, (), []):
            continue
        assert param.name is not None
        field = renamed.get(param.name, param.name)
        expected = CLI_DEFAULTS.get((name, param.name))
        if expected is None:
            expected = field_default(command, field)
            assert expected is not PydanticUndefined, f"{command.__name__}.{field} has none"
        assert param.default == expected, f"openline {name} --{param.name}"


def test_the_declared_exceptions_are_still_exceptions() -> None:
    # Were the command to gain the same default, the exception would be noise: drop it.
    for (name, param), chosen in CLI_DEFAULTS.items():
        command, renamed, _ = CLI_COMMANDS[name]
        assert field_default(command, renamed.get(param, param)) != chosen
