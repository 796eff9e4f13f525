"""Operator-facing output of `run --once`, `outbox list|retry` and `tickets list` on real servers."""

from __future__ import annotations

import datetime
import json
import re
import socket
from pathlib import Path

import pytest
from sqlalchemy import select

from mailbot.cli import main
from mailbot.config import load_settings
from mailbot.db.engine import create_db_engine, create_session_factory
from mailbot.db.models import OutboxMessage, OutboxState
from mailbot.demo.servers import EmbeddedImapServer, SmtpSink
from mailbot.outbound.render import russian_datetime
from tests.daemon_process import write_service_env
from tests.integration.test_daemon import request_mail

pytestmark = pytest.mark.integration

REFUSED_RU = "SMTP-сервер не принимает соединения: служба не запущена или порт указан неверно"


def closed_port() -> int:
    """A loopback port that nothing listens on once the probe socket is closed."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def pending_rows(database_url: str) -> list[OutboxMessage]:
    engine = create_db_engine(database_url)
    try:
        with create_session_factory(engine)() as session:
            query = select(OutboxMessage).where(OutboxMessage.state == OutboxState.PENDING)
            return list(session.scalars(query.order_by(OutboxMessage.next_attempt_at)))
    finally:
        engine.dispose()


def test_outage_waiting_mail_then_retry(
    database_url: str, smtp_sink: SmtpSink, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with EmbeddedImapServer() as imap:
        imap.append(request_mail())
        down = write_service_env(tmp_path, imap, smtp_sink, MAILBOT_DATABASE_URL=database_url,
                                 MAILBOT_SMTP_PORT=str(closed_port()))
        code, out, err = run_cli(capsys, "--env-file", str(down), "run", "--once")
        assert code == 0, err
        assert "обработано: 1, отправлено: 0." in out

        waiting = pending_rows(database_url)
        assert waiting, "the acknowledgement waits in the outbox"
        settings = load_settings(down)
        first = waiting[0].next_attempt_at.astimezone(settings.tz)
        today = datetime.datetime.now(settings.tz).date()
        when = f"в {first:%H:%M}" if first.date() == today else russian_datetime(first, settings.tz)
        assert f"Ждут повторной отправки: {len(waiting)}, ближайшая попытка {when}." in out
        assert "mailbot outbox retry --waiting" in out

        code, out, _ = run_cli(capsys, "--env-file", str(down), "outbox", "list")
        assert code == 0
        assert REFUSED_RU in out
        assert "[Errno" not in out, "the engineer's text is not in the table"
        assert "mailbot outbox list --json" in out

        code, out, _ = run_cli(capsys, "--env-file", str(down), "outbox", "list", "--json")
        messages = json.loads(out)["messages"]
        for message in messages:
            assert message["last_error"].startswith("Error connecting to 127.0.0.1 on port")
            assert message["last_error"].endswith(")"), "the original text is kept whole"
            assert "[Errno 111]" in message["last_error"]
            assert message["error_ru"] == REFUSED_RU

        # SMTP is back, but the back-off time has not come: nothing is sent yet.
        up = write_service_env(tmp_path, imap, smtp_sink, MAILBOT_DATABASE_URL=database_url)
        code, out, _ = run_cli(capsys, "--env-file", str(up), "run", "--once")
        assert "отправлено: 0." in out
        assert f"Ждут повторной отправки: {len(waiting)}" in out
        assert smtp_sink.messages == []

        code, out, _ = run_cli(capsys, "--env-file", str(up), "outbox", "retry", "--waiting")
        assert code == 0
        assert "не дожидаясь повторной попытки" in out
        assert re.search(rf"\b{len(waiting)} письм", out), out

        code, out, _ = run_cli(capsys, "--env-file", str(up), "run", "--once")
        assert f"отправлено: {len(waiting)}." in out
        assert "Ждут повторной отправки" not in out
        assert len(smtp_sink.messages) == len(waiting)


def test_outbox_retry_one_waiting_mail(
    database_url: str, smtp_sink: SmtpSink, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with EmbeddedImapServer() as imap:
        imap.append(request_mail())
        down = write_service_env(tmp_path, imap, smtp_sink, MAILBOT_DATABASE_URL=database_url,
                                 MAILBOT_SMTP_PORT=str(closed_port()))
        assert main(["--env-file", str(down), "run", "--once"]) == 0
        capsys.readouterr()
        waiting = pending_rows(database_url)

        code, out, _ = run_cli(capsys, "--env-file", str(down), "outbox", "retry", str(waiting[0].id))
        assert code == 0
        assert f"Письмо {waiting[0].id} уйдёт при следующей отправке" in out
        code, out, _ = run_cli(capsys, "--env-file", str(down), "outbox", "retry", str(waiting[0].id))
        assert f"Письмо {waiting[0].id} уже ждёт отправки." in out

        code, _, err = run_cli(capsys, "--env-file", str(down), "outbox", "retry")
        assert code == 1
        assert "укажите либо ID письма, либо --waiting" in err


def test_tickets_list_total_and_russian_status(
    database_url: str, smtp_sink: SmtpSink, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with EmbeddedImapServer() as imap:
        for number in range(3):
            imap.append(request_mail(
                subject=f"Не печатает принтер в кабинете 30{number}",
                sender=f"user{number}@committee.example",
                message_id=f"<req-{number}@committee.example>",
            ))
        env = write_service_env(tmp_path, imap, smtp_sink, MAILBOT_DATABASE_URL=database_url)
        assert main(["--env-file", str(env), "run", "--once"]) == 0
    capsys.readouterr()

    _, out, _ = run_cli(capsys, "--env-file", str(env), "tickets", "list", "--json")
    tickets = json.loads(out)
    assert len(tickets) == 3
    open_count = sum(1 for ticket in tickets if ticket["status"] == "open")
    assert open_count >= 1

    code, out, _ = run_cli(capsys, "--env-file", str(env), "tickets", "list", "--limit", "2")
    assert code == 0
    assert "Показано заявок: 2 из 3" in out
    assert "Всего заявок" not in out

    code, out, _ = run_cli(capsys, "--env-file", str(env), "tickets", "list")
    assert "Всего заявок: 3" in out

    for spelling in ("В работе", "в  работе", "open"):
        code, out, _ = run_cli(capsys, "--env-file", str(env), "tickets", "list", "--status", spelling)
        assert code == 0, spelling
        assert f"Всего заявок со статусом «в работе»: {open_count}" in out, spelling

    code, out, _ = run_cli(capsys, "--env-file", str(env), "tickets", "list", "--status", "ЗАКРЫТА")
    assert code == 0
    assert "Заявок со статусом «закрыта» нет." in out

    with pytest.raises(SystemExit) as raised:
        main(["--env-file", str(env), "tickets", "list", "--status", "готово"])
    assert raised.value.code == 2
    err = capsys.readouterr().err
    assert "'готово'" in err
    assert "'дан ответ'" in err, "the error lists the Russian words"


def test_tickets_list_help_lists_russian_statuses(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["tickets", "list", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    for word in ("«в работе» (open)", "«уточнение» (clarification)", "«дан ответ» (answered)", "«закрыта» (closed)"):
        assert word in help_text
