"""Accountability reports: per counterpart and period, what was asked, answered, declined,
ignored, and how fast, computed from verified transcripts only (``openline.node.reporting``
reports only on a store that ``verify`` accepts; design note 27).

:func:`build_report` computes the figures (pure); :func:`render_markdown`,
:func:`render_json` and :func:`render_html` write them out; the HTML inlines the SVG charts
of :mod:`openline.report.charts`.
"""

from __future__ import annotations

from openline.report.data import render_json, report_to_dict
from openline.report.figures import (
    COUNT_DEFINITIONS,
    OUTCOME_DEFINITIONS,
    OUTCOMES,
    AnswerTimes,
    Counts,
    DirectionReport,
    Figures,
    Group,
    ProvenUpTo,
    Report,
    ReportError,
    RequestRow,
    UnverifiedTranscriptError,
    build_report,
    human_duration,
    nearest_rank,
)
from openline.report.render import render_html, render_markdown

__all__ = [
    "COUNT_DEFINITIONS",
    "OUTCOMES",
    "OUTCOME_DEFINITIONS",
    "AnswerTimes",
    "Counts",
    "DirectionReport",
    "Figures",
    "Group",
    "ProvenUpTo",
    "Report",
    "ReportError",
    "RequestRow",
    "UnverifiedTranscriptError",
    "build_report",
    "human_duration",
    "nearest_rank",
    "render_html",
    "render_json",
    "render_markdown",
    "report_to_dict",
]
