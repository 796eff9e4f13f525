"""Addresses of the web pages that mail links to.

    {base}/survey/{token}            Form No. 1 for one invitation (GET form, POST answers)
    {base}/rating/{token}/{rating}   one-click rating of a ticket (GET records it)
    {base}/rating/{token}            the rating page's own form (POST rating and comment)
"""

from __future__ import annotations

from mailbot.config import Settings
from mailbot.signing import InvitationToken, sign_invitation, sign_ticket


def survey_link(settings: Settings, token: InvitationToken) -> str:
    return f"{settings.web_base_url_effective}/survey/{sign_invitation(settings, token)}"


def rating_link(settings: Settings, ticket_number: str, rating: int) -> str:
    return f"{settings.web_base_url_effective}/rating/{sign_ticket(settings, ticket_number)}/{rating}"
