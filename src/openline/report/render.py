"""A report written out as Markdown or self-contained HTML.

Markdown and HTML are two renderings of one document model (headings, paragraphs, tables,
quotes, lists, charts), built once by :func:`_document`, so both always say the same.
Every piece of free text from a transcript (subjects, reasons, conditions, display names)
is escaped for its target: HTML with :func:`html.escape`, Markdown with backslash escapes
so that no text can become markup (a subject ``<script>`` stays text in both). Decline
reasons and conditions are quoted verbatim, with their language tag.

JSON is built separately, from the same figures (:mod:`openline.report.data`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from openline.report.data import SOURCE_STATEMENT
from openline.report.figures import (
    ASKED,
    COUNT_DEFINITIONS,
    COUNT_NAMES,
    OUTCOME_DEFINITIONS,
    OUTCOMES,
    TIME_DEFINITION,
    DirectionReport,
    Figures,
    Group,
    Report,
    human_duration,
)

COUNT_LABELS: dict[str, str] = {
    "requests": "Requests",
    "delivered": "Delivered",
    "delivered_after_deadline": "Delivered after the deadline",
    "read": "Read",
    "answered": "Answered",
    "accepted": "Accepted",
    "declined": "Declined",
    "countered": "Countered",
    "deferred": "Deferred",
    "replied": "Replied (explanations)",
    "answered_late": "Answered late",
    "unanswered": "Unanswered (deadline passed)",
    "overdue_deferred": "Overdue after a deferral",
    "awaiting": "Still awaiting an answer",
    "scheduled": "Scheduled",
    "held": "Held",
    "cancelled": "Cancelled",
    "withdrawn": "Withdrawn",
}
assert set(COUNT_LABELS) == set(COUNT_NAMES)

NO_REQUESTS = "No requests in this period."


# ---------------------------------------------------------------------------------------
# The document model shared by Markdown and HTML


@dataclass(frozen=True, slots=True)
class _Heading:
    level: int
    text: str


@dataclass(frozen=True, slots=True)
class _Paragraph:
    text: str


@dataclass(frozen=True, slots=True)
class _Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric_from: int  # columns from this index on are figures (right-aligned)


@dataclass(frozen=True, slots=True)
class _Quote:
    """Free text quoted verbatim, in its language (None: not recorded)."""

    text: str
    lang: str | None


@dataclass(frozen=True, slots=True)
class _Items:
    items: tuple[str, ...]
    lang: str | None = None


@dataclass(frozen=True, slots=True)
class _Chart:
    kind: str  # "timeline" or "outcomes"
    direction: str


_Block = _Heading | _Paragraph | _Table | _Quote | _Items | _Chart


def _when(time: str | None) -> str:
    return "–" if time is None else time


def _language(lang: str | None) -> str:
    return "language not recorded" if lang is None else f"language: {lang}"


def _period(report: Report) -> str:
    since = report.since or "the start of the transcripts"
    until = report.until or "no end"
    return (
        f"Period: requests signed from {since} until {until} (a request counts when its "
        "signed time is in [since, until)). Every state is as of the generation time."
    )


def _figure_table(first: str, groups: Sequence[Group], total: Figures) -> _Table:
    names = ["all", *(_group_name(group) for group in groups)]
    columns = [total, *(group.figures for group in groups)]
    rows = [
        (COUNT_LABELS[name], *(str(getattr(fig.counts, name)) for fig in columns))
        for name in COUNT_NAMES
    ]
    rows.append(
        ("Median time to answer", *(human_duration(f.answer_times.median_seconds) for f in columns))
    )
    rows.append(
        ("P90 time to answer", *(human_duration(f.answer_times.p90_seconds) for f in columns))
    )
    return _Table((first, *names), tuple(rows), 1)


def _group_name(group: Group) -> str:
    if group.format is not None and group.level is not None:
        return f"{group.format} / {group.level}"
    if group.format is not None:
        return group.format
    return group.level or "(no level)"


def _outcome_table(direction: DirectionReport) -> _Table:
    header = ("Format / level", "Requests", *OUTCOMES, "Median time to answer")
    rows = tuple(
        (
            _group_name(group) if group.level is not None else f"{group.format} / (no level)",
            str(group.figures.counts.requests),
            *(str(group.figures.outcomes[outcome]) for outcome in OUTCOMES),
            human_duration(group.figures.answer_times.median_seconds),
        )
        for group in direction.by_format_level
    )
    return _Table(header, rows, 1)


def _summary(direction: DirectionReport) -> str:
    counts = direction.total.counts
    times = direction.total.answer_times
    parts = [
        f"{counts.requests} requests",
        f"{counts.delivered} delivered",
        f"{counts.read} read",
        f"{counts.answered} answered",
        f"{counts.accepted} accepted",
        f"{counts.declined} declined",
        f"{counts.countered} countered",
        f"{counts.deferred} deferred",
        f"{counts.replied} replied",
        f"{counts.unanswered} unanswered past the deadline",
        f"{counts.overdue_deferred} overdue after a deferral",
        f"{counts.answered_late} answered late",
        f"{counts.awaiting} still awaiting an answer",
    ]
    text = f"{direction.requester} asked {direction.counterpart}: " + ", ".join(parts) + "."
    if times.answered:
        text += (
            f" Time to answer: median {human_duration(times.median_seconds)}, p90 "
            f"{human_duration(times.p90_seconds)} (nearest-rank, over {times.answered} "
            "answered requests, from delivery to the first answer)."
        )
    else:
        text += " No request was answered, so there is no time to answer."
    return text


def _declines(direction: DirectionReport) -> Iterator[_Block]:
    declines = direction.declines
    yield _Heading(3, "Declined: reasons and conditions, verbatim")
    if not declines:
        yield _Paragraph("No request was declined.")
        return
    for row in declines:
        answered = row.answers[-1].time if row.answers else row.answered_at
        yield _Heading(4, f"{row.label}: {row.subject}")
        yield _Paragraph(
            f"Request {row.id}, signed {row.time} (subject {_language(row.lang)}); declined "
            f"{_when(answered)}. Reason ({_language(row.reason_lang)}):"
        )
        yield _Quote(row.reason or "(no reason given)", row.reason_lang)
        if row.conditions:
            yield _Paragraph(f"Conditions ({_language(row.reason_lang)}):")
            yield _Items(row.conditions, row.reason_lang)
        else:
            yield _Paragraph("No conditions stated.")


def _overdue(direction: DirectionReport) -> Iterator[_Block]:
    yield _Heading(3, "Unanswered and overdue at report time")
    overdue = direction.overdue
    if not overdue:
        yield _Paragraph("None.")
        return
    yield _Table(
        ("Request", "Subject", "State", "Delivered", "Deadline", "Promised answer by"),
        tuple(
            (
                row.label,
                row.subject,
                row.state,
                _when(row.delivered_at),
                _when(row.deadline),
                _when(row.deferred_until),
            )
            for row in overdue
        ),
        6,
    )


def _request_table(direction: DirectionReport) -> _Table:
    return _Table(
        (
            "Request",
            "Signed",
            "Subject",
            "Lang",
            "State",
            "Outcome",
            "Delivered",
            "Read",
            "Deadline",
            "First answer",
            "Answered",
            "Time to answer",
            "Late",
            "Id",
        ),
        tuple(
            (
                row.label,
                row.time,
                row.subject,
                row.lang or "–",
                row.state,
                row.outcome,
                _when(row.delivered_at),
                _when(row.read_at),
                _when(row.deadline),
                row.first_answer or "–",
                _when(row.answered_at),
                human_duration(row.answer_seconds),
                "yes" if row.answered_late else "no",
                row.id,
            )
            for row in direction.requests
        ),
        14,
    )


def _direction_blocks(report: Report, direction: DirectionReport) -> Iterator[_Block]:
    if direction.name == ASKED:
        title = f"What we asked: {report.name_of(direction.requester)} → "
    else:
        title = f"What we were asked: {report.name_of(direction.requester)} → "
    yield _Heading(2, title + report.name_of(direction.counterpart))
    if not direction.requests:
        yield _Paragraph(NO_REQUESTS)
        return
    yield _Paragraph(_summary(direction))
    yield _Chart("timeline", direction.name)
    yield _Heading(3, "By format")
    yield _figure_table("Figure", direction.by_format, direction.total)
    yield _Heading(3, "By level")
    yield _figure_table("Figure", direction.by_level, direction.total)
    yield _Heading(3, "Outcomes by format and level")
    yield _Paragraph(
        "Each request has exactly one outcome; a row's outcomes add up to its requests."
    )
    yield _Chart("outcomes", direction.name)
    yield _outcome_table(direction)
    yield from _declines(direction)
    yield from _overdue(direction)
    yield _Heading(3, "Requests")
    yield _request_table(direction)


def _document(report: Report) -> list[_Block]:
    blocks: list[_Block] = [
        _Heading(
            1,
            f"Accountability report: {report.name_of(report.party)} and "
            f"{report.name_of(report.counterpart)}",
        ),
        _Paragraph(f"Generated at {report.generated_at} (UTC)."),
        _Paragraph(_period(report)),
        _Heading(2, "Source"),
        _Paragraph(
            SOURCE_STATEMENT + " Each log is proven up to the cosigned checkpoint below; "
            "nothing beyond it is counted as proven."
        ),
    ]
    if report.proven:
        blocks.append(
            _Table(
                ("Log", "Cosigned at", "Size (entries)"),
                tuple((proof.log, _when(proof.time), str(proof.size)) for proof in report.proven),
                2,
            )
        )
    else:
        blocks.append(_Paragraph("No cosigned checkpoint was given for any log."))
    if report.is_empty:
        blocks.append(_Paragraph("No requests in this period, in either direction."))
    for direction in report.directions:
        blocks.extend(_direction_blocks(report, direction))
    blocks.append(_Heading(2, "Definitions"))
    blocks.append(
        _Items(tuple(f"{COUNT_LABELS[name]}: {text}." for name, text in COUNT_DEFINITIONS.items()))
    )
    blocks.append(_Paragraph("Outcomes (each request has exactly one):"))
    blocks.append(_Items(tuple(f"{name}: {text}." for name, text in OUTCOME_DEFINITIONS.items())))
    blocks.append(_Paragraph(f"Time to answer: {TIME_DEFINITION}."))
    return blocks


# ---------------------------------------------------------------------------------------
# Markdown

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|&~#])")
_MD_LINE_START = re.compile(r"\A(\s*)([-+=]|\d+(?=[.)]))")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def md_escape(text: str) -> str:
    """Text that Markdown shows as written: no markup, no HTML, one line."""
    text = _CONTROL.sub(" ", text).replace("\r\n", "\n").replace("\n", " ")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return _MD_LINE_START.sub(lambda m: m.group(1) + _md_line_start(m.group(2)), text)


def _md_line_start(marker: str) -> str:
    # A list or heading marker at the start of a line: make it literal.
    return marker + "\\" if marker.isdigit() else "\\" + marker


def _md_lines(text: str) -> list[str]:
    lines = _CONTROL.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n")).split("\n")
    return [md_escape(line) for line in lines]


def _md_table(table: _Table) -> list[str]:
    align = ["---" if index < table.numeric_from else "---:" for index in range(len(table.header))]
    lines = [
        "| " + " | ".join(md_escape(cell) for cell in table.header) + " |",
        "| " + " | ".join(align) + " |",
    ]
    lines.extend("| " + " | ".join(md_escape(cell) for cell in row) + " |" for row in table.rows)
    return lines


def render_markdown(report: Report) -> str:
    """The report as a Markdown document (charts are in the HTML rendering only)."""
    out: list[str] = []
    for block in _document(report):
        if isinstance(block, _Heading):
            out.append("#" * block.level + " " + md_escape(block.text))
        elif isinstance(block, _Paragraph):
            out.append(md_escape(block.text))
        elif isinstance(block, _Table):
            out.append("\n".join(_md_table(block)))
        elif isinstance(block, _Quote):
            out.append("\n".join("> " + line if line else ">" for line in _md_lines(block.text)))
        elif isinstance(block, _Items):
            out.append("\n".join("- " + " ".join(_md_lines(item)) for item in block.items))
        elif block.kind == "timeline":
            out.append("*The timeline chart is in the HTML rendering of this report.*")
        else:
            continue
    return "\n\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------
# HTML

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 80em;
       padding: 0 1em; color: #111; line-height: 1.4; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #999; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.5em; text-align: left;
         vertical-align: top; }
th { background: #eee; } tbody th { background: #f7f7f7; font-weight: normal; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
blockquote { border-left: 4px solid #D55E00; margin: 0.5em 0 0.5em 1em;
             padding: 0.3em 0.8em; background: #f7f7f7; white-space: pre-wrap; }
figure { margin: 1em 0; overflow-x: auto; } svg { max-width: 100%; height: auto; }
.table-wrap { overflow-x: auto; }
"""

_SVG_OPEN = re.compile(r"<svg\b")


def _esc(text: str) -> str:
    return html.escape(_CONTROL.sub(" ", text), quote=True)


def _lang_attrs(lang: str | None) -> str:
    return "" if lang is None else f' lang="{_esc(lang)}"'


def _html_cell(table: _Table, index: int, cell: str) -> str:
    if index == 0:
        return f'<th scope="row">{_esc(cell)}</th>'
    if index >= table.numeric_from:
        return f'<td class="num">{_esc(cell)}</td>'
    return f"<td>{_esc(cell)}</td>"


def _html_table(table: _Table) -> str:
    head = "".join(f'<th scope="col">{_esc(cell)}</th>' for cell in table.header)
    body = []
    for row in table.rows:
        cells = "".join(_html_cell(table, index, cell) for index, cell in enumerate(row))
        body.append(f"<tr>{cells}</tr>")
    return (
        f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _html_chart(report: Report, chart: _Chart) -> str:
    from openline.report import charts

    direction = report.asked if chart.direction == report.asked.name else report.were_asked
    if chart.kind == "timeline":
        svg = charts.timeline_svg(report, direction)
        label = f"Timeline of requests and answers: {direction.requester} asked "
    else:
        svg = charts.outcomes_svg(report, direction)
        label = f"Outcomes by format and level: {direction.requester} asked "
    label += direction.counterpart
    svg = _SVG_OPEN.sub(f'<svg role="img" aria-label="{_esc(label)}"', svg, count=1)
    return f"<figure>{svg}<figcaption>{_esc(label)}</figcaption></figure>"


def render_html(report: Report) -> str:
    """The report as one self-contained HTML page: inline CSS and inline SVG charts, no
    external assets, every piece of transcript text escaped."""
    title = f"Accountability report: {report.party} and {report.counterpart}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_esc(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
    ]
    for block in _document(report):
        if isinstance(block, _Heading):
            parts.append(f"<h{block.level}>{_esc(block.text)}</h{block.level}>")
        elif isinstance(block, _Paragraph):
            parts.append(f"<p>{_esc(block.text)}</p>")
        elif isinstance(block, _Table):
            parts.append(_html_table(block))
        elif isinstance(block, _Quote):
            parts.append(
                f'<blockquote dir="auto"{_lang_attrs(block.lang)}>{_esc(block.text)}</blockquote>'
            )
        elif isinstance(block, _Items):
            items = "".join(f'<li dir="auto">{_esc(item)}</li>' for item in block.items)
            parts.append(f"<ul{_lang_attrs(block.lang)}>{items}</ul>")
        else:
            parts.append(_html_chart(report, block))
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"
