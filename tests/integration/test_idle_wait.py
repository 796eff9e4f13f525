"""Waiting with IDLE notices mail that arrived before the wait began."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from mailbot.demo.servers import ImapServer
from mailbot.intake.waiting import wait_for_mail
from tests.servers import start_imap_server

pytestmark = [pytest.mark.integration, pytest.mark.dovecot]

WAIT_SECONDS = 30.0


def _raw(number: int) -> bytes:
    return (
        f"From: ivanova@committee.example\r\nTo: it@committee.example\r\n"
        f"Subject: test {number}\r\nMessage-ID: <wait-{number}@committee.example>\r\n\r\nbody\r\n"
    ).encode()


@pytest.fixture
def dovecot() -> Iterator[ImapServer]:
    server = start_imap_server("dovecot")
    yield server
    server.stop()


def test_mail_delivered_before_idle_ends_the_wait(dovecot: ImapServer) -> None:
    # dovecot reports such mail right after its "+ idling" line, often in
    # the same TCP segment, where select() on the socket cannot see it.
    client = dovecot.connect()
    client.select_folder("INBOX")
    try:
        for number in range(3):
            dovecot.append(_raw(number))
            started = time.monotonic()

            reported = wait_for_mail(client, WAIT_SECONDS, threading.Event())

            assert reported
            assert time.monotonic() - started < WAIT_SECONDS / 2
            client.search(["ALL"])
    finally:
        client.logout()
