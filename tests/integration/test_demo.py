"""`mailbot demo` end to end on its embedded IMAP, SMTP and web servers."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mailbot.cli import main
from mailbot.db.models import SurveyInvitation, SurveyResponse, Ticket, TicketFeedback
from mailbot.demo.runner import DemoResult, run_demo
from mailbot.demo.survey_steps import DEMO_ANSWERS, INVITATION_SUBJECT, posted_fields
from mailbot.survey.responses import parse_answers
from tests.servers import postgres_base_url, postgres_database, postgres_requested

pytestmark = pytest.mark.integration

TICKETS_HEADING = "<h1>Отчёт об обращениях в ИТ-службу</h1>"


@pytest.fixture(scope="module")
def module_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty database for the module, as the `database_url` fixture gives one per test."""
    if postgres_requested():
        with postgres_database(postgres_base_url()) as url:
            yield url
    else:
        yield "sqlite:///%s" % (tmp_path_factory.mktemp("demo-db") / "mailbot.sqlite3")


@pytest.fixture(scope="module")
def demo_run(
    tmp_path_factory: pytest.TempPathFactory, module_database_url: str
) -> Iterator[tuple[DemoResult, list[str]]]:
    """One demo run and the lines it printed, shared by the tests below, since a run takes several seconds."""
    printed: list[str] = []
    result = run_demo(tmp_path_factory.mktemp("demo"), report=printed.append, database_url=module_database_url)
    try:
        yield result, printed
    finally:
        result.application.engine.dispose()


def test_demo_stores_rating_reply(demo_run: tuple[DemoResult, list[str]]) -> None:
    result, printed = demo_run
    with result.application.session_factory() as session:
        first = session.scalars(select(Ticket).order_by(Ticket.id)).first()
        assert first is not None
        feedback = session.scalars(select(TicketFeedback)).all()

    assert [(row.ticket_id, row.rating) for row in feedback] == [(first.id, 5)]
    assert feedback[0].comment == "спасибо, всё работает"
    assert feedback[0].source == "mail"
    assert f"Оценка по заявке {first.number} сохранена: 5 (спасибо, всё работает)" in printed


def test_demo_survey_answers_stored(demo_run: tuple[DemoResult, list[str]]) -> None:
    result, printed = demo_run
    with result.application.session_factory() as session:
        requesters = session.scalar(select(func.count(func.distinct(Ticket.requester_address))))
        invitations = session.scalars(select(SurveyInvitation)).all()
        stored = [row.answers for row in session.scalars(select(SurveyResponse).order_by(SurveyResponse.id))]

    assert len(invitations) == result.survey.invited == requesters
    assert result.survey.answered == len(DEMO_ANSWERS) == 2
    assert len(stored) == result.survey.answered
    assert result.survey.responses == len(stored)
    assert sum(1 for invitation in invitations if invitation.answered) == len(stored)
    expected = [parse_answers(posted_fields(answers)).answers for answers in DEMO_ANSWERS]
    assert stored == expected
    assert f"Получено ответов на анкету: {len(stored)}" in printed


def test_demo_invitations_not_counted_as_acknowledgements(demo_run: tuple[DemoResult, list[str]]) -> None:
    result, _ = demo_run
    with result.application.session_factory() as session:
        tickets = session.scalar(select(func.count()).select_from(Ticket)) or 0

    subjects = [str(message["Subject"]) for message in result.acknowledgements]
    assert not any(subject.startswith(INVITATION_SUBJECT) for subject in subjects)
    # One acknowledgement per ticket and the staff answer.
    assert len(result.acknowledgements) == tickets + 1


def test_demo_writes_html_reports(demo_run: tuple[DemoResult, list[str]]) -> None:
    result, _ = demo_run
    year = datetime.datetime.now(result.settings.tz).year
    tickets_path, survey_path = result.report_paths

    assert tickets_path.parent == survey_path.parent == result.settings.storage_dir
    tickets_html = tickets_path.read_text(encoding="utf-8")
    survey_html = survey_path.read_text(encoding="utf-8")
    assert TICKETS_HEADING in tickets_html
    assert f"<h1>Результаты анкетирования внутренних клиентов за {year} год</h1>" in survey_html


def test_demo_command_prints_report_paths(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    storage = tmp_path / "demo"

    assert main(["demo", "--storage", str(storage)]) == 0

    output = capsys.readouterr().out
    reports = sorted(storage.glob("*.html"))
    assert len(reports) == 2
    for path in reports:
        assert str(path.resolve()) in output
    assert "Получено ответов на анкету: 2" in output


def test_demo_command_rejects_used_storage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    storage = tmp_path / "demo"
    storage.mkdir()
    (storage / "mailbot.sqlite3").write_bytes(b"")

    assert main(["demo", "--storage", str(storage)]) != 0

    captured = capsys.readouterr()
    assert "уже есть данные прошлой демонстрации" in captured.err
    assert "IMAP-сервер" not in captured.out
