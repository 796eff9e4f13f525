"""Shared pytest fixtures: servers and databases in tests/servers.py, the daemon in tests/app_fixtures.py."""

from tests.app_fixtures import application, daemon, settings
from tests.servers import database_url, imap_server, postgres_url, smtp_sink

__all__ = ["application", "daemon", "database_url", "imap_server", "postgres_url", "settings", "smtp_sink"]
