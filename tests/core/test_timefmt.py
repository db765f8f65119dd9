"""Tests for openline.core.timefmt: the one strict entry time form and lenient officer input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openline.core.errors import EncodingError
from openline.core.timefmt import format_time, parse_time, parse_user_time

offsets = st.builds(
    timezone,
    st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
        lambda minutes: timedelta(minutes=minutes)
    ),
)


def truncated_to_ms(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


# --- format_time / parse_time ----------------------------------------------------------------


def test_format_time_writes_utc_milliseconds_with_z() -> None:
    moment = datetime(2026, 11, 29, 1, 48, 19, 123999, tzinfo=UTC)
    assert format_time(moment) == "2026-11-29T01:48:19.123Z"  # truncated, not rounded


def test_format_time_converts_offsets_to_utc() -> None:
    beijing = timezone(timedelta(hours=8))
    assert format_time(datetime(2026, 1, 1, 7, 30, tzinfo=beijing)) == "2025-12-31T23:30:00.000Z"


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(1, 1, 1, tzinfo=UTC), "0001-01-01T00:00:00.000Z"),
        (datetime(999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC), "0999-12-31T23:59:59.999Z"),
        (datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), "9999-12-31T23:59:59.999Z"),
    ],
)
def test_format_time_pads_every_year_to_four_digits(moment: datetime, text: str) -> None:
    assert format_time(moment) == text
    assert parse_time(text) == truncated_to_ms(moment)


def test_format_time_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        format_time(datetime(2026, 1, 1))  # the point of the test


def test_parse_time_gives_an_aware_utc_datetime() -> None:
    moment = parse_time("2026-01-31T12:00:00.250Z")
    assert moment == datetime(2026, 1, 31, 12, 0, 0, 250000, tzinfo=UTC)
    assert moment.utcoffset() == timedelta(0)


@settings(max_examples=200)
@given(st.datetimes(timezones=st.just(UTC)))
def test_format_then_parse_round_trips_to_the_millisecond(moment: datetime) -> None:
    text = format_time(moment)
    assert parse_time(text) == truncated_to_ms(moment)
    assert format_time(parse_time(text)) == text


@settings(max_examples=100)
@given(
    st.datetimes(
        min_value=datetime(2, 1, 1),  # hypothesis bounds are naive
        max_value=datetime(9998, 12, 31),
        timezones=offsets,
    )
)
def test_any_offset_formats_to_the_same_instant(moment: datetime) -> None:
    assert parse_time(format_time(moment)) == truncated_to_ms(moment)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("2026-01-31T12:00:00Z", id="no-milliseconds"),
        pytest.param("2026-01-31T12:00:00.1Z", id="one-digit-fraction"),
        pytest.param("2026-01-31T12:00:00.000000Z", id="microseconds"),
        pytest.param("2026-01-31T12:00:00.000+00:00", id="numeric-offset"),
        pytest.param("2026-01-31T12:00:00.000-00:00", id="unknown-offset"),
        pytest.param("2026-01-31T20:00:00.000+08:00", id="non-utc-offset"),
        pytest.param("2026-01-31T12:00:00.000", id="naive"),
        pytest.param("2026-01-31T12:00:00.000z", id="lowercase-z"),
        pytest.param("2026-01-31t12:00:00.000Z", id="lowercase-t"),
        pytest.param("2026-01-31 12:00:00.000Z", id="space-separator"),
        pytest.param("2026-01-31T12:00Z", id="no-seconds"),
        pytest.param("20260131T120000.000Z", id="basic-format"),
        pytest.param("2026-1-31T12:00:00.000Z", id="unpadded-month"),
        pytest.param("+2026-01-31T12:00:00.000Z", id="signed-year"),
        pytest.param(" 2026-01-31T12:00:00.000Z", id="leading-space"),
        pytest.param("2026-01-31T12:00:00.000Z\n", id="trailing-newline"),
        pytest.param("2026-01-31T12:00:00.000Z ", id="trailing-space"),
        pytest.param("2026-02-30T12:00:00.000Z", id="february-30"),
        pytest.param("2026-13-01T12:00:00.000Z", id="month-13"),
        pytest.param("2026-01-31T24:00:00.000Z", id="hour-24"),
        pytest.param("2026-01-31T23:59:60.000Z", id="leap-second"),
        pytest.param("0000-01-01T00:00:00.000Z", id="year-0"),
        pytest.param("２０２６-01-31T12:00:00.000Z", id="fullwidth-digits"),
        pytest.param("٢٠٢٦-01-31T12:00:00.000Z", id="arabic-indic-digits"),
        pytest.param("", id="empty"),
        pytest.param("yesterday", id="words"),
    ],
)
def test_parse_time_refuses_every_other_spelling(text: str) -> None:
    with pytest.raises(EncodingError):
        parse_time(text)


@pytest.mark.parametrize("value", [None, 1_764_380_899_123, b"2026-01-31T12:00:00.000Z", []])
def test_parse_time_refuses_non_strings(value: Any) -> None:
    with pytest.raises(EncodingError):
        parse_time(value)


# --- parse_user_time -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-31T12:00:00Z", datetime(2026, 1, 31, 12, tzinfo=UTC)),
        ("2026-01-31T12:00:00z", datetime(2026, 1, 31, 12, tzinfo=UTC)),
        ("2026-01-31T12:00:00.123Z", datetime(2026, 1, 31, 12, 0, 0, 123000, tzinfo=UTC)),
        ("2026-01-31T12:00:00+00:00", datetime(2026, 1, 31, 12, tzinfo=UTC)),
        ("2026-01-31T20:00:00+08:00", datetime(2026, 1, 31, 12, tzinfo=UTC)),
        ("2026-01-31T06:30:00-05:30", datetime(2026, 1, 31, 12, tzinfo=UTC)),
        ("2026-01-01T02:00:00+03:00", datetime(2025, 12, 31, 23, tzinfo=UTC)),
        ("  2026-01-31T12:00:00Z\n", datetime(2026, 1, 31, 12, tzinfo=UTC)),
        ("2026-01-31 12:00:00Z", datetime(2026, 1, 31, 12, tzinfo=UTC)),
    ],
)
def test_parse_user_time_accepts_offsets_and_z(text: str, expected: datetime) -> None:
    moment = parse_user_time(text)
    assert moment == expected
    assert moment.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("2026-01-31T12:00:00", id="naive"),
        pytest.param("2026-01-31T12:00:00.000", id="naive-with-fraction"),
        pytest.param("2026-01-31", id="date-only"),
        pytest.param("12:00:00Z", id="time-only"),
        pytest.param("tomorrow at noon", id="words"),
        pytest.param("", id="empty"),
        pytest.param("2026-02-30T12:00:00Z", id="not-a-date"),
    ],
)
def test_parse_user_time_refuses_naive_and_garbage(text: str) -> None:
    with pytest.raises(EncodingError):
        parse_user_time(text)


@settings(max_examples=100)
@given(
    st.datetimes(
        min_value=datetime(2, 1, 1),  # hypothesis bounds are naive
        max_value=datetime(9998, 12, 31),
        timezones=offsets,
    )
)
def test_parse_user_time_reads_any_iso_offset_time(moment: datetime) -> None:
    assert parse_user_time(moment.isoformat()) == moment


def test_a_typed_time_before_year_one_in_utc_is_refused() -> None:
    with pytest.raises(EncodingError, match="out of range"):
        parse_user_time("0001-01-01T00:00:00+01:00")
