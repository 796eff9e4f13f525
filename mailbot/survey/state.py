"""Whether a campaign still takes answers."""

from __future__ import annotations

import datetime

from mailbot.db.models import SurveyCampaign


def accepts_answers(campaign: SurveyCampaign, today: datetime.date) -> bool:
    """Return True while the campaign is open and `today` (local date) is not past its last day."""
    if campaign.closed_at is not None or campaign.origin != "campaign":
        return False
    return campaign.until is None or today <= campaign.until
