"""A running web application on loopback with its own database, and rows to point links at."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mailbot.app import open_database
from mailbot.config import Settings, load_settings
from mailbot.db.engine import create_session_factory
from mailbot.db.models import SurveyCampaign, SurveyInvitation, SurveyResponse, Ticket
from mailbot.signing import InvitationToken, sign_invitation, sign_ticket
from mailbot.survey import form
from mailbot.signing import secret_sha256
from mailbot.web.server import WebServer

NO_ENV_FILE = Path("/nonexistent/service.env")
IT_ADDRESS = "it@committee.example"
SIGNING_KEY = "web-test-signing-key-0123456789abcdef"


@dataclasses.dataclass(frozen=True)
class WebSite:
    settings: Settings
    session_factory: sessionmaker[Session]
    base_url: str

    def today(self) -> datetime.date:
        return datetime.datetime.now(self.settings.tz).date()

    def survey_url(self, token: InvitationToken) -> str:
        return f"{self.base_url}/survey/{sign_invitation(self.settings, token)}"

    def rating_url(self, number: str, rating: int | None = None) -> str:
        url = f"{self.base_url}/rating/{sign_ticket(self.settings, number)}"
        return url if rating is None else f"{url}/{rating}"


@pytest.fixture
def web_site(database_url: str, tmp_path: Path) -> Iterator[WebSite]:
    """The web application served by uvicorn on 127.0.0.1 and a free port, over an empty database."""
    settings = load_settings(
        NO_ENV_FILE,
        storage_dir=tmp_path / "storage",
        database_url=database_url,
        secret_key=SIGNING_KEY,
        address=IT_ADDRESS,
    )
    engine = open_database(settings)
    session_factory = create_session_factory(engine)
    server = WebServer(settings, session_factory, host="127.0.0.1", port=0)
    server.start()
    try:
        yield WebSite(settings, session_factory, server.address)
    finally:
        server.stop()
        engine.dispose()


def add_campaign(
    site: WebSite,
    *,
    year: int = 2026,
    until: datetime.date | None = None,
    closed: bool = False,
) -> int:
    with site.session_factory.begin() as session:
        campaign = SurveyCampaign(
            year=year, until=until, closed_at=datetime.datetime.now(datetime.UTC) if closed else None
        )
        session.add(campaign)
        session.flush()
        return campaign.id


def add_invitation(site: WebSite, campaign_id: int, address: str, secret: str) -> InvitationToken:
    with site.session_factory.begin() as session:
        invitation = SurveyInvitation(campaign_id=campaign_id, address=address, secret_sha256=secret_sha256(secret))
        session.add(invitation)
        session.flush()
        return InvitationToken(invitation.id, secret)


def add_ticket(site: WebSite, number: str, subject: str = "Не печатает принтер") -> None:
    received = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)
    with site.session_factory.begin() as session:
        session.add(Ticket(
            number=number, process=1, requester_address="user@committee.example", subject=subject,
            received_at=received, due_date=received.date() + datetime.timedelta(days=30),
            due_at=received + datetime.timedelta(days=30),
        ))


def response_count(site: WebSite) -> int:
    with site.session_factory() as session:
        return session.scalar(select(func.count()).select_from(SurveyResponse)) or 0


def stored_responses(site: WebSite) -> list[SurveyResponse]:
    with site.session_factory() as session:
        return list(session.scalars(select(SurveyResponse).order_by(SurveyResponse.id)))


def is_answered(site: WebSite, token: InvitationToken) -> bool:
    with site.session_factory() as session:
        invitation = session.get(SurveyInvitation, token.invitation_id)
        return invitation is not None and invitation.answered


# Row keys answered negatively in complete_form(), so question 4 asks about them.
NEGATIVE_ROWS = {"software": "rather_dissatisfied", "internet": "fully_dissatisfied"}


def complete_form() -> dict[str, str]:
    """Return a valid posted form: every question answered, two rows of question 3 negative."""
    posted = {
        "q1": "rather_dissatisfied",
        "q2_replies_text": "Долго открывается СЭД",
        "q2_regulation_not_engaged": "1",
        "q2_consulting_text": "",
        "q5": "Обновить компьютеры в отделе",
    }
    for row in form.Q3_ROWS:
        posted[f"q3_{row.key}"] = NEGATIVE_ROWS.get(row.key, "rather_satisfied")
    posted["q4_software_text"] = "Нет лицензии на офисный пакет"
    posted["q4_internet_unsure"] = "1"
    return posted


def expected_answers() -> dict[str, object]:
    """Return what complete_form() must be stored as, written out by hand."""
    q3 = {row.key: "rather_satisfied" for row in form.Q3_ROWS}
    q3.update(NEGATIVE_ROWS)
    return {
        "q1": "rather_dissatisfied",
        "q2": {
            "replies": {"text": "Долго открывается СЭД", "not_engaged": False},
            "regulation": {"text": "", "not_engaged": True},
            "consulting": {"text": "", "not_engaged": False},
        },
        "q3": q3,
        "q4": {
            "software": {"text": "Нет лицензии на офисный пакет", "unsure": False},
            "internet": {"text": "", "unsure": True},
        },
        "q5": "Обновить компьютеры в отделе",
    }
