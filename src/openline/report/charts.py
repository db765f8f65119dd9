"""SVG charts of a report: a timeline of requests and answers, and outcomes by format/level.

Charts are drawn with matplotlib's object API (``Figure`` + ``FigureCanvasSVG``), never
pyplot, so no global figure state is touched. The output is deterministic: matplotlib's
defaults are restored for the duration of a render (a user's ``matplotlibrc`` cannot change
it), ids are hashed with a fixed salt (``svg.hashsalt``) and no date is written. Text is
kept as SVG ``<text>`` (``svg.fonttype = "none"``) so it stays searchable and readable by
screen readers; chart text is ASCII only (request labels like ``#12 meeting/minister``,
party ids): free text from the transcript never enters a chart.

Every series is told apart by marker shape or hatch as well as colour (Okabe-Ito palette),
so the charts read in greyscale and for colour-blind readers.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import matplotlib as mpl
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from openline.core.timefmt import parse_time
from openline.report.figures import OUTCOMES, DirectionReport, Group, Report, RequestRow

MAX_TIMELINE_ROWS = 120
"""A timeline shows at most this many requests (the most recent); tables list them all."""

# Okabe-Ito colours; each style also has its own marker or hatch.
_BLACK = "#000000"
_GREY = "#999999"
_ANSWER_STYLE: dict[str, tuple[str, str, str]] = {
    # answer: (label, marker, colour)
    "accept": ("accepted", "s", "#009E73"),
    "reply": ("replied", "*", "#0072B2"),
    "counter": ("countered", "D", "#E69F00"),
    "defer": ("deferred", "P", "#56B4E9"),
    "decline": ("declined", "X", "#D55E00"),
}
_OUTCOME_STYLE: dict[str, tuple[str, str]] = {
    # outcome: (face colour, hatch). Line hatches only, bar "*": dotted and circled
    # hatches cost tens of kilobytes of SVG pattern each.
    "accepted": ("#009E73", ""),
    "replied": ("#0072B2", "++"),
    "countered": ("#E69F00", "\\\\"),
    "deferred": ("#56B4E9", "--"),
    "deferred-overdue": ("#CC79A7", "xx"),
    "declined": ("#D55E00", "//"),
    "unanswered": ("#000000", ""),
    "pending": ("#FFFFFF", ""),
    "undelivered": ("#BBBBBB", "||"),
    "withdrawn": ("#F0E442", "*"),
}
_METADATA: dict[str, str | None] = {"Date": None, "Creator": None, "Type": None, "Format": None}
# rcParams are process-global; a render holds this lock while it changes them.
_RENDER_LOCK = threading.Lock()


def _svg(fig: Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata=_METADATA)
    return _inline(buffer.getvalue())


def _render(salt: str, draw: Callable[[Figure], None]) -> str:
    with _RENDER_LOCK, mpl.rc_context():
        mpl.rcdefaults()
        mpl.rcParams.update(
            {
                # A salt per chart: the ids of two charts inlined in one page never clash.
                "svg.hashsalt": f"openline-{salt}",
                "svg.fonttype": "none",
                "font.size": 9.0,
                "axes.titlesize": 11.0,
                "timezone": "UTC",
                "date.epoch": "1970-01-01T00:00:00",
            }
        )
        fig = Figure(layout="constrained")
        FigureCanvasSVG(fig)
        draw(fig)
        return _svg(fig)


_PROLOGUE = re.compile(r"\A.*?(?=<svg[\s>])", re.DOTALL)
_ID = re.compile(r'\s+id="([^"]*)"')


def _inline(svg: str) -> str:
    """SVG ready to inline in HTML: no XML prologue or DOCTYPE, and only the ids that are
    referenced (matplotlib's group ids like ``figure_1`` would repeat across charts)."""
    svg = _PROLOGUE.sub("", svg, count=1)
    referenced = set(re.findall(r"#([A-Za-z_][\w.-]*)", svg))
    return _ID.sub(lambda m: m.group(0) if m.group(1) in referenced else "", svg)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _days(moment: datetime) -> float:
    """Matplotlib's date number (days since ``date.epoch``, set to 1970 in :func:`_render`);
    computed here because ``mdates.date2num`` is untyped."""
    return (moment - _EPOCH).total_seconds() / 86_400


def _num(time: str) -> float:
    return _days(parse_time(time))


def _title(report: Report, direction: DirectionReport) -> str:
    return f"{direction.requester} asked {direction.counterpart}"


def timeline_svg(report: Report, direction: DirectionReport) -> str:
    """A timeline of one direction's requests: one row per request, with markers at the
    request, delivery, reading and each answer, the deadline, and a distinct mark at the
    deadline of a request left unanswered (or overdue after a deferral)."""
    rows = direction.requests[-MAX_TIMELINE_ROWS:]
    now = parse_time(report.generated_at)

    def draw(fig: Figure) -> None:
        fig.set_size_inches(10.0, 1.9 + 0.27 * max(len(rows), 1))
        ax = fig.add_subplot()
        _draw_timeline(ax, rows, now)
        shown = "" if len(rows) == len(direction.requests) else f" ({len(rows)} most recent)"
        ax.set_title(f"Timeline: {_title(report, direction)}{shown}")
        ax.set_xlabel("time (UTC)")
        ax.set_ylabel("request (#seq format/level)")
        fig.legend(handles=_timeline_legend(), loc="outside right upper", fontsize=8)

    return _render(f"timeline-{direction.name}", draw)


def _draw_timeline(ax: Axes, rows: Sequence[RequestRow], now: datetime) -> None:
    now_x = _days(now)
    for y, row in enumerate(rows):
        start = _num(row.time)
        ends = [start, now_x if row.answered_at is None else _num(row.answered_at)]
        ax.plot([min(ends), max(ends)], [y, y], color=_GREY, linewidth=0.8, zorder=1)
        ax.plot(start, y, "o", markerfacecolor="white", markeredgecolor=_BLACK, zorder=3)
        if row.delivered_at is not None:
            ax.plot(_num(row.delivered_at), y, ">", color=_GREY, markersize=5, zorder=3)
        if row.read_at is not None:
            ax.plot(_num(row.read_at), y, "^", color="#555555", markersize=5, zorder=3)
        for deadline in (row.deadline, row.deferred_until):
            if deadline is not None:
                ax.plot(_num(deadline), y, "|", color="#CC79A7", markersize=13, mew=2, zorder=2)
        for mark in row.answers:
            _, marker, colour = _ANSWER_STYLE[mark.answer]
            ax.plot(_num(mark.time), y, marker, color=colour, markeredgecolor=_BLACK, zorder=4)
        overdue_at = row.deadline if row.state == "unanswered" else None
        if row.state == "overdue-deferred":
            overdue_at = row.deferred_until
        if overdue_at is not None:
            ax.plot(_num(overdue_at), y, "x", color=_BLACK, markersize=11, mew=2.5, zorder=5)
    ax.axvline(now_x, color=_BLACK, linestyle=":", linewidth=1)
    ax.set_yticks(range(len(rows)), [row.label for row in rows])
    ax.set_ylim(len(rows) - 0.5, -0.5)  # the first request on top
    locator = mdates.AutoDateLocator()  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    ax.grid(axis="x", color="#DDDDDD", linewidth=0.5)


def _timeline_legend() -> list[Line2D]:
    def handle(
        label: str,
        marker: str,
        colour: str,
        *,
        face: str | None = None,
        edge: str | None = None,
        size: float = 6.0,
        width: float = 1.0,
    ) -> Line2D:
        return Line2D(
            [],
            [],
            linestyle="none",
            marker=marker,
            color=colour,
            markerfacecolor=face or colour,
            markeredgecolor=edge or colour,
            markersize=size,
            markeredgewidth=width,
            label=label,
        )

    handles = [
        handle("requested", "o", _BLACK, face="white"),
        handle("delivered (receipt)", ">", _GREY, size=5),
        handle("read", "^", "#555555", size=5),
        handle("deadline / promised time", "|", "#CC79A7", size=13, width=2),
    ]
    for label, marker, colour in _ANSWER_STYLE.values():
        handles.append(handle(label, marker, colour, edge=_BLACK))
    handles.append(handle("no answer by deadline", "x", _BLACK, size=11, width=2.5))
    handles.append(Line2D([], [], color=_BLACK, linestyle=":", label="report time"))
    return handles


def outcomes_svg(report: Report, direction: DirectionReport) -> str:
    """Stacked bars of one direction's request outcomes, by format and by level."""

    def draw(fig: Figure) -> None:
        groups = (("format", direction.by_format), ("level", direction.by_level))
        height = 1.6 + 0.32 * (len(direction.by_format) + len(direction.by_level))
        fig.set_size_inches(10.0, max(height, 3.0))
        axes = fig.subplots(2, 1, height_ratios=[max(len(g), 1) for _, g in groups])
        for ax, (what, grouped) in zip(axes, groups, strict=True):
            _draw_outcomes(ax, what, grouped)
        fig.suptitle(f"Outcomes: {_title(report, direction)}")
        handles = [
            Patch(facecolor=colour, hatch=hatch, edgecolor=_BLACK, label=outcome)
            for outcome, (colour, hatch) in _OUTCOME_STYLE.items()
        ]
        fig.legend(handles=handles, loc="outside right upper", fontsize=8, title="outcome")

    return _render(f"outcomes-{direction.name}", draw)


def _draw_outcomes(ax: Axes, what: str, groups: Sequence[Group]) -> None:
    labels = [(group.format if what == "format" else group.level) or "(none)" for group in groups]
    positions = list(range(len(groups)))
    left = [0] * len(groups)
    for outcome in OUTCOMES:
        colour, hatch = _OUTCOME_STYLE[outcome]
        widths = [group.figures.outcomes[outcome] for group in groups]
        drawn = [index for index, width in enumerate(widths) if width]  # no empty segments
        if drawn:
            ax.barh(
                [positions[index] for index in drawn],
                [widths[index] for index in drawn],
                left=[left[index] for index in drawn],
                color=colour,
                hatch=hatch,
                edgecolor=_BLACK,
                linewidth=0.6,
                label=outcome,
            )
        left = [a + b for a, b in zip(left, widths, strict=True)]
    ax.set_yticks(positions, labels)
    ax.set_ylim(len(groups) - 0.5, -0.5)
    ax.set_ylabel(what)
    ax.set_xlabel("requests")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
