"""The request for a rating at the end of the mails that finish a ticket."""

from __future__ import annotations

from sqlalchemy.orm import Session

from mailbot.config import Settings
from mailbot.db.models import Ticket
from mailbot.feedback.lookup import feedback_of
from mailbot.feedback.store import RATINGS
from mailbot.web.links import rating_link

RATING_LABELS_RU = {1: "очень плохо", 2: "плохо", 3: "удовлетворительно", 4: "хорошо", 5: "отлично"}


def rating_links(session: Session, settings: Settings, ticket: Ticket, kind: str) -> list[dict[str, object]]:
    """Return the five one-click rating links for a mail of `kind`; empty when it must not ask.

    Every answer asks, because a later answer may change the requester's
    opinion and a new rating replaces the old one. The closing mail asks
    only while the ticket has no rating. A question to the requester never asks.
    """
    if kind not in ("answer", "closing"):
        return []
    if kind == "closing" and feedback_of(session, ticket) is not None:
        return []
    return [
        {"rating": rating, "label": RATING_LABELS_RU[rating], "url": rating_link(settings, ticket.number, rating)}
        for rating in RATINGS
    ]
