"""Register the daemon's periodic jobs on its APScheduler scheduler.

Every job runs once right after start and then on its schedule. Running a
job again is harmless because deadline reminders, digests and survey
reminders are recorded in the database in the transaction that queues
their mail, so each is sent once.
"""

from __future__ import annotations

import datetime
import logging

from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy.orm import Session, sessionmaker

from mailbot.db.models import utcnow
from mailbot.routing.context import Context
from mailbot.scheduler.crontab import crontab_trigger
from mailbot.scheduler.digest_mail import send_digest
from mailbot.scheduler.reminders import send_due_reminders
from mailbot.scheduler.survey_jobs import register_survey_job

logger = logging.getLogger(__name__)

# A digest whose slot began longer ago than this is skipped: a daemon that
# was down on Monday morning catches up the same day, but not on Wednesday.
DIGEST_CATCH_UP = datetime.timedelta(hours=12)


def register_jobs(scheduler: BaseScheduler, context: Context, session_factory: sessionmaker[Session]) -> None:
    """Add the deadline and reporting jobs; the outbox job is the daemon's own."""
    settings = context.settings
    start_now = datetime.datetime.now(settings.tz)
    scheduler.add_job(
        run_reminder_job,
        "interval",
        args=(session_factory, context),
        minutes=settings.reminder_minutes,
        id="reminders",
        max_instances=1,
        coalesce=True,
        next_run_time=start_now,
    )
    scheduler.add_job(
        run_digest_job,
        crontab_trigger(settings.digest_cron, settings.tz),
        args=(session_factory, context),
        id="digest",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=int(DIGEST_CATCH_UP.total_seconds()),
        next_run_time=start_now,
    )
    register_survey_job(scheduler, context, session_factory, start=start_now)


def run_reminder_job(session_factory: sessionmaker[Session], context: Context) -> None:
    logger.info("reminder job started")
    try:
        run = send_due_reminders(session_factory, context, now=utcnow())
    except Exception:  # noqa: BLE001 - the job must survive to run again
        logger.exception("reminder job failed")
        return
    logger.info(
        "reminder job finished",
        extra={
            "checked": run.checked, "queued": run.queued, "lost_races": run.lost_races,
            "no_recipient": run.no_recipient, "not_needed": run.not_needed, "failed": run.failed,
        },
    )


def run_digest_job(session_factory: sessionmaker[Session], context: Context) -> None:
    logger.info("digest job started")
    try:
        result = send_digest(
            session_factory, context, now=utcnow(), origin="schedule", max_delay=DIGEST_CATCH_UP
        )
    except Exception:  # noqa: BLE001 - the job must survive to run again
        logger.exception("digest job failed")
        return
    logger.info("digest job finished", extra={"period": result.period_key, "outcome": result.outcome.value})
