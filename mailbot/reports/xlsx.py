"""Write a report as an XLSX workbook: one sheet per table, with native Excel charts."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from mailbot.reports.survey import SurveyReport
from mailbot.reports.tables import Change, Percent, Table, survey_tables, ticket_tables
from mailbot.reports.tickets import TicketReport

PERCENT_FORMAT = "0.0%"
DECIMAL_FORMAT = "0.0#"
CHANGE_FORMAT = "+0.0;-0.0;0.0"
MAX_COLUMN_WIDTH = 60
MIN_COLUMN_WIDTH = 8


def write_ticket_xlsx(report: TicketReport, path: Path) -> None:
    workbook = _workbook(ticket_tables(report))
    _add_process_chart(workbook["По процессам"], len(report.by_process))
    workbook.save(path)


def write_survey_xlsx(report: SurveyReport, path: Path) -> None:
    workbook = _workbook(survey_tables(report))
    _add_q1_chart(workbook["Вопрос 1"], len(report.current.q1), report.compared is not None)
    _add_index_chart(workbook["Вопрос 3"], report)
    workbook.save(path)


def _workbook(tables: tuple[Table, ...]) -> Workbook:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for table in tables:
        _write_sheet(workbook.create_sheet(table.title), table)
    return workbook


def _write_sheet(sheet: Worksheet, table: Table) -> None:
    """Write the table with a bold, wrapped, frozen header row and fitted column widths."""
    sheet.append(list(table.headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"

    for row in table.rows:
        sheet.append([value / 100 if isinstance(value, Percent) else value for value in row])
        for cell, value in zip(sheet[sheet.max_row], row):
            if isinstance(value, Percent):
                cell.number_format = PERCENT_FORMAT
            elif isinstance(value, Change):
                cell.number_format = CHANGE_FORMAT
            elif isinstance(value, float):
                cell.number_format = DECIMAL_FORMAT
            elif isinstance(value, str) and len(value) > MAX_COLUMN_WIDTH:
                cell.alignment = Alignment(wrap_text=True, vertical="top")

    if table.notes:
        sheet.append([])
    for note in table.notes:
        sheet.append([note])
        sheet.cell(sheet.max_row, 1).font = Font(italic=True)

    for index, header in enumerate(table.headers, start=1):
        lengths = [len(str(row[index - 1])) for row in table.rows if row[index - 1] is not None]
        # A header wraps, so its longest word is what must fit.
        widest = max([*lengths, *(len(word) for word in header.split())], default=0)
        sheet.column_dimensions[get_column_letter(index)].width = min(max(widest + 2, MIN_COLUMN_WIDTH),
                                                                      MAX_COLUMN_WIDTH)


def _bar_chart() -> BarChart:
    chart = BarChart()
    # openpyxl 3.1 leaves out the axes' <c:delete val="0"/>, and without it
    # some Excel versions hide both axes with their labels.
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    return chart


def _set_text_categories(chart: BarChart, labels: Reference) -> None:
    """Point every series at `labels` as text; `set_categories` would declare them numbers."""
    for series in chart.series:
        series.cat = AxDataSource(strRef=StrRef(f=str(labels)))


def _add_process_chart(sheet: Worksheet, process_rows: int) -> None:
    """Stack answered on time, late and still open per process (the codes, not the long titles)."""
    headers = [cell.value for cell in sheet[1]]
    chart = _bar_chart()
    chart.type = "bar"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.title = "Обращения по процессам"
    chart.y_axis.title = "Обращений"
    chart.x_axis.title = "Процесс"
    for header in ("Ответ в срок", "Ответ с опозданием", "Без ответа"):
        column = headers.index(header) + 1
        chart.add_data(Reference(sheet, min_col=column, min_row=1, max_row=process_rows + 1), titles_from_data=True)
    _set_text_categories(chart, Reference(sheet, min_col=1, min_row=2, max_row=process_rows + 1))
    chart.height, chart.width = 10, 20
    sheet.add_chart(chart, f"A{sheet.max_row + 2}")


def _add_q1_chart(sheet: Worksheet, options: int, compared: bool) -> None:
    chart = _bar_chart()
    chart.type = "col"
    chart.title = "Общая удовлетворённость (вопрос 1), %"
    columns = (3, 5) if compared else (3,)
    for column in columns:
        chart.add_data(Reference(sheet, min_col=column, min_row=1, max_row=options + 1), titles_from_data=True)
    _set_text_categories(chart, Reference(sheet, min_col=1, min_row=2, max_row=options + 1))
    chart.y_axis.numFmt = PERCENT_FORMAT
    chart.height, chart.width = 9, 18
    sheet.add_chart(chart, f"A{sheet.max_row + 2}")


def _add_index_chart(sheet: Worksheet, report: SurveyReport) -> None:
    """Bar the satisfaction index per Q3 row, this year beside the compared one."""
    headers = [cell.value for cell in sheet[1]]
    rows = len(report.current.q3)
    chart = _bar_chart()
    chart.type = "bar"
    chart.title = "Индекс удовлетворённости по строкам вопроса 3"
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 100
    years = [report.current.year] + ([report.compared.year] if report.compared is not None else [])
    for year in years:
        column = headers.index(f"Индекс {year}") + 1
        chart.add_data(Reference(sheet, min_col=column, min_row=1, max_row=rows + 1), titles_from_data=True)
    _set_text_categories(chart, Reference(sheet, min_col=1, min_row=2, max_row=rows + 1))
    chart.height, chart.width = 14, 24
    sheet.add_chart(chart, f"A{sheet.max_row + 2}")
