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
from mailbot.reports.tables import russian_decimal  # noqa: E402
from mailbot.reports.tickets import TicketReport  # noqa: E402

ON_TIME_COLOR = "#2e7d32"
LATE_COLOR = "#ef6c00"
OPEN_COLOR = "#9e9e9e"
CURRENT_COLOR = "#1565c0"
COMPARED_COLOR = "#90caf9"
# Q3 options from «Полностью удовлетворен» to «Затрудняюсь ответить», then no answer.
LIKERT_COLORS = ("#1b5e20", "#81c784", "#ffb74d", "#c62828", "#bdbdbd", "#eeeeee")
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


def _stacked_bars(labels: Sequence[str], series: Sequence[tuple[str, Sequence[float], str]], title: str,
                  x_label: str, *, percent_axis: bool = False) -> str:
    """Draw horizontal stacked bars, first label on top, with the value written in each wide enough segment."""
    with _style():
        figure, axes = plt.subplots(figsize=(10, 0.55 * len(labels) + 1.6))
        positions = range(len(labels))
        left = [0.0] * len(labels)
        for name, values, color in series:
            bars = axes.barh(positions, values, left=left, color=color, label=name)
            axes.bar_label(bars, labels=[_segment_label(value) for value in values], label_type="center",
                           fontsize=8, color="white" if color not in LIKERT_COLORS[4:] else "black")
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
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=min(len(series), 3), frameon=False)
        axes.spines[["top", "right"]].set_visible(False)
        return _to_svg(figure)


def _segment_label(value: float) -> str:
    if value < 1e-9:
        return ""
    return str(value) if isinstance(value, int) else russian_decimal(value)


def process_chart(report: TicketReport) -> str:
    rows = report.by_process
    return _stacked_bars(
        [row.label for row in rows],
        [
            ("Ответ в срок", [row.figures.on_time for row in rows], ON_TIME_COLOR),
            ("Ответ с опозданием", [row.figures.late for row in rows], LATE_COLOR),
            ("Без ответа", [row.figures.open for row in rows], OPEN_COLOR),
        ],
        "Обращения по процессам",
        "Обращений",
    )


def assignee_chart(report: TicketReport) -> str:
    rows = report.by_assignee
    return _stacked_bars(
        [row.label for row in rows],
        [
            ("Ответ в срок", [row.figures.on_time for row in rows], ON_TIME_COLOR),
            ("Ответ с опозданием", [row.figures.late for row in rows], LATE_COLOR),
            ("Без ответа", [row.figures.open for row in rows], OPEN_COLOR),
        ],
        "Обращения по исполнителям",
        "Обращений",
    )


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
        figure, axes = plt.subplots(figsize=(10, 0.45 * len(labels) * len(series) + 1.6))
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
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=len(series), frameon=False)
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
