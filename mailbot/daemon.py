"""The daemon: intake, routing and delivery in one process.

The main thread keeps one IMAP connection: it stores new mail, processes
it, sends what that queued, then waits with IDLE (or sleeps when the server
has no IDLE). An APScheduler job retries the outbox in the background. On
SIGTERM or SIGINT the loop finishes the message in hand and returns.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import threading

import imapclient
from apscheduler.schedulers.background import BackgroundScheduler
from imapclient.exceptions import IMAPClientError
from sqlalchemy.orm import Session, sessionmaker

from mailbot.errors import FetchError
from mailbot.intake.connection import connect
from mailbot.intake.ledger import mailbox_key, sync_folder
from mailbot.intake.waiting import wait_for_mail
from mailbot.outbound.outbox import deliver_due_sync
from mailbot.routing.context import Context
from mailbot.routing.pipeline import process_pending
from mailbot.scheduler.jobs import register_jobs

logger = logging.getLogger(__name__)

MAX_RECONNECT_SECONDS = 300


@dataclasses.dataclass(frozen=True)
class CycleResult:
    stored: int
    processed: int
    sent: int


class Daemon:
    def __init__(self, context: Context, session_factory: sessionmaker[Session]) -> None:
        self.context = context
        self.session_factory = session_factory
        self.stop_event = threading.Event()
        settings = context.settings
        self.mailbox = mailbox_key(settings.imap_user, settings.imap_host, settings.imap_folder)

    def run_once(self) -> CycleResult:
        """Fetch what is waiting, process it, send the mail it caused."""
        client = connect(self.context.settings)
        try:
            return self._cycle(client)
        finally:
            _logout(client)

    def run_forever(self) -> None:
        scheduler = self._start_scheduler()
        failures = 0
        try:
            while not self.stop_event.is_set():
                try:
                    self._serve_connection()
                    failures = 0
                except (FetchError, IMAPClientError, OSError) as error:
                    failures += 1
                    delay = min(MAX_RECONNECT_SECONDS, 2**failures) * random.uniform(0.5, 1.0)
                    logger.warning("IMAP failure, reconnecting in %.0f s: %s", delay, error)
                    self.stop_event.wait(delay)
        finally:
            scheduler.shutdown(wait=True)
            logger.info("daemon stopped")

    def stop(self) -> None:
        self.stop_event.set()

    def _serve_connection(self) -> None:
        client = connect(self.context.settings)
        try:
            while not self.stop_event.is_set():
                self._cycle(client)
                wait_for_mail(client, self.context.settings.poll_seconds, self.stop_event)
        finally:
            _logout(client)

    def _cycle(self, client: imapclient.IMAPClient) -> CycleResult:
        folder = self.context.settings.imap_folder
        stored = sync_folder(client, self.session_factory, self.mailbox, folder)
        processed = process_pending(self.session_factory, self.context, stop=self.stop_event)
        sent = deliver_due_sync(self.session_factory, self.context.settings)
        if stored or processed or sent:
            logger.info("cycle done", extra={"stored": stored, "processed": processed, "sent": sent})
        return CycleResult(stored, processed, sent)

    def _start_scheduler(self) -> BackgroundScheduler:
        scheduler = BackgroundScheduler(timezone=self.context.settings.tz)
        scheduler.add_job(
            self._deliver_job,
            "interval",
            seconds=self.context.settings.outbox_seconds,
            id="outbox",
            max_instances=1,
            coalesce=True,
        )
        register_jobs(scheduler, self.context, self.session_factory)
        scheduler.start()
        return scheduler

    def _deliver_job(self) -> None:
        try:
            deliver_due_sync(self.session_factory, self.context.settings)
        except Exception:  # noqa: BLE001 - the job must survive to run again
            logger.exception("outbox job failed")


def _logout(client: imapclient.IMAPClient) -> None:
    try:
        client.logout()
    except (IMAPClientError, OSError):
        logger.debug("IMAP logout failed", exc_info=True)
