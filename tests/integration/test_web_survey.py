"""The web pages over real HTTP: uvicorn on loopback, a real database, httpx as the browser."""

from __future__ import annotations

import datetime
import email
import email.policy
import html
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from mailbot.app import open_database
from mailbot.config import load_settings
from mailbot.db.models import (
    OutboxMessage,
    SurveyInvitation,
    SurveyResponse,
    ThreadEntry,
    Ticket,
    TicketFeedback,
    TicketStatus,
)
from mailbot.demo.servers import EmbeddedImapServer, SmtpSink
from mailbot.signing import InvitationToken, sign_invitation
from mailbot.survey import form
from tests.app_fixtures import start_daemon
from tests.daemon_process import REPOSITORY
from tests.web_fixtures import (
    NO_ENV_FILE,
    WebSite,
    add_campaign,
    add_invitation,
    add_ticket,
    complete_form,
    expected_answers,
    is_answered,
    response_count,
    stored_responses,
    web_site,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

# web_site is imported above as a fixture: pytest finds it in this module.
__all__ = ["web_site"]

SECRET = "invitation-secret-1"


def open_invitation(site: WebSite, secret: str = SECRET, **campaign: object) -> InvitationToken:
    campaign_id = add_campaign(site, **campaign)  # type: ignore[arg-type]
    return add_invitation(site, campaign_id, "employee@committee.example", secret)


def post(url: str, data: dict[str, str]) -> httpx.Response:
    return httpx.post(url, data=data, timeout=30)


# --- storing answers -------------------------------------------------------


def test_form_shows_every_question(web_site: WebSite) -> None:
    token = open_invitation(web_site)

    page = httpx.get(web_site.survey_url(token))

    assert page.status_code == 200
    text = html.unescape(page.text)
    for line in (form.TITLE, form.Q1_TEXT, form.Q2_TEXT, form.Q3_TEXT, form.Q4_TEXT, form.Q5_TEXT):
        assert line in text
    for row in form.Q2_ROWS + form.Q3_ROWS:
        assert row.label in text
    for choice in form.Q1_OPTIONS + form.Q3_OPTIONS:
        assert choice.label in text
    assert form.Q2_NOT_ENGAGED_COLUMN in text
    assert form.Q4_UNSURE_COLUMN in text
    assert page.text.count('type="radio" name="q3_') == len(form.Q3_ROWS) * len(form.Q3_OPTIONS)


def test_valid_answers_stored_once(web_site: WebSite) -> None:
    token = open_invitation(web_site)

    page = post(web_site.survey_url(token), complete_form())

    assert page.status_code == 200
    assert form.CLOSING_LINE in page.text
    responses = stored_responses(web_site)
    assert len(responses) == 1
    assert responses[0].answers == expected_answers()
    assert responses[0].submitted_on == web_site.today()
    assert is_answered(web_site, token)


def invitation_row(site: WebSite, token: InvitationToken) -> dict[str, object]:
    with site.session_factory() as session:
        row = session.execute(select(SurveyInvitation.__table__).where(SurveyInvitation.id == token.invitation_id)).one()
        return dict(row._mapping)


def test_submit_records_no_answer_time(web_site: WebSite) -> None:
    token = open_invitation(web_site)
    before = invitation_row(web_site, token)

    post(web_site.survey_url(token), complete_form())

    after = invitation_row(web_site, token)
    assert before["answered"] is False
    assert after["answered"] is True
    assert {key: value for key, value in after.items() if key != "answered"} == {
        key: value for key, value in before.items() if key != "answered"
    }
    date_columns = {key for key, value in after.items() if isinstance(value, datetime.date)}
    # Both are set when the link is sent, never when the answer arrives.
    assert date_columns <= {"invited_at", "last_reminded_at"}


def test_response_row_has_no_invitation_link() -> None:
    assert set(SurveyResponse.__table__.columns.keys()) == {"id", "campaign_id", "submitted_on", "answers"}


def test_q4_rows_not_negative_dropped(web_site: WebSite) -> None:
    token = open_invitation(web_site)
    posted = complete_form()
    posted["q4_hardware_text"] = "Это поле видно без JavaScript"
    posted["q4_forms_unsure"] = "1"

    page = post(web_site.survey_url(token), posted)

    assert page.status_code == 200
    stored = stored_responses(web_site)[0].answers["q4"]
    assert set(stored) == {"software", "internet"}


def test_second_submit_refused(web_site: WebSite) -> None:
    token = open_invitation(web_site)
    url = web_site.survey_url(token)
    assert post(url, complete_form()).status_code == 200

    again = post(url, complete_form())
    reopened = httpx.get(url)

    assert again.status_code == 409
    assert "Анкета уже заполнена" in again.text
    assert "ответы не сохранены" in again.text
    assert reopened.status_code == 409
    assert response_count(web_site) == 1


def test_concurrent_submits_store_one(web_site: WebSite) -> None:
    token = open_invitation(web_site)
    url = web_site.survey_url(token)
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def submit() -> None:
        with httpx.Client(timeout=30) as client:
            barrier.wait()
            statuses.append(client.post(url, data=complete_form()).status_code)

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sorted(statuses) == [200, 409]
    assert response_count(web_site) == 1


# --- links that cannot answer ----------------------------------------------


def tampered(signed: str) -> str:
    last = "A" if signed[-1] != "A" else "B"
    return signed[:-1] + last


REFUSED_CASES = {
    "tampered_signature": (404, "Ссылка недействительна"),
    "other_key": (404, "Ссылка недействительна"),
    "outdated_secret": (410, "Ссылка устарела"),
    "unknown_invitation": (404, "Ссылка недействительна"),
    "closed_campaign": (410, "Опрос завершён"),
    "past_until": (410, "Опрос завершён"),
}


def refused_url(site: WebSite, case: str, tmp_path: Path) -> tuple[str, InvitationToken]:
    """Return the link of `case` and the real invitation that must stay unanswered."""
    yesterday = site.today() - datetime.timedelta(days=1)
    if case == "closed_campaign":
        token = open_invitation(site, closed=True)
        return site.survey_url(token), token
    if case == "past_until":
        token = open_invitation(site, until=yesterday)
        return site.survey_url(token), token

    token = open_invitation(site, until=site.today())
    if case == "tampered_signature":
        return f"{site.base_url}/survey/{tampered(sign_invitation(site.settings, token))}", token
    if case == "other_key":
        other = load_settings(NO_ENV_FILE, storage_dir=tmp_path / "other", secret_key="another-key-entirely-0123456789")
        return f"{site.base_url}/survey/{sign_invitation(other, token)}", token
    if case == "outdated_secret":
        return site.survey_url(InvitationToken(token.invitation_id, "an-older-secret")), token
    return site.survey_url(InvitationToken(token.invitation_id + 1000, SECRET)), token


@pytest.mark.parametrize("case", sorted(REFUSED_CASES))
def test_refused_link_stores_nothing(web_site: WebSite, case: str, tmp_path: Path) -> None:
    url, token = refused_url(web_site, case, tmp_path)
    status, heading = REFUSED_CASES[case]

    shown = httpx.get(url)
    submitted = post(url, complete_form())

    assert shown.status_code == status
    assert heading in shown.text
    assert submitted.status_code == status
    assert heading in submitted.text
    assert "ответы не сохранены" in submitted.text
    assert response_count(web_site) == 0
    assert not is_answered(web_site, token)


def test_until_today_still_accepted(web_site: WebSite) -> None:
    token = open_invitation(web_site, until=web_site.today())

    assert post(web_site.survey_url(token), complete_form()).status_code == 200


# --- validation --------------------------------------------------------------


def test_invalid_form_keeps_typed_text(web_site: WebSite) -> None:
    token = open_invitation(web_site)
    posted = complete_form()
    del posted["q1"]
    del posted["q3_hr_portal"]
    typed = '<script>alert("x")</script> & «кавычки»'
    posted["q5"] = typed
    posted["q2_consulting_text"] = "Нет доступа к справочнику"

    page = post(web_site.survey_url(token), posted)

    assert page.status_code == 422
    assert "<script>alert" not in page.text
    assert html.escape(typed, quote=False).replace('"', "&#34;") in page.text
    assert ">Нет доступа к справочнику</textarea>" in page.text
    assert 'name="q3_software" value="rather_dissatisfied" aria-describedby="q3_software-label" checked' in page.text
    assert 'name="q2_regulation_not_engaged" value="1" checked' in page.text
    assert "Вопрос 1</a>. Выберите один из ответов." in page.text
    assert "Вопрос 3, «Кадровый портал»</a>. Выберите один из ответов." in page.text
    assert response_count(web_site) == 0
    assert not is_answered(web_site, token)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"q4_software_text": ""}, "Укажите проблему или отметьте «Затрудняюсь ответить»."),
        ({"q4_internet_text": "Медленно"}, "но не то и другое сразу"),
        ({"q2_regulation_text": "Нет правовой базы"}, "но не то и другое сразу"),
        ({"q3_forms": "very_happy"}, "Выберите один из ответов."),
        ({"q5": "я" * (form.MAX_TEXT_LENGTH + 1)}, f"Текст длиннее {form.MAX_TEXT_LENGTH} знаков"),
    ],
    ids=["q4_empty", "q4_both", "q2_both", "q3_unknown", "q5_long"],
)
def test_invalid_answer_rejected(web_site: WebSite, change: dict[str, str], message: str) -> None:
    token = open_invitation(web_site)
    posted = complete_form()
    posted.update(change)

    page = post(web_site.survey_url(token), posted)

    assert page.status_code == 422
    assert message in page.text
    assert response_count(web_site) == 0


def test_text_stripped_and_controls_dropped(web_site: WebSite) -> None:
    token = open_invitation(web_site)
    posted = complete_form()
    posted["q5"] = "  первая строка\r\nвторая\x00 строка  "

    assert post(web_site.survey_url(token), posted).status_code == 200

    assert stored_responses(web_site)[0].answers["q5"] == "первая строка\nвторая строка"


def test_non_form_body_rejected(web_site: WebSite) -> None:
    token = open_invitation(web_site)

    page = httpx.post(web_site.survey_url(token), json=complete_form())

    assert page.status_code == 400
    assert response_count(web_site) == 0


# --- ratings -----------------------------------------------------------------


def feedback(site: WebSite, number: str) -> TicketFeedback | None:
    with site.session_factory() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        return session.scalar(select(TicketFeedback).where(TicketFeedback.ticket_id == ticket.id))


def feedback_entries(site: WebSite) -> int:
    with site.session_factory() as session:
        return len(session.scalars(select(ThreadEntry).where(ThreadEntry.kind == "feedback")).all())


def test_rating_link_stores_nothing(web_site: WebSite) -> None:
    add_ticket(web_site, "IT-2026-00042")

    page = httpx.get(web_site.rating_url("IT-2026-00042", 4))

    assert page.status_code == 200
    assert "Спасибо за оценку!" not in page.text
    assert 'value="4" checked' in page.text
    assert page.text.count(" checked") == 1
    assert "Вы выбрали оценку 4 из 5" in page.text
    assert feedback(web_site, "IT-2026-00042") is None


def test_rating_link_then_form_records(web_site: WebSite) -> None:
    add_ticket(web_site, "IT-2026-00042")
    url = web_site.rating_url("IT-2026-00042", 4)
    httpx.get(url)

    page = post(url, {"rating": "4", "comment": ""})

    assert page.status_code == 200
    assert "Спасибо за оценку!" in page.text
    assert '<strong id="current-rating">4</strong>' in page.text
    stored = feedback(web_site, "IT-2026-00042")
    assert stored is not None
    assert stored.rating == 4
    assert stored.source == "link"


def test_rating_link_shows_stored_rating(web_site: WebSite) -> None:
    add_ticket(web_site, "IT-2026-00042")
    post(web_site.rating_url("IT-2026-00042", 5), {"rating": "5", "comment": ""})

    page = httpx.get(web_site.rating_url("IT-2026-00042", 2))

    assert '<strong id="current-rating">5</strong>' in page.text
    assert 'value="2" checked' in page.text
    assert "Вы выбрали оценку 2 из 5" in page.text
    stored = feedback(web_site, "IT-2026-00042")
    assert stored is not None
    assert stored.rating == 5


def test_rating_form_changes_rating(web_site: WebSite) -> None:
    add_ticket(web_site, "IT-2026-00042")
    post(web_site.rating_url("IT-2026-00042", 5), {"rating": "5", "comment": ""})
    post(web_site.rating_url("IT-2026-00042", 5), {"rating": "5", "comment": ""})

    post(web_site.rating_url("IT-2026-00042", 2), {"rating": "2", "comment": ""})

    stored = feedback(web_site, "IT-2026-00042")
    assert stored is not None
    assert stored.rating == 2
    # The repeated 5 is a resent form and adds no second note to the thread.
    assert feedback_entries(web_site) == 2


def test_rating_form_stores_comment(web_site: WebSite) -> None:
    add_ticket(web_site, "IT-2026-00042")
    post(web_site.rating_url("IT-2026-00042", 3), {"rating": "3", "comment": ""})

    page = post(web_site.rating_url("IT-2026-00042", 3), {"rating": "5", "comment": "Быстро <и> вежливо"})

    assert page.status_code == 200
    assert "Быстро &lt;и&gt; вежливо" in page.text
    stored = feedback(web_site, "IT-2026-00042")
    assert stored is not None
    assert (stored.rating, stored.comment) == (5, "Быстро <и> вежливо")


ASSIGNEE = "petrov@committee.example"


def answered_ticket(site: WebSite, number: str) -> None:
    """Add a ticket that was answered and closed, with an assignee to notify."""
    add_ticket(site, number)
    with site.session_factory.begin() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        ticket.assignee = ASSIGNEE
        ticket.status = TicketStatus.CLOSED


def low_rating_notices(site: WebSite) -> list[OutboxMessage]:
    with site.session_factory() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "staff_low_rating")))


def mail_text(row: OutboxMessage) -> str:
    message = email.message_from_bytes(row.raw, policy=email.policy.default)
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content()


def test_rating_page_explains_reopening(web_site: WebSite) -> None:
    add_ticket(web_site, "IT-2026-00042")

    page = httpx.get(web_site.rating_url("IT-2026-00042", 2))

    hint = "Если вопрос не решён, ответьте на письмо с ответом ИТ-службы — обращение откроется снова."
    assert hint in html.unescape(page.text)


def test_low_rating_comment_notifies_staff(web_site: WebSite) -> None:
    answered_ticket(web_site, "IT-2026-00042")
    post(web_site.rating_url("IT-2026-00042", 1), {"rating": "1", "comment": ""})
    assert low_rating_notices(web_site) == []

    page = post(web_site.rating_url("IT-2026-00042", 1), {"rating": "1", "comment": "проблема не решена"})

    assert page.status_code == 200
    notices = low_rating_notices(web_site)
    assert len(notices) == 1
    assert notices[0].recipients == [ASSIGNEE]
    assert notices[0].envelope_from == web_site.settings.address
    text = mail_text(notices[0])
    assert "IT-2026-00042" in text
    assert "1 из 5" in text
    assert "проблема не решена" in text
    assert "http" not in text
    with web_site.session_factory() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == "IT-2026-00042")).one()
        assert ticket.status == TicketStatus.CLOSED


def test_low_rating_form_resent_notifies_once(web_site: WebSite) -> None:
    answered_ticket(web_site, "IT-2026-00042")
    posted = {"rating": "2", "comment": "проблема не решена"}

    post(web_site.rating_url("IT-2026-00042", 2), posted)
    post(web_site.rating_url("IT-2026-00042", 2), posted)

    assert len(low_rating_notices(web_site)) == 1


@pytest.mark.parametrize("posted", [{"rating": "3", "comment": "проблема не решена"}, {"rating": "2", "comment": ""}])
def test_rating_without_complaint_no_notice(web_site: WebSite, posted: dict[str, str]) -> None:
    answered_ticket(web_site, "IT-2026-00042")

    page = post(web_site.rating_url("IT-2026-00042", 3), posted)

    assert page.status_code == 200
    assert feedback(web_site, "IT-2026-00042") is not None
    assert low_rating_notices(web_site) == []


def test_rating_form_without_rating_rejected(web_site: WebSite) -> None:
    add_ticket(web_site, "IT-2026-00042")

    page = post(web_site.rating_url("IT-2026-00042"), {"comment": "Сохраните мой текст"})

    assert page.status_code == 422
    assert "Выберите оценку от 1 до 5." in page.text
    assert ">Сохраните мой текст</textarea>" in page.text
    assert feedback(web_site, "IT-2026-00042") is None


@pytest.mark.parametrize("case", ["tampered", "unknown_ticket", "rating_out_of_range"])
def test_rating_link_refused(web_site: WebSite, case: str) -> None:
    add_ticket(web_site, "IT-2026-00042")
    if case == "tampered":
        url = web_site.rating_url("IT-2026-00042")
        url = f"{tampered(url)}/5"
    elif case == "unknown_ticket":
        url = web_site.rating_url("IT-2026-09999", 5)
    else:
        url = web_site.rating_url("IT-2026-00042", 9)

    page = httpx.get(url)

    assert page.status_code == 404
    assert "Оценка не сохранена." in page.text
    assert feedback(web_site, "IT-2026-00042") is None


@pytest.mark.parametrize("method", ["HEAD", "GET"])
def test_link_visit_records_nothing(web_site: WebSite, method: str) -> None:
    add_ticket(web_site, "IT-2026-00042")

    response = httpx.request(method, web_site.rating_url("IT-2026-00042", 1))

    assert response.status_code == 200
    assert feedback(web_site, "IT-2026-00042") is None
    assert feedback_entries(web_site) == 0


# --- headers, logs, other addresses ------------------------------------------


def test_security_headers_present(web_site: WebSite) -> None:
    token = open_invitation(web_site)

    page = httpx.get(web_site.survey_url(token))

    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    policy = page.headers["content-security-policy"]
    nonce = policy.split("'nonce-")[1].split("'")[0]
    assert f"script-src 'nonce-{nonce}'" in policy
    assert f'<script nonce="{nonce}">' in page.text
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy


def test_nonce_differs_per_page(web_site: WebSite) -> None:
    token = open_invitation(web_site)
    url = web_site.survey_url(token)

    first = httpx.get(url).headers["content-security-policy"]
    second = httpx.get(url).headers["content-security-policy"]

    assert first != second


def test_token_absent_from_logs(web_site: WebSite, caplog: pytest.LogCaptureFixture) -> None:
    token = open_invitation(web_site)
    url = web_site.survey_url(token)
    signed = url.rsplit("/", 1)[1]
    add_ticket(web_site, "IT-2026-00042")
    rating_url = web_site.rating_url("IT-2026-00042", 4)
    rating_token = rating_url.rsplit("/", 2)[1]
    caplog.set_level(logging.DEBUG)

    httpx.get(url)
    post(url, {"q1": "nonsense"})
    post(url, complete_form())
    post(url, complete_form())
    httpx.get(rating_url)
    httpx.get(f"{web_site.base_url}/survey/{tampered(signed)}")

    assert any(record.getMessage() == "survey answers stored" for record in caplog.records)
    # httpx is the test's own client and logs the addresses it requests.
    for record in (record for record in caplog.records if record.name != "httpx"):
        logged = record.getMessage() + repr(record.__dict__)
        assert signed not in logged
        assert rating_token not in logged
        assert SECRET not in logged


def test_healthz(web_site: WebSite) -> None:
    response = httpx.get(f"{web_site.base_url}/healthz")

    assert response.status_code == 200
    assert response.text == "ok"


def test_unknown_address_russian_page(web_site: WebSite) -> None:
    response = httpx.get(f"{web_site.base_url}/survey")

    assert response.status_code == 404
    assert "Страница не найдена" in response.text
    assert response.headers["cache-control"] == "no-store"


# --- the daemon serves the pages ---------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_health(url: str, timeout: float = 20.0) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_daemon_serves_and_stops_pages(database_url: str, tmp_path: Path) -> None:
    port = free_port()
    with EmbeddedImapServer() as imap, SmtpSink() as smtp:
        daemon = start_daemon(
            imap, smtp, database_url, tmp_path, web_enabled=True, web_host="127.0.0.1", web_port=port
        )
        thread = threading.Thread(target=daemon.run_forever)
        thread.start()
        try:
            health = wait_for_health(f"http://127.0.0.1:{port}/healthz")
        finally:
            daemon.stop()
            thread.join(30)

    assert health.text == "ok"
    assert not thread.is_alive()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)


# --- `mailbot web` -------------------------------------------------------------


def create_schema(tmp_path: Path, database_url: str) -> None:
    """Create the schema as «mailbot db upgrade» would, since `mailbot web` creates no database."""
    settings = load_settings(NO_ENV_FILE, storage_dir=tmp_path / "storage", database_url=database_url)
    open_database(settings).dispose()


def web_command(
    tmp_path: Path, database_url: str, *arguments: str, log_format: str = "text"
) -> subprocess.Popen[str]:
    env_file = tmp_path / "service.env"
    env_file.write_text(
        f"MAILBOT_DATABASE_URL={database_url}\nMAILBOT_STORAGE_DIR={tmp_path / 'storage'}\n"
        f"MAILBOT_LOG_LEVEL=INFO\nMAILBOT_LOG_FORMAT={log_format}\n",
        encoding="utf-8",
    )
    environment = {key: value for key, value in os.environ.items() if not key.startswith("MAILBOT_")}
    environment["PYTHONPATH"] = str(REPOSITORY)
    command = [sys.executable, "-m", "mailbot", "--env-file", str(env_file), "web", *arguments]
    return subprocess.Popen(
        command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment
    )


def serve_until_sigterm(tmp_path: Path, database_url: str, log_format: str) -> tuple[str, str, int, str]:
    """Run `mailbot web`, fetch /healthz, stop it; return its first line, the health text, exit code and log."""
    port = free_port()
    process = web_command(tmp_path, database_url, "--host", "127.0.0.1", "--port", str(port), log_format=log_format)
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline()
        health = wait_for_health(f"http://127.0.0.1:{port}/healthz")
        process.send_signal(signal.SIGTERM)
        _, log = process.communicate(timeout=20)
    finally:
        process.kill()
        process.wait()
    expected = f"Страницы анкеты и оценок открыты по адресу http://127.0.0.1:{port} (остановка: Ctrl+C)."
    assert first_line.strip() == expected
    return first_line, health.text, process.returncode, log


def test_web_command_serves_until_sigterm(database_url: str, tmp_path: Path) -> None:
    create_schema(tmp_path, database_url)

    _, health, code, _ = serve_until_sigterm(tmp_path, database_url, "text")

    assert health == "ok"
    assert code == 0


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_web_command_log_has_no_colour_codes(database_url: str, tmp_path: Path, log_format: str) -> None:
    create_schema(tmp_path, database_url)

    _, _, code, log = serve_until_sigterm(tmp_path, database_url, log_format)

    assert code == 0
    assert "Started server process" in log
    assert "color_message" not in log
    assert "\x1b[" not in log
    assert "\\u001b[" not in log


def test_web_command_without_database(tmp_path: Path) -> None:
    missing = tmp_path / "elsewhere" / "mailbot.sqlite3"
    missing.parent.mkdir()

    process = web_command(tmp_path, f"sqlite:///{missing}", "--host", "127.0.0.1", "--port", str(free_port()))
    stdout, stderr = process.communicate(timeout=60)

    assert process.returncode == 2
    assert f"База данных «{missing}» не найдена" in stderr
    assert "mailbot db upgrade" in stderr
    assert stdout == ""
    assert not missing.exists()
    assert not (tmp_path / "storage" / "secret.key").exists()


def test_web_command_port_in_use(database_url: str, tmp_path: Path) -> None:
    create_schema(tmp_path, database_url)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = web_command(tmp_path, database_url, "--host", "127.0.0.1", "--port", str(port))
        stdout, stderr = process.communicate(timeout=60)

    assert process.returncode == 2
    assert f"Не удалось открыть адрес http://127.0.0.1:{port}: адрес уже занят другой программой." in stderr
    assert "Address already in use" not in stderr
    assert stdout == ""
