"""Wait for new mail: IMAP IDLE where the server offers it, polling otherwise."""

from __future__ import annotations

import logging
import select
import socket
import ssl
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
    """Block until the server says something, `seconds` pass or `stop` is set.

    Returns True when the server reported new or changed messages. The wait
    is cut into short slices so that a stop request is noticed within about
    a second.
    """
    seconds = min(seconds, MAX_IDLE_SECONDS)
    if not supports_idle(client):
        stop.wait(seconds)
        return False

    deadline = time.monotonic() + seconds
    client.idle()
    try:
        while not stop.is_set() and time.monotonic() < deadline:
            if _readable(client, CHECK_SLICE_SECONDS):
                break
    finally:
        # Responses are read by idle_done() in blocking mode. imapclient's
        # idle_check() reads them from a non-blocking socket and loses a line
        # that arrives in two TCP segments (seen with pymap 0.36), which then
        # breaks the connection.
        _, responses = client.idle_done()
    return any(_is_change(response) for response in responses)


def _readable(client: imapclient.IMAPClient, timeout: float) -> bool:
    sock = client.socket()
    if _has_buffered_input(client, sock):
        return True
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return True
    ready, _, _ = select.select([sock], [], [], timeout)
    return bool(ready)


def _has_buffered_input(client: imapclient.IMAPClient, sock: socket.socket) -> bool:
    """Return True when imaplib has already read server data that select() cannot see.

    A server reports mail that arrived before IDLE began right after its
    "+ idling" line (dovecot and pymap both do), so that report often comes
    in the same TCP segment and waits in imaplib's buffered reader. Without
    this check it would be noticed only when the wait times out.
    """
    reader = client._imap.file
    timeout = sock.gettimeout()
    sock.settimeout(0)
    try:
        return bool(reader.peek(1))
    except (BlockingIOError, ssl.SSLWantReadError):
        return False
    finally:
        sock.settimeout(timeout)


def _is_change(response: tuple[object, ...]) -> bool:
    return len(response) >= 2 and response[1] in (b"EXISTS", b"RECENT")
