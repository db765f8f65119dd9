"""A report as data: every figure with stable keys, plus a row per request, for
``--format json`` and the console's counterpart page. Times are RFC 3339 UTC strings,
durations are seconds. (Markdown and HTML are in :mod:`openline.report.render`.)
"""

from __future__ import annotations

import json
from typing import Any

from openline.report.figures import (
    COUNT_DEFINITIONS,
    OUTCOME_DEFINITIONS,
    OUTCOMES,
    PERCENTILE_METHOD,
    REPORT_VERSION,
    TIME_DEFINITION,
    AnswerTimes,
    DirectionReport,
    Figures,
    Group,
    Report,
    RequestRow,
    human_duration,
)

SOURCE_STATEMENT = (
    "These figures come only from transcripts that openline verify accepted: every entry, "
    "signature and cosignature checked."
)


def _answer_times(times: AnswerTimes) -> dict[str, Any]:
    return {
        "answered": times.answered,
        "median_seconds": times.median_seconds,
        "p90_seconds": times.p90_seconds,
        "median": None if times.median_seconds is None else human_duration(times.median_seconds),
        "p90": None if times.p90_seconds is None else human_duration(times.p90_seconds),
    }


def _figures(figures: Figures) -> dict[str, Any]:
    return {
        "counts": figures.counts.to_dict(),
        "outcomes": {outcome: figures.outcomes[outcome] for outcome in OUTCOMES},
        "answer_times": _answer_times(figures.answer_times),
    }


def _group(group: Group) -> dict[str, Any]:
    return {"format": group.format, "level": group.level, **_figures(group.figures)}


def _row(row: RequestRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "seq": row.seq,
        "label": row.label,
        "kind": row.kind,
        "format": row.format,
        "level": row.level,
        "subject": row.subject,
        "lang": row.lang,
        "precedence": row.precedence,
        "state": row.state,
        "outcome": row.outcome,
        "time": row.time,
        "delivered_at": row.delivered_at,
        "delivered_late": row.delivered_late,
        "read_at": row.read_at,
        "deadline": row.deadline,
        "deferred_until": row.deferred_until,
        "answered_at": row.answered_at,
        "answer_seconds": row.answer_seconds,
        "first_answer": row.first_answer,
        "answer": row.answer,
        "answered_late": row.answered_late,
        "answers": [
            {"time": mark.time, "answer": mark.answer, "late": mark.late} for mark in row.answers
        ],
        "reason": row.reason,
        "reason_lang": row.reason_lang,
        "conditions": list(row.conditions),
    }


def _direction_dict(direction: DirectionReport) -> dict[str, Any]:
    return {
        "name": direction.name,
        "requester": direction.requester,
        "counterpart": direction.counterpart,
        "total": _figures(direction.total),
        "by_format": [_group(group) for group in direction.by_format],
        "by_level": [_group(group) for group in direction.by_level],
        "by_format_level": [_group(group) for group in direction.by_format_level],
        "requests": [_row(row) for row in direction.requests],
    }


def report_to_dict(report: Report) -> dict[str, Any]:
    """Every figure of the report as plain JSON values, with stable keys."""
    return {
        "report_version": REPORT_VERSION,
        "party": report.party,
        "counterpart": report.counterpart,
        "party_names": dict(report.party_names),
        "generated_at": report.generated_at,
        "period": {"since": report.since, "until": report.until},
        "verified": report.verified,
        "source": SOURCE_STATEMENT,
        "proven": [
            {"log": proof.log, "size": proof.size, "time": proof.time} for proof in report.proven
        ],
        "definitions": {
            "period": "a request counts when its signed time is in [since, until); "
            "null is an open bound",
            "counts": dict(COUNT_DEFINITIONS),
            "outcomes": dict(OUTCOME_DEFINITIONS),
            "time_to_answer": TIME_DEFINITION,
            "percentile_method": PERCENTILE_METHOD,
        },
        "empty": report.is_empty,
        "directions": {
            direction.name: _direction_dict(direction) for direction in report.directions
        },
    }


def render_json(report: Report) -> str:
    """The report as one JSON document (UTF-8 text, ends with a newline)."""
    return json.dumps(report_to_dict(report), ensure_ascii=False, indent=2) + "\n"
