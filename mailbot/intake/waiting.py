"""Wait for new mail: IMAP IDLE where the server offers it, polling otherwise."""

from __future__ import annotations

import logging
import threading
import time

import imapclient

logger = logging.getLogger(__name__)

# RFC 2177 lets a server drop an IDLE connection after 30 minutes; renewing
# well before that keeps NAT boxes and Exchange's 29-minute limit happy.
MAX_IDLE_SECONDS = 25 * 60
CHECK_SLICE_SECONDS = 1.0


def supports_idle(client: imapclient.IMAPClient) -> bool:
    return b"IDLE" in client.capabilities()


def wait_for_mail(client: imapclient.IMAPClient, seconds: float, stop: threading.Event) -> bool:
    """Block until the folder changes, `seconds` pass or `stop` is set.

    Returns True when the server reported a change. The wait is cut into
    short slices so that a stop request is noticed within about a second.
    """
    seconds = min(seconds, MAX_IDLE_SECONDS)
    if not supports_idle(client):
        stop.wait(seconds)
        return False

    deadline = time.monotonic() + seconds
    client.idle()
    try:
        while not stop.is_set() and time.monotonic() < deadline:
            responses = client.idle_check(timeout=CHECK_SLICE_SECONDS)
            if any(_is_change(response) for response in responses):
                return True
        return False
    finally:
        client.idle_done()


def _is_change(response: tuple[object, ...]) -> bool:
    return len(response) >= 2 and response[1] in (b"EXISTS", b"RECENT")
