"""Open an authenticated IMAP connection as the settings describe."""

from __future__ import annotations

import logging
import ssl

import imapclient
from imapclient.exceptions import IMAPClientError

from mailbot.config import Settings
from mailbot.errors import FetchError

logger = logging.getLogger(__name__)


def connect(settings: Settings) -> imapclient.IMAPClient:
    """Connect, secure the channel and log in; raise FetchError on failure."""
    host, port = settings.imap_host, settings.imap_port_effective
    context = settings.tls_context()
    try:
        client = imapclient.IMAPClient(
            host,
            port=port,
            ssl=settings.imap_security == "ssl",
            ssl_context=context,
            timeout=settings.imap_timeout_seconds,
        )
        if settings.imap_security == "starttls":
            client.starttls(context)
        client.login(settings.imap_user, settings.imap_password.get_secret_value())
    except (IMAPClientError, OSError, ssl.SSLError) as error:
        # The exception text never contains the password: imapclient redacts
        # LOGIN in its own logging, and we report only the class and server.
        raise FetchError(f"IMAP {host}:{port}: {type(error).__name__}: {error}") from error
    # Keep INTERNALDATE timezone-aware instead of converting to local time.
    client.normalise_times = False
    logger.info("IMAP connected", extra={"imap_host": host, "imap_port": port})
    return client
