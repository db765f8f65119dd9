"""The console's forms, turned into the officers' API's own request bodies.

A form is never validated by rules of its own: its fields are named after the API's JSON
fields (``from_official.name``, ``slots.0.start``), assembled into the same JSON body the
API takes, and checked by the same pydantic models and the same application commands. An
error is placed beside the field it names, from pydantic's location or from the field the
command's message starts with (``respond_by: ... has no UTC offset``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from openline.core.errors import EncodingError
from openline.core.notify import FORCES
from openline.core.timefmt import format_time, parse_user_time
from openline.node.errors import CommandError

# Fields that hold a moment. A browser's datetime-local input sends "2026-11-30T08:00"
# without a zone; every time field on the console is labelled UTC, so it gets a Z.
TIME_FIELDS = frozenset({"respond_by", "start", "end", "until", "time"})
INTEGER_FIELDS = frozenset(
    {"ack_within_minutes", "slot", "within_hours", "distance_m", *FORCES}  # forces.ships
)
LIST_FIELDS = frozenset({"to", "participants", "own_units", "other_units"})
LINE_LIST_FIELDS = frozenset({"conditions", "refs"})
JSON_FIELDS = frozenset({"area", "position"})
M = TypeVar("M", bound=BaseModel)
_NUMBERED = re.compile(r"\A\d+\Z")
_ZONE = re.compile(r"(Z|z|[+-]\d\d:?\d\d)\Z")


@dataclass
class FormErrors(Exception):
    """What is wrong with a form: messages by field name, and for the form as a whole."""

    fields: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    code: str = "invalid-request"

    def __str__(self) -> str:
        return "; ".join([*self.general, *(f"{k}: {v}" for k, v in self.fields.items())])


def with_zone(value: str) -> str:
    value = value.strip()
    return value if not value or _ZONE.search(value) else value + "Z"


def _converted(name: str, values: list[str], errors: FormErrors) -> Any:
    leaf = name.rsplit(".", 1)[-1]
    if leaf in LIST_FIELDS:
        items = [part.strip() for value in values for part in value.split(",")]
        return [item for item in items if item]
    value = values[-1].strip() if leaf not in ("text", "agenda", "description") else values[-1]
    if leaf in LINE_LIST_FIELDS:
        return [line.strip() for line in value.splitlines() if line.strip()]
    if leaf in TIME_FIELDS:
        return with_zone(value)
    if leaf in INTEGER_FIELDS:
        return int(value) if re.fullmatch(r"-?\d{1,12}", value) else value
    if leaf in JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError as error:
            errors.fields[name] = f"not JSON: {error}"
            return None
        except RecursionError:  # "[[[[…" nested past Python's stack: not an area either
            errors.fields[name] = "not JSON: nested too deeply"
            return None
    return value


def body_from_form(form: Iterable[tuple[str, str]], skip: Iterable[str] = ()) -> dict[str, Any]:
    """The JSON body a form stands for: dotted names nest, numbered parts make lists, empty
    fields are left out (the API's default applies)."""
    skipped = {"csrf", "form_token", *skip}  # the console's own fields, not the API's
    grouped: dict[str, list[str]] = {}
    for name, value in form:
        if name in skipped or not isinstance(value, str):
            continue
        grouped.setdefault(name, []).append(value)
    errors = FormErrors()
    body: dict[str, Any] = {}
    for name, values in grouped.items():
        if not any(value.strip() for value in values):
            continue
        _place(body, name.split("."), _converted(name, values, errors))
    if errors.fields:
        raise errors
    listed: dict[str, Any] = _lists(body)
    return listed


def one_recipient(body: dict[str, Any]) -> dict[str, Any]:
    """A form whose API body names one recipient (``"to": "prc-mnd"``, a contact request or a
    catalogue message): the radio button's one value, not a list of it."""
    chosen = body.get("to")
    if isinstance(chosen, list) and len(chosen) == 1:
        return body | {"to": chosen[0]}
    if chosen == []:
        return {key: value for key, value in body.items() if key != "to"}
    return body


def _place(target: dict[str, Any], path: list[str], value: Any) -> None:
    for part in path[:-1]:
        inner = target.setdefault(part, {})
        if not isinstance(inner, dict):
            return  # "slot" and "slot.start" both given: the model reports the clash
        target = inner
    target[path[-1]] = value


def _lists(value: Any) -> Any:
    """{"0": a, "1": b} → [a, b]: numbered groups of fields (slots) become lists, in order,
    skipping the rows the officer left empty."""
    if not isinstance(value, dict):
        return value
    converted = {key: _lists(item) for key, item in value.items()}
    if converted and all(_NUMBERED.match(key) for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


def validated(model: type[M], body: Mapping[str, Any]) -> M:
    """``model`` from ``body``, or the errors placed by field."""
    try:
        return model.model_validate(dict(body))
    except ValidationError as error:
        errors = FormErrors()
        for problem in error.errors():
            where = ".".join(str(part) for part in problem["loc"])
            errors.fields.setdefault(where or "form", problem["msg"])
        raise errors from error


def shown_beside(errors: FormErrors, names: Iterable[str]) -> FormErrors:
    """Errors on fields the form has stay beside them; the others (a whole group such as
    ``from_official``, or a list item) are said above the form, never left unseen."""
    present = set(names)
    kept = FormErrors(general=list(errors.general), code=errors.code)
    for where, message in errors.fields.items():
        if where in present:
            kept.fields[where] = message
        else:
            kept.general.append(f"{where}: {message}")
    return kept


def field_of(message: str, names: Iterable[str]) -> str | None:
    """The form field an error message starts with (``slots[0].start: ...``), if any."""
    head = message.split(":", 1)[0].strip().replace("[", ".").replace("]", "")
    return head if head in set(names) else None


def catalogue_value(kind: str, value: str) -> Any:
    """A catalogue parameter typed by an officer, as the catalogue's type wants it."""
    value = value.strip()
    if kind == "time":
        try:
            return format_time(parse_user_time(with_zone(value)))
        except EncodingError:
            return value  # the catalogue's own check names the parameter and the problem
    if kind in ("integer", "bearing", "course", "speed"):
        return int(value) if re.fullmatch(r"\d{1,16}", value) else value
    return value


def form_values(fields: list[tuple[str, str]]) -> dict[str, Any]:
    """What the officer typed, to show the form again as they left it (every recipient)."""
    values: dict[str, Any] = {
        name: value for name, value in fields if name not in ("csrf", "form_token")
    }
    values["to"] = [value for name, value in fields if name == "to"]
    return values


def placed_refusal(error: CommandError, fields: list[tuple[str, str]]) -> FormErrors:
    """A command's refusal, beside the field its message names, else above the form."""
    placed = FormErrors(code=error.code)
    where = field_of(str(error), [name for name, _value in fields])
    if where:
        placed.fields[where] = str(error).split(":", 1)[1].strip()
    else:
        placed.general.append(str(error))
    return placed
