"""Fixtures that wire a real daemon to the loopback servers under test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mailbot.app import Application, build_application
from mailbot.config import Settings, load_settings
from mailbot.daemon import Daemon
from mailbot.demo.servers import ImapServer, SmtpSink

IT_ADDRESS = "it@committee.example"
STAFF_ADDRESS = "admin.it@committee.example"
NO_ENV_FILE = Path("/nonexistent/service.env")


def make_settings(imap: ImapServer, smtp: SmtpSink, database_url: str, storage_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "imap_host": imap.host,
        "imap_port": imap.port,
        "imap_user": imap.user,
        "imap_password": imap.password,
        "imap_security": "none",
        "smtp_host": smtp.host,
        "smtp_port": smtp.port,
        "smtp_security": "none",
        "address": IT_ADDRESS,
        "allowed_domains": "committee.example",
        "staff": STAFF_ADDRESS,
        "storage_dir": storage_dir,
        "database_url": database_url,
        "poll_seconds": 5,
        "outbox_seconds": 1,
    }
    values.update(overrides)
    return load_settings(NO_ENV_FILE, **values)


@pytest.fixture
def settings(imap_server: ImapServer, smtp_sink: SmtpSink, database_url: str, tmp_path: Path) -> Settings:
    return make_settings(imap_server, smtp_sink, database_url, tmp_path / "storage")


@pytest.fixture
def application(settings: Settings) -> Iterator[Application]:
    application = build_application(settings)
    yield application
    application.engine.dispose()


@pytest.fixture
def daemon(application: Application) -> Daemon:
    return Daemon(application.context, application.session_factory)


def start_daemon(
    imap: ImapServer, smtp: SmtpSink, database_url: str, tmp_path: Path, **overrides: object
) -> Daemon:
    """Build a daemon on the test's servers with some settings overridden."""
    settings = make_settings(imap, smtp, database_url, tmp_path / "storage", **overrides)
    application = build_application(settings)
    return Daemon(application.context, application.session_factory)
