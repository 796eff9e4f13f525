"""Render the report charts as inline SVG with matplotlib, for the HTML report.

Text stays text in the SVG (`svg.fonttype = none`), so the browser draws the
Russian labels with its own fonts and a reader can search them.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from mailbot.reports.survey import SurveyReport, YearResults  # noqa: E402
from mailbot.reports.tables import OUTCOME_NAMES_RU, russian_decimal  # noqa: E402
from mailbot.reports.tickets import Figures, TicketReport  # noqa: E402

# The ticket outcomes differ in lightness as well as hue (dark green, light
# orange, pale grey, mid red with white hatching), so a greyscale print
# still tells them apart.
ON_TIME_COLOR = "#1b5e20"
LATE_COLOR = "#ffb74d"
WAITING_COLOR = "#e0e0e0"
OVERDUE_COLOR = "#c62828"
OVERDUE_HATCH = "///"
CURRENT_COLOR = "#1565c0"
COMPARED_COLOR = "#90caf9"
# Q3 options from «Полностью удовлетворен» to «Затрудняюсь ответить», then no answer.
LIKERT_COLORS = ("#1b5e20", "#81c784", "#ffb74d", "#c62828", "#bdbdbd", "#eeeeee")
# Fills dark enough for white segment labels; the other fills get black ones.
DARK_FILLS = {ON_TIME_COLOR, OVERDUE_COLOR, LIKERT_COLORS[0], LIKERT_COLORS[3]}
Series = tuple[str, Sequence[float], str]
LABEL_WIDTH = 48


def _style() -> AbstractContextManager[Any]:
    """Keep SVG text as text and fix the hash salt, so one report always renders to the same SVG."""
    return plt.rc_context(
        {"svg.fonttype": "none", "svg.hashsalt": "mailbot-report", "font.family": "DejaVu Sans", "font.size": 10}
    )


def _wrap(label: str) -> str:
    return "\n".join(textwrap.wrap(label, LABEL_WIDTH)) or label


def _to_svg(figure: Figure) -> str:
    """Return the figure as an `<svg>` element, without the XML prologue, and free it."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def _stacked_bars(labels: Sequence[str], series: Sequence[Series], title: str, x_label: str, *,
                  percent_axis: bool = False, hatches: dict[str, str] | None = None) -> str:
    """Draw horizontal stacked bars, first label on top, with the value written in each wide enough segment.

    The legend sits under the axis title, outside the axes, so it never
    covers the axis label. `hatches` maps a series name to a hatch pattern.
    """
    with _style():
        figure, axes = plt.subplots(figsize=(10, 0.55 * len(labels) + 1.6), layout="constrained")
        positions = range(len(labels))
        left = [0.0] * len(labels)
        for name, values, color in series:
            hatch = (hatches or {}).get(name)
            bars = axes.barh(positions, values, left=left, color=color, label=name, hatch=hatch,
                             edgecolor="white" if hatch else None, linewidth=0)
            # A hatched segment's label gets a plain box of the fill colour, so the hatch does not cross it.
            box = {"boxstyle": "square,pad=0.45", "facecolor": color, "edgecolor": "none"} if hatch else None
            axes.bar_label(bars, labels=[_segment_label(value) for value in values], label_type="center",
                           fontsize=8, color="white" if color in DARK_FILLS else "black", bbox=box)
            left = [start + value for start, value in zip(left, values)]
        axes.set_yticks(list(positions), [_wrap(label) for label in labels])
        if percent_axis:
            axes.set_xlim(0, 100)
            axes.set_xticks(range(0, 101, 20))
        else:
            axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.invert_yaxis()
        axes.set_title(title)
        axes.set_xlabel(x_label)
        figure.legend(loc="outside lower center", ncol=min(len(series), 4), frameon=False)
        axes.spines[["top", "right"]].set_visible(False)
        return _to_svg(figure)


def _segment_label(value: float) -> str:
    if value < 1e-9:
        return ""
    return str(value) if isinstance(value, int) else russian_decimal(value)


def _outcome_series(figures: Sequence[Figures]) -> list[Series]:
    """Split each group's tickets into on time, late, waiting within the deadline and overdue."""
    values = (
        [item.on_time for item in figures],
        [item.late for item in figures],
        [item.open - item.overdue for item in figures],
        [item.overdue for item in figures],
    )
    colors = (ON_TIME_COLOR, LATE_COLOR, WAITING_COLOR, OVERDUE_COLOR)
    return list(zip(OUTCOME_NAMES_RU, values, colors))


def _outcome_chart(labels: Sequence[str], figures: Sequence[Figures], title: str) -> str:
    return _stacked_bars(labels, _outcome_series(figures), title, "Обращений",
                         hatches={OUTCOME_NAMES_RU[3]: OVERDUE_HATCH})


def process_chart(report: TicketReport) -> str:
    rows = report.by_process
    return _outcome_chart([row.label for row in rows], [row.figures for row in rows], "Обращения по процессам")


def assignee_chart(report: TicketReport) -> str:
    rows = report.by_assignee
    return _outcome_chart([row.label for row in rows], [row.figures for row in rows], "Обращения по исполнителям")


def q3_shares_chart(report: SurveyReport) -> str:
    """Show each Q3 row as one 100 % bar split by the options, so the rows compare at a glance."""
    rows = report.current.q3
    series = []
    for position, option in enumerate(rows[0].options):
        values = [row.options[position].percent or 0.0 for row in rows]
        series.append((option.label, values, LIKERT_COLORS[position]))
    title = f"Удовлетворённость по строкам вопроса 3, {report.current.year} г., % ответивших"
    return _stacked_bars([row.label for row in rows], series, title, "%", percent_axis=True)


def _grouped_bars(labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None], str]], title: str,
                  x_label: str, x_max: float | None) -> str:
    """Draw horizontal bars grouped per label, one bar per series, values written at the bar ends."""
    with _style():
        figure, axes = plt.subplots(figsize=(10, 0.45 * len(labels) * len(series) + 1.6), layout="constrained")
        height = 0.8 / len(series)
        for index, (name, values, color) in enumerate(series):
            positions = [position + index * height for position in range(len(labels))]
            bars = axes.barh(positions, [value or 0.0 for value in values], height=height, color=color, label=name)
            axes.bar_label(bars, labels=[_value_label(value) for value in values], padding=3, fontsize=8)
        axes.set_yticks([position + height * (len(series) - 1) / 2 for position in range(len(labels))],
                        [_wrap(label) for label in labels])
        axes.invert_yaxis()
        if x_max is not None:
            axes.set_xlim(0, x_max * 1.08)
        axes.set_title(title)
        axes.set_xlabel(x_label)
        figure.legend(loc="outside lower center", ncol=len(series), frameon=False)
        axes.spines[["top", "right"]].set_visible(False)
        return _to_svg(figure)


def _value_label(value: float | None) -> str:
    return "нет данных" if value is None else russian_decimal(value)


def _year_series(
    report: SurveyReport, values_of: Callable[[YearResults], list[float | None]]
) -> list[tuple[str, list[float | None], str]]:
    years = [(report.current, CURRENT_COLOR)]
    if report.compared is not None:
        years.append((report.compared, COMPARED_COLOR))
    return [(f"{year.year} г.", values_of(year), color) for year, color in years]


def index_chart(report: SurveyReport) -> str:
    series = _year_series(report, lambda year: [row.index for row in year.q3])
    labels = [row.label for row in report.current.q3]
    return _grouped_bars(labels, series, "Индекс удовлетворённости (0–100) по строкам вопроса 3", "Индекс", 100)


def q1_chart(report: SurveyReport) -> str:
    series = _year_series(report, lambda year: [option.percent for option in year.q1])
    labels = [option.label for option in report.current.q1]
    return _grouped_bars(labels, series, "Общая удовлетворённость (вопрос 1), % ответивших", "%", 100)
