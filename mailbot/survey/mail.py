"""Render and queue the survey's invitation and reminder mails, each with a fresh personal link.

The link's secret exists only in the signed link inside the queued mail; the
invitation row keeps its SHA-256, which the survey form compares. Issuing a
new link replaces the hash, so only the newest link a person received works.

The outbox keeps only the headers of a survey mail once it is sent
(outbox.PERSONAL_LINK_KINDS), so its table holds no working link.

The per-recipient limits on automatic replies (MAILBOT_REPLY_LIMITS) are
not applied here. Survey mail goes out on the operator's command or on a
schedule, never in reply to incoming mail, so it cannot feed a mail loop,
and it is bounded: one invitation plus one mail per MAILBOT_SURVEY_REMINDER_DAYS
entry per person and year. A suppressed mail would also leave its person
without a working link.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from mailbot.config import Settings
from mailbot.db.models import OutboxMessage, SurveyCampaign, SurveyInvitation
from mailbot.errors import ConfigurationError
from mailbot.outbound.compose import Envelope, compose, make_message_id
from mailbot.outbound.outbox import enqueue
from mailbot.outbound.render import render_mail
from mailbot.signing import InvitationToken, new_invitation_secret, secret_sha256
from mailbot.web.links import survey_link

logger = logging.getLogger(__name__)

INVITATION_KIND = "survey_invitation"
REMINDER_KIND = "survey_reminder"
PATRONYMIC_ENDINGS = ("ич", "вна", "чна")


def require_sender_address(settings: Settings) -> None:
    """Raise ConfigurationError when MAILBOT_ADDRESS is unset.

    Survey mail would otherwise leave with an empty sender (MAIL FROM:<>),
    and a person could neither reply to it nor trust it enough to open its link.
    """
    if not settings.address:
        raise ConfigurationError(
            "Не задан MAILBOT_ADDRESS — адрес ИТ-службы, от имени которого уходят приглашения и напоминания "
            "опроса. Укажите его в service.env (например, MAILBOT_ADDRESS=it@example.ru) и повторите команду."
        )


def new_secret() -> tuple[str, str]:
    """Return a fresh link secret and its hash."""
    secret = new_invitation_secret()
    return secret, secret_sha256(secret)


def greeting_name(full_name: str) -> str:
    """Return how to address a person: «Мария Викторовна» for «Иванова Мария Викторовна», else the name as given."""
    parts = full_name.split()
    if len(parts) == 3 and parts[2].lower().endswith(PATRONYMIC_ENDINGS):
        return f"{parts[1]} {parts[2]}"
    return " ".join(parts)


def queue_survey_mail(
    session: Session,
    settings: Settings,
    campaign: SurveyCampaign,
    invitation: SurveyInvitation,
    secret: str,
    *,
    kind: str,
) -> OutboxMessage:
    """Render mail `kind` with the personal link for `secret` and queue it in the caller's transaction.

    The invitation must be flushed already, since its id is part of the link.
    Raises ConfigurationError when MAILBOT_ADDRESS is unset.
    """
    require_sender_address(settings)
    link = survey_link(settings, InvitationToken(invitation.id, secret))
    values = {
        "greeting_name": greeting_name(invitation.name),
        "year": campaign.year,
        "until": campaign.until,
        "link": link,
        "signature": settings.display_name,
    }
    rendered = render_mail(kind, values)
    envelope = Envelope(
        sender_address=settings.address, sender_name=settings.display_name, recipients=(invitation.address,)
    )
    message = compose(rendered, envelope, message_id=make_message_id(f"survey-{campaign.year}", settings.address))
    # compose marks automatic mail "auto-replied", but RFC 3834 calls mail that replies to no message "auto-generated".
    message.replace_header("Auto-Submitted", "auto-generated")
    row = enqueue(session, message, kind=kind, envelope_from=settings.address, ticket=None)
    session.flush()
    logger.info(
        "survey mail queued",
        extra={"kind": kind, "year": campaign.year, "invitation_id": invitation.id, "outbox_id": row.id},
    )
    return row
