"""Queue the management digest once per schedule slot.

The slot is the latest time at or before `now` at which MAILBOT_DIGEST_CRON
fires. Its key is inserted into `digest_run`, under a unique constraint, in
the transaction that queues the mail. So restarts and several instances
sharing the database send one digest per slot, and a `--send` by hand
after the scheduled one sends nothing unless forced.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from mailbot.db.models import DigestRun
from mailbot.outbound.compose import Envelope, compose, make_message_id
from mailbot.outbound.outbox import enqueue
from mailbot.outbound.render import RenderedMail, render_mail
from mailbot.routing.context import Context
from mailbot.scheduler.crontab import crontab_trigger, latest_fire_time
from mailbot.scheduler.digest import DigestReport, build_report

logger = logging.getLogger(__name__)

DIGEST_MAIL_KIND = "digest"


class DigestOutcome(enum.Enum):
    QUEUED = "queued"
    ALREADY_SENT = "already_sent"
    NO_RECIPIENTS = "no_recipients"
    TOO_LATE = "too_late"


@dataclasses.dataclass(frozen=True)
class DigestResult:
    outcome: DigestOutcome
    period_key: str
    slot: datetime.datetime
    outbox_id: int | None = None


def digest_slot(context: Context, now: datetime.datetime) -> datetime.datetime:
    """Return the schedule slot `now` belongs to, in the committee's time zone."""
    settings = context.settings
    trigger = crontab_trigger(settings.digest_cron, settings.tz)
    return latest_fire_time(trigger, now.astimezone(settings.tz))


def period_key(slot: datetime.datetime) -> str:
    """Return the slot's key, such as "2026-12-07T09:00+0300"."""
    return slot.strftime("%Y-%m-%dT%H:%M%z")


def render_digest(context: Context, session: Session, now: datetime.datetime) -> tuple[DigestReport, RenderedMail]:
    """Compute the digest of the slot `now` belongs to and render its mail."""
    settings = context.settings
    slot = digest_slot(context, now)
    report = build_report(
        session, now, tz=settings.tz, report_day=slot.date(), previous_weeks=settings.digest_weeks
    )
    values = {"report": report, "signature": settings.display_name}
    return report, render_mail("digest", values)


def send_digest(
    session_factory: sessionmaker[Session],
    context: Context,
    *,
    now: datetime.datetime,
    origin: str,
    force: bool = False,
    max_delay: datetime.timedelta | None = None,
) -> DigestResult:
    """Queue the digest of the current slot unless it was queued already.

    `force` queues another digest for a slot that has one. `max_delay`
    skips a slot that began longer ago than that, so a daemon started
    on Wednesday does not send Monday's digest.
    """
    slot = digest_slot(context, now)
    key = period_key(slot)
    if not context.settings.managers:
        return DigestResult(DigestOutcome.NO_RECIPIENTS, key, slot)
    if max_delay is not None and now - slot > max_delay:
        return DigestResult(DigestOutcome.TOO_LATE, key, slot)
    try:
        with session_factory.begin() as session:
            run = _claim(session, key, slot, origin=origin, force=force)
            if run is None:
                return DigestResult(DigestOutcome.ALREADY_SENT, key, slot)
            _, rendered = render_digest(context, session, now)
            run.outbox_id = _queue(session, context, rendered)
            outbox_id = run.outbox_id
    except IntegrityError:
        logger.info("digest already queued by another instance", extra={"period": key})
        return DigestResult(DigestOutcome.ALREADY_SENT, key, slot)
    logger.info("digest queued", extra={"period": key, "origin": origin, "outbox_id": outbox_id})
    return DigestResult(DigestOutcome.QUEUED, key, slot, outbox_id)


def _claim(session: Session, key: str, slot: datetime.datetime, *, origin: str, force: bool) -> DigestRun | None:
    """Insert the slot's run record; None when the slot has one and `force` is off.

    Raises IntegrityError when another instance inserted the key meanwhile.
    """
    already_claimed = session.scalars(select(DigestRun.id).where(DigestRun.period_key == key)).first() is not None
    if already_claimed and not force:
        return None
    if already_claimed:
        run = DigestRun(period_key=None, scheduled_for=slot, origin="forced")
    else:
        run = DigestRun(period_key=key, scheduled_for=slot, origin=origin)
    session.add(run)
    session.flush()
    return run


def _queue(session: Session, context: Context, rendered: RenderedMail) -> int:
    settings = context.settings
    envelope = Envelope(sender_address=settings.address, sender_name=settings.display_name, recipients=settings.managers)
    message = compose(rendered, envelope, message_id=make_message_id(None, settings.address))
    row = enqueue(session, message, kind=DIGEST_MAIL_KIND, envelope_from=settings.address, ticket=None)
    session.flush()
    return row.id
