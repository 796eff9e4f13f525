"""Remind invited people who have not answered, and close campaigns whose last day has passed.

A reminder is due `d` days after the invitation for each `d` in
MAILBOT_SURVEY_REMINDER_DAYS. `SurveyInvitation.reminders_sent` counts the
configured days already handled. When several days have passed at once (the
daemon was down), one reminder goes out and all of them count as handled,
so nobody gets two reminders in a row.

Each reminder carries a new link: the mail needs one, and the old secret is
not stored. The new hash, the counter and the queued mail are written in one
transaction whose UPDATE only matches while the counter still holds the value
read before. So of several daemon instances, only one sends a given reminder.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
from typing import Any, cast

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from mailbot.config import Settings
from mailbot.db.models import SurveyCampaign, SurveyInvitation
from mailbot.survey.campaign import CAMPAIGN_ORIGIN
from mailbot.survey.mail import REMINDER_KIND, new_secret, queue_survey_mail

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class SurveyReminderRun:
    """Counts of one pass: invitations looked at, reminders queued, and campaigns closed."""

    checked: int = 0
    queued: int = 0
    # Reminders another instance queued first, or people who answered meanwhile.
    not_needed: int = 0
    failed: int = 0
    closed_years: tuple[int, ...] = ()


@dataclasses.dataclass(frozen=True)
class _Candidate:
    invitation_id: int
    handled: int
    due: int


def due_step(invited_at: datetime.datetime, handled: int, days: tuple[int, ...], now: datetime.datetime) -> int:
    """Return how many of the reminder `days` have passed since `invited_at`; a reminder is due when it exceeds `handled`."""
    elapsed = now - invited_at
    passed = sum(1 for day in sorted(days) if elapsed >= datetime.timedelta(days=day))
    return max(passed, handled)


def close_expired_campaigns(
    session_factory: sessionmaker[Session], *, today: datetime.date, now: datetime.datetime
) -> tuple[int, ...]:
    """Close every open campaign whose last day (`until`) is before `today`; return their years."""
    with session_factory.begin() as session:
        years = tuple(
            session.scalars(
                select(SurveyCampaign.year).where(
                    SurveyCampaign.origin == CAMPAIGN_ORIGIN,
                    SurveyCampaign.closed_at.is_(None),
                    SurveyCampaign.until < today,
                )
            )
        )
        closed = []
        for year in years:
            # The condition makes a second instance closing the same campaign a no-op.
            statement = (
                update(SurveyCampaign)
                .where(SurveyCampaign.year == year, SurveyCampaign.closed_at.is_(None))
                .values(closed_at=now)
                .execution_options(synchronize_session=False)
            )
            result = cast(CursorResult[Any], session.execute(statement))
            if result.rowcount:
                closed.append(year)
    for year in closed:
        logger.info("survey campaign closed", extra={"year": year, "origin": "until_passed"})
    return tuple(closed)


def send_due_survey_reminders(
    session_factory: sessionmaker[Session], settings: Settings, *, now: datetime.datetime
) -> SurveyReminderRun:
    """Close expired campaigns, then queue every reminder due at `now`; one failure does not stop the others."""
    today = now.astimezone(settings.tz).date()
    closed_years = close_expired_campaigns(session_factory, today=today, now=now)
    days = settings.survey_reminder_days
    if not days:
        return SurveyReminderRun(closed_years=closed_years)

    candidates, checked = _find_candidates(session_factory, days, today=today, now=now)
    counts = {"queued": 0, "not_needed": 0, "failed": 0}
    for candidate in candidates:
        counts[_remind_safely(session_factory, settings, candidate, now)] += 1
    return SurveyReminderRun(checked=checked, closed_years=closed_years, **counts)


def _find_candidates(
    session_factory: sessionmaker[Session], days: tuple[int, ...], *, today: datetime.date, now: datetime.datetime
) -> tuple[list[_Candidate], int]:
    """Return the unanswered invitations of open campaigns with a reminder due, and how many were checked."""
    earliest_due = now - datetime.timedelta(days=min(days))
    query = (
        select(SurveyInvitation.id, SurveyInvitation.invited_at, SurveyInvitation.reminders_sent)
        .join(SurveyCampaign, SurveyCampaign.id == SurveyInvitation.campaign_id)
        .where(
            SurveyCampaign.origin == CAMPAIGN_ORIGIN,
            SurveyCampaign.closed_at.is_(None),
            or_(SurveyCampaign.until.is_(None), SurveyCampaign.until >= today),
            SurveyInvitation.answered.is_(False),
            SurveyInvitation.reminders_sent < len(days),
            SurveyInvitation.invited_at <= earliest_due,
        )
        .order_by(SurveyInvitation.id)
    )
    with session_factory() as session:
        rows = list(session.execute(query))
    candidates = []
    for row in rows:
        step = due_step(row.invited_at, row.reminders_sent, days, now)
        if step > row.reminders_sent:
            candidates.append(_Candidate(row.id, row.reminders_sent, step))
    return candidates, len(rows)


def _remind_safely(
    session_factory: sessionmaker[Session], settings: Settings, candidate: _Candidate, now: datetime.datetime
) -> str:
    log_extra = {"invitation_id": candidate.invitation_id, "step": candidate.due}
    try:
        queued = remind(session_factory, settings, candidate, now=now)
    except Exception:  # noqa: BLE001 - one failing invitation must not stop the reminders of the others
        logger.exception("survey reminder failed", extra=log_extra)
        return "failed"
    if not queued:
        logger.info("survey reminder not needed: sent by another instance or answered", extra=log_extra)
        return "not_needed"
    return "queued"


def remind(session_factory: sessionmaker[Session], settings: Settings, candidate: _Candidate, *, now: datetime.datetime) -> bool:
    """Replace the invitation's link and queue the reminder in one transaction.

    Returns False, changing nothing, when the invitation was answered or
    reminded by another instance since it was read.
    """
    secret, digest = new_secret()
    with session_factory.begin() as session:
        statement = (
            update(SurveyInvitation)
            .where(
                SurveyInvitation.id == candidate.invitation_id,
                SurveyInvitation.reminders_sent == candidate.handled,
                SurveyInvitation.answered.is_(False),
            )
            .values(reminders_sent=candidate.due, last_reminded_at=now, secret_sha256=digest)
            .execution_options(synchronize_session=False)
        )
        claimed = cast(CursorResult[Any], session.execute(statement))
        if claimed.rowcount != 1:
            return False
        invitation = session.get_one(SurveyInvitation, candidate.invitation_id)
        campaign = session.get_one(SurveyCampaign, invitation.campaign_id)
        queue_survey_mail(session, settings, campaign, invitation, secret, kind=REMINDER_KIND)
    return True
