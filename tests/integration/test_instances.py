"""Two daemon instances on one mailbox and one database handle each message and mail once."""

from __future__ import annotations

import datetime
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mailbot import leases
from mailbot.app import Application, build_application
from mailbot.daemon import Daemon
from mailbot.db.engine import create_db_engine, create_session_factory
from mailbot.db.migrate import upgrade
from mailbot.db.models import InboundMessage, InboundState, OutboxMessage, OutboxState, Ticket
from mailbot.demo.servers import EmbeddedImapServer, SmtpSink
from tests.app_fixtures import make_settings
from tests.backlog import backlog

pytestmark = pytest.mark.integration

BACKLOG_SIZE = 150
TTL = datetime.timedelta(seconds=30)


@pytest.fixture
def session_factory(database_url: str) -> Iterator[object]:
    engine = create_db_engine(database_url)
    upgrade(engine)
    yield create_session_factory(engine)
    engine.dispose()


def test_lease_excludes_second_owner(session_factory) -> None:  # type: ignore[no-untyped-def]
    assert leases.acquire(session_factory, "imap:box", "a", TTL)
    assert not leases.acquire(session_factory, "imap:box", "b", TTL)
    assert leases.acquire(session_factory, "imap:box", "a", TTL), "the holder renews"
    assert leases.holder(session_factory, "imap:box") == "a"


def test_lease_passes_on_after_expiry(session_factory) -> None:  # type: ignore[no-untyped-def]
    assert leases.acquire(session_factory, "imap:box", "a", datetime.timedelta(seconds=-1))
    assert leases.holder(session_factory, "imap:box") is None
    assert leases.acquire(session_factory, "imap:box", "b", TTL)
    assert not leases.acquire(session_factory, "imap:box", "a", TTL)


def test_lease_release_frees_it(session_factory) -> None:  # type: ignore[no-untyped-def]
    assert leases.acquire(session_factory, "imap:box", "a", TTL)
    leases.release(session_factory, "imap:box", "b")
    assert leases.holder(session_factory, "imap:box") == "a", "only the holder may release"
    leases.release(session_factory, "imap:box", "a")
    assert leases.acquire(session_factory, "imap:box", "b", TTL)


def test_concurrent_acquire_has_one_winner(session_factory) -> None:  # type: ignore[no-untyped-def]
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def contend(owner: str) -> None:
        barrier.wait()
        results.append(leases.acquire(session_factory, "imap:contended", owner, TTL))

    threads = [threading.Thread(target=contend, args=(f"owner-{index}",)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(True) == 1


def _wait_until_done(application: Application, expected: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with application.session_factory() as session:
            stored = session.scalar(
                select(func.count()).select_from(InboundMessage).where(InboundMessage.state == InboundState.STORED)
            )
            total = session.scalar(select(func.count()).select_from(InboundMessage))
            pending = session.scalar(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state == OutboxState.PENDING)
            )
        if total == expected and stored == 0 and pending == 0:
            return
        time.sleep(0.2)
    raise TimeoutError(f"not done after {timeout} s: {total} stored of {expected}, {stored} unprocessed, {pending} unsent")


def test_two_instances_share_mailbox(database_url: str, smtp_sink: SmtpSink, tmp_path: Path) -> None:
    mails = backlog(BACKLOG_SIZE, seed=11)
    with EmbeddedImapServer() as imap:
        settings = make_settings(imap, smtp_sink, database_url, tmp_path / "storage", poll_seconds=1)
        applications = [build_application(settings), build_application(settings)]
        daemons = [Daemon(app.context, app.session_factory) for app in applications]
        threads = [threading.Thread(target=daemon.run_forever, name=f"instance-{index}") for index, daemon in enumerate(daemons)]
        for thread in threads:
            thread.start()
        try:
            for start in range(0, BACKLOG_SIZE, 25):
                with imap.connect() as client:
                    client.multiappend("INBOX", [mail.raw for mail in mails[start:start + 25]])
                time.sleep(0.3)
            _wait_until_done(applications[0], BACKLOG_SIZE)
        finally:
            for daemon in daemons:
                daemon.stop()
            for thread in threads:
                thread.join(timeout=30)

    assert not any(thread.is_alive() for thread in threads)
    fetched = [daemon.metrics.registry.get_sample_value("mailbot_messages_fetched_total") or 0 for daemon in daemons]
    assert sum(fetched) == BACKLOG_SIZE

    with applications[0].session_factory() as session:
        inbound = list(session.scalars(select(InboundMessage)))
        tickets = session.scalar(select(func.count()).select_from(Ticket))
        outbox = list(session.scalars(select(OutboxMessage)))
    for application in applications:
        application.engine.dispose()

    assert Counter(row.message_id for row in inbound) == Counter(mail.message_id for mail in mails)
    assert {row.state for row in inbound} == {InboundState.PROCESSED}
    assert tickets == sum(1 for mail in mails if mail.kind == "request")
    assert {row.state for row in outbox} == {OutboxState.SENT}
    copies = Counter(mail.message_id for mail in smtp_sink.messages)
    assert copies == Counter(row.message_id for row in outbox), "every mail must reach the sink exactly once"
