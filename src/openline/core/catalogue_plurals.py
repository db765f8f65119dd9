"""CLDR plural rules for whole numbers, as catalogue texts select their plural forms.

A catalogue text may write ``{name|one:…|other:…}``, naming exactly the plural categories
of its language (:mod:`openline.core.catalogue`): parsing checks the categories, rendering
picks the form for the value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping


# CLDR plural rules for whole numbers, keyed by primary language subtag
# (https://www.unicode.org/cldr/charts/latest/supplemental/language_plural_rules.html).
def _plural_en(n: int) -> str:
    return "one" if n == 1 else "other"


def _plural_ru(n: int) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return "one"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return "few"
    return "many"


def _plural_other(n: int) -> str:
    return "other"


PLURAL_RULES: Mapping[str, tuple[tuple[str, ...], Callable[[int], str]]] = {
    "en": (("one", "other"), _plural_en),
    "de": (("one", "other"), _plural_en),
    "ru": (("one", "few", "many"), _plural_ru),
    "uk": (("one", "few", "many"), _plural_ru),
    "zh": (("other",), _plural_other),
    "ja": (("other",), _plural_other),
    "ko": (("other",), _plural_other),
}
