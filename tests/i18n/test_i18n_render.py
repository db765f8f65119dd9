"""Tests for openline.i18n.render: every kind of entry, shown in en, zh and ru.

Each kind renders in all three languages with translated titles and labels (no English
label leaks into zh or ru), free text verbatim and tagged with its own language, dates and
numbers in the reader's locale, and the agreed catalogue text for catalogue messages. An
unknown kind renders generically, and Hypothesis renders any valid activity notification.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from babel import numbers
from hypothesis import given, settings
from hypothesis import strategies as st

from openline.core import notify
from openline.core.catalogue import Catalogue, load_starter
from openline.core.entry import Entry, sign_entry
from openline.core.keys import PrivateKey
from openline.core.kinds import KINDS, validate_body
from openline.core.notify import to_microdegrees
from openline.core.precedence import PRECEDENCES
from openline.core.timefmt import format_time as entry_time
from openline.i18n import (
    SUPPORTED_LANGUAGES,
    Facts,
    LanguageError,
    Rendered,
    format_duration,
    format_time,
    label,
    render_entry,
)

Obj = dict[str, Any]

US, PRC, RU = "us-dod", "prc-mnd", "ru-mod"
KEYS = {party: PrivateKey.from_seed(bytes([n]) * 32) for n, party in enumerate((US, PRC, RU), 1)}
NAMES = {US: "U.S. Department of Defense", PRC: "中华人民共和国国防部", RU: "Минобороны России"}
T0 = datetime(2026, 11, 29, 7, 30, tzinfo=UTC)
REF = "ab" * 32

CJK = re.compile(r"[\u4e00-\u9fff]")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
LATIN = re.compile(r"[A-Za-z]")
RU_MONTHS = re.compile(r"(янв|февр|мар|апр|мая|июн|июл|авг|сент|окт|нояб|дек)\.")
SCRIPT = {"zh": CJK, "ru": CYRILLIC}
ORIGINAL = {"en": "(original, {})", "zh": "（原文，{}）", "ru": "(оригинал, {})"}

STARTER = Catalogue.from_dict(load_starter())
PINNED = {STARTER.hash: STARTER}


def at(hours: float) -> str:
    return entry_time(T0 + timedelta(hours=hours))


def e6(lon: float, lat: float) -> list[int]:
    return [to_microdegrees(lon), to_microdegrees(lat)]


def ring(*corners: tuple[float, float]) -> list[list[int]]:
    return [e6(*corner) for corner in (*corners, corners[0])]


EAST_CHINA_SEA = ring((123.0, 25.0), (128.0, 25.0), (128.0, 30.0), (123.0, 30.0))
HOLE = ring((124.0, 26.0), (124.0, 27.0), (125.0, 27.0), (125.0, 26.0))
SEA_OF_JAPAN = ring((131.5, 37.0), (135.25, 37.0), (135.25, 40.5), (131.5, 40.5))

ACTIVITY: Obj = {
    "activity": "joint-patrol",
    "title": "Совместное морское и воздушное патрулирование",
    "participants": [RU, PRC],
    "area": {"type": "Polygon", "coordinates_e6": [EAST_CHINA_SEA]},
    "start": at(24 * 5),
    "end": at(24 * 9),
    "forces": {"ships": 4, "aircraft": 6, "personnel": 12_000},
    "contact_channel": "УКВ 16, позывной ТИХИЙ-1",
    "ack_within_minutes": 120,
    "precedence": "priority",
    "lang": "ru",
    "officer": "Капитан 1-го ранга Иванов",
}
INCIDENT: Obj = {
    "time": at(-2),
    "position": {"type": "Point", "coordinates_e6": e6(114.2, 16.5)},
    "domain": "maritime",
    "own_units": ["USS Decatur (DDG-73)"],
    "other_units": ["PLAN Lanzhou (170)", "one unidentified frigate"],
    "category": "close-approach",
    "distance_m": 41,
    "description": "Approached to 41 m off the port bow\nand crossed ahead at 15 kn.",
    "ack_within_minutes": 60,
    "precedence": "immediate",
    "lang": "en",
    "officer": "Lt. Cmdr. Smith",
}
REQUEST: Obj = {
    "format": "meeting",
    "level": "minister",
    "from_official": {"name": "J. Carter", "title": "Secretary of Defense"},
    "to_official": {"name": "Dong Jun", "title": "Minister of National Defense"},
    "subject": "Maritime safety consultations",
    "agenda": "Review of unsafe encounters since May.",
    "location": "Honolulu",
    "slots": [{"start": at(240), "end": at(242)}, {"start": at(264), "end": at(266)}],
    "respond_by": at(72),
    "precedence": "priority",
    "lang": "en",
    "officer": "Col. Miller",
}
DECLINE: Obj = {
    "answer": "decline",
    "reason": "当前条件下不宜举行会晤。",
    "conditions": ["美方停止在我近海的抵近侦察。"],
    "note": "我方愿在工作层级保持沟通。",
    "officer": "王大校",
    "lang": "zh",
}
SAMPLES: dict[str, tuple[Obj, list[str]]] = {
    # kind: (body, refs)
    "hotline.message": (
        {"text": "Прошу подтвердить получение.\nУчения завершены.", "lang": "ru",
         "precedence": "flash"},
        [],
    ),
    "hotline.ack": ({"officer": "Col. Wang Lei"}, [REF]),
    "contact.request": (REQUEST, []),
    "contact.response": (DECLINE, [REF]),
    "contact.update": (
        {"status": "held", "summary": "Стороны обсудили меры по предотвращению инцидентов.",
         "officer": "Полковник Петров", "lang": "ru"},
        [REF],
    ),
    "explain.request": (
        {"subject": "Laser illumination of 3 December", "text": "Explain the use of a laser "
         "against our aircraft.", "reply_within_hours": 48, "precedence": "immediate",
         "lang": "en", "officer": "Col. Miller"},
        [],
    ),
    "explain.response": (
        {"text": "该激光为测距设备，未对人员造成危害。", "lang": "zh", "officer": "王大校"},
        [REF],
    ),
    "receipt.read": ({"officer": "Maj. Petrova"}, [REF]),
    "notify.activity": (ACTIVITY, []),
    "notify.incident": (INCIDENT, []),
    "notify.ack": ({"officer": "Col. Wang Lei"}, [REF]),
    "desk.check": ({"answer_within_seconds": 300}, []),
    "desk.answer": ({"officer": "Maj. Petrova"}, [REF]),
    "catalogue.pin": (
        {"catalogue": STARTER.hash, "name": STARTER.name, "version": STARTER.version,
         "officer": "Lt. Smith"},
        [],
    ),
    "catalogue.message": (
        {"catalogue": STARTER.hash, "code": "G6",
         "params": {"intentions": "Следую в район учений."}, "lang": "ru"},
        [],
    ),
}  # fmt: skip
# The free texts each sample must show verbatim, with their language tags.
FREE_TEXT: dict[str, list[tuple[str, str]]] = {
    "hotline.message": [("Прошу подтвердить получение.\nУчения завершены.", "ru")],
    "contact.request": [
        ("Maritime safety consultations", "en"),
        ("J. Carter, Secretary of Defense", "en"),
        ("Review of unsafe encounters since May.", "en"),
        ("Honolulu", "en"),
    ],
    "contact.response": [
        ("当前条件下不宜举行会晤。", "zh"),
        ("美方停止在我近海的抵近侦察。", "zh"),
        ("我方愿在工作层级保持沟通。", "zh"),
    ],
    "contact.update": [("Стороны обсудили меры по предотвращению инцидентов.", "ru")],
    "explain.request": [
        ("Laser illumination of 3 December", "en"),
        ("Explain the use of a laser against our aircraft.", "en"),
    ],
    "explain.response": [("该激光为测距设备，未对人员造成危害。", "zh")],
    "notify.activity": [
        ("Совместное морское и воздушное патрулирование", "ru"),
        ("УКВ 16, позывной ТИХИЙ-1", "ru"),
    ],
    "notify.incident": [
        ("USS Decatur (DDG-73)", "en"),
        ("PLAN Lanzhou (170)\none unidentified frigate", "en"),
        ("Approached to 41 m off the port bow\nand crossed ahead at 15 kn.", "en"),
    ],
    "catalogue.message": [("Следую в район учений.", "ru")],
}
FACTS = Facts(
    direction="in",
    state="delivered",
    delivered_at="2026-11-29T07:30:02.000Z",
    due="2026-11-29T09:30:02.000Z",
    catalogues=PINNED,
    names=NAMES,
)


def sign(kind: str, body: Obj, refs: list[str] | None = None, sender: str = RU) -> Entry:
    recipient = US if sender != US else PRC
    return sign_entry(
        sender=sender,
        recipient=recipient,
        seq=3,
        time=at(0),
        kind=kind,
        body=body,
        refs=refs or [],
        key=KEYS[sender],
    )


def sample(kind: str) -> Entry:
    body, refs = SAMPLES[kind]
    return sign(kind, body, refs)


def labels(rendered: Rendered) -> list[str]:
    return [name for name, _ in rendered.fields] + [name for name, _, _ in rendered.free_text]


def field(rendered: Rendered, name: str) -> str:
    values = [value for label_, value in rendered.fields if label_ == name]
    assert len(values) == 1, (name, rendered.fields)
    return values[0]


def test_there_is_a_sample_of_every_kind() -> None:
    assert set(SAMPLES) == set(KINDS)


# --- every kind, every language -------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("lang", ["zh", "ru"])
def test_titles_and_labels_are_in_the_readers_script(kind: str, lang: str) -> None:
    rendered = render_entry(sample(kind), lang, FACTS)
    script = SCRIPT[lang]
    assert rendered.lang == lang
    assert script.search(rendered.title)
    assert label("kind", kind, lang) in rendered.title
    for name in labels(rendered):
        assert script.search(name), f"{lang} label {name!r} of {kind} is not translated"
        assert not LATIN.search(name), f"English leaks into the {lang} label {name!r}"


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("lang", SUPPORTED_LANGUAGES)
def test_free_text_is_verbatim_and_tagged_with_its_language(kind: str, lang: str) -> None:
    rendered = render_entry(sample(kind), lang, FACTS)
    shown = {(text, tag) for _, text, tag in rendered.free_text}
    for text, tag in FREE_TEXT.get(kind, []):
        assert (text, tag) in shown, (kind, text)
    text = rendered.to_text()
    for _, original, tag in rendered.free_text:
        first_line = original.split("\n", maxsplit=1)[0]
        assert f"{ORIGINAL[lang].format(tag)}" in text
        assert first_line in text


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("lang", SUPPORTED_LANGUAGES)
def test_every_kind_renders_its_envelope_and_facts(kind: str, lang: str) -> None:
    rendered = render_entry(sample(kind), lang, FACTS)
    values = [value for _, value in rendered.fields]
    assert format_time(at(0), lang) in values  # sent
    assert format_time(FACTS.due or "", lang) in values
    assert label("state", "delivered", lang) in values
    assert NAMES[RU] in rendered.title  # "from" the sender, by display name
    assert json.loads(json.dumps(rendered.to_json())) == rendered.to_json()


def test_dates_follow_the_readers_locale() -> None:
    entry = sample("notify.activity")
    chinese = render_entry(entry, "zh").to_text()
    assert all(character in chinese for character in "年月日")
    assert "2026年12月4日 07:30 UTC" in chinese
    russian = render_entry(entry, "ru").to_text()
    assert RU_MONTHS.search(russian)
    assert "4 дек. 2026" in russian
    assert "4 Dec 2026, 07:30 UTC" in render_entry(entry, "en").to_text()


# --- notify.activity ------------------------------------------------------------------------


def test_an_activity_notification_in_english() -> None:
    facts = Facts(direction="in", lead_time_seconds=5 * 86_400, names={RU: "ru-mod"})
    rendered = render_entry(sample("notify.activity"), "en", facts)
    assert rendered.title == (
        "Activity notification from ru-mod: Совместное морское и воздушное патрулирование"
    )
    assert field(rendered, "Activity") == "Joint patrol"
    assert field(rendered, "Participants") == "ru-mod and prc-mnd"
    assert field(rendered, "Area") == "Polygon"
    assert field(rendered, "Vertices") == "4"
    assert field(rendered, "Bounds") == "25°00′N to 30°00′N, 123°00′E to 128°00′E"
    assert field(rendered, "Ships") == "4"
    assert field(rendered, "Personnel") == "12,000"
    assert field(rendered, "Acknowledge within") == "2 hours"
    assert field(rendered, "Precedence") == "Priority"
    assert field(rendered, "Lead time") == "5 days"
    assert field(rendered, "Officer") == "Капитан 1-го ранга Иванов"
    text = rendered.to_text()
    assert "Title (original, ru): Совместное морское и воздушное патрулирование" in text


def test_an_activity_notification_in_chinese() -> None:
    rendered = render_entry(sample("notify.activity"), "zh", FACTS)
    text = rendered.to_text()
    assert field(rendered, "活动类型") == "联合巡逻"
    assert field(rendered, "参加方") == "Минобороны России和中华人民共和国国防部"
    assert field(rendered, "范围") == "北纬25°00′至北纬30°00′，东经123°00′至东经128°00′"
    assert field(rendered, "紧急程度") == "急件"
    assert field(rendered, "确认时限") == "2小时"
    assert field(rendered, "人员") == numbers.format_decimal(12_000, locale="zh")
    for english in ("Activity", "Start", "End", "Participants", "Joint", "Priority", "Area"):
        assert english not in text


def test_an_activity_notification_in_russian() -> None:
    rendered = render_entry(sample("notify.activity"), "ru", FACTS)
    assert field(rendered, "Вид деятельности") == "Совместное патрулирование"
    assert field(rendered, "Район") == "Многоугольник"
    assert field(rendered, "Границы") == (
        "от 25°00′ с. ш. до 30°00′ с. ш., от 123°00′ в. д. до 128°00′ в. д."
    )
    personnel = field(rendered, "Личный состав")
    assert personnel == numbers.format_decimal(12_000, locale="ru")
    assert personnel[2] in ("\u00a0", "\u202f")  # grouped with a no-break space
    assert field(rendered, "Подтвердить в течение") == "2 часа"
    assert field(rendered, "Срочность") == "Срочная"


def test_a_circle_area_shows_its_centre_and_radius() -> None:
    launch = {
        **ACTIVITY,
        "activity": "missile-launch",
        "participants": [RU],
        "area": {"type": "Point", "coordinates_e6": e6(129.5, -40.25), "radius_nm": 30},
        "forces": {"launchers": 1},
    }
    entry = sign("notify.activity", launch)
    english = render_entry(entry, "en")
    assert field(english, "Area") == "Circle of radius 30 nautical miles"
    assert field(english, "Centre") == "40°15′S 129°30′E"
    russian = render_entry(entry, "ru")
    assert field(russian, "Район") == "Круг радиусом в 30 морских миль"
    assert field(russian, "Центр") == "40°15′ ю. ш., 129°30′ в. д."
    assert field(russian, "Пусковые установки") == "1"
    one_mile = sign("notify.activity", {**launch, "area": {**launch["area"], "radius_nm": 1}})
    assert field(render_entry(one_mile, "en"), "Area") == "Circle of radius 1 nautical mile"
    assert field(render_entry(one_mile, "ru"), "Район") == "Круг радиусом в 1 морскую милю"
    assert field(render_entry(entry, "zh"), "区域") == "半径30海里的圆形区域"


def test_a_multipolygon_with_a_hole_counts_polygons_and_vertices() -> None:
    area = {"type": "MultiPolygon", "coordinates_e6": [[EAST_CHINA_SEA, HOLE], [SEA_OF_JAPAN]]}
    entry = sign("notify.activity", {**ACTIVITY, "area": area})
    english = render_entry(entry, "en")
    assert field(english, "Area") == "2 polygons"
    assert field(english, "Vertices") == "12"
    assert field(english, "Bounds") == "25°00′N to 40°30′N, 123°00′E to 135°15′E"
    assert field(render_entry(entry, "ru"), "Район") == "2 многоугольника"
    holed = sign(
        "notify.activity",
        {**ACTIVITY, "area": {"type": "Polygon", "coordinates_e6": [EAST_CHINA_SEA, HOLE]}},
    )
    assert field(render_entry(holed, "en"), "Area") == "Polygon with 1 excluded area"


def test_minutes_keep_their_fraction_with_the_locale_separator() -> None:
    area = {"type": "Point", "coordinates_e6": [-73_991_667, 40_758_333], "radius_nm": 5}
    entry = sign("notify.activity", {**ACTIVITY, "area": area})
    assert field(render_entry(entry, "en"), "Centre") == "40°45.5′N 73°59.5′W"
    assert field(render_entry(entry, "ru"), "Центр") == "40°45,5′ с. ш., 73°59,5′ з. д."
    assert field(render_entry(entry, "zh"), "圆心") == "北纬40°45.5′，西经73°59.5′"


def test_an_other_activity_keeps_its_own_label_as_free_text() -> None:
    body = {**ACTIVITY, "activity": "other", "label": "Учения по поиску и спасанию"}
    rendered = render_entry(sign("notify.activity", body), "zh")
    assert field(rendered, "活动类型") == "其他活动"
    assert ("活动说明", "Учения по поиску и спасанию", "ru") in rendered.free_text


@pytest.mark.parametrize("lang", SUPPORTED_LANGUAGES)
def test_a_late_notification_is_flagged_in_every_language(lang: str) -> None:
    facts = Facts(lead_time_seconds=3_600, late_notice=True)
    rendered = render_entry(sample("notify.activity"), lang, facts)
    lead = [value for _, value in rendered.fields if format_duration(3_600, lang) in value]
    assert len(lead) == 1
    flag = {
        "en": "late: less than the minimum notice",
        "zh": "迟报",
        "ru": "с опозданием",
    }[lang]
    assert flag in lead[0]


def test_a_notification_delivered_after_the_start_says_so() -> None:
    facts = Facts(lead_time_seconds=-7_200, late_notice=True)
    english = render_entry(sample("notify.activity"), "en", facts)
    assert field(english, "Lead time") == (
        "2 hours after the activity started (late: less than the minimum notice)"
    )
    russian = render_entry(sample("notify.activity"), "ru", facts)
    assert field(russian, "Заблаговременность уведомления").startswith(
        "через 2 часа после начала деятельности"
    )


# --- the other kinds ------------------------------------------------------------------------


def test_an_incident_report() -> None:
    english = render_entry(sample("notify.incident"), "en")
    assert english.title == "Incident report from ru-mod to us-dod: Close approach"
    assert field(english, "Position") == "16°30′N 114°12′E"
    assert field(english, "Domain") == "Maritime"
    assert field(english, "Closest distance") == "41 metres"
    assert field(english, "Acknowledge within") == "1 hour"
    russian = render_entry(sample("notify.incident"), "ru")
    assert field(russian, "Минимальное расстояние") == "41 метр"
    assert field(russian, "Категория") == "Опасное сближение"
    assert field(russian, "Координаты") == "16°30′ с. ш., 114°12′ в. д."
    chinese = render_entry(sample("notify.incident"), "zh")
    assert field(chinese, "最近距离") == "41米"
    assert field(chinese, "位置") == "北纬16°30′，东经114°12′"
    far = sign("notify.incident", {**INCIDENT, "distance_m": 12_345})
    assert field(render_entry(far, "ru"), "Минимальное расстояние") == (
        numbers.format_decimal(12_345, locale="ru") + " метров"
    )


def test_an_other_incident_is_titled_with_its_own_words() -> None:
    body = {**INCIDENT, "category": "other", "label": "Flares dropped ahead"}
    del body["distance_m"]
    rendered = render_entry(sign("notify.incident", body), "zh")
    assert rendered.title.endswith("：Flares dropped ahead")
    assert ("事件说明", "Flares dropped ahead", "en") in rendered.free_text


def test_a_desk_check_says_who_asked() -> None:
    scheduled = render_entry(sample("desk.check"), "en")
    assert field(scheduled, "Answer within") == "5 minutes"
    assert field(scheduled, "Asked by") == "sent on the node's schedule"
    assert field(render_entry(sample("desk.check"), "ru"), "Запросил") == (
        "отправлено узлом по расписанию"
    )
    on_demand = sign("desk.check", {"answer_within_seconds": 90, "officer": "Lt. Smith"})
    rendered = render_entry(on_demand, "zh")
    assert field(rendered, "查询人") == "Lt. Smith"
    assert field(rendered, "应答时限") == "1分钟30秒钟"
    answer = render_entry(sample("desk.answer"), "ru")
    assert field(answer, "Ответил") == "Maj. Petrova"


def test_a_contact_request() -> None:
    english = render_entry(sample("contact.request"), "en", FACTS)
    assert english.title == (
        "Contact request from Минобороны России: Maritime safety consultations"
    )
    assert field(english, "Format") == "Meeting"
    assert field(english, "Level") == "Minister"
    assert field(english, "Proposed time 1") == ("9 Dec 2026, 07:30 UTC to 9 Dec 2026, 09:30 UTC")
    chinese = render_entry(sample("contact.request"), "zh")
    assert field(chinese, "形式") == "会晤"
    assert field(chinese, "级别") == "部长级"
    assert field(chinese, "建议时间2") == "2026年12月10日 07:30 UTC至2026年12月10日 09:30 UTC"
    russian = render_entry(sample("contact.request"), "ru")
    assert field(russian, "Формат") == "Встреча"
    assert field(russian, "Ответить до").startswith("2 дек. 2026")


@pytest.mark.parametrize(
    ("body", "english", "chinese"),
    [
        (DECLINE, ("Reason", "当前条件下不宜举行会晤。"), ("理由", "当前条件下不宜举行会晤。")),
        (
            {"answer": "accept", "slot": 2, "officer": "王大校", "lang": "zh"},
            ("Accepted", "Proposed time 2"),
            ("已接受", "建议时间2"),
        ),
        (
            {"answer": "counter", "format": "video-call", "officer": "王大校", "lang": "zh"},
            ("Proposed format", "Video call"),
            ("建议形式", "视频通话"),
        ),
        (
            {"answer": "defer", "until": at(48), "officer": "王大校", "lang": "zh"},
            ("Deferred until", "1 Dec 2026, 07:30 UTC"),
            ("推迟至", "2026年12月1日 07:30 UTC"),
        ),
    ],
)
def test_every_answer_to_a_contact_request(
    body: Obj, english: tuple[str, str], chinese: tuple[str, str]
) -> None:
    entry = sign("contact.response", body, [REF], sender=PRC)
    for lang, (name, value) in (("en", english), ("zh", chinese)):
        rendered = render_entry(entry, lang)
        assert rendered.title.endswith(label("answer", body["answer"], lang))
        shown = {*rendered.fields, *((n, t) for n, t, _ in rendered.free_text)}
        assert (name, value) in shown


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"status": "scheduled", "slot": {"start": at(240), "end": at(242)}, "officer": "A",
          "lang": "en"}, "Scheduled"),
        ({"status": "cancelled", "reason": "Typhoon.", "officer": "A", "lang": "en"}, "Cancelled"),
        ({"status": "withdrawn", "officer": "A", "lang": "en"}, "Withdrawn"),
    ],
)  # fmt: skip
def test_every_update_of_a_contact(body: Obj, status: str) -> None:
    rendered = render_entry(sign("contact.update", body, [REF], sender=US), "en")
    assert rendered.title.endswith(status)
    assert CYRILLIC.search(render_entry(sign("contact.update", body, [REF]), "ru").title)


def test_a_request_for_explanation_gives_its_window_as_a_duration() -> None:
    rendered = render_entry(sample("explain.request"), "ru")
    assert field(rendered, "Ответить в течение") == "2 дня"
    assert field(rendered, "Срочность") == "Весьма срочная"
    assert rendered.title.endswith(": Laser illumination of 3 December")


def test_a_catalogue_pin_names_the_catalogue_and_its_hash() -> None:
    rendered = render_entry(sample("catalogue.pin"), "en")
    assert field(rendered, "Catalogue") == "openline-starter v1"
    assert field(rendered, "Hash") == STARTER.hash[:16] + "…"
    assert field(render_entry(sample("catalogue.pin"), "ru"), "Каталог сообщений") == (
        "openline-starter, версия 1"
    )


# --- catalogue messages ---------------------------------------------------------------------


@pytest.mark.parametrize("lang", SUPPORTED_LANGUAGES)
def test_a_pinned_catalogue_message_shows_the_agreed_text(lang: str) -> None:
    facts = Facts(catalogues=PINNED)
    rendered = render_entry(sample("catalogue.message"), lang, facts)
    message = STARTER.messages["G6"]
    agreed = message.text[lang].replace("{intentions}", "Следую в район учений.")
    assert message.title[lang] in rendered.title
    assert agreed in [value for _, value in rendered.fields]
    assert ("Следую в район учений.", "ru") in {(t, tag) for _, t, tag in rendered.free_text}


def test_the_agreed_texts_are_the_catalogues_own() -> None:
    body = {"catalogue": STARTER.hash, "code": "M10", "params": {"distance": 5}}
    entry = sign("catalogue.message", body)
    facts = Facts(catalogues=PINNED)
    assert field(render_entry(entry, "zh", facts), "商定文本") == "请与我保持5海里以上的距离。"
    assert field(render_entry(entry, "ru", facts), "Согласованный текст") == (
        "Прошу держаться от меня на расстоянии не менее 5 морских миль."
    )
    english = render_entry(entry, "en", facts)
    assert field(english, "Agreed text") == "Request you keep 5 nautical miles clear of me."
    assert english.free_text == ()


@pytest.mark.parametrize(
    ("lang", "line"),
    [
        ("en", "Catalogue {} is not pinned here"),
        ("zh", "本节点未固定电文目录{}"),
        ("ru", "Каталог {} на этом узле не закреплён"),
    ],
)
def test_an_unpinned_catalogue_message_says_so_and_shows_the_raw_code(lang: str, line: str) -> None:
    rendered = render_entry(sample("catalogue.message"), lang)  # nothing pinned
    values = [value for _, value in rendered.fields]
    assert line.format(STARTER.hash[:16] + "…") in values
    assert "G6" in values
    assert json.dumps({"intentions": "Следую в район учений."}, ensure_ascii=False) in values
    assert ("Следую в район учений.", "ru") in {(t, tag) for _, t, tag in rendered.free_text}


def test_a_catalogue_without_the_readers_language_falls_back_to_the_raw_code() -> None:
    doc = load_starter()
    doc["languages"] = ["en"]
    for message in doc["messages"]:
        message["title"] = {"en": message["title"]["en"]}
        message["text"] = {"en": message["text"]["en"]}
    english_only = Catalogue.from_dict(doc)
    body = {"catalogue": english_only.hash, "code": "G1", "params": {}}
    rendered = render_entry(
        sign("catalogue.message", body), "zh", Facts(catalogues={english_only.hash: english_only})
    )
    assert ("附注", "该电文目录没有本语言文本") in rendered.fields
    assert ("电文代码", "G1") in rendered.fields


def test_a_message_that_breaks_its_pinned_catalogue_is_shown_raw() -> None:
    body = {"catalogue": STARTER.hash, "code": "Z99", "params": {}}
    rendered = render_entry(sign("catalogue.message", body), "en", Facts(catalogues=PINNED))
    assert ("Note", "The message does not match the pinned catalogue") in rendered.fields
    assert ("Code", "Z99") in rendered.fields


# --- unknown kinds, languages and the output forms ------------------------------------------


def unsigned(kind: str, body: Mapping[str, Any]) -> Entry:
    return Entry(
        sender=RU,
        recipient=US,
        seq=0,
        time=at(0),
        kind=kind,
        body=body,
        refs=(),
        signature=bytes(64),
        leaf=b"",
        id="00" * 32,
    )


@pytest.mark.parametrize("lang", SUPPORTED_LANGUAGES)
def test_an_unknown_kind_renders_generically(lang: str) -> None:
    entry = unsigned("notify.weather", {"wind_kn": 45, "note": "Тайфун"})
    rendered = render_entry(entry, lang)
    assert "notify.weather" in rendered.title
    assert '{"note": "Тайфун", "wind_kn": 45}' in [value for _, value in rendered.fields]
    if lang != "en":
        assert SCRIPT[lang].search(rendered.title)


def test_a_body_that_breaks_its_schema_renders_generically() -> None:
    rendered = render_entry(unsigned("notify.activity", {"activity": "patrol"}), "en")
    assert rendered.title == "Activity notification from ru-mod to us-dod"
    assert ("Body", '{"activity": "patrol"}') in rendered.fields


@pytest.mark.parametrize("lang", ["de", "fr", "zh-Hans", ""])
def test_render_entry_refuses_an_unsupported_language(lang: str) -> None:
    with pytest.raises(LanguageError) as caught:
        render_entry(sample("hotline.message"), lang)
    assert caught.value.code == "unsupported-language"


def test_to_text_and_to_json() -> None:
    rendered = render_entry(sample("hotline.message"), "ru", FACTS)
    text = rendered.to_text()
    lines = text.split("\n")
    assert lines[0] == rendered.title
    assert "  Срочность: Молния" in lines
    assert "  Текст сообщения (оригинал, ru): Прошу подтвердить получение." in lines
    assert "    Учения завершены." in lines  # the free text's second line, indented
    assert rendered.to_json() == {
        "lang": "ru",
        "title": rendered.title,
        "fields": [{"label": name, "value": value} for name, value in rendered.fields],
        "free_text": [
            {"label": "Текст сообщения", "text": SAMPLES["hotline.message"][0]["text"],
             "lang": "ru"},
        ],
    }  # fmt: skip


def test_the_direction_sets_the_title() -> None:
    entry = sample("hotline.ack")
    assert render_entry(entry, "en", Facts(direction="in")).title == "Acknowledgement from ru-mod"
    assert render_entry(entry, "en", Facts(direction="out")).title == "Acknowledgement to us-dod"
    assert render_entry(entry, "zh", Facts(direction="out")).title == "发往us-dod的收悉确认"


# --- property: any valid activity notification renders ---------------------------------------

degrees = st.integers(min_value=-170_000_000, max_value=170_000_000)
latitudes = st.integers(min_value=-80_000_000, max_value=80_000_000)
spans = st.integers(min_value=1, max_value=5_000_000)


@st.composite
def areas(draw: st.DrawFn) -> Obj:
    lon, lat = draw(degrees), draw(latitudes)
    if draw(st.booleans()):
        radius = draw(st.integers(min_value=1, max_value=notify.MAX_RADIUS_NM))
        return {"type": "Point", "coordinates_e6": [lon, lat], "radius_nm": radius}
    width, height = draw(spans), draw(spans)
    corners = [[lon, lat], [lon + width, lat], [lon + width, lat + height], [lon, lat + height]]
    return {"type": "Polygon", "coordinates_e6": [[*corners, corners[0]]]}


texts = st.text(
    st.characters(codec="utf-8", categories=("L", "N", "P", "Zs")), min_size=1, max_size=40
)


@st.composite
def activities(draw: st.DrawFn) -> Obj:
    activity = draw(st.sampled_from(notify.ACTIVITIES))
    start = draw(st.integers(min_value=-10 * 365 * 24, max_value=10 * 365 * 24))
    parties = [RU, PRC, "pla-navy", "jmsdf"]
    count = draw(
        st.integers(min_value=2 if activity in notify.JOINT_ACTIVITIES else 1, max_value=4)
    )
    body: Obj = {
        "activity": activity,
        "title": draw(texts),
        "participants": parties[:count],
        "area": draw(areas()),
        "start": at(start),
        "end": at(start + draw(st.integers(min_value=1, max_value=24 * 90))),
        "contact_channel": draw(texts),
        "ack_within_minutes": draw(st.integers(min_value=1, max_value=notify.MAX_ACK_MINUTES)),
        "precedence": draw(st.sampled_from(PRECEDENCES)),
        "lang": draw(st.sampled_from(["en", "zh", "ru", "zh-Hans", "fr"])),
        "officer": draw(texts),
    }
    if activity == "other":
        body["label"] = draw(texts)
    forces = draw(
        st.dictionaries(
            st.sampled_from(notify.FORCES), st.integers(min_value=0, max_value=notify.MAX_FORCE)
        )
    )
    if forces:
        body["forces"] = forces
    return body


@settings(max_examples=60)
@given(
    activities(),
    st.integers(min_value=-10 * 366 * 86_400, max_value=10 * 366 * 86_400),
    st.booleans(),
)
def test_any_valid_activity_notification_renders(body: Obj, lead: int, late: bool) -> None:
    validate_body("notify.activity", body)
    entry = unsigned("notify.activity", body)
    facts = Facts(lead_time_seconds=lead, late_notice=late)
    for lang in SUPPORTED_LANGUAGES:
        rendered = render_entry(entry, lang, facts)
        assert rendered.title.endswith(body["title"])
        assert (body["title"], body["lang"]) in {(t, tag) for _, t, tag in rendered.free_text}
        assert label("kind", "notify.activity", lang) in rendered.title
        assert "Body" not in [name for name, _ in rendered.fields]  # not the generic fallback
        assert rendered.to_text()
