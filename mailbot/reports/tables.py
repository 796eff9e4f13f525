"""The reports as plain tables with Russian headers, shared by the XLSX, HTML and CSV writers.

A cell is a str, an int, a float (a decimal figure such as a median), a
`Percent` (a share in percent, 0-100), a `Change` (a difference against
the compared year) or None (no value). Each writer formats the types its
own way, so the three outputs show the same figures.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any, Union

from mailbot.outbound.render import russian_date, russian_datetime
from mailbot.reports.survey import NO_ANSWER_RU, SurveyReport, YearResults
from mailbot.reports.tickets import Figures, GroupRow, TicketReport
from mailbot.survey import form
from mailbot.tickets.views import CHANNEL_RU


class Percent(float):
    """A share in percent (42.9 means 42.9 %)."""


class Change(float):
    """A difference against the compared year, in percentage points or index points."""


def russian_decimal(value: float, *, signed: bool = False) -> str:
    """Format with a decimal comma and one or two decimals: 9,0 and 4,25; `signed` adds «+» to a rise."""
    text = f"{value:+.2f}" if signed else f"{value:.2f}"
    if text.endswith("0"):
        text = text[:-1]
    return text.replace(".", ",")


Cell = Union[str, int, float, None]


@dataclasses.dataclass(frozen=True)
class Table:
    """One section of a report: `key` names its CSV file, `title` its sheet and heading."""

    key: str
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    # Explanations shown under the table; CSV files leave them out.
    notes: tuple[str, ...] = ()


def _percent(value: float | None) -> Percent | None:
    return Percent(value) if value is not None else None


def _change(value: float | None) -> Change | None:
    return Change(value) if value is not None else None


# Tickets

FIGURE_HEADERS = (
    "Получено",
    "Ответ в срок",
    "Ответ с опозданием",
    "Доля в срок, %",
    "Без ответа",
    "Из них просрочено",
    "Медиана, дней до ответа",
)
# The outcomes the charts stack, so that overdue tickets stand apart from those still within the deadline.
OUTCOME_NAMES_RU = ("В срок", "С опозданием", "Без ответа, срок не истёк", "Просрочено")
ON_TIME_SHARE_NOTE = "Доля в срок — от обращений с ответом и просроченных без ответа."


def on_time_share(figures: Figures) -> float | None:
    """The share answered on time among the tickets whose outcome is known: answered or overdue."""
    decided = figures.on_time + figures.late + figures.overdue
    return round(100 * figures.on_time / decided, 1) if decided else None


def _figure_cells(figures: Figures) -> tuple[Cell, ...]:
    return (
        figures.received,
        figures.on_time,
        figures.late,
        _percent(on_time_share(figures)),
        figures.open,
        figures.overdue,
        figures.median_days,
    )


def ticket_tables(report: TicketReport) -> tuple[Table, ...]:
    return (_ticket_summary(report), _by_process(report), _by_group(report, "by-channel", "По каналам", "Канал",
            report.by_channel), _by_group(report, "by-assignee", "По исполнителям", "Исполнитель", report.by_assignee))


def _ticket_summary(report: TicketReport) -> Table:
    total = report.total
    rows: list[tuple[Cell, ...]] = [
        ("Период", f"{russian_date(report.first_day)} — {russian_date(report.last_day)}"),
        ("Состояние на", russian_datetime(report.generated_at)),
        *zip(FIGURE_HEADERS, _figure_cells(total)),
        ("Средняя оценка заявителей (1–5)", report.rating_mean),
        ("Число оценок", report.rating_count),
    ]
    return Table("summary", "Сводка", ("Показатель", "Значение"), tuple(rows), (ON_TIME_SHARE_NOTE,))


def _by_process(report: TicketReport) -> Table:
    channels = tuple(CHANNEL_RU.values())
    headers = ("Код", "Процесс", *(f"Получено {name}" for name in channels), *FIGURE_HEADERS,
               "Средняя оценка", "Число оценок")
    rows = [
        (row.process if row.process is not None else "—", row.title, *row.channels, *_figure_cells(row.figures),
         row.rating_mean, row.rating_count)
        for row in report.by_process
    ]
    channel_totals = tuple(sum(row.channels[index] for row in report.by_process) for index in range(len(channels)))
    rows.append(("", "Всего", *channel_totals, *_figure_cells(report.total), report.rating_mean, report.rating_count))
    return Table("by-process", "По процессам", headers, tuple(rows), (ON_TIME_SHARE_NOTE,))


def _by_group(report: TicketReport, key: str, title: str, label: str, groups: tuple[GroupRow, ...]) -> Table:
    rows = [(group.label, *_figure_cells(group.figures)) for group in groups]
    rows.append(("Всего", *_figure_cells(report.total)))
    return Table(key, title, (label, *FIGURE_HEADERS), tuple(rows), (ON_TIME_SHARE_NOTE,))


# Survey

ORIGIN_RU = {"campaign": "опрос в mailbot", "import": "загружено из прошлых лет"}
SHARES_NOTE = "Доли в вопросах 1–3 — от всех анкет года; «Нет ответа» — анкеты без ответа на вопрос или строку."
INDEX_NOTE = (
    "Индекс удовлетворённости строки вопроса 3 — средний балл ответов без «Затрудняюсь ответить» "
    "(полностью удовлетворен — 3, скорее удовлетворен — 2, скорее не удовлетворен — 1, "
    "полностью не удовлетворен — 0), делённый на 3, × 100."
)
Q2_NOTE = "«Указана проблема» — текст проблемы у тех, кто не отметил «Не занимаюсь этим»."
CHANGE_NOTE = "Изменение долей — в процентных пунктах (п. п.), индекса — в пунктах."
TEXT_COUNT_HEADER = "Ответов"
TEXTS_NOTE = "Одинаковые ответы (без учёта регистра и пробелов) объединены, число в «Ответов» — сколько раз их дали."


def survey_tables(report: SurveyReport) -> tuple[Table, ...]:
    tables = [_survey_summary(report), _q1(report), _q2(report), _q3_shares(report)]
    if report.compared is not None:
        tables.append(_q3_changes(report))
    tables += [_q3_counts(report), _q2_texts(report.current), _q4(report.current), _q4_texts(report.current),
               _q5(report.current)]
    return tuple(tables)


def _years(report: SurveyReport) -> list[YearResults]:
    return [report.current] + ([report.compared] if report.compared is not None else [])


def _survey_summary(report: SurveyReport) -> Table:
    headers = ("Год", "Источник", "Ответов", "Приглашено", "Ответили по приглашению", "Доля ответивших, %")
    rows = [
        (year.year, ORIGIN_RU.get(year.origin, year.origin), year.responses, year.invitations,
         year.answered_invitations, _percent(year.answer_rate))
        for year in _years(report)
    ]
    return Table("summary", "Сводка", headers, tuple(rows), (SHARES_NOTE, INDEX_NOTE))


def _q1(report: SurveyReport) -> Table:
    current, compared = report.current, report.compared
    headers = ["Вариант ответа", f"Ответов {current.year}", f"Доля {current.year}, %"]
    if compared is not None:
        headers += [f"Ответов {compared.year}", f"Доля {compared.year}, %", "Изменение, п. п."]
    rows = []
    for option in current.q1:
        row: list[Cell] = [option.label, option.count, _percent(option.percent)]
        if compared is not None:
            earlier = compared.q1_option(option.key)
            row += [earlier.count, _percent(earlier.percent), _change(report.q1_change(option.key))]
        rows.append(tuple(row))
    notes = (SHARES_NOTE, CHANGE_NOTE) if compared is not None else (SHARES_NOTE,)
    return Table("q1", "Вопрос 1", tuple(headers), tuple(rows), notes)


def _q2(report: SurveyReport) -> Table:
    current, compared = report.current, report.compared
    headers = ["Направление деятельности", f"«{form.Q2_NOT_ENGAGED_COLUMN}» {current.year}, %",
               f"Указана проблема {current.year}, %", f"Указана проблема {current.year}, ответов"]
    if compared is not None:
        headers += [f"«{form.Q2_NOT_ENGAGED_COLUMN}» {compared.year}, %", f"Указана проблема {compared.year}, %",
                    "Изменение «не занимаюсь», п. п.", "Изменение «указана проблема», п. п."]
    rows = []
    for row in current.q2:
        cells: list[Cell] = [row.label, _percent(row.not_engaged.percent), _percent(row.with_problem.percent),
                             row.with_problem.count]
        if compared is not None:
            earlier = compared.q2_row(row.key)
            cells += [_percent(earlier.not_engaged.percent), _percent(earlier.with_problem.percent),
                      *(_change(value) for value in report.q2_changes(row.key))]
        rows.append(tuple(cells))
    return Table("q2", "Вопрос 2", tuple(headers), tuple(rows), (SHARES_NOTE, Q2_NOTE))


def _q3_option_labels() -> list[str]:
    return [choice.label for choice in form.Q3_OPTIONS] + [NO_ANSWER_RU]


def _q3_shares(report: SurveyReport) -> Table:
    current, compared = report.current, report.compared
    headers = ["Строка", *(f"{name}, %" for name in _q3_option_labels()), f"Индекс {current.year}"]
    if compared is not None:
        headers += [f"Индекс {compared.year}", "Изменение индекса"]
    rows = []
    for row in current.q3:
        cells: list[Cell] = [row.label, *(_percent(option.percent) for option in row.options), row.index]
        if compared is not None:
            cells += [compared.q3_row(row.key).index, _change(report.q3_index_change(row.key))]
        rows.append(tuple(cells))
    return Table("q3", "Вопрос 3", tuple(headers), tuple(rows), (SHARES_NOTE, INDEX_NOTE))


def _q3_changes(report: SurveyReport) -> Table:
    assert report.compared is not None
    headers = ("Строка", *(f"{name}, п. п." for name in _q3_option_labels()))
    rows = tuple(
        (row.label, *(_change(report.q3_change(row.key, option.key)) for option in row.options)) for row in report.current.q3
    )
    title = f"Вопрос 3, изменение к {report.compared.year}"
    return Table("q3-change", title, headers, rows, (CHANGE_NOTE,))


def _q3_counts(report: SurveyReport) -> Table:
    headers = ("Год", "Строка", *_q3_option_labels(), "Всего ответов")
    rows: tuple[tuple[Cell, ...], ...] = tuple(
        (year.year, row.label, *(option.count for option in row.options), year.responses)
        for year in _years(report)
        for row in year.q3
    )
    return Table("q3-counts", "Вопрос 3, число ответов", headers, rows)


def group_texts(texts: Iterable[str]) -> tuple[tuple[str, int], ...]:
    """Merge answers that differ only in letter case or spacing, most frequent first.

    Each group shows its first answer as written, with the number of answers
    in it. Groups of equal size keep the order of their first answer.
    """
    groups: dict[str, list[Any]] = {}
    for text in texts:
        key = " ".join(text.split()).casefold()
        if key in groups:
            groups[key][1] += 1
        else:
            groups[key] = [text, 1]
    ordered = sorted(groups.values(), key=lambda group: -group[1])
    return tuple((text, count) for text, count in ordered)


def _q2_texts(year: YearResults) -> Table:
    rows = tuple((row.label, text, count) for row in year.q2 for text, count in group_texts(row.texts))
    headers = ("Направление деятельности", form.Q2_TEXT_COLUMN, TEXT_COUNT_HEADER)
    return Table("q2-texts", "Вопрос 2, проблемы", headers, rows, (TEXTS_NOTE,))


def _q4(year: YearResults) -> Table:
    rows = tuple((row.label, len(row.texts), row.unsure) for row in year.q4)
    headers = ("Строка", "Ответов с текстом", f"«{form.Q4_UNSURE_COLUMN}»")
    return Table("q4", "Вопрос 4", headers, rows)


def _q4_texts(year: YearResults) -> Table:
    rows = tuple((row.label, text, count) for row in year.q4 for text, count in group_texts(row.texts))
    return Table("q4-texts", "Вопрос 4, ответы", ("Строка", form.Q4_TEXT_COLUMN, TEXT_COUNT_HEADER), rows,
                 (TEXTS_NOTE,))


def _q5(year: YearResults) -> Table:
    rows = tuple((index, text, count) for index, (text, count) in enumerate(group_texts(year.q5), start=1))
    return Table("q5", "Вопрос 5", ("№", "Ответ", TEXT_COUNT_HEADER), rows, (TEXTS_NOTE,))
