"""Delivery through SMTP failures: a permanent 5xx notifies the staff, an outage delays but loses nothing."""

from __future__ import annotations

import dataclasses
import email.policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from sqlalchemy import select, update

from mailbot.app import build_application
from mailbot.config import Settings
from mailbot.daemon import Daemon
from mailbot.db.models import OutboxMessage, OutboxState, utcnow
from mailbot.demo.servers import EmbeddedImapServer, SmtpSink
from mailbot.outbound.outbox import deliver_due_sync
from tests.app_fixtures import STAFF_ADDRESS, make_settings
from tests.backlog import backlog

pytestmark = pytest.mark.integration


def outbox_rows(session_factory) -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    with session_factory() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def make_all_due(session_factory) -> None:  # type: ignore[no-untyped-def]
    """Stand in for the passing of time: every pending row is due now."""
    with session_factory.begin() as session:
        session.execute(
            update(OutboxMessage).where(OutboxMessage.state == OutboxState.PENDING).values(next_attempt_at=utcnow())
        )


def test_permanent_rejection_fails_and_tells_staff(database_url: str, smtp_sink: SmtpSink, tmp_path: Path) -> None:
    [mail] = backlog(1, seed=3)
    with EmbeddedImapServer() as imap:
        imap.append(mail.raw)
        settings = make_settings(imap, smtp_sink, database_url, tmp_path / "storage")
        application = build_application(settings)
        daemon = Daemon(application.context, application.session_factory)
        smtp_sink.fail_next(550)
        daemon.run_once()

    rows = outbox_rows(application.session_factory)
    first_reply = rows[0]
    assert first_reply.state == OutboxState.FAILED
    assert first_reply.last_error is not None and first_reply.last_error.startswith("550")
    notices = [row for row in rows if row.kind == "delivery_failed"]
    assert len(notices) == 1
    assert notices[0].recipients == [STAFF_ADDRESS]

    deliver_due_sync(application.session_factory, settings)
    sent = [m for m in smtp_sink.messages if m.message_id == notices[0].message_id]
    assert len(sent) == 1
    notice = BytesParser(policy=email.policy.default).parsebytes(sent[0].raw)
    assert "не доставлено" in str(notice["Subject"])
    text = notice.get_body(preferencelist=("plain",)).get_content()
    assert first_reply.recipients[0] in text
    assert "550" in text
    assert f"mailbot outbox retry {first_reply.id}" in text
    application.engine.dispose()


def test_failed_notice_is_not_reported_again(database_url: str, smtp_sink: SmtpSink, tmp_path: Path) -> None:
    [mail] = backlog(1, seed=3)
    with EmbeddedImapServer() as imap:
        imap.append(mail.raw)
        settings = make_settings(imap, smtp_sink, database_url, tmp_path / "storage")
        application = build_application(settings)
        Daemon(application.context, application.session_factory).run_once()
    rows_before = len(outbox_rows(application.session_factory))

    smtp_sink.fail_next(550, times=50)
    with application.session_factory.begin() as session:
        session.execute(update(OutboxMessage).values(state=OutboxState.PENDING, next_attempt_at=utcnow(), kind="delivery_failed"))
    deliver_due_sync(application.session_factory, settings)

    rows = outbox_rows(application.session_factory)
    assert len(rows) == rows_before
    assert {row.state for row in rows} == {OutboxState.FAILED}
    application.engine.dispose()


def _with_smtp(settings: Settings, sink_port: int) -> Settings:
    return settings.model_copy(update={"smtp_port": sink_port})


def test_long_outage_delivers_everything_once(database_url: str, tmp_path: Path) -> None:
    mails = backlog(12, seed=5)
    down = SmtpSink()
    down.start()
    dead_port = down.port
    down.stop()
    with EmbeddedImapServer() as imap, SmtpSink() as sink:
        for mail in mails:
            imap.append(mail.raw)
        settings = make_settings(imap, sink, database_url, tmp_path / "storage")
        application = build_application(settings)
        outage = _with_smtp(settings, dead_port)

        Daemon(dataclasses.replace(application.context, settings=outage), application.session_factory).run_once()
        pending = outbox_rows(application.session_factory)
        assert pending and {row.state for row in pending} == {OutboxState.PENDING}

        for _ in range(4):
            make_all_due(application.session_factory)
            assert deliver_due_sync(application.session_factory, outage) == 0
        rows = outbox_rows(application.session_factory)
        assert {row.state for row in rows} == {OutboxState.PENDING}
        assert rows[0].attempts == 5, "every session failure counts one attempt on the oldest row"
        assert all(row.attempts <= 1 for row in rows[1:]), "an outage must not use up the other rows' attempts"
        assert all(row.next_attempt_at > utcnow() for row in rows), "all due rows wait for the back-off"

        make_all_due(application.session_factory)
        while deliver_due_sync(application.session_factory, settings):
            pass
        rows = outbox_rows(application.session_factory)
        assert {row.state for row in rows} == {OutboxState.SENT}
        assert sorted(m.message_id for m in sink.messages) == sorted(row.message_id for row in rows)
    application.engine.dispose()
