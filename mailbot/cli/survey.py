"""`mailbot survey start|remind|close|status|import`: the annual Form No. 1 survey."""

from __future__ import annotations

import argparse
import contextlib
import datetime
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mailbot.app import open_database
from mailbot.cli.common import print_json, settings_from
from mailbot.cli.russian import count_of
from mailbot.config import Settings
from mailbot.db.engine import create_session_factory
from mailbot.db.models import OutboxMessage, OutboxState, utcnow
from mailbot.errors import ConfigurationError
from mailbot.outbound.outbox import deliver_due_sync
from mailbot.outbound.render import russian_date
from mailbot.survey.campaign import (
    CampaignStatus,
    InviteRun,
    add_to_campaign,
    campaign_status,
    check_can_add,
    check_can_start,
    close_campaign,
    plan_invitees,
    start_campaign,
)
from mailbot.survey.history import import_results
from mailbot.survey.mail import INVITATION_KIND, REMINDER_KIND, require_sender_address
from mailbot.survey.recipients import EmployeeList, Invitee, read_employees
from mailbot.survey.reminders import send_due_survey_reminders

DESCRIPTION = """\
Ежегодный опрос сотрудников по Форме № 1 «Оценка удовлетворенности
внутренних клиентов вопросами информационно-технического обеспечения
в Комитете».

Приглашение с личной ссылкой получает каждый, кто писал в ИТ-службу
(в пределах MAILBOT_ALLOWED_DOMAINS, кроме MAILBOT_STAFF), и каждый из
списка сотрудников (--employees). Тем, кто не ответил, служба напоминает
через MAILBOT_SURVEY_REMINDER_DAYS дней (по умолчанию 7 и 14) в рабочее
время. В каждом напоминании новая ссылка; действует только последняя
полученная ссылка. Ответы хранятся без имени и адреса."""

EMPLOYEES_HELP = (
    "CSV-файл со списком сотрудников (UTF-8 или windows-1251, разделитель «;» или «,»): "
    "в первой строке заголовки, столбец адреса «email», «e-mail», «адрес» или «почта», "
    "по желанию столбец «ФИО», «имя» или «name»"
)
SOURCE_RU = {"mailbox": "писал(а) в ИТ-службу", "list": "из списка сотрудников"}


def _wrapped(text: str) -> str:
    """Break a description into lines, since the Russian help formatter keeps descriptions as written."""
    return textwrap.fill(text, width=76)


def parse_date(text: str | None, option: str) -> datetime.date | None:
    """Read a date written as ДД.ММ.ГГГГ or ГГГГ-ММ-ДД; raise ConfigurationError naming `option` when invalid."""
    if text is None:
        return None
    for pattern in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            return datetime.datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    raise ConfigurationError(f"Параметр {option}: дата «{text}» не распознана, ожидается ДД.ММ.ГГГГ или ГГГГ-ММ-ДД.")


def register(commands: Any) -> None:
    parser = commands.add_parser("survey", help="ежегодный опрос (Форма № 1)", description=DESCRIPTION)
    actions = parser.add_subparsers(title="действия", metavar="ДЕЙСТВИЕ", required=True)
    _register_start(actions)

    remind = actions.add_parser(
        "remind",
        help="отправить назревшие напоминания сейчас",
        description=_wrapped(
            "Отправляет напоминания, срок которых наступил, не дожидаясь рабочего времени, "
            "и закрывает опросы, срок ответов которых истёк. Служба делает это сама "
            "каждые MAILBOT_REMINDER_MINUTES минут в рабочее время."
        ),
    )
    remind.set_defaults(handler=handle_remind)

    close = actions.add_parser("close", help="закрыть опрос", description=_wrapped("Закрывает опрос: ссылки перестают действовать, напоминания больше не отправляются."))
    close.add_argument("--year", type=int, default=None, metavar="ГОД", help="год опроса (по умолчанию текущий)")
    close.set_defaults(handler=handle_close)

    status = actions.add_parser("status", help="ход опроса", description=_wrapped("Сколько приглашено, сколько ответили, сколько отправлено напоминаний."))
    status.add_argument("--year", type=int, default=None, metavar="ГОД", help="год опроса (по умолчанию текущий)")
    status.add_argument("--json", action="store_true", help="вывести в JSON")
    status.set_defaults(handler=handle_status)

    _register_import(actions)


def _register_start(actions: Any) -> None:
    start = actions.add_parser(
        "start",
        help="запустить опрос и разослать приглашения",
        description=_wrapped(
            "Создаёт опрос за год и рассылает приглашения с личными ссылками. "
            "С --add приглашает только тех, кого ещё не приглашали (например, новых сотрудников)."
        ),
    )
    start.add_argument("--year", type=int, default=None, metavar="ГОД", help="год опроса (по умолчанию текущий)")
    start.add_argument("--until", default=None, metavar="ДАТА", help="последний день приёма ответов: ДД.ММ.ГГГГ или ГГГГ-ММ-ДД; после него опрос закрывается сам")
    start.add_argument("--employees", type=Path, default=None, metavar="ФАЙЛ.csv", help=EMPLOYEES_HELP)
    start.add_argument("--add", action="store_true", help="опрос уже идёт: пригласить только новых")
    start.add_argument("--dry-run", action="store_true", help="только показать, кто будет приглашён, ничего не отправляя")
    start.set_defaults(handler=handle_start)


def _register_import(actions: Any) -> None:
    history = actions.add_parser(
        "import",
        help="загрузить результаты прошлого года из CSV",
        description=_wrapped(
            "Загружает анкеты прошлого года (с бумаги или из Excel), чтобы отчёты сравнивали годы. "
            "Одна строка — одна анкета; столбцы q1, q2.replies.text, q2.replies.not_engaged, q3.hardware, …, "
            "q4.hardware.text, q4.hardware.unsure, q5; ответы — формулировки вариантов или их ключи. "
            "Если хоть одна строка неверна, не загружается ничего. Год загружается один раз; "
            "исправленный файл загружается вместо прежнего с --replace."
        ),
    )
    history.add_argument("--year", type=int, required=True, metavar="ГОД", help="год, к которому относятся анкеты")
    history.add_argument(
        "--replace",
        action="store_true",
        help="за этот год анкеты уже загружены из файла: удалить их и загрузить этот файл вместо них",
    )
    history.add_argument("--date", default=None, metavar="ДАТА", help="дата заполнения анкет (по умолчанию 31 декабря этого года)")
    history.add_argument("file", type=Path, metavar="ФАЙЛ.csv", help="файл с анкетами")
    history.set_defaults(handler=handle_import)


@contextlib.contextmanager
def _database(settings: Settings) -> Iterator[sessionmaker[Session]]:
    """Open the existing database for one command.

    Nothing is created: run in the wrong folder, a command would otherwise
    start an empty database there, so a missing one is a ConfigurationError.
    """
    engine = open_database(settings, migrate_fresh=False)
    try:
        yield create_session_factory(engine)
    finally:
        engine.dispose()


def _today(settings: Settings) -> datetime.date:
    return datetime.datetime.now(settings.tz).date()


def handle_start(args: argparse.Namespace) -> int:
    if args.add and args.until is not None:
        raise ConfigurationError("Параметр --until задаётся при запуске опроса; вместе с --add он не используется.")
    until = parse_date(args.until, "--until")
    settings = settings_from(args)
    require_sender_address(settings)
    year = args.year or _today(settings).year
    employees = read_employees(args.employees, settings) if args.employees else None
    if employees is not None:
        _print_problems(employees)
    with _database(settings) as session_factory:
        if args.dry_run:
            return _dry_run(session_factory, settings, year=year, add=args.add, employees=employees)
        today, since = _today(settings), utcnow()
        if args.add:
            run = add_to_campaign(session_factory, settings, year=year, employees=employees, today=today)
        else:
            run = start_campaign(
                session_factory, settings, year=year, until=until, employees=employees, today=today
            )
        _print_invited(run, year=year, add=args.add)
        code = _deliver(session_factory, settings, since=since) if run.invited else 0
    return 1 if run.failed else code


def _print_problems(employees: EmployeeList) -> None:
    if not employees.problems:
        return
    print(f"В файле сотрудников пропущено {count_of(len(employees.problems), 'строка', 'строки', 'строк')}:", file=sys.stderr)
    for problem in employees.problems:
        print(f"  {problem}", file=sys.stderr)


def _dry_run(
    session_factory: sessionmaker[Session], settings: Settings, *, year: int, add: bool, employees: EmployeeList | None
) -> int:
    with session_factory() as session:
        if add:
            check_can_add(session, year, _today(settings))
        else:
            check_can_start(session, year)
    invitees = plan_invitees(session_factory, settings, year=year, employees=employees)
    if not invitees:
        print("Приглашать некого." if not add else "Новых адресов нет: все уже приглашены.")
        return 0
    print(f"Будут приглашены ({len(invitees)}), ничего не отправлено:")
    for invitee in invitees:
        print(f"  {_describe(invitee)}")
    return 0


def _describe(invitee: Invitee) -> str:
    name = f" — {invitee.name}" if invitee.name else ""
    return f"{invitee.address}{name} ({SOURCE_RU[invitee.source]})"


def _print_invited(run: InviteRun, *, year: int, add: bool) -> None:
    if run.invited:
        print(f"Опрос за {year} год: {'приглашены новые адресаты' if add else 'приглашения созданы'} — {len(run.invited)}:")
        for invitee in run.invited:
            print(f"  {_describe(invitee)}")
    elif add:
        print(f"Опрос за {year} год: новых адресов нет, все уже приглашены.")
    else:
        print(f"Опрос за {year} год запущен, но приглашать некого: нет ни обращений, ни списка сотрудников.")
    if run.already_invited:
        print(f"Уже приглашены другим процессом: {run.already_invited}.")
    if run.failed:
        print(f"Не удалось пригласить: {run.failed} (подробности в журнале). Повторите «mailbot survey start --add».", file=sys.stderr)


def _deliver(session_factory: sessionmaker[Session], settings: Settings, *, since: datetime.datetime) -> int:
    """Send the survey mail queued since `since` now, as the daemon would; return the exit code."""
    if not settings.smtp_host:
        print("Письма поставлены в очередь: MAILBOT_SMTP_HOST не задан, их отправит служба.")
        return 0
    while deliver_due_sync(session_factory, settings):
        pass

    with session_factory() as session:
        rows = session.execute(
            select(OutboxMessage.state, func.count())
            .where(OutboxMessage.kind.in_((INVITATION_KIND, REMINDER_KIND)), OutboxMessage.created_at >= since)
            .group_by(OutboxMessage.state)
        )
        states: dict[OutboxState, int] = {state: count for state, count in rows}
    waiting, rejected = states.get(OutboxState.PENDING, 0), states.get(OutboxState.FAILED, 0)
    if waiting:
        print(f"Не отправлено сразу: {waiting} (сервер SMTP недоступен или временно отказал); служба повторит попытку.")
    if rejected:
        print(f"Сервер SMTP отклонил писем: {rejected}; список: «mailbot outbox list».")
    if waiting or rejected:
        return 1
    print("Все письма отправлены.")
    return 0


def handle_remind(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    require_sender_address(settings)
    with _database(settings) as session_factory:
        since = utcnow()
        run = send_due_survey_reminders(session_factory, settings, now=since)
        for year in run.closed_years:
            print(f"Опрос за {year} год закрыт: срок приёма ответов истёк.")
        if run.queued:
            print(f"Напоминаний поставлено в очередь: {run.queued}.")
            code = _deliver(session_factory, settings, since=since)
        else:
            print("Напоминать пока некому.")
            code = 0
    if run.failed:
        print(f"Не удалось отправить напоминаний: {run.failed} (подробности в журнале).", file=sys.stderr)
        return 1
    return code


def handle_close(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    year = args.year or _today(settings).year
    with _database(settings) as session_factory:
        close_campaign(session_factory, year=year, now=utcnow())
    print(f"Опрос за {year} год закрыт: ссылки больше не действуют, напоминания не отправляются.")
    return 0


def handle_status(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    year = args.year or _today(settings).year
    with _database(settings) as session_factory:
        status = campaign_status(session_factory, year=year, today=_today(settings))
    if args.json:
        print_json(status.to_json())
    else:
        print(describe_status(status, settings.tz))
    return 0


def describe_status(status: CampaignStatus, tz: datetime.tzinfo) -> str:
    """Render a campaign's status as Russian lines for a person."""
    if status.origin != "campaign":
        return f"Опрос за {status.year} год: результаты загружены из файла, {count_of(status.responses, 'анкета', 'анкеты', 'анкет')}."
    share = ""
    if status.answered_share is not None:
        share = f" ({status.answered_share * 100:.1f} %)".replace(".", ",")
    lines = [
        _sentence(f"Опрос за {status.year} год: {_describe_state(status, tz)}"),
        f"Запущен: {russian_date(status.started_at.astimezone(tz))}",
        f"Приглашено: {status.invited}.",
        f"Ответили: {status.answered}{share}.",
        f"Напоминания получили: {status.reminded}, всего напоминаний: {status.reminders_sent}.",
        f"Анкет получено: {status.responses}.",
    ]
    return "\n".join(lines)


def _sentence(text: str) -> str:
    """End `text` with a period unless it ends with one already, as «г.» after a date does."""
    return text if text.endswith(".") else text + "."


def _describe_state(status: CampaignStatus, tz: datetime.tzinfo) -> str:
    if status.is_open and status.until:
        return f"идёт до {russian_date(status.until)} включительно"
    if status.is_open:
        return "идёт, срок не задан"
    if status.closed_at:
        return f"закрыт {russian_date(status.closed_at.astimezone(tz))}"
    # Past its last day but not yet closed by the daemon's job.
    return f"приём ответов завершён {russian_date(status.until)}" if status.until else "закрыт"


def handle_import(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    submitted_on = parse_date(args.date, "--date") or datetime.date(args.year, 12, 31)
    with _database(settings) as session_factory:
        check = import_results(
            session_factory, args.file, year=args.year, submitted_on=submitted_on, replace=args.replace
        )
    if check.problems:
        print(f"Файл «{args.file}» не загружен, найдено ошибок: {len(check.problems)}.", file=sys.stderr)
        for problem in check.problems:
            print(f"  {problem}", file=sys.stderr)
        print("Исправьте файл и повторите команду: пока есть ошибки, не загружается ни одна анкета.", file=sys.stderr)
        return 1
    loaded = count_of(len(check.answers), "анкета", "анкеты", "анкет")
    if args.replace:
        print(f"Результаты за {args.year} год заменены, загружено: {loaded}.")
    else:
        print(f"Загружено за {args.year} год: {loaded}.")
    return 0
