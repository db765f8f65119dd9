"""Tests for openline.i18n.translations: the catalogs, labels and locale formatting.

The .pot is exactly what extraction from the package finds (so a new string without a
catalog entry fails here), every msgid is translated in zh and ru with the same
placeholders, the plural rules are right, every structured value of the core has a label
in all three languages, and times, durations and numbers follow each locale.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from babel import numbers
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.pofile import read_po
from hypothesis import given
from hypothesis import strategies as st

from openline.core import contact, notices, notify, precedence, proof_format, requests, roles
from openline.i18n import (
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
from openline.i18n.translations import LABELS, MINUS, translations
from openline.report import figures

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "src" / "openline"  # the i18n package and the console's templates
LOCALES = SOURCES / "i18n" / "locales"
# The same keywords as `make messages` passes to pybabel extract (-k NC_:1c,2).
KEYWORDS = {**DEFAULT_KEYWORDS, **parse_keywords(["NC_:1c,2"])}
TRANSLATED = ("zh", "ru")
PLURAL_FORMS = {
    "zh": "nplurals=1; plural=0;",
    "ru": (
        "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && "
        "(n%100<10 || n%100>=20) ? 1 : 2);"
    ),
}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")
CJK = re.compile(r"[\u4e00-\u9fff]")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
LATIN = re.compile(r"[A-Za-z]")
RU_MONTHS = re.compile(r"(янв|февр|мар|апр|мая|июн|июл|авг|сент|окт|нояб|дек)\.?")

GROUPS: dict[str, tuple[str, ...]] = {
    "activity": notify.ACTIVITIES,
    "category": notify.CATEGORIES,
    "domain": notify.DOMAINS,
    "force": notify.FORCES,
    "precedence": precedence.PRECEDENCES,
    "state": (*requests.STATES, *notices.STATES, *notices.LINE_STATES, *notices.DESK_STATES),
    "format": contact.FORMATS,
    "level": contact.LEVELS,
    "answer": (*contact.ANSWERS, *sorted(requests.ANSWER_EVENTS - set(contact.ANSWERS))),
    "status": contact.UPDATES,
    "role": roles.ROLES,
    "claim": proof_format.CLAIMS,
    "count": figures.COUNT_NAMES,
    "event": requests.EVENTS,
    # The CLI's own words: no core list to follow, but each must be translated.
    "term": tuple(LABELS["term"]),
}


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as source:
        return read_po(source, locale=locale)


def keys(catalog: Catalog) -> set[tuple[str | None, object]]:
    return {(message.context, message.id) for message in catalog if message.id}


def words(comments: list[str]) -> list[str]:
    return " ".join(comments).split()


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def ids(message: Message) -> tuple[str, ...]:
    found = message.id
    return tuple(found) if isinstance(found, tuple | list) else (str(found),)


def strings(message: Message) -> tuple[str, ...]:
    found = message.string
    return tuple(found) if isinstance(found, tuple | list) else (str(found or ""),)


def test_groups_cover_every_kind_of_the_core() -> None:
    from openline.core.kinds import KINDS

    assert set(LABELS["kind"]) == set(KINDS)
    assert set(LABELS) == {"kind", *GROUPS}


# --- the catalogs ---------------------------------------------------------------------------


def test_pot_is_a_fresh_extraction_of_the_package() -> None:
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)  # type: ignore[no-untyped-call]
    extracted = Catalog()
    for filename, lineno, found, comments, context in extract_from_dir(
        str(SOURCES),
        method_map,
        options_map,
        keywords=KEYWORDS,
        comment_tags=("TRANSLATORS:",),
    ):
        extracted.add(found, None, [(filename, lineno)], auto_comments=comments, context=context)
    pot = read_catalog(LOCALES / "openline.pot")
    missing = sorted(map(repr, keys(extracted) - keys(pot)))
    stale = sorted(map(repr, keys(pot) - keys(extracted)))
    assert not missing, f"strings not in openline.pot; run `make messages`: {missing}"
    assert not stale, f"openline.pot has strings the code no longer uses: {stale}"
    for message in extracted:  # translator comments too (the .pot wraps them at 76)
        if message.id:
            written = pot.get(message.id, context=message.context)
            assert written is not None
            assert words(written.auto_comments) == words(message.auto_comments)


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_msgid_is_translated_with_the_same_placeholders(lang: str) -> None:
    pot = read_catalog(LOCALES / "openline.pot")
    po = read_catalog(LOCALES / lang / "LC_MESSAGES" / "openline.po", locale=lang)
    assert keys(po) == keys(pot), "run `make messages` and translate the new strings"
    assert not po.obsolete
    for message in po:
        if not message.id:
            continue
        assert not message.fuzzy, message.id
        forms = strings(message)
        assert len(forms) == (po.num_plurals if message.pluralizable else 1), message.id
        expected = set().union(*(placeholders(text) for text in ids(message)))
        for form in forms:
            assert form.strip(), f"{lang}: {message.id!r} is not translated"
            assert placeholders(form) == expected, f"{lang}: {message.id!r} → {form!r}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_po_headers_give_the_plural_rule_and_ask_for_review(lang: str) -> None:
    po = read_catalog(LOCALES / lang / "LC_MESSAGES" / "openline.po")
    assert po.plural_forms == PLURAL_FORMS[lang]
    assert str(po.locale) == lang
    assert "REVIEW NEEDED" in po.header_comment
    assert "native speaker" in po.header_comment
    assert not po.fuzzy


def test_no_compiled_catalogs_are_kept() -> None:
    assert not list(LOCALES.rglob("*.mo"))


def test_translations_are_loaded_once_per_language() -> None:
    assert translations("zh") is translations("zh")
    assert translations("ru") is not translations("zh")


def test_russian_plurals_take_three_forms() -> None:
    metres = ngettext("ru")
    shown = {n: metres("%(count)s metre", "%(count)s metres", n) for n in (1, 2, 5, 11, 21, 22)}
    assert shown == {
        1: "%(count)s метр",
        2: "%(count)s метра",
        5: "%(count)s метров",
        11: "%(count)s метров",
        21: "%(count)s метр",
        22: "%(count)s метра",
    }
    assert ngettext("zh")("%(count)s metre", "%(count)s metres", 5) == "%(count)s米"
    assert ngettext("en")("%(count)s metre", "%(count)s metres", 1) == "%(count)s metre"


def test_gettext_and_pgettext_look_up_each_language() -> None:
    assert gettext("zh")("Start") == "开始时间"
    assert gettext("ru")("Start") == "Начало"
    assert gettext("en")("Start") == "Start"
    # One English word, two groups, two translations: the group is the context.
    assert pgettext("zh")("state", "Accepted") == "已接受"
    assert pgettext("zh")("answer", "Accepted") == "接受"


# --- languages ------------------------------------------------------------------------------


def test_supported_languages_name_themselves() -> None:
    assert SUPPORTED_LANGUAGES == ("en", "zh", "ru")
    assert dict(LANGUAGE_NAMES) == {"en": "English", "zh": "中文", "ru": "Русский"}
    for lang in SUPPORTED_LANGUAGES:
        assert check_language(lang) == lang


@pytest.mark.parametrize("lang", ["fr", "", "EN", "zh-Hans", "ru-RU", "de"])
def test_an_unsupported_language_is_refused_in_one_line(lang: str) -> None:
    with pytest.raises(LanguageError) as caught:
        check_language(lang)
    assert caught.value.code == "unsupported-language"
    assert isinstance(caught.value, ValueError)
    message = str(caught.value)
    assert "\n" not in message
    assert all(supported in message for supported in SUPPORTED_LANGUAGES)


@pytest.mark.parametrize(
    "call",
    [
        lambda: label("activity", "patrol", "fr"),
        lambda: format_time("2026-11-29T07:30:00.000Z", "fr"),
        lambda: format_duration(60, "fr"),
        lambda: format_number(1, "fr"),
        lambda: gettext("fr"),
    ],
)
def test_every_entry_point_refuses_an_unsupported_language(call: object) -> None:
    assert callable(call)
    with pytest.raises(LanguageError):
        call()


# --- labels ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("group", "value"), [(g, v) for g, vs in GROUPS.items() for v in vs])
def test_every_value_of_the_core_has_a_label_in_every_language(group: str, value: str) -> None:
    english = label(group, value, "en")
    chinese = label(group, value, "zh")
    russian = label(group, value, "ru")
    # A term's English may be its key ("delivered"); a missing one fails the zh check below.
    assert english != value or group == "term", f"{group}/{value} has no label"
    assert CJK.search(chinese), (group, value, chinese)
    assert not LATIN.search(chinese), (group, value, chinese)
    assert CYRILLIC.search(russian), (group, value, russian)
    assert not LATIN.search(russian), (group, value, russian)
    assert english not in (chinese, russian)


@pytest.mark.parametrize("kind", sorted(LABELS["kind"]))
def test_every_kind_has_a_label_in_every_language(kind: str) -> None:
    assert CJK.search(label("kind", kind, "zh"))
    assert CYRILLIC.search(label("kind", kind, "ru"))
    assert not LATIN.search(label("kind", kind, "zh") + label("kind", kind, "ru"))


def test_known_labels_read_as_agreed() -> None:
    assert label("activity", "joint-patrol", "zh") == "联合巡逻"
    assert label("activity", "joint-patrol", "ru") == "Совместное патрулирование"
    assert label("activity", "missile-launch", "zh") == "导弹发射"
    assert label("activity", "air-defence-test", "ru") == "Испытание ПВО"
    assert label("category", "unsafe-intercept", "zh") == "不安全拦截"
    assert label("precedence", "flash", "zh") == "特急"
    assert label("precedence", "flash", "ru") == "Молния"
    assert label("kind", "notify.activity", "en") == "Activity notification"
    assert label("kind", "notify.activity", "zh") == "活动通报"


@pytest.mark.parametrize("lang", SUPPORTED_LANGUAGES)
def test_an_unknown_value_or_group_is_shown_as_it_is(lang: str) -> None:
    assert label("activity", "orbital-launch", lang) == "orbital-launch"
    assert label("mood", "calm", lang) == "calm"
    assert label("kind", "notify.weather", lang) == "notify.weather"


# --- formatting -----------------------------------------------------------------------------


def test_times_are_shown_in_utc_in_each_locale() -> None:
    moment = "2026-11-29T07:30:00.000Z"
    assert format_time(moment, "en") == "29 Nov 2026, 07:30 UTC"
    assert format_time(moment, "zh") == "2026年11月29日 07:30 UTC"
    assert format_time(moment, "ru") == "29 нояб. 2026\u202fг., 07:30 UTC"  # CLDR: narrow nbsp
    assert RU_MONTHS.search(format_time(moment, "ru"))


def test_an_aware_datetime_is_converted_to_utc() -> None:
    beijing = datetime(2026, 11, 29, 15, 30, tzinfo=timezone(timedelta(hours=8)))
    assert format_time(beijing, "zh") == "2026年11月29日 07:30 UTC"
    with pytest.raises(ValueError, match="naive"):
        format_time(datetime(2026, 11, 29, 7, 30), "en")  # naive: the point of the test


def test_seconds_and_milliseconds_are_shown_only_when_set() -> None:
    assert format_time("2026-11-29T07:30:05.000Z", "en") == "29 Nov 2026, 07:30:05 UTC"
    assert format_time("2026-11-29T07:30:00.250Z", "ru").endswith(", 07:30:00.250 UTC")
    assert format_time(datetime(2026, 1, 2, 3, 4, 5, 999, tzinfo=UTC), "en").endswith(
        "03:04:05 UTC"
    )


def test_durations_are_exact_and_follow_each_language() -> None:
    assert format_duration(3 * 86_400, "en") == "3 days"
    assert format_duration(3 * 86_400, "zh") == "3天"
    assert format_duration(3 * 86_400, "ru") == "3 дня"
    assert format_duration(5_400, "en") == "1 hour, 30 minutes"
    assert format_duration(5_400, "zh") == "1小时30分钟"
    assert format_duration(5_400, "ru") == "1 час 30 минут"
    assert format_duration(86_399, "en") == "23 hours, 59 minutes, 59 seconds"  # not "1 day"
    assert format_duration(0, "en") == "0 seconds"
    assert format_duration(21 * 60, "ru") == "21 минута"
    assert format_duration(400 * 86_400, "en") == "400 days"  # not rounded to years


def test_a_negative_duration_takes_a_minus_sign() -> None:
    assert format_duration(-7_200, "en") == f"{MINUS}2 hours"
    assert format_duration(-7_200, "ru") == f"{MINUS}2 часа"
    assert format_duration(-90, "zh") == f"{MINUS}1分钟30秒钟"


def test_numbers_follow_the_grouping_of_each_locale() -> None:
    assert format_number(12_000, "en") == "12,000"
    assert format_number(12_000, "zh") == numbers.format_decimal(12_000, locale="zh")
    russian = format_number(12_000, "ru")
    assert russian == numbers.format_decimal(12_000, locale="ru")
    assert russian in ("12\u00a0000", "12\u202f000")
    assert format_number(7, "ru") == "7"


TEN_YEARS = 10 * 366 * 86_400


@given(st.integers(min_value=-TEN_YEARS, max_value=TEN_YEARS), st.sampled_from(SUPPORTED_LANGUAGES))
def test_format_duration_never_fails_within_ten_years(seconds: int, lang: str) -> None:
    shown = format_duration(seconds, lang)
    assert shown
    assert shown.startswith(MINUS) == (seconds < 0)
    assert "duration" not in shown  # no raw CLDR unit names


@given(
    st.datetimes(
        min_value=datetime(1970, 1, 1),  # hypothesis takes naive bounds
        max_value=datetime(9999, 12, 31),
        timezones=st.just(UTC),
    ),
    st.sampled_from(SUPPORTED_LANGUAGES),
)
def test_format_time_always_says_utc(moment: datetime, lang: str) -> None:
    assert format_time(moment, lang).endswith(" UTC")
