"""Showing entries to people in English, Chinese and Russian.

Structured data (kinds, activities, states, times, numbers) is translated through gettext
catalogs and formatted with CLDR data (Babel); free text is never translated and always
keeps its language tag. See :mod:`openline.i18n.translations` and
:mod:`openline.i18n.render`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openline.i18n.render import Facts, Rendered, render_entry
    from openline.i18n.translations import (
        LANGUAGE_NAMES,
        SUPPORTED_LANGUAGES,
        LanguageError,
        check_language,
        format_duration,
        format_number,
        format_time,
        gettext,
        label,
        ngettext,
        pgettext,
    )

__all__ = [
    "LANGUAGE_NAMES",
    "SUPPORTED_LANGUAGES",
    "Facts",
    "LanguageError",
    "Rendered",
    "check_language",
    "format_duration",
    "format_number",
    "format_time",
    "gettext",
    "label",
    "ngettext",
    "pgettext",
    "render_entry",
]

# Each name is imported from its module on first use (PEP 562): the CLI starts without the
# renderer (and the core it reads entries with) or Babel unless a command shows an entry.
_RENDER = frozenset({"Facts", "Rendered", "render_entry"})


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(
        f"{__name__}.{'render' if name in _RENDER else 'translations'}"
    )
    value = getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
