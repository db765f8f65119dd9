"""Tests for openline.core.catalogue: the agreed message catalogue.

The starter catalogue parses and renders every message in en, zh and ru with real CJK and
Cyrillic text; its pin is the SHA-256 of its RFC 8785 bytes (checked against the reference
``rfc8785`` package) and changes with any edit; every malformed catalogue, body and
rendering request is refused with its own code; and Hypothesis renders every message with
any valid parameters without a crash or a leftover placeholder.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from openline.core.canonical import MAX_SAFE_INTEGER
from openline.core.catalogue import (
    MAX_SPEED_KNOTS,
    Catalogue,
    CatalogueError,
    ParamSpec,
    catalogue_hash,
    load_starter,
    parse_catalogue,
    render,
    render_message,
    validate_message,
    validate_message_body,
)
from openline.core.errors import EntryError, OpenlineError
from openline.core.timefmt import format_time

Obj = dict[str, Any]

# The pin of the shipped starter catalogue. Editing starter.json changes it: bump the
# catalogue's version and update this value, since every party must pin the new text again.
STARTER_HASH = "05da8580f01f2dec827c7234c907b93c022da4406d916544db45b4edb7b40a7e"

CJK = re.compile(r"[\u4e00-\u9fff]")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
LEFTOVER = re.compile(r"[{}]")

STARTER_DOC: Obj = load_starter()
STARTER = Catalogue.from_dict(STARTER_DOC)
PINNED = {STARTER.hash: STARTER}

SAMPLE_VALUES: dict[str, Any] = {
    "text": "Proceeding to Yokosuka after the exercise.",
    "reference": "RU-2026-017",
    "area": "21°30′N 117°15′E",
    "integer": 5,
    "time": "2026-11-29T01:48:00.000Z",
    "bearing": 45,
    "course": 270,
    "speed": 12,
}


def sample_params(code: str) -> Obj:
    return {p.name: SAMPLE_VALUES[p.type] for p in STARTER.message(code).params}


def body(code: str, params: Obj | None = None, **extra: Any) -> Obj:
    out: Obj = {
        "catalogue": STARTER.hash,
        "code": code,
        "params": sample_params(code) if params is None else params,
    }
    out.update(extra)
    return out


def tiny() -> Obj:
    """A small valid catalogue that the bad-input cases below break one way each."""
    return {
        "catalogue": "tiny",
        "version": 1,
        "languages": ["en", "ru"],
        "messages": [
            {
                "code": "M10",
                "title": {"en": "Keep clear", "ru": "Держитесь в стороне"},
                "params": [{"name": "distance", "type": "integer", "unit": "nmi"}],
                "text": {
                    "en": "Keep {distance} {distance|one:mile|other:miles} clear.",
                    "ru": "Держитесь не ближе {distance} {distance|one:мили|few:миль|many:миль}.",
                },
            },
            {
                "code": "G6",
                "title": {"en": "Intentions", "ru": "Намерения"},
                "params": [{"name": "intentions", "type": "text"}],
                "text": {"en": "My intentions: {intentions}", "ru": "Мои намерения: {intentions}"},
            },
        ],
    }


# --- the starter catalogue ---------------------------------------------------------------
def test_starter_parses_with_at_least_20_messages_in_en_zh_ru() -> None:
    assert STARTER.name == "openline-starter"
    assert STARTER.languages == ("en", "zh", "ru")
    assert len(STARTER.messages) >= 20
    assert STARTER.to_dict() == STARTER_DOC


def test_starter_is_shipped_as_package_data_and_loads_fresh_each_time() -> None:
    first = load_starter()
    first["version"] = 99
    assert load_starter()["version"] == STARTER.version


@pytest.mark.parametrize("code", list(STARTER.messages))
def test_every_starter_message_renders_in_real_chinese_russian_and_english(code: str) -> None:
    params = sample_params(code)
    message = STARTER.message(code)
    english = render(STARTER, code, params, "en")
    chinese = render(STARTER, code, params, "zh")
    russian = render(STARTER, code, params, "ru")
    for rendered in (english, chinese, russian):
        assert not LEFTOVER.search(rendered)
        assert code not in rendered
        for value in params.values():
            if isinstance(value, str) and not value.endswith("Z"):
                assert value in rendered
    assert len(CJK.findall(chinese)) >= 3
    assert len(CYRILLIC.findall(russian)) >= 8
    assert not CJK.search(english.replace(params.get("area", ""), ""))
    assert not CYRILLIC.search(english)
    assert re.search(r"[A-Za-z]{3}", english)
    assert CJK.search(message.title["zh"])
    assert CYRILLIC.search(message.title["ru"])
    assert re.fullmatch(r"[A-Za-z][A-Za-z ,:'-]+", message.title["en"])


def test_starter_texts_end_like_sentences_in_each_language() -> None:
    for message in STARTER.messages.values():
        if message.has_free_text:
            continue  # free text closes the sentence itself
        assert message.text["en"][-1] in ".;"
        assert message.text["ru"][-1] == "."
        assert message.text["zh"][-1] == "。", message.code  # full-width stop


@pytest.mark.parametrize(
    ("distance", "english", "russian"),
    [
        (1, "1 nautical mile clear", "не менее 1 морской мили"),
        (2, "2 nautical miles clear", "не менее 2 морских миль"),
        (5, "5 nautical miles", "не менее 5 морских миль"),
        (11, "11 nautical miles", "не менее 11 морских миль"),
        (21, "21 nautical miles", "не менее 21 морской мили"),
        (112, "112 nautical miles", "не менее 112 морских миль"),
    ],
)
def test_plural_forms_follow_cldr_rules(distance: int, english: str, russian: str) -> None:
    params = {"distance": distance}
    assert english in render(STARTER, "M10", params, "en")
    assert russian in render(STARTER, "M10", params, "ru")
    assert f"{distance}海里" in render(STARTER, "M10", params, "zh")


def test_russian_nominative_plurals_for_a_range() -> None:
    shown = [
        render(STARTER, "M14", {"bearing": 7, "distance": n}, "ru") for n in (1, 3, 5, 22, 111)
    ]
    assert "пеленг 007°, дистанция 1 миля." in shown[0]
    assert "3 мили." in shown[1]
    assert "5 миль." in shown[2]
    assert "22 мили." in shown[3]
    assert "111 миль." in shown[4]


@pytest.mark.parametrize(
    ("time", "shown"),
    [
        ("2026-11-29T01:48:00.000Z", "2026-11-29 01:48 UTC"),
        ("2026-11-29T01:48:07.000Z", "2026-11-29 01:48:07 UTC"),
        ("2026-11-29T01:48:07.250Z", "2026-11-29 01:48:07.250 UTC"),
        ("0999-01-02T03:04:00.000Z", "0999-01-02 03:04 UTC"),
    ],
)
def test_times_render_in_one_unambiguous_form(time: str, shown: str) -> None:
    assert render(STARTER, "G4", {"time": time}, "en") == (
        f"Your message has been received; a reply will follow by {shown}."
    )


def test_bearings_and_courses_render_as_three_digit_degrees() -> None:
    assert render(STARTER, "M4", {"course": 5, "speed": 1}, "en") == (
        "My course is 005°, speed 1 knot."
    )
    assert render(STARTER, "M4", {"course": 270, "speed": 18}, "zh") == "我的航向270°，航速18节。"


def test_free_text_is_inserted_as_given_and_never_substituted_again() -> None:
    text = "Патрулирую {area} — 巡逻"
    assert render(STARTER, "G6", {"intentions": text}, "en") == (
        f"My intentions are as follows: {text}"
    )
    assert render(STARTER, "G6", {"intentions": text}, "zh") == f"我方意图如下：{text}"


def test_render_message_validates_then_renders() -> None:
    sent = body("N1", {"area": "W-123"})
    assert render_message(sent, PINNED, "zh") == "我方正在W-123区域进行例行巡逻。"
    assert render_message(sent, PINNED, "ru") == "Выполняю плановое патрулирование в районе W-123."
    with pytest.raises(CatalogueError) as caught:
        render_message(sent, {}, "en")
    assert caught.value.code == "unpinned-catalogue"


# --- the pin -------------------------------------------------------------------------------
def test_hash_is_sha256_of_rfc8785_bytes() -> None:
    assert STARTER.hash == STARTER_HASH
    assert catalogue_hash(STARTER_DOC) == hashlib.sha256(rfc8785.dumps(STARTER_DOC)).hexdigest()
    assert (
        catalogue_hash(tiny() | {"languages": ["en"], "messages": []})
        == hashlib.sha256(
            rfc8785.dumps({"catalogue": "tiny", "version": 1, "languages": ["en"], "messages": []})
        ).hexdigest()
    )


def test_hash_ignores_key_order_and_file_layout() -> None:
    reordered = {key: STARTER_DOC[key] for key in reversed(list(STARTER_DOC))}
    assert catalogue_hash(reordered) == STARTER.hash
    import json

    spaced = json.dumps(STARTER_DOC, indent=7, ensure_ascii=True)
    assert parse_catalogue(spaced).hash == STARTER.hash
    assert parse_catalogue(spaced.encode()).hash == STARTER.hash


def _edit_translation(doc: Obj) -> None:
    doc["messages"][0]["text"]["zh"] = doc["messages"][0]["text"]["zh"].replace("。", "！")


def _edit_title(doc: Obj) -> None:
    doc["messages"][3]["title"]["ru"] += "!"


def _edit_version(doc: Obj) -> None:
    doc["version"] = 2


def _edit_order(doc: Obj) -> None:
    doc["messages"][0], doc["messages"][1] = doc["messages"][1], doc["messages"][0]


def _edit_unit(doc: Obj) -> None:
    message = next(m for m in doc["messages"] if m["code"] == "M11")
    message["params"][0]["unit"] = "ft"


def _edit_languages(doc: Obj) -> None:
    doc["languages"] = ["en", "ru", "zh"]


def _edit_one_space(doc: Obj) -> None:
    doc["messages"][-1]["text"]["en"] = doc["messages"][-1]["text"]["en"].replace(" ", "  ", 1)


@pytest.mark.parametrize(
    "edit",
    [
        _edit_translation,
        _edit_title,
        _edit_version,
        _edit_order,
        _edit_unit,
        _edit_languages,
        _edit_one_space,
    ],
)
def test_any_edit_changes_the_hash(edit: Callable[[Obj], None]) -> None:
    doc = copy.deepcopy(STARTER_DOC)
    edit(doc)
    edited = Catalogue.from_dict(doc)  # still valid: a different catalogue, not a broken one
    assert edited.hash != STARTER.hash
    assert catalogue_hash(doc) == edited.hash


def test_hash_refuses_a_document_outside_canonical_json() -> None:
    with pytest.raises(CatalogueError) as caught:
        catalogue_hash({"catalogue": "x", "version": 1.5})
    assert caught.value.code == "invalid-catalogue"


# --- bad catalogues ---------------------------------------------------------------------
def _message(doc: Obj, index: int = 0) -> Obj:
    message: Obj = doc["messages"][index]
    return message


BAD_DOCUMENTS: list[tuple[str, Callable[[Obj], Any], str]] = [
    ("unknown top field", lambda d: d.update(author="x"), "invalid-catalogue"),
    ("missing top field", lambda d: d.pop("languages"), "invalid-catalogue"),
    ("unknown message field", lambda d: _message(d).update(note="x"), "invalid-catalogue"),
    ("missing params", lambda d: _message(d).pop("params"), "invalid-catalogue"),
    ("unknown param field", lambda d: _message(d)["params"][0].update(min=1), "invalid-catalogue"),
    ("bad name", lambda d: d.update(catalogue="Tiny Catalogue"), "invalid-catalogue"),
    ("version zero", lambda d: d.update(version=0), "invalid-catalogue"),
    ("version float", lambda d: d.update(version=1.0), "invalid-catalogue"),
    ("version bool", lambda d: d.update(version=True), "invalid-catalogue"),
    ("version text", lambda d: d.update(version="1"), "invalid-catalogue"),
    ("no languages", lambda d: d.update(languages=[]), "invalid-catalogue"),
    ("bad language tag", lambda d: d.update(languages=["en", "Russian"]), "invalid-catalogue"),
    ("language twice", lambda d: d.update(languages=["en", "ru", "en"]), "invalid-catalogue"),
    ("no messages", lambda d: d.update(messages=[]), "invalid-catalogue"),
    ("messages not a list", lambda d: d.update(messages={}), "invalid-catalogue"),
    ("message not an object", lambda d: d["messages"].append("G1"), "invalid-catalogue"),
    ("integer code", lambda d: _message(d).update(code=10), "invalid-catalogue"),
    ("lowercase code", lambda d: _message(d).update(code="m10"), "invalid-catalogue"),
    ("long code", lambda d: _message(d).update(code="M1000"), "invalid-catalogue"),
    ("duplicate code", lambda d: _message(d, 1).update(code="M10"), "duplicate-code"),
    ("text lacks a language", lambda d: _message(d)["text"].pop("ru"), "missing-translation"),
    ("title lacks a language", lambda d: _message(d)["title"].pop("en"), "missing-translation"),
    (
        "text in an unlisted language",
        lambda d: _message(d, 1)["text"].update(zh="我方意图：{intentions}"),
        "missing-translation",
    ),
    ("empty title", lambda d: _message(d)["title"].update(en=""), "invalid-catalogue"),
    ("title not text", lambda d: _message(d)["title"].update(en=5), "invalid-catalogue"),
    (
        "title with a brace",
        lambda d: _message(d)["title"].update(en="Keep {x}"),
        "invalid-catalogue",
    ),
    (
        "text with a line break",
        lambda d: _message(d, 1)["text"].update(en="My\nintentions: {intentions}"),
        "invalid-catalogue",
    ),
    (
        "text too long",
        lambda d: _message(d, 1)["text"].update(en="{intentions}" + "x" * 1000),
        "invalid-catalogue",
    ),
    (
        "undeclared placeholder",
        lambda d: _message(d, 1)["text"].update(en="{intentions} in {area}"),
        "placeholder-mismatch",
    ),
    (
        "declared param not shown",
        lambda d: _message(d, 1)["text"].update(ru="Мои намерения."),
        "placeholder-mismatch",
    ),
    (
        "param shown only through its plural form",
        lambda d: _message(d)["text"].update(en="Keep {distance|one:mile|other:miles} clear."),
        "placeholder-mismatch",
    ),
    (
        "stray brace",
        lambda d: _message(d, 1)["text"].update(en="My {intentions} }"),
        "invalid-catalogue",
    ),
    (
        "unclosed brace",
        lambda d: _message(d, 1)["text"].update(en="My {intentions"),
        "invalid-catalogue",
    ),
    (
        "empty braces",
        lambda d: _message(d, 1)["text"].update(en="My {} {intentions}"),
        "invalid-catalogue",
    ),
    (
        "printf style",
        lambda d: _message(d, 1)["text"].update(en="My {intentions:>10}"),
        "invalid-catalogue",
    ),
    (
        "param declared twice",
        lambda d: _message(d)["params"].append({"name": "distance", "type": "integer"}),
        "invalid-catalogue",
    ),
    (
        "bad param name",
        lambda d: _message(d)["params"][0].update(name="Distance"),
        "invalid-catalogue",
    ),
    (
        "bad param type",
        lambda d: _message(d)["params"][0].update(type="float"),
        "invalid-catalogue",
    ),
    ("bad unit", lambda d: _message(d)["params"][0].update(unit="furlong"), "invalid-catalogue"),
    (
        "unit on a non-integer",
        lambda d: _message(d, 1)["params"][0].update(unit="m"),
        "invalid-catalogue",
    ),
    (
        "too many params",
        lambda d: _message(d, 1).update(
            params=[{"name": f"p{i}", "type": "text"} for i in range(9)]
        ),
        "invalid-catalogue",
    ),
    (
        "plural form for a text param",
        lambda d: _message(d, 1)["text"].update(en="{intentions} {intentions|one:a|other:b}"),
        "invalid-catalogue",
    ),
    (
        "plural form lacking a category",
        lambda d: _message(d)["text"].update(ru="{distance} {distance|one:мили|many:миль}"),
        "invalid-catalogue",
    ),
    (
        "plural form with a foreign category",
        lambda d: _message(d)["text"].update(en="{distance} {distance|one:mile|few:miles}"),
        "invalid-catalogue",
    ),
    (
        "plural category twice",
        lambda d: _message(d)["text"].update(
            en="{distance} {distance|one:mile|other:miles|other:miles}"
        ),
        "invalid-catalogue",
    ),
    (
        "empty plural form",
        lambda d: _message(d)["text"].update(en="{distance} {distance|one:|other:miles}"),
        "invalid-catalogue",
    ),
    (
        "plural form for a language without known rules",
        lambda d: (
            d.update(languages=["en", "ru", "fr"]),
            _message(d)["title"].update(fr="Au large"),
            _message(d)["text"].update(fr="{distance} {distance|one:mille|other:milles}"),
            _message(d, 1)["title"].update(fr="Intentions"),
            _message(d, 1)["text"].update(fr="Mes intentions : {intentions}"),
        ),
        "invalid-catalogue",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "code"),
    [pytest.param(mutate, code, id=name) for name, mutate, code in BAD_DOCUMENTS],
)
def test_bad_catalogue_is_refused_with_its_code(mutate: Callable[[Obj], Any], code: str) -> None:
    doc = tiny()
    Catalogue.from_dict(doc)  # the base is valid
    mutate(doc)
    with pytest.raises(CatalogueError) as caught:
        Catalogue.from_dict(doc)
    assert caught.value.code == code
    assert isinstance(caught.value, OpenlineError)


def test_language_without_plural_rules_is_fine_without_plural_forms() -> None:
    doc = tiny()
    doc["languages"].append("fr")
    doc["messages"] = doc["messages"][1:]
    doc["messages"][0]["title"]["fr"] = "Intentions"
    doc["messages"][0]["text"]["fr"] = "Mes intentions : {intentions}"
    assert Catalogue.from_dict(doc).languages == ("en", "ru", "fr")


def test_catalogue_that_is_not_an_object_or_not_json_is_refused() -> None:
    doc: object
    for doc in ([], "catalogue", None):
        with pytest.raises(CatalogueError) as caught:
            Catalogue.from_dict(doc)
        assert caught.value.code == "invalid-catalogue"
    with pytest.raises(CatalogueError) as caught:
        parse_catalogue(b'{"catalogue": ')
    assert caught.value.code == "invalid-catalogue"


def test_error_messages_name_the_place_at_fault() -> None:
    doc = tiny()
    doc["messages"][1]["text"]["ru"] = "Мои намерения: {intent}"
    with pytest.raises(CatalogueError, match=r"message G6\.text\.ru names \{intent\}"):
        Catalogue.from_dict(doc)


# --- catalogue.message bodies --------------------------------------------------------------
def test_a_valid_body_passes_both_validators() -> None:
    sent = body("M10", {"distance": 5})
    validate_message_body(sent)
    assert validate_message(sent, PINNED).code == "M10"
    validate_message(body("G6", {"intentions": "Returning to port."}, lang="en"), PINNED)
    validate_message(body("S4", {}), PINNED)


BAD_BODIES: list[tuple[str, Any]] = [
    ("not an object", ["M10"]),
    ("missing catalogue", {"code": "M10", "params": {}}),
    ("missing params", {"catalogue": STARTER_HASH, "code": "M10"}),
    ("unknown field", body("S4", {}, note="x")),
    ("hash too short", body("S4", {}) | {"catalogue": STARTER_HASH[:63]}),
    ("hash in capitals", body("S4", {}) | {"catalogue": STARTER_HASH.upper()}),
    ("catalogue by name", body("S4", {}) | {"catalogue": "openline-starter"}),
    ("integer code", body("S4", {}) | {"code": 4}),
    ("badly formed code", body("S4", {}) | {"code": "s4"}),
    ("bad lang", body("G6", {"intentions": "x"}, lang="English")),
    ("params a list", body("S4", {}) | {"params": []}),
    ("bad param name", body("S4", {"Distance": 5})),
    ("float value", body("M10", {"distance": 5.0})),
    ("bool value", body("M10", {"distance": True})),
    ("null value", body("M10", {"distance": None})),
    ("list value", body("M10", {"distance": [5]})),
    ("negative value", body("M10", {"distance": -5})),
    ("huge value", body("M10", {"distance": MAX_SAFE_INTEGER + 1})),
    ("empty text", body("G6", {"intentions": ""}, lang="en")),
    ("escape in text", body("G6", {"intentions": "\x1b[2J"}, lang="en")),
    ("C1 control in text", body("G6", {"intentions": "a\x9bb"}, lang="en")),
    ("too many params", body("S4", {f"p{i}": 1 for i in range(9)})),
]


@pytest.mark.parametrize(("value"), [pytest.param(b, id=name) for name, b in BAD_BODIES])
def test_malformed_body_is_refused_before_any_catalogue(value: Any) -> None:
    with pytest.raises(CatalogueError) as caught:
        validate_message_body(value)
    assert caught.value.code == "invalid-body"
    assert isinstance(caught.value, EntryError)  # the door's `except EntryError` catches it
    with pytest.raises(CatalogueError) as caught:
        validate_message(value, PINNED)
    assert caught.value.code == "invalid-body"


BAD_AGAINST_CATALOGUE: list[tuple[str, Obj, str]] = [
    ("unpinned catalogue", body("S4", {}) | {"catalogue": "ab" * 32}, "unpinned-catalogue"),
    ("unknown code", body("S4", {}) | {"code": "Z99"}, "unknown-code"),
    ("missing param", body("N3", {"area": "W-1", "start": SAMPLE_VALUES["time"]}), "missing-param"),
    ("missing all params", body("M10", {}), "missing-param"),
    ("extra param", body("M10", {"distance": 5, "bearing": 90}), "extra-param"),
    ("params on a message without any", body("S4", {"area": "W-1"}), "extra-param"),
    ("integer as text", body("M10", {"distance": "5"}), "bad-param"),
    ("area as a number", body("N1", {"area": 123}), "bad-param"),
    ("area on two lines", body("N1", {"area": "W-1\nW-2"}), "bad-param"),
    ("area too long", body("N1", {"area": "x" * 201}), "bad-param"),
    ("reference too long", body("N6", {"reference": "x" * 101}), "bad-param"),
    ("bearing 360", body("M14", {"bearing": 360, "distance": 3}), "bad-param"),
    ("course 400", body("M15", {"course": 400}), "bad-param"),
    ("speed too high", body("M4", {"course": 1, "speed": MAX_SPEED_KNOTS + 1}), "bad-param"),
    ("time without milliseconds", body("G4", {"time": "2026-11-29T01:48:00Z"}), "bad-param"),
    ("time with an offset", body("G4", {"time": "2026-11-29T01:48:00.000+08:00"}), "bad-param"),
    ("time not a date", body("G4", {"time": "2026-02-30T01:48:00.000Z"}), "bad-param"),
    ("time as a number", body("G4", {"time": 1_764_380_880}), "bad-param"),
    ("text as a number", body("G6", {"intentions": 5}, lang="en"), "bad-param"),
    ("free text without lang", body("G6", {"intentions": "Returning."}), "bad-lang"),
    ("lang without free text", body("N1", {"area": "W-1"}, lang="en"), "bad-lang"),
]


@pytest.mark.parametrize(
    ("sent", "code"), [pytest.param(b, c, id=name) for name, b, c in BAD_AGAINST_CATALOGUE]
)
def test_body_that_does_not_fit_the_pinned_catalogue_is_refused(sent: Obj, code: str) -> None:
    validate_message_body(sent)  # the shape alone is fine
    with pytest.raises(CatalogueError) as caught:
        validate_message(sent, PINNED)
    assert caught.value.code == code
    assert isinstance(caught.value, EntryError)


def test_error_messages_name_the_message_and_parameter() -> None:
    with pytest.raises(CatalogueError, match=r"message M10 needs parameter 'distance'"):
        validate_message(body("M10", {}), PINNED)
    with pytest.raises(CatalogueError, match=r"message M14 parameter 'bearing'.*0 to 359"):
        validate_message(body("M14", {"bearing": 360, "distance": 1}), PINNED)


# --- rendering refusals --------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["fr", "zh-Hans", "EN", "", "english"])
def test_render_in_an_unlisted_language_is_refused(lang: str) -> None:
    with pytest.raises(CatalogueError) as caught:
        render(STARTER, "S4", {}, lang)
    assert caught.value.code == "unsupported-language"
    assert "en, zh, ru" in str(caught.value)


@pytest.mark.parametrize(
    ("code", "params", "error"),
    [
        ("Z1", {}, "unknown-code"),
        ("M10", {}, "missing-param"),
        ("S4", {"x": 1}, "extra-param"),
        ("M10", {"distance": "far"}, "bad-param"),
    ],
)
def test_render_checks_params_first(code: str, params: Obj, error: str) -> None:
    with pytest.raises(CatalogueError) as caught:
        render(STARTER, code, params, "en")
    assert caught.value.code == error


# --- properties ----------------------------------------------------------------------------
_PRINTABLE = st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="{}")
_TIMES = st.datetimes(
    min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59), timezones=st.just(UTC)
).map(format_time)
VALUE_STRATEGIES: dict[str, st.SearchStrategy[Any]] = {
    "text": st.text(_PRINTABLE, min_size=1, max_size=60),
    "reference": st.text(_PRINTABLE, min_size=1, max_size=100),
    "area": st.text(_PRINTABLE, min_size=1, max_size=200),
    "integer": st.integers(0, MAX_SAFE_INTEGER),
    "time": _TIMES,
    "bearing": st.integers(0, 359),
    "course": st.integers(0, 359),
    "speed": st.integers(0, MAX_SPEED_KNOTS),
}


@st.composite
def valid_sends(draw: st.DrawFn) -> tuple[str, Obj]:
    code = draw(st.sampled_from(list(STARTER.messages)))
    params = {spec.name: draw(VALUE_STRATEGIES[spec.type]) for spec in STARTER.message(code).params}
    return code, params


@given(valid_sends(), st.sampled_from(STARTER.languages))
def test_rendering_any_valid_params_never_crashes_or_leaves_a_placeholder(
    send: tuple[str, Obj], lang: str
) -> None:
    code, params = send
    rendered = render(STARTER, code, params, lang)
    assert not LEFTOVER.search(rendered)
    for value in params.values():
        if isinstance(value, int):
            assert str(value) in rendered or f"{value:03d}°" in rendered
        elif not value.endswith("Z"):
            assert value in rendered
    lang_tag = {"lang": "en"} if STARTER.message(code).has_free_text else {}
    assert render_message(body(code, params, **lang_tag), PINNED, lang) == rendered


@given(
    st.dictionaries(
        st.sampled_from(["catalogue", "code", "params", "lang", "x"]),
        st.one_of(
            st.just(STARTER_HASH),
            st.sampled_from([*STARTER.messages, "Z9"]),
            st.dictionaries(
                st.sampled_from(["distance", "area", "time", "course", "speed", "Bad"]),
                st.one_of(st.integers(-2, 400), st.text(max_size=5), st.none(), st.floats()),
            ),
            st.text(max_size=5),
            st.integers(),
        ),
    )
)
def test_any_body_is_either_accepted_or_refused_with_a_code(sent: Obj) -> None:
    try:
        validate_message(sent, PINNED)
    except CatalogueError as error:
        code: str | None = error.code
    else:
        code = None
    assert code is None or code in {
        "invalid-body",
        "unknown-code",
        "missing-param",
        "extra-param",
        "bad-param",
        "bad-lang",
    }


def test_param_spec_round_trips() -> None:
    spec = ParamSpec(name="distance", type="integer", unit="nmi")
    assert spec.to_dict() == {"name": "distance", "type": "integer", "unit": "nmi"}
    assert ParamSpec(name="area", type="area").to_dict() == {"name": "area", "type": "area"}


# --- the catalogue.pin kind ----------------------------------------------------------------


def pin_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "catalogue": STARTER.hash,
        "name": STARTER.name,
        "version": STARTER.version,
        "officer": "Cdr. J. Miller",
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


def test_a_pin_body_names_the_catalogue_by_hash_name_and_version() -> None:
    from openline.core.kinds import validate_body

    validate_body("catalogue.pin", pin_body())


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"catalogue": "ABC"}, "catalogue"),
        ({"catalogue": STARTER.hash.upper()}, "catalogue"),
        ({"name": "Not A Name"}, "name"),
        ({"version": 0}, "version"),
        ({"version": True}, "version"),
        ({"version": 1.0}, "version"),
        ({"officer": ""}, "officer"),
        ({"officer": None}, "officer"),
        ({"extra": 1}, "extra"),
    ],
)
def test_a_bad_pin_body_is_refused_naming_the_field(changes: dict[str, Any], fragment: str) -> None:
    from openline.core.errors import EntryError
    from openline.core.kinds import validate_body

    with pytest.raises(EntryError) as refused:
        validate_body("catalogue.pin", pin_body(**changes))
    assert refused.value.code == "invalid-body"
    assert fragment in str(refused.value)
