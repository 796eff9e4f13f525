"""Every real-client fixture delivered through a real IMAP server ends where it should."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from mailbot.app import Application
from mailbot.daemon import Daemon
from mailbot.db.models import InboundMessage, ThreadEntry, Ticket
from mailbot.demo.servers import ImapServer, SmtpSink
from mailbot.tickets.calendar import Deadline
from tests.integration.test_daemon import to_requesters

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).resolve().parent.parent / "data" / "mail"


def load_fixtures() -> list[tuple[str, bytes, dict[str, object]]]:
    cases = []
    for expected_file in sorted(FIXTURES.glob("*.json")):
        expected = json.loads(expected_file.read_text(encoding="utf-8"))["expect"]
        raw = expected_file.with_suffix(".eml").read_bytes()
        cases.append((expected_file.stem, raw, expected))
    return cases


def seed_tagged_tickets(application: Application, cases: list[tuple[str, bytes, dict[str, object]]]) -> None:
    """Create the tickets the fixtures' subject tags refer to, owned by their senders."""
    now = datetime.datetime.now(datetime.UTC)
    deadline = Deadline(now.date(), now)
    with application.session_factory.begin() as session:
        for _, _, expected in cases:
            number = expected.get("ticket_number")
            if number is None or session.scalars(select(Ticket).where(Ticket.number == number)).first():
                continue
            session.add(Ticket(
                number=number, process=1, requester_address=str(expected["from_address"]),
                subject="seeded", received_at=now, due_date=deadline.due_date, due_at=deadline.due_at,
            ))


def test_every_fixture_lands_where_it_should(
    imap_server: ImapServer, smtp_sink: SmtpSink, application: Application, daemon: Daemon
) -> None:
    cases = load_fixtures()
    seed_tagged_tickets(application, cases)
    for _, raw, _ in cases:
        imap_server.append(raw)

    result = daemon.run_once()
    assert result.stored == len(cases)

    with application.session_factory() as session:
        inbound = list(session.scalars(select(InboundMessage).order_by(InboundMessage.uid)))
        entries_by_inbound = {entry.inbound_id: entry for entry in session.scalars(select(ThreadEntry))}
        tickets_by_id = {ticket.id: ticket for ticket in session.scalars(select(Ticket))}
    assert [message.outcome for message in inbound if message.outcome == "quarantined"] == []

    expected_recipients: list[str] = []
    for (name, _, expected), message in zip(cases, inbound, strict=True):
        sender = str(expected["from_address"]).lower()
        entry = entries_by_inbound.get(message.id)
        if expected["kind"] != "human":
            assert message.outcome == "robot", name
            if expected.get("ticket_number"):
                assert entry is not None, f"{name}: robot mail not recorded on its ticket"
                assert tickets_by_id[entry.ticket_id].number == expected["ticket_number"], name
        elif expected.get("ticket_number"):
            assert message.outcome == "thread_reply", name
            assert tickets_by_id[entry.ticket_id].number == expected["ticket_number"], name
        else:
            assert message.outcome == "new_ticket", name
            assert tickets_by_id[message.ticket_id].requester_address == sender, name
            expected_recipients.append(sender)

    received = sorted(recipient for mail in to_requesters(smtp_sink) for recipient in mail.recipients)
    assert received == sorted(expected_recipients)
