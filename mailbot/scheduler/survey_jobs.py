"""The daemon's survey job: remind those who have not answered, close campaigns past their last day.

The job runs every MAILBOT_REMINDER_MINUTES. Reminders go out only in
working hours, like deadline reminders, so a reminder due on Saturday
arrives on Monday morning. Closing does not wait for working hours. Running
the job on several instances at once is safe (see mailbot.survey.reminders).
"""

from __future__ import annotations

import datetime
import logging

from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy.orm import Session, sessionmaker

from mailbot.db.models import utcnow
from mailbot.routing.context import Context
from mailbot.scheduler.reminder_plan import is_reminder_time
from mailbot.survey.reminders import SurveyReminderRun, close_expired_campaigns, send_due_survey_reminders

logger = logging.getLogger(__name__)


def register_survey_job(
    scheduler: BaseScheduler, context: Context, session_factory: sessionmaker[Session], *, start: datetime.datetime
) -> None:
    scheduler.add_job(
        run_survey_job,
        "interval",
        args=(session_factory, context),
        minutes=context.settings.reminder_minutes,
        id="survey",
        max_instances=1,
        coalesce=True,
        next_run_time=start,
    )


def survey_pass(session_factory: sessionmaker[Session], context: Context, *, now: datetime.datetime) -> SurveyReminderRun:
    """Close expired campaigns always, and send due reminders when `now` is in working hours."""
    settings = context.settings
    if is_reminder_time(context.calendar, now, settings.workday_start):
        return send_due_survey_reminders(session_factory, settings, now=now)
    closed = close_expired_campaigns(session_factory, today=context.calendar.local_date(now), now=now)
    return SurveyReminderRun(closed_years=closed)


def run_survey_job(session_factory: sessionmaker[Session], context: Context) -> None:
    try:
        run = survey_pass(session_factory, context, now=utcnow())
    except Exception:  # noqa: BLE001 - the job must survive to run again
        logger.exception("survey job failed")
        return
    if run.checked or run.closed_years or run.failed:
        logger.info(
            "survey job finished",
            extra={
                "checked": run.checked, "queued": run.queued, "not_needed": run.not_needed,
                "failed": run.failed, "closed_years": list(run.closed_years),
            },
        )
