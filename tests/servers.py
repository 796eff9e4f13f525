"""Pytest fixtures for the mail servers and the database under test.

Environment variables:
- MAILBOT_REQUIRE_DOVECOT=1 turns a missing dovecot binary into a test error
  instead of a skip (CI sets it).
- MAILBOT_TEST_DATABASE=postgres gives every test a fresh PostgreSQL database
  instead of a SQLite file.
- MAILBOT_TEST_POSTGRES_URL is the server and maintenance database to create
  those databases from.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import URL, make_url

from mailbot.demo.dovecot import DovecotServer
from mailbot.demo.servers import EmbeddedImapServer, ImapServer, SmtpSink

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

IMAP_BACKENDS = [
    pytest.param("pymap", id="pymap"),
    pytest.param("dovecot", id="dovecot", marks=pytest.mark.dovecot),
]


def dovecot_required() -> bool:
    return os.environ.get("MAILBOT_REQUIRE_DOVECOT") == "1"


def postgres_requested() -> bool:
    return os.environ.get("MAILBOT_TEST_DATABASE", "sqlite").lower() == "postgres"


def postgres_base_url() -> URL:
    return make_url(os.environ.get("MAILBOT_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL))


def start_imap_server(backend: str) -> ImapServer:
    """Start an IMAP server of the given backend, skipping when dovecot is absent."""
    if backend == "pymap":
        server: ImapServer = EmbeddedImapServer()
    elif backend == "dovecot":
        if not DovecotServer.available():
            message = "dovecot is not installed (apt-get install dovecot-imapd)"
            if dovecot_required():
                pytest.fail(message + " but MAILBOT_REQUIRE_DOVECOT=1", pytrace=False)
            pytest.skip(message)
        server = DovecotServer()
    else:
        raise ValueError("unknown IMAP backend %r" % backend)
    server.start()
    return server


@pytest.fixture(params=IMAP_BACKENDS)
def imap_server(request: pytest.FixtureRequest) -> Iterator[ImapServer]:
    """An empty IMAP mailbox on loopback, once on pymap and once on dovecot."""
    server = start_imap_server(request.param)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """An SMTP server on loopback that keeps every message it accepts."""
    with SmtpSink() as sink:
        yield sink


@contextmanager
def postgres_database(base_url: URL) -> Iterator[str]:
    """Create a uniquely named database on the server of `base_url`, drop it on exit.

    Yields the SQLAlchemy URL of the new database, password included.
    """
    name = "mailbot_test_%s" % uuid.uuid4().hex[:16]
    with _connect_maintenance(base_url) as admin:
        admin.execute('CREATE DATABASE "%s"' % name)
    try:
        yield base_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with _connect_maintenance(base_url) as admin:
            admin.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)


def _connect_maintenance(base_url: URL) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(
        host=base_url.host, port=base_url.port, user=base_url.username,
        password=base_url.password, dbname=base_url.database, autocommit=True,
    )


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A SQLAlchemy URL of an empty database: a SQLite file, or PostgreSQL on request."""
    if postgres_requested():
        with postgres_database(postgres_base_url()) as url:
            yield url
    else:
        yield "sqlite:///%s" % (tmp_path / "mailbot.sqlite3")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for tests of PostgreSQL-only behaviour.

    Skipped unless MAILBOT_TEST_DATABASE=postgres or MAILBOT_TEST_POSTGRES_URL is set.
    """
    if not postgres_requested() and "MAILBOT_TEST_POSTGRES_URL" not in os.environ:
        pytest.skip("set MAILBOT_TEST_DATABASE=postgres to run PostgreSQL tests")
    with postgres_database(postgres_base_url()) as url:
        yield url
