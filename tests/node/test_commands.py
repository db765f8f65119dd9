"""Commands as typed values (``openline.node.commands``): their fields are declared once and
are the API's request bodies; ``execute`` names the officer and runs each once per key."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import get_type_hints

import pytest
from pydantic import ValidationError

from openline.api.acts import routes_of
from openline.node.app import Node
from openline.node.commands import DUTY_OFFICER, Actor, Command, execute
from openline.node.errors import CommandError
from openline.node.hotline import SendMessage
from openline.node.idempotency import Attempt, fingerprint
from openline.node.notices import Notify
from openline.node.officers import Officer
from openline.server.app import create_app
from pair import FakeClock, make_pair

PATROL = {
    "type": "Polygon",
    "coordinates": [[[125.5, 24.5], [131.0, 24.5], [131.0, 29.0], [125.5, 29.0], [125.5, 24.5]]],
}


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[Node, Node, FakeClock]]:
    us, prc, clock = make_pair(tmp_path)
    yield us, prc, clock
    us.close()
    prc.close()


def notification(clock: FakeClock, **changes: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "to": ["prc-mnd"],
        "activity": "exercise",
        "title": "Exercise in the western Pacific",
        "participants": ["us-dod"],
        "area": PATROL,
        "start": (clock() + timedelta(days=5)).isoformat(),
        "end": (clock() + timedelta(days=6)).isoformat(),
        "contact_channel": "VHF 16",
    }
    return fields | changes


def test_a_command_is_validated_by_its_own_fields(nodes: tuple[Node, Node, FakeClock]) -> None:
    _, _, clock = nodes
    command = Notify.model_validate(notification(clock))
    assert command.start == clock() + timedelta(days=5)  # read from the text, with its offset
    assert command.officer == DUTY_OFFICER
    assert command.given_officer() is None
    with pytest.raises(ValidationError):
        Notify.model_validate(notification(clock, title=""))
    with pytest.raises(ValidationError):
        Notify.model_validate(notification(clock, weapons="none"))  # no field of its own
    with pytest.raises(ValidationError):
        command.title = "changed"  # frozen: a command is a value


def test_a_time_that_cannot_be_read_names_its_field(nodes: tuple[Node, Node, FakeClock]) -> None:
    _, _, clock = nodes
    with pytest.raises(CommandError) as refused:
        Notify.model_validate(notification(clock, end="next tuesday"))
    assert (refused.value.code, refused.value.status) == ("invalid-time", 422)
    assert str(refused.value).startswith("end: ")


def officer(username: str) -> Officer:
    return Officer(username=username, role="duty-officer")


def test_the_acting_officer_is_named_as_the_api_names_it() -> None:
    operator = Actor()
    assert operator.names(None, DUTY_OFFICER) == DUTY_OFFICER
    assert operator.names("Cdr. J. Miller", DUTY_OFFICER) == "Cdr. J. Miller"
    assert operator.names(None, None) is None
    miller = Actor(officer("miller"))
    assert miller.names(None, DUTY_OFFICER) == "miller"
    assert miller.names("miller", None) == "miller"
    with pytest.raises(CommandError) as refused:
        miller.names("chen", DUTY_OFFICER)
    assert (refused.value.code, refused.value.status) == ("officer-mismatch", 403)


def test_execute_runs_a_command_once_per_key(nodes: tuple[Node, Node, FakeClock]) -> None:
    us, _, _ = nodes
    command = SendMessage(to=["prc-mnd"], text="Confirm receipt of this test message.")
    attempt = Attempt("operator", "key-1", fingerprint("send", command.model_dump_json()))
    first = execute(us, command, Actor(officer("miller")), attempt)
    assert not first.replayed
    (entry,) = first.entries
    assert (entry.kind, entry.body["officer"]) == ("hotline.message", "miller")
    again = execute(us, command, Actor(officer("miller")), attempt)
    assert again.replayed
    assert [e.id for e in again.entries] == [entry.id]
    unkeyed = execute(us, command, Actor(), None)
    assert "officer" not in unkeyed.entries[0].body  # the operator's message names no one


def test_the_api_takes_every_command_as_its_body(nodes: tuple[Node, Node, FakeClock]) -> None:
    """One definition per field: a route that runs a command validates its body with that
    command's own model, not with a copy of its fields."""
    us, _, _ = nodes
    commands = set()
    for route in routes_of(create_app(us, "token").routes):
        if str(route.path).startswith("/api/v1") and "POST" in (route.methods or ()):
            hints = get_type_hints(route.endpoint)
            hints.pop("return", None)
            if any(_is_command(hint) for hint in hints.values()):
                commands.add(route.path)
    assert {
        "/api/v1/messages",
        "/api/v1/messages/batch",
        "/api/v1/entries/{entry_id}/ack",
        "/api/v1/notifications",
        "/api/v1/incidents",
        "/api/v1/desk-checks",
        "/api/v1/catalogue-messages",
        "/api/v1/catalogues",
        "/api/v1/peers",
        "/api/v1/officers",
        "/api/v1/officers/{username}/password",
    } <= commands


def _is_command(annotation: object) -> bool:
    options = typing.get_args(annotation) or (annotation,)
    return any(inspect.isclass(option) and issubclass(option, Command) for option in options)
