"""Settings and database shared by the page handlers."""

from __future__ import annotations

import dataclasses
import datetime

from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request

from mailbot.config import Settings


@dataclasses.dataclass(frozen=True)
class WebContext:
    settings: Settings
    session_factory: sessionmaker[Session]

    def today(self) -> datetime.date:
        """Return today's date in the committee's time zone, the day survey deadlines count in."""
        return datetime.datetime.now(self.settings.tz).date()


def web_context(request: Request) -> WebContext:
    context: WebContext = request.app.state.web_context
    return context
