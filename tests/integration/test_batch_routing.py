"""Routing in batches: one transaction per batch, a savepoint per message."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select

from mailbot.classify.model import Classification
from mailbot.daemon import Daemon
from mailbot.db.models import InboundMessage, InboundState, OutboxMessage, ThreadEntry, Ticket
from mailbot.demo.servers import ImapServer, SmtpSink
from mailbot.intake.connection import connect
from mailbot.intake.ledger import sync_folder
from mailbot.routing.pipeline import process_pending
from tests.app_fixtures import start_daemon
from tests.integration.test_daemon import REQUESTER, request_mail

pytestmark = pytest.mark.integration

PRINTER_BODY = "Добрый день! Принтер в кабинете {room} не печатает, горит красная лампа. Посмотрите, пожалуйста."


def append_requests(imap: ImapServer, count: int) -> None:
    for index in range(count):
        imap.append(request_mail(
            subject=f"Не печатает принтер в кабинете {300 + index}",
            body=PRINTER_BODY.format(room=300 + index),
            message_id=f"<batch-{index}@committee.example>",
        ))


def store_only(daemon: Daemon) -> None:
    """Fetch and store what is waiting, leaving routing to the test."""
    client = connect(daemon.context.settings)
    try:
        sync_folder(client, daemon.session_factory, daemon.mailbox, "INBOX")
    finally:
        client.logout()


def states(daemon: Daemon) -> list[InboundState]:
    with daemon.session_factory() as session:
        return list(session.scalars(select(InboundMessage.state).order_by(InboundMessage.id)))


def ticket_sequences(daemon: Daemon) -> list[str]:
    """The per-year sequence part of each ticket number, in the order the tickets were opened."""
    with daemon.session_factory() as session:
        return [number.rsplit("-", 1)[1] for number in session.scalars(select(Ticket.number).order_by(Ticket.id))]


def test_reply_in_batch_joins_ticket(
    imap_server: ImapServer, smtp_sink: SmtpSink, database_url: str, tmp_path: Path
) -> None:
    daemon = start_daemon(imap_server, smtp_sink, database_url, tmp_path)
    imap_server.append(request_mail(message_id="<first@committee.example>"))
    imap_server.append(request_mail(
        subject="Re: Не печатает принтер в 305 кабинете",
        body="Забыла добавить: модель принтера HP LaserJet 1320.",
        message_id="<second@committee.example>",
        extra_headers={"In-Reply-To": "<first@committee.example>", "References": "<first@committee.example>"},
    ))
    store_only(daemon)

    assert process_pending(daemon.session_factory, daemon.context) == 2

    with daemon.session_factory() as session:
        [ticket] = session.scalars(select(Ticket)).all()
        inbound_ids = session.scalars(
            select(ThreadEntry.message_id).where(ThreadEntry.ticket_id == ticket.id, ThreadEntry.inbound_id.is_not(None))
        ).all()
    assert sorted(inbound_ids) == ["<first@committee.example>", "<second@committee.example>"]
    assert states(daemon) == [InboundState.PROCESSED, InboundState.PROCESSED]


class _Hooked:
    """Failure and stop injection: calls `hook` with the subject before each classification."""

    def __init__(self, real: Any, hook: Callable[[str], None]) -> None:
        self.real = real
        self.version = real.version
        self.hook = hook

    def classify(self, subject: str, body: str) -> Classification:
        self.hook(subject)
        result: Classification = self.real.classify(subject, body)
        return result


def test_stop_keeps_rest_stored(
    imap_server: ImapServer, smtp_sink: SmtpSink, database_url: str, tmp_path: Path
) -> None:
    healthy = start_daemon(imap_server, smtp_sink, database_url, tmp_path)
    append_requests(imap_server, 5)
    store_only(healthy)
    stop = threading.Event()
    context = dataclasses.replace(healthy.context, classifier=_Hooked(healthy.context.classifier, lambda _: stop.set()))

    assert process_pending(healthy.session_factory, context, stop=stop) == 1

    assert states(healthy) == [InboundState.PROCESSED] + [InboundState.STORED] * 4
    assert ticket_sequences(healthy) == ["00001"]
    assert process_pending(healthy.session_factory, healthy.context) == 4
    assert ticket_sequences(healthy) == ["00001", "00002", "00003", "00004", "00005"]


def test_failed_commit_redone_singly(
    imap_server: ImapServer, smtp_sink: SmtpSink, database_url: str, tmp_path: Path
) -> None:
    daemon = start_daemon(imap_server, smtp_sink, database_url, tmp_path)
    append_requests(imap_server, 4)
    store_only(daemon)
    failures: list[int] = []

    def fail_first_commit(session: Any) -> None:
        # Failure injection: the first commit, the batch's, fails as a lost
        # connection or a full disk would make it fail.
        if not failures:
            failures.append(1)
            raise OSError("injected commit failure")

    event.listen(daemon.session_factory, "before_commit", fail_first_commit)
    try:
        handled = process_pending(daemon.session_factory, daemon.context)
    finally:
        event.remove(daemon.session_factory, "before_commit", fail_first_commit)

    assert failures == [1]
    assert handled == 4
    assert states(daemon) == [InboundState.PROCESSED] * 4
    # The rolled-back batch gave its numbers back, so none is skipped.
    assert ticket_sequences(daemon) == ["00001", "00002", "00003", "00004"]
    with daemon.session_factory() as session:
        acknowledgements = session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "acknowledgement")
        )
    assert acknowledgements == 4


def _crash_on(subject: str) -> Callable[[str], None]:
    def hook(classified: str) -> None:
        if classified == subject:
            raise RuntimeError("classifier crashed")

    return hook


def test_failed_message_quarantined_alone(
    imap_server: ImapServer, smtp_sink: SmtpSink, database_url: str, tmp_path: Path
) -> None:
    healthy = start_daemon(imap_server, smtp_sink, database_url, tmp_path)
    append_requests(imap_server, 3)
    store_only(healthy)
    crash = _crash_on("Не печатает принтер в кабинете 301")
    broken = dataclasses.replace(healthy.context, classifier=_Hooked(healthy.context.classifier, crash))

    assert process_pending(healthy.session_factory, broken) == 3

    assert states(healthy) == [InboundState.PROCESSED, InboundState.QUARANTINED, InboundState.PROCESSED]
    # Nothing of the rolled-back attempt survives: two tickets, numbered
    # without a gap, each acknowledged once.
    assert ticket_sequences(healthy) == ["00001", "00002"]
    with healthy.session_factory() as session:
        acknowledged = session.scalars(
            select(Ticket.number).join(OutboxMessage, OutboxMessage.ticket_id == Ticket.id)
            .where(OutboxMessage.kind == "acknowledgement").order_by(Ticket.id)
        ).all()
    assert [number.rsplit("-", 1)[1] for number in acknowledged] == ["00001", "00002"]


def test_batch_message_limit(
    imap_server: ImapServer, smtp_sink: SmtpSink, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    daemon = start_daemon(imap_server, smtp_sink, database_url, tmp_path)
    monkeypatch.setattr("mailbot.routing.pipeline.BATCH_MESSAGES", 2)
    append_requests(imap_server, 5)
    store_only(daemon)
    commits: list[int] = []
    engine = daemon.session_factory.kw["bind"]
    event.listen(engine, "commit", lambda connection: commits.append(1))

    assert process_pending(daemon.session_factory, daemon.context) == 5

    # Three batches (2, 2, 1) and nothing else committed.
    assert len(commits) == 3
    with daemon.session_factory() as session:
        requesters = set(session.scalars(select(Ticket.requester_address)))
    assert requesters == {REQUESTER}
