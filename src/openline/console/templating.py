"""Jinja2 for the console: one environment per language, so a page renders wholly in the
officer's language with the same gettext catalogs as the CLI (``openline.i18n``)."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from openline.core.display import defused
from openline.core.timefmt import parse_time
from openline.i18n import (
    LANGUAGE_NAMES,
    SUPPORTED_LANGUAGES,
    format_duration,
    format_number,
    format_time,
    label,
)
from openline.i18n.translations import translations


@functools.cache
def environment(lang: str) -> Environment:
    env = Environment(
        loader=PackageLoader("openline.console", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        # Every value a page shows, a peer's text among them, with its reordering and
        # control characters made visible (the page's own markup is left as it is).
        finalize=_defused,
    )
    env.policies["ext.i18n.trimmed"] = True  # as babel.cfg extracts them
    catalog = translations(lang)
    env.install_gettext_callables(  # type: ignore[attr-defined]
        catalog.gettext, catalog.ngettext, newstyle=True, pgettext=catalog.pgettext
    )
    env.globals.update(
        lang=lang,
        languages=[(code, LANGUAGE_NAMES[code]) for code in SUPPORTED_LANGUAGES],
    )
    env.filters.update(
        when=functools.partial(when, lang=lang),
        label=functools.partial(_label, lang=lang),
        number=lambda value: format_number(int(value), lang),
        duration=lambda seconds: format_duration(int(seconds), lang),
        short=short_id,
        peer=peer_text,
    )
    return env


def _defused(value: object) -> object:
    if isinstance(value, str) and not isinstance(value, Markup):
        return defused(value)
    return value


def peer_text(value: object) -> Markup:
    """What a peer wrote, isolated from the page around it: its direction is its own
    (``dir=auto``), so a right-to-left run cannot pull the page's text into it."""
    return Markup('<bdi dir="auto">{}</bdi>').format(defused(str(value)))


def _label(value: object, group: str, lang: str) -> str:
    if value is None:
        return ""
    if group == "language":  # a language is named in itself: English, 中文, Русский
        return LANGUAGE_NAMES.get(str(value), str(value))
    return label(group, str(value), lang)


def render(lang: str, template: str, **context: Any) -> str:
    return environment(lang).get_template(template).render(**context)


def when(value: str | datetime | None, lang: str) -> Markup:
    """A moment in UTC, as the reader's locale writes it, in a ``<time>`` element; the page
    script adds the officer's local time beside it (the browser knows the time zone, the
    node does not)."""
    if value is None or value == "":
        return Markup("—")
    moment = parse_time(value) if isinstance(value, str) else value
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    text = format_time(moment, lang)
    return Markup(  # noqa: S704 -- the stamp is ours, the text is escaped
        f'<time class="utc" datetime="{stamp}">{escape(text)}</time>'
        f'<span class="local" data-local="{stamp}"></span>'
    )


def short_id(value: str) -> str:
    return value[:12]
