"""Showing a catalogue message in one language, from the agreed text.

Nothing is translated: the reader sees the text both parties agreed for their language,
with the parameters inserted as given (:mod:`openline.core.catalogue`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openline.core.catalogue_bodies import check_params, validate_message
from openline.core.catalogue_document import Catalogue, CatalogueError, ParamSpec, Placeholder
from openline.core.catalogue_plurals import PLURAL_RULES
from openline.core.timefmt import parse_time


def _show(spec: ParamSpec, value: Any) -> str:
    if spec.type == "time":
        moment = parse_time(value)
        # Not strftime: glibc writes years before 1000 without leading zeros (timefmt.py).
        shown = (
            f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d} "
            f"{moment.hour:02d}:{moment.minute:02d}"
        )
        if moment.second or moment.microsecond:
            shown += f":{moment.second:02d}"
        if moment.microsecond:
            shown += f".{moment.microsecond // 1000:03d}"
        return f"{shown} UTC"
    if spec.type in ("bearing", "course"):
        return f"{value:03d}°"
    return str(value)


def render(catalogue: Catalogue, code: str, params: Mapping[str, Any], lang: str) -> str:
    """Show a catalogue message in one language, from the agreed text.

    Parameters of type text, reference and area are inserted as given, in the language
    they were written in: they are never translated, and a brace in them is kept as it is.

    Raises:
        CatalogueError: ``unsupported-language`` (``lang`` must be one the catalogue lists,
            exactly), ``unknown-code``, ``missing-param``, ``extra-param`` or ``bad-param``.
    """
    if lang not in catalogue.languages:
        raise CatalogueError(
            f"catalogue {catalogue.name} has no {lang!r} texts; "
            f"it has {', '.join(catalogue.languages)}",
            code="unsupported-language",
        )
    message = catalogue.message(code)
    check_params(message, params)
    declared = {param.name: param for param in message.params}
    rules = PLURAL_RULES.get(lang.split("-", maxsplit=1)[0])
    out: list[str] = []
    for segment in message.templates[lang]:
        if isinstance(segment, str):
            out.append(segment)
        elif isinstance(segment, Placeholder):
            out.append(_show(declared[segment.name], params[segment.name]))
        else:
            assert rules is not None  # parsing refused plural forms without rules
            out.append(segment.forms[rules[1](params[segment.name])])
    return "".join(out)


def render_message(body: Mapping[str, Any], pinned: Mapping[str, Catalogue], lang: str) -> str:
    """Validate a ``catalogue.message`` body and show it in ``lang``.

    Raises:
        CatalogueError: any code of :func:`validate_message` or :func:`render`.
    """
    validate_message(body, pinned)
    return render(pinned[body["catalogue"]], body["code"], body["params"], lang)
