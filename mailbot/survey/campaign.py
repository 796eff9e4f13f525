"""Start, extend, close and report one year's survey campaign.

One campaign per year (the year is unique in `survey_campaign`). Starting it
invites every chosen address with its own mail and link; `add` later invites
only addresses that have no invitation yet. Each invitation is created and
its mail queued in one transaction of its own, so a failure on one address
leaves the others invited. Two operators adding at once cannot invite a
person twice, because the unique (campaign, address) key rejects the second insert.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from mailbot.config import Settings
from mailbot.db.models import SurveyCampaign, SurveyInvitation, SurveyResponse
from mailbot.errors import MailbotError
from mailbot.outbound.render import russian_date
from mailbot.survey.mail import INVITATION_KIND, new_secret, queue_survey_mail, require_sender_address
from mailbot.survey.recipients import EmployeeList, Invitee, choose_invitees
from mailbot.survey.state import accepts_answers

logger = logging.getLogger(__name__)

CAMPAIGN_ORIGIN = "campaign"
IMPORT_ORIGIN = "import"


class SurveyError(MailbotError):
    """A survey command that cannot be carried out; the Russian message tells the operator what to do."""


@dataclasses.dataclass(frozen=True)
class InviteRun:
    """Result of one start or add: the people invited, and counts of addresses left uninvited."""

    invited: list[Invitee]
    # Addresses another process invited between our look-up and our insert.
    already_invited: int = 0
    failed: int = 0


@dataclasses.dataclass(frozen=True)
class CampaignStatus:
    year: int
    origin: str
    is_open: bool
    started_at: datetime.datetime
    until: datetime.date | None
    closed_at: datetime.datetime | None
    invited: int
    answered: int
    # Invitations reminded at least once, and the reminder steps taken in all.
    reminded: int
    reminders_sent: int
    responses: int

    @property
    def answered_share(self) -> float | None:
        return self.answered / self.invited if self.invited else None

    def to_json(self) -> dict[str, object]:
        return {
            "year": self.year,
            "origin": self.origin,
            "state": "open" if self.is_open else "closed",
            "started_at": self.started_at.isoformat(),
            "until": self.until.isoformat() if self.until else None,
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
            "invited": self.invited,
            "answered": self.answered,
            "answered_share": round(self.answered_share, 4) if self.answered_share is not None else None,
            "reminded": self.reminded,
            "reminders_sent": self.reminders_sent,
            "responses": self.responses,
        }


def find_campaign(session: Session, year: int) -> SurveyCampaign | None:
    return session.scalars(select(SurveyCampaign).where(SurveyCampaign.year == year)).first()


def require_campaign(session: Session, year: int, today: datetime.date | None = None) -> SurveyCampaign:
    """Return `year`'s campaign or raise SurveyError; given `today`, a past year points to the import command."""
    campaign = find_campaign(session, year)
    if campaign is None and today is not None and year < today.year:
        raise SurveyError(
            f"Опрос за {year} год не проводился, и его результаты не загружались. Результаты прошлых лет "
            f"загружаются из файла командой «mailbot survey import --year {year} ФАЙЛ.csv»."
        )
    if campaign is None:
        raise SurveyError(f"Опрос за {year} год не проводился. Запустите его командой «mailbot survey start --year {year}».")
    return campaign


def check_can_start(session: Session, year: int) -> None:
    """Raise SurveyError when `year` already has a campaign or imported results."""
    campaign = find_campaign(session, year)
    if campaign is None:
        return
    if campaign.origin == IMPORT_ORIGIN:
        raise SurveyError(f"За {year} год уже загружены результаты опроса («mailbot survey import»); новый опрос за этот год не запускается.")
    raise SurveyError(
        f"Опрос за {year} год уже запущен. Чтобы пригласить тех, кто появился после запуска, добавьте --add."
    )


def check_can_add(session: Session, year: int, today: datetime.date) -> SurveyCampaign:
    """Return the year's campaign when it still takes answers, else raise SurveyError."""
    campaign = require_campaign(session, year)
    if campaign.origin != CAMPAIGN_ORIGIN:
        raise SurveyError(f"За {year} год загружены результаты прошлого опроса, приглашать по ним некого.")
    if not accepts_answers(campaign, today):
        raise SurveyError(f"Опрос за {year} год уже закрыт, новые приглашения не отправляются.")
    return campaign


def plan_invitees(
    session_factory: sessionmaker[Session], settings: Settings, *, year: int, employees: EmployeeList | None
) -> list[Invitee]:
    """List who would be invited to `year`'s campaign now: everyone chosen who has no invitation yet."""
    with session_factory() as session:
        campaign = find_campaign(session, year)
        invited: set[str] = set()
        if campaign is not None:
            invited = set(session.scalars(select(SurveyInvitation.address).where(SurveyInvitation.campaign_id == campaign.id)))
        return choose_invitees(session, settings, employees, exclude=invited)


def start_campaign(
    session_factory: sessionmaker[Session],
    settings: Settings,
    *,
    year: int,
    until: datetime.date | None,
    employees: EmployeeList | None,
    today: datetime.date,
) -> InviteRun:
    """Create `year`'s campaign and invite everyone chosen; raise SurveyError when the year has one.

    Raises ConfigurationError, creating nothing, when MAILBOT_ADDRESS is unset.
    """
    require_sender_address(settings)
    if until is not None and until < today:
        raise SurveyError(f"Дата окончания опроса {russian_date(until)} уже прошла.")
    try:
        with session_factory.begin() as session:
            check_can_start(session, year)
            session.add(SurveyCampaign(year=year, until=until, origin=CAMPAIGN_ORIGIN))
    except IntegrityError:
        # Another start for the same year committed between our check and our insert.
        with session_factory() as session:
            check_can_start(session, year)
        raise
    logger.info("survey campaign started", extra={"year": year, "until": str(until) if until else None})
    return invite_new(session_factory, settings, year=year, employees=employees)


def add_to_campaign(
    session_factory: sessionmaker[Session],
    settings: Settings,
    *,
    year: int,
    employees: EmployeeList | None,
    today: datetime.date,
) -> InviteRun:
    """Invite to the open campaign of `year` only those who have no invitation yet."""
    require_sender_address(settings)
    with session_factory() as session:
        check_can_add(session, year, today)
    return invite_new(session_factory, settings, year=year, employees=employees)


def invite_new(
    session_factory: sessionmaker[Session], settings: Settings, *, year: int, employees: EmployeeList | None
) -> InviteRun:
    invitees = plan_invitees(session_factory, settings, year=year, employees=employees)
    invited: list[Invitee] = []
    already_invited = failed = 0
    for invitee in invitees:
        outcome = _invite_safely(session_factory, settings, year, invitee)
        if outcome == "invited":
            invited.append(invitee)
        elif outcome == "already_invited":
            already_invited += 1
        else:
            failed += 1
    return InviteRun(invited, already_invited, failed)


def _invite_safely(session_factory: sessionmaker[Session], settings: Settings, year: int, invitee: Invitee) -> str:
    try:
        invite(session_factory, settings, year, invitee)
    except IntegrityError:
        logger.info("survey invitation already created by another process", extra={"year": year})
        return "already_invited"
    except Exception:  # noqa: BLE001 - one failing address must not stop the invitations of the others
        logger.exception("survey invitation failed", extra={"year": year})
        return "failed"
    return "invited"


def invite(session_factory: sessionmaker[Session], settings: Settings, year: int, invitee: Invitee) -> int:
    """Create one invitation and queue its mail in one transaction; return the invitation id.

    Raises IntegrityError when the address already has an invitation in this campaign.
    """
    secret, digest = new_secret()
    with session_factory.begin() as session:
        campaign = require_campaign(session, year)
        invitation = SurveyInvitation(campaign_id=campaign.id, address=invitee.address, name=invitee.name[:200], secret_sha256=digest)
        session.add(invitation)
        session.flush()
        queue_survey_mail(session, settings, campaign, invitation, secret, kind=INVITATION_KIND)
        return invitation.id


def close_campaign(session_factory: sessionmaker[Session], *, year: int, now: datetime.datetime) -> SurveyCampaign:
    """Close `year`'s campaign; raise SurveyError when it is closed already or was imported."""
    with session_factory.begin() as session:
        campaign = require_campaign(session, year, now.date())
        if campaign.origin != CAMPAIGN_ORIGIN:
            raise SurveyError(f"Результаты за {year} год загружены из файла; закрывать нечего.")
        statement = (
            update(SurveyCampaign)
            .where(SurveyCampaign.id == campaign.id, SurveyCampaign.closed_at.is_(None))
            .values(closed_at=now)
            .execution_options(synchronize_session=False)
        )
        closed = cast(CursorResult[Any], session.execute(statement))
        if closed.rowcount != 1:
            raise SurveyError(f"Опрос за {year} год уже закрыт.")
    logger.info("survey campaign closed", extra={"year": year, "origin": "command"})
    with session_factory() as session:
        return require_campaign(session, year)


def campaign_status(session_factory: sessionmaker[Session], *, year: int, today: datetime.date) -> CampaignStatus:
    """Count the invitations, answers and reminders of `year`'s campaign."""
    with session_factory() as session:
        campaign = require_campaign(session, year, today)
        invitations = SurveyInvitation.campaign_id == campaign.id
        invited, answered, reminded, reminders_sent = session.execute(
            select(
                func.count(),
                func.count().filter(SurveyInvitation.answered.is_(True)),
                func.count().filter(SurveyInvitation.reminders_sent > 0),
                func.coalesce(func.sum(SurveyInvitation.reminders_sent), 0),
            ).where(invitations)
        ).one()
        responses = session.scalar(select(func.count()).where(SurveyResponse.campaign_id == campaign.id))
        return CampaignStatus(
            year=campaign.year,
            origin=campaign.origin,
            is_open=accepts_answers(campaign, today),
            started_at=campaign.started_at,
            until=campaign.until,
            closed_at=campaign.closed_at,
            invited=invited,
            answered=answered,
            reminded=reminded,
            reminders_sent=int(reminders_sent),
            responses=responses or 0,
        )
