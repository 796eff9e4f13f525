"""Prometheus metrics of one daemon instance, served on a loopback port.

Counters of this process (messages fetched, mail sent, IMAP reconnects)
live in memory. Everything an operator alerts on across
instances (outbox depth and age, quarantine, overdue tickets, last poll,
tickets opened per process) is read from the database at scrape time, so
every instance reports the same values and a restart loses nothing.
"""

from __future__ import annotations

import datetime
import logging
import threading
from collections.abc import Iterator
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from mailbot.db.models import (
    InboundMessage,
    MailboxState,
    OutboxMessage,
    OutboxState,
    Ticket,
    TicketStatus,
    utcnow,
)

logger = logging.getLogger(__name__)

METRICS_ADDRESS = "127.0.0.1"
# Statuses in which a ticket still waits for the IT department's reply.
WAITING_STATUSES = (TicketStatus.OPEN, TicketStatus.CLARIFICATION)


class Metrics:
    """The daemon's counters and, once `serve()` is called, the HTTP endpoint."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.registry = CollectorRegistry()
        self.fetched = Counter(
            "mailbot_messages_fetched", "Messages fetched from IMAP and stored by this process.",
            registry=self.registry,
        )
        self.sent = Counter(
            "mailbot_mail_sent", "Outgoing mails accepted by the SMTP server from this process.",
            registry=self.registry,
        )
        self.reconnects = Counter(
            "mailbot_imap_reconnects", "IMAP connection failures followed by a reconnect.",
            registry=self.registry,
        )
        self.registry.register(DatabaseCollector(session_factory))
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    def serve(self, port: int) -> None:
        """Serve /metrics on 127.0.0.1:`port` from a background thread."""
        self._server, self._thread = start_http_server(port, addr=METRICS_ADDRESS, registry=self.registry)
        logger.info("metrics served", extra={"metrics_address": METRICS_ADDRESS, "metrics_port": port})

    def close(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._server = None


class DatabaseCollector(Collector):
    """Gauges and counters computed from the database on every scrape."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("mailbot_database_up", "1 when the last scrape could read the database.")
        try:
            with self.session_factory() as session:
                families = list(_database_families(session))
        except SQLAlchemyError as error:
            logger.warning("metrics: database read failed: %s", type(error).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families


def _database_families(session: Session) -> Iterator[Metric]:
    yield _tickets_opened(session)
    yield from _outbox(session)
    yield from _inbound(session)
    yield _overdue(session)
    yield _last_poll(session)


def _tickets_opened(session: Session) -> Metric:
    family = CounterMetricFamily(
        "mailbot_tickets_opened", "Tickets opened, by process code (0 = not classified).", labels=["process"]
    )
    rows = session.execute(select(Ticket.process, func.count()).group_by(Ticket.process))
    for process, count in rows:
        family.add_metric([str(process or 0)], count)
    return family


def _outbox(session: Session) -> Iterator[Metric]:
    depth = GaugeMetricFamily("mailbot_outbox_messages", "Outgoing mails by delivery state.", labels=["state"])
    counts = dict(session.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)).all())
    for state in OutboxState:
        depth.add_metric([state.value], counts.get(state, 0))
    yield depth

    oldest = session.scalar(
        select(func.min(OutboxMessage.created_at)).where(OutboxMessage.state == OutboxState.PENDING)
    )
    age = GaugeMetricFamily(
        "mailbot_outbox_oldest_pending_age_seconds", "Age of the oldest mail still waiting to be sent, 0 when none."
    )
    age.add_metric([], (utcnow() - _as_utc(oldest)).total_seconds() if oldest is not None else 0.0)
    yield age


def _inbound(session: Session) -> Iterator[Metric]:
    counts = dict(session.execute(select(InboundMessage.state, func.count()).group_by(InboundMessage.state)).all())
    family = GaugeMetricFamily("mailbot_inbound_messages", "Stored inbound messages by state.", labels=["state"])
    for state, count in counts.items():
        family.add_metric([state.value], count)
    yield family

    quarantined = GaugeMetricFamily("mailbot_quarantined_messages", "Inbound messages waiting in quarantine.")
    quarantined.add_metric([], sum(count for state, count in counts.items() if state.value == "quarantined"))
    yield quarantined


def _overdue(session: Session) -> Metric:
    count = session.scalar(
        select(func.count()).select_from(Ticket).where(Ticket.status.in_(WAITING_STATUSES), Ticket.due_at < utcnow())
    )
    family = GaugeMetricFamily("mailbot_overdue_open_tickets", "Open tickets past their due time.")
    family.add_metric([], count or 0)
    return family


def _last_poll(session: Session) -> Metric:
    family = GaugeMetricFamily(
        "mailbot_last_successful_poll_timestamp_seconds",
        "Unix time of the last complete IMAP sync, per mailbox folder.",
        labels=["mailbox"],
    )
    for mailbox, polled in session.execute(select(MailboxState.mailbox, MailboxState.last_poll_at)):
        if polled is not None:
            family.add_metric([mailbox], _as_utc(polled).timestamp())
    return family


def _as_utc(value: object) -> datetime.datetime:
    # Aggregates such as min() bypass the UTCDateTime column type, so SQLite
    # returns a naive datetime or a string here.
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    if not isinstance(value, datetime.datetime):
        raise TypeError(f"expected a datetime from the database, got {type(value).__name__}")
    return value if value.tzinfo is not None else value.replace(tzinfo=datetime.UTC)
