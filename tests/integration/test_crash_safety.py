"""SIGKILL `mailbot run` at random moments through a 500-message backlog; nothing is lost or doubled."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mailbot.demo.servers import EmbeddedImapServer, SmtpSink
from tests.backlog import BacklogMail, backlog
from tests.crash_harness import CrashOutcome, CrashRun, collect, run_with_kills

pytestmark = [pytest.mark.integration, pytest.mark.timeout(400)]

BACKLOG_SIZE = 500
MIN_KILLS = 20
SEED = 20261205

Crashed = tuple[CrashRun, CrashOutcome, list[BacklogMail]]


@pytest.fixture(scope="module")
def crashed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crashed]:
    workdir = tmp_path_factory.mktemp("crash")
    mails = backlog(BACKLOG_SIZE, seed=SEED)
    with EmbeddedImapServer() as imap, SmtpSink() as smtp:
        run = run_with_kills(workdir, imap, smtp, mails, min_kills=MIN_KILLS, seed=SEED)
        yield run, collect(workdir, smtp, mails), mails


def test_harness_killed_enough(crashed: Crashed) -> None:
    run, _, _ = crashed
    assert run.kills >= MIN_KILLS
    assert run.kills_with_work_outstanding >= MIN_KILLS // 2, "most kills must hit a daemon with work in hand"


def test_every_message_stored_once(crashed: Crashed) -> None:
    _, outcome, mails = crashed
    assert sorted(outcome.inbound_per_message_id) == sorted(mail.message_id for mail in mails)
    doubled = {key: count for key, count in outcome.inbound_per_message_id.items() if count != 1}
    assert doubled == {}


def test_nothing_left_or_quarantined(crashed: Crashed) -> None:
    _, outcome, _ = crashed
    assert dict(outcome.states) == {"processed": BACKLOG_SIZE}


def test_each_request_is_one_ticket(crashed: Crashed) -> None:
    _, outcome, mails = crashed
    requests = [mail.message_id for mail in mails if mail.kind == "request"]
    without_ticket = [key for key in requests if outcome.tickets_per_message_id.get(key) != 1]
    assert without_ticket == []
    assert len(outcome.ticket_numbers) == len(requests)


def test_robot_and_outside_mail_recorded(crashed: Crashed) -> None:
    _, outcome, mails = crashed
    expected = {"auto_reply": "robot", "outside": "rejected"}
    for mail in mails:
        if mail.kind in expected:
            assert outcome.outcome_per_message_id[mail.message_id] == expected[mail.kind], mail.message_id
            assert mail.message_id not in outcome.tickets_per_message_id


def test_ticket_numbers_have_no_gaps(crashed: Crashed) -> None:
    _, outcome, _ = crashed
    sequence = [int(number.rsplit("-", 1)[1]) for number in outcome.ticket_numbers]
    assert sequence == list(range(1, len(sequence) + 1))


def test_every_mail_reached_sink(crashed: Crashed) -> None:
    run, outcome, _ = crashed
    assert outcome.outbox_states["pending"] == 0
    assert outcome.outbox_states["failed"] == 0
    missing = [key for key, copies in outcome.copies_per_outbox_mail.items() if copies == 0]
    assert missing == []
    assert outcome.unknown_sink_mail == 0
    # A second copy needs a kill between SMTP acceptance and the commit that
    # records it. A kill catches at most one mail in hand per sender, and a
    # daemon has two senders (the main loop and the outbox job).
    assert outcome.second_copies <= 2 * run.kills


def test_one_first_reply_per_ticket(crashed: Crashed) -> None:
    _, outcome, _ = crashed
    assert outcome.first_replies_per_ticket, "the runs must have opened tickets"
    assert len(outcome.first_replies_per_ticket) == len(outcome.ticket_numbers)
    assert set(outcome.first_replies_per_ticket.values()) == {1}
