"""Standard five-field crontab expressions as APScheduler triggers.

APScheduler 3.x `CronTrigger.from_crontab` passes a numeric day of week
through unchanged, and APScheduler counts 0 as Monday, so the crontab
"0 9 * * 1" (Monday) would fire on Tuesday. This module maps the numeric
crontab day of week (0 and 7 are Sunday, 1 is Monday) to APScheduler's
numbering before building the trigger.
"""

from __future__ import annotations

import datetime

from apscheduler.triggers.cron import CronTrigger

CRONTAB_FIELDS = 5
DAYS_IN_WEEK = 7
# Windows searched back from `now` for the latest fire time: one minute
# doubled up to about two years, enough for a yearly schedule.
FIRST_SEARCH_WINDOW = datetime.timedelta(minutes=1)
MAX_SEARCH_WINDOW = datetime.timedelta(days=800)


class CrontabError(ValueError):
    """An invalid crontab expression; `reason_ru` explains it in Russian."""

    def __init__(self, reason_ru: str) -> None:
        super().__init__(reason_ru)
        self.reason_ru = reason_ru


def crontab_trigger(expression: str, tz: datetime.tzinfo) -> CronTrigger:
    """Build a trigger for a standard crontab `expression` in time zone `tz`.

    Raises CrontabError when the expression is not five valid fields.
    """
    fields = expression.split()
    if len(fields) != CRONTAB_FIELDS:
        raise CrontabError(f"ожидается 5 полей (минуты, часы, день, месяц, день недели), получено {len(fields)}")
    minute, hour, day, month, day_of_week = fields
    try:
        return CronTrigger(
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=_apscheduler_day_of_week(day_of_week),
            timezone=tz,
        )
    except ValueError as error:
        raise CrontabError(str(error)) from error


def _apscheduler_day_of_week(field: str) -> str:
    """Rewrite numeric crontab days of week as APScheduler numbers (0 is Monday).

    Names such as `mon-fri` mean the same in both and pass through.
    """
    if field == "*":
        return field
    converted = []
    for item in field.split(","):
        if any(character.isalpha() for character in item):
            converted.append(item)
            continue
        days = sorted({(day - 1) % DAYS_IN_WEEK for day in _crontab_days(item)})
        converted.append(",".join(str(day) for day in days))
    return ",".join(converted)


def _crontab_days(item: str) -> range:
    """Expand one numeric crontab day-of-week item: `3`, `1-5`, `*/2`, `1-5/2`."""
    span, _, step_text = item.partition("/")
    if not _is_number_or_empty(step_text) or step_text == "0":
        raise CrontabError(f"неверный шаг «{item}» в дне недели")
    step = int(step_text) if step_text else 1
    if span == "*":
        first, last = 0, DAYS_IN_WEEK - 1
    else:
        first_text, _, last_text = span.partition("-")
        if not first_text.isdigit() or not _is_number_or_empty(last_text):
            raise CrontabError(f"неверный день недели «{item}»: ожидаются числа от 0 до 7 или названия mon…sun")
        first = int(first_text)
        if last_text:
            last = int(last_text)
        elif step_text:
            # "3/2" means from Wednesday to the end of the week, every second day.
            last = DAYS_IN_WEEK - 1
        else:
            last = first
    if not 0 <= first <= last <= DAYS_IN_WEEK:
        raise CrontabError(f"неверный день недели «{item}»: ожидаются числа от 0 до 7")
    return range(first, last + 1, step)


def _is_number_or_empty(text: str) -> bool:
    return text == "" or text.isdigit()


def latest_fire_time(trigger: CronTrigger, now: datetime.datetime) -> datetime.datetime:
    """Return the latest moment at or before `now` at which `trigger` fires.

    APScheduler only looks forward, so the search starts a short window
    before `now` and doubles the window until a fire time falls inside it.
    """
    window = FIRST_SEARCH_WINDOW
    while window <= MAX_SEARCH_WINDOW:
        fire_time = trigger.get_next_fire_time(None, now - window)
        if fire_time is not None and fire_time <= now:
            return _last_before(trigger, fire_time, now)
        window *= 2
    raise CrontabError("расписание не срабатывает ни разу за последние два года")


def _last_before(trigger: CronTrigger, fire_time: datetime.datetime, now: datetime.datetime) -> datetime.datetime:
    while True:
        following = trigger.get_next_fire_time(fire_time, fire_time + datetime.timedelta(seconds=1))
        if following is None or following > now:
            return fire_time
        fire_time = following
