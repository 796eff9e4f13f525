"""`mailbot report tickets|survey`: period reports as XLSX, HTML or CSV files."""

from __future__ import annotations

import argparse
import contextlib
import datetime
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mailbot.app import open_database
from mailbot.cli.common import settings_from
from mailbot.cli.russian import count_of
from mailbot.db.engine import create_session_factory
from mailbot.db.models import utcnow
from mailbot.errors import ConfigurationError
from mailbot.reports import csv_out, html, output, xlsx
from mailbot.reports.output import output_format
from mailbot.reports.period import is_whole_month, resolve_period
from mailbot.reports.survey import SurveyReport, build_survey_report
from mailbot.reports.tables import russian_decimal
from mailbot.reports.tickets import TicketReport, build_ticket_report
from mailbot.survey.os_errors import os_error_ru

FORMATS = ("xlsx", "html", "csv")

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

    engine = open_database(settings, migrate_fresh=False)
    try:
        with create_session_factory(engine)() as session:
            report = build_ticket_report(session, first_day, last_day, now=now, tz=settings.tz)
    finally:
        engine.dispose()

    _write_tickets(report, format_name, path)
    print(describe_ticket_report(report))
    print(f"Отчёт записан: {path}")
    return 0


def _write_tickets(report: TicketReport, format_name: str, path: Path) -> None:
    with _write_errors(path):
        _write_ticket_format(report, format_name, path)


def _write_ticket_format(report: TicketReport, format_name: str, path: Path) -> None:
    if format_name == "xlsx":
        output.write_file(path, lambda temporary: xlsx.write_ticket_xlsx(report, temporary))
    elif format_name == "html":
        output.write_file(path, lambda temporary: html.write_ticket_html(report, temporary))
    else:
        output.write_folder(path, lambda temporary: csv_out.write_ticket_csv(report, temporary))


@contextlib.contextmanager
def _write_errors(path: Path) -> Iterator[None]:
    """Turn an OSError of writing the report into one Russian line naming the path."""
    try:
        yield
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

    engine = open_database(settings, migrate_fresh=False)
    try:
        with create_session_factory(engine)() as session:
            current_year = utcnow().astimezone(settings.tz).year
            report = build_survey_report(session, args.year, args.compare, current_year=current_year)
    finally:
        engine.dispose()

    _write_survey(report, format_name, path)
    print(describe_survey_report(report))
    print(f"Отчёт записан: {path}")
    return 0


def _write_survey(report: SurveyReport, format_name: str, path: Path) -> None:
    with _write_errors(path):
        _write_survey_format(report, format_name, path)


def _write_survey_format(report: SurveyReport, format_name: str, path: Path) -> None:
    if format_name == "xlsx":
        output.write_file(path, lambda temporary: xlsx.write_survey_xlsx(report, temporary))
    elif format_name == "html":
        output.write_file(path, lambda temporary: html.write_survey_html(report, temporary))
    else:
        output.write_folder(path, lambda temporary: csv_out.write_survey_csv(report, temporary))


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
