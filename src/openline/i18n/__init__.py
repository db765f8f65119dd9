"""Showing entries to people in English, Chinese and Russian.

Structured data (kinds, activities, states, times, numbers) is translated through gettext
catalogs and formatted with CLDR data (Babel); free text is never translated and always
keeps its language tag. See :mod:`openline.i18n.translations` and
:mod:`openline.i18n.render`.
"""

from __future__ import annotations

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
