"""`mailbot report tickets|survey`: period reports as XLSX, HTML or CSV files."""

from __future__ import annotations

import argparse
import datetime
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from mailbot.app import open_database
from mailbot.cli.common import settings_from
from mailbot.cli.russian import count_of
from mailbot.config import Settings
from mailbot.db.engine import create_session_factory
from mailbot.db.models import utcnow
from mailbot.errors import ConfigurationError
from mailbot.reports import csv_out, html, output, xlsx
from mailbot.reports.output import output_format
from mailbot.reports.period import is_whole_month, resolve_period
from mailbot.reports.survey import SurveyReport, build_survey_report
from mailbot.reports.tables import russian_decimal
from mailbot.reports.tickets import TicketReport, build_ticket_report
from mailbot.os_errors import os_error_ru

FORMATS = ("xlsx", "html", "csv")
TICKET_WRITERS: dict[str, Callable[[TicketReport, Path], object]] = {
    "xlsx": xlsx.write_ticket_xlsx,
    "html": html.write_ticket_html,
    "csv": csv_out.write_ticket_csv,
}
SURVEY_WRITERS: dict[str, Callable[[SurveyReport, Path], object]] = {
    "xlsx": xlsx.write_survey_xlsx,
    "html": html.write_survey_html,
    "csv": csv_out.write_survey_csv,
}
_Report = TypeVar("_Report")

TICKETS_DESCRIPTION = """\
Отчёт об обращениях, поступивших за период: число по процессам и каналам,
ответы в срок и с опозданием, медиана дней до ответа, обращения без ответа
и просроченные (на момент формирования), по исполнителям, средняя оценка
заявителей. Без --from и --to — за прошлый календарный месяц; только с
--from — по сегодняшний день. Даты: ДД.ММ.ГГГГ или ГГГГ-ММ-ДД, включительно.

Форматы: xlsx (листы с таблицами и диаграммами), html (одна страница с
диаграммами) и csv (папка с CSV-файлами по одному на таблицу: UTF-8 с BOM,
разделитель «;», десятичная запятая)."""

SURVEY_DESCRIPTION = """\
Результаты анкетирования по Форме № 1 за год: доли ответов по вопросам и
строкам, индекс удовлетворённости строк вопроса 3 (0–100), изменение к
году сравнения (--compare), открытые ответы по строкам. Годы до mailbot
входят в отчёт, если их результаты загружены в базу.

Форматы те же, что у «mailbot report tickets»."""


def register(commands: Any) -> None:
    parser = commands.add_parser("report", help="отчёты об обращениях и анкетировании", description=(
        "Отчёты в файлах XLSX, HTML или CSV."))
    kinds = parser.add_subparsers(title="отчёты", metavar="ОТЧЁТ", required=True)

    tickets = kinds.add_parser("tickets", help="обращения за период", description=TICKETS_DESCRIPTION)
    tickets.add_argument("--from", dest="first_day", metavar="ДАТА", help="первый день периода")
    tickets.add_argument("--to", dest="last_day", metavar="ДАТА", help="последний день периода (включительно)")
    _add_output_options(tickets)
    tickets.set_defaults(handler=handle_tickets)

    survey = kinds.add_parser("survey", help="результаты анкетирования за год", description=SURVEY_DESCRIPTION)
    survey.add_argument("--year", type=int, required=True, metavar="ГОД", help="год анкетирования")
    survey.add_argument("--compare", type=int, metavar="ГОД", help="год, с которым сравнить")
    _add_output_options(survey)
    survey.set_defaults(handler=handle_survey)


def _add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format", choices=FORMATS,
        help="формат отчёта. Без него формат берётся из расширения --output (.xlsx, .html или .htm), "
             "другое расширение — ошибка; без --output — xlsx. С --format имя в --output остаётся таким, "
             "как вы его написали, с любым расширением",
    )
    parser.add_argument(
        "--output", type=Path, metavar="ПУТЬ",
        help="куда записать: файл .xlsx или .html, для csv — папка (новая или существующая; файлы с теми же "
             "именами в ней заменяются). Папка, в которой лежит ПУТЬ, должна существовать. По умолчанию — "
             "в текущей папке",
    )


def default_name(stem: str, format_name: str) -> Path:
    return Path(stem if format_name == "csv" else f"{stem}.{format_name}")


def ticket_report_stem(first_day: datetime.date, last_day: datetime.date) -> str:
    if is_whole_month(first_day, last_day):
        return f"otchet-obrashcheniya-{first_day:%Y-%m}"
    return f"otchet-obrashcheniya-{first_day:%Y-%m-%d}--{last_day:%Y-%m-%d}"


def survey_report_stem(year: int, compare: int | None) -> str:
    return f"otchet-anketa-{year}" + (f"-vs-{compare}" if compare is not None else "")


def handle_tickets(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    now = utcnow()
    first_day, last_day = resolve_period(args.first_day, args.last_day, now.astimezone(settings.tz).date())
    format_name = output_format(args.format, args.output)
    path = args.output or default_name(ticket_report_stem(first_day, last_day), format_name)
    output.check_output(format_name, path)

    report = _read_report(settings, lambda session: build_ticket_report(
        session, first_day, last_day, now=now, tz=settings.tz
    ))

    _write_report(report, TICKET_WRITERS[format_name], format_name, path)
    print(describe_ticket_report(report))
    print(f"Отчёт записан: {path}")
    return 0


def _read_report(settings: Settings, build: Callable[[Session], _Report]) -> _Report:
    """Build a report from the existing database, which it never creates."""
    engine = open_database(settings, migrate_fresh=False)
    try:
        with create_session_factory(engine)() as session:
            return build(session)
    finally:
        engine.dispose()


def _write_report(report: _Report, write: Callable[[_Report, Path], object], format_name: str, path: Path) -> None:
    """Write `report` under a temporary name and move it into place; an OSError becomes one Russian line."""
    try:
        if format_name == "csv":
            output.write_folder(path, lambda temporary: write(report, temporary))
        else:
            output.write_file(path, lambda temporary: write(report, temporary))
    except OSError as error:
        raise ConfigurationError(
            f"Не удалось записать отчёт «{path}»: {os_error_ru(error)}. Укажите в --output другой путь."
        ) from error


def describe_ticket_report(report: TicketReport) -> str:
    total = report.total
    median = russian_decimal(total.median_days) if total.median_days is not None else "—"
    lines = [
        f"Обращения с {report.first_day:%d.%m.%Y} по {report.last_day:%d.%m.%Y}: "
        f"{count_of(total.received, 'обращение', 'обращения', 'обращений')}.",
        f"Ответ в срок: {total.on_time}, с опозданием: {total.late}, без ответа: {total.open} "
        f"(из них просрочено: {total.overdue}).",
        f"Медиана времени до ответа, дней: {median}.",
    ]
    if report.rating_count:
        mean = russian_decimal(report.rating_mean) if report.rating_mean is not None else "—"
        lines.append(f"Средняя оценка заявителей: {mean} ({count_of(report.rating_count, 'оценка', 'оценки', 'оценок')}).")
    return "\n".join(lines)


def handle_survey(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    if args.compare is not None and args.compare == args.year:
        raise ConfigurationError("Год сравнения (--compare) должен отличаться от --year.")
    format_name = output_format(args.format, args.output)
    path = args.output or default_name(survey_report_stem(args.year, args.compare), format_name)
    output.check_output(format_name, path)

    current_year = utcnow().astimezone(settings.tz).year
    report = _read_report(settings, lambda session: build_survey_report(
        session, args.year, args.compare, current_year=current_year
    ))

    _write_report(report, SURVEY_WRITERS[format_name], format_name, path)
    print(describe_survey_report(report))
    print(f"Отчёт записан: {path}")
    return 0


def describe_survey_report(report: SurveyReport) -> str:
    current = report.current
    line = f"Анкетирование {current.year} г.: {count_of(current.responses, 'анкета', 'анкеты', 'анкет')}"
    if current.invitations:
        rate = russian_decimal(current.answer_rate) if current.answer_rate is not None else "—"
        line += f" (приглашено {current.invitations}, ответили {rate} %)"
    lines = [line + "."]
    if report.compared is not None:
        lines.append(f"Сравнение с {report.compared.year} г.: "
                     f"{count_of(report.compared.responses, 'анкета', 'анкеты', 'анкет')}.")
    lines.append("Индекс удовлетворённости по строкам вопроса 3 (0–100):")
    for row in current.q3:
        index = russian_decimal(row.index) if row.index is not None else "нет оценок"
        change = report.q3_index_change(row.key)
        shift = ""
        if change is not None and report.compared is not None:
            shift = f" ({russian_decimal(change, signed=True)} к {report.compared.year} г.)"
        lines.append(f"  {row.label}: {index}{shift}")
    return "\n".join(lines)
