"""The daemon: intake, routing and delivery in one process.

The main thread keeps one IMAP connection: it stores new mail, processes
it, sends what that queued, then waits with IDLE (or sleeps when the server
has no IDLE). An APScheduler job retries the outbox in the background. On
SIGTERM or SIGINT the loop finishes the message in hand and returns; the
messages not yet processed stay STORED for the next start.

Several instances may share one mailbox and one database. Only the holder
of the folder's lease syncs it from IMAP; every instance processes STORED
messages and sends due mail, and row claims keep each message and each
mail to one instance.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import random
import threading

import imapclient
from apscheduler.schedulers.background import BackgroundScheduler
from imapclient.exceptions import IMAPClientError
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from mailbot import leases
from mailbot.errors import FetchError
from mailbot.intake.allocator import keep_large_blocks_mapped
from mailbot.intake.connection import connect
from mailbot.intake.ledger import mailbox_key, sync_folder
from mailbot.intake.processed import move_processed
from mailbot.intake.waiting import wait_for_mail
from mailbot.metrics import Metrics
from mailbot.outbound.outbox import BATCH_SIZE, deliver_due_sync
from mailbot.retention import prune_raw
from mailbot.routing.context import Context
from mailbot.routing.pipeline import process_pending
from mailbot.scheduler.jobs import register_jobs
from mailbot.web.server import WebServer

logger = logging.getLogger(__name__)

MAX_RECONNECT_SECONDS = 300
MIN_LEASE_SECONDS = 60
PRUNE_INTERVAL_HOURS = 24
# Lost IMAP connections and an unreachable or locked database are retried;
# any other error ends the daemon, and systemd restarts it.
RECOVERABLE_ERRORS = (FetchError, IMAPClientError, OSError, OperationalError, InterfaceError)


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
        self.owner = leases.instance_id()
        self.lease_name = f"imap:{self.mailbox}"
        # The lease must outlive one batch fetch, which the IMAP timeout bounds.
        self.lease_ttl = datetime.timedelta(seconds=max(MIN_LEASE_SECONDS, 2 * settings.imap_timeout_seconds))
        self.metrics = Metrics(session_factory)
        # Large raw messages would otherwise leave the heap grown (see allocator.py).
        keep_large_blocks_mapped()

    def run_once(self) -> CycleResult:
        """Fetch what is waiting, process it, send the mail it caused."""
        client = connect(self.context.settings)
        try:
            return self._cycle(client)
        finally:
            _logout(client)
            leases.release(self.session_factory, self.lease_name, self.owner)

    def run_forever(self) -> None:
        if self.context.settings.metrics_port is not None:
            self.metrics.serve(self.context.settings.metrics_port)
        web_server = self._start_web_server()
        scheduler = self._start_scheduler()
        try:
            self._reconnect_loop()
        finally:
            scheduler.shutdown(wait=True)
            if web_server is not None:
                web_server.stop()
            self._release_lease()
            self.metrics.close()
            logger.info("daemon stopped", extra={"mailbox": self.mailbox})

    def stop(self) -> None:
        self.stop_event.set()

    def _reconnect_loop(self) -> None:
        failures = 0
        while not self.stop_event.is_set():
            try:
                self._serve_connection()
                failures = 0
            except RECOVERABLE_ERRORS as error:
                failures += 1
                self.metrics.reconnects.inc()
                delay = min(MAX_RECONNECT_SECONDS, 2**failures) * random.uniform(0.5, 1.0)
                logger.warning(
                    "cycle failed, reconnecting in %.0f s: %s: %s", delay, type(error).__name__, error,
                    extra={"mailbox": self.mailbox, "failures": failures},
                )
                self.stop_event.wait(delay)

    def _serve_connection(self) -> None:
        client = connect(self.context.settings)
        try:
            while not self.stop_event.is_set():
                self._cycle(client)
                wait_for_mail(client, self.context.settings.poll_seconds, self.stop_event)
        finally:
            _logout(client)

    def _cycle(self, client: imapclient.IMAPClient) -> CycleResult:
        stored, uidvalidity = self._sync(client)
        processed = process_pending(self.session_factory, self.context, stop=self.stop_event)
        if uidvalidity is not None and self.context.settings.imap_processed_folder:
            self._move_processed(client, uidvalidity)
        sent = self._deliver_all()
        if stored or processed or sent:
            logger.info("cycle done", extra={"stored": stored, "processed": processed, "sent": sent})
        return CycleResult(stored, processed, sent)

    def _deliver_all(self) -> int:
        """Send every due mail, BATCH_SIZE per SMTP session, until none is left or a stop is requested."""
        sent = 0
        while not self.stop_event.is_set():
            batch = deliver_due_sync(self.session_factory, self.context.settings, stop=self.stop_event)
            self.metrics.sent.inc(batch)
            sent += batch
            if batch < BATCH_SIZE:
                break
        return sent

    def _sync(self, client: imapclient.IMAPClient) -> tuple[int, int | None]:
        """Sync the folder when this instance holds its lease; return (stored, UIDVALIDITY)."""
        folder = self.context.settings.imap_folder
        if not self._keep_lease():
            # Selected read-only so that IDLE still reports new mail, after
            # which this instance tries the lease again.
            client.select_folder(folder, readonly=True)
            logger.debug("another instance syncs the folder", extra={"mailbox": self.mailbox})
            return 0, None
        try:
            result = sync_folder(
                client, self.session_factory, self.mailbox, folder,
                should_continue=lambda: not self.stop_event.is_set() and self._keep_lease(),
            )
        except IntegrityError:
            # Only possible when this instance lost its lease mid-sync and
            # another one stored the same UIDs; the next cycle starts afresh.
            logger.warning("sync raced another instance, retrying next cycle", extra={"mailbox": self.mailbox})
            return 0, None
        self.metrics.fetched.inc(result.stored)
        return result.stored, result.uidvalidity

    def _move_processed(self, client: imapclient.IMAPClient, uidvalidity: int) -> None:
        target = self.context.settings.imap_processed_folder
        if self._keep_lease():
            move_processed(client, self.session_factory, self.mailbox, uidvalidity, target)

    def _keep_lease(self) -> bool:
        return leases.acquire(self.session_factory, self.lease_name, self.owner, self.lease_ttl)

    def _release_lease(self) -> None:
        try:
            leases.release(self.session_factory, self.lease_name, self.owner)
        except SQLAlchemyError:
            logger.warning("lease release failed; it expires by itself", extra={"lease": self.lease_name})

    def _start_web_server(self) -> WebServer | None:
        """Serve the survey and rating pages from this process when MAILBOT_WEB_ENABLED is set."""
        if not self.context.settings.web_enabled:
            return None
        web_server = WebServer(self.context.settings, self.session_factory)
        web_server.start()
        return web_server

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
        if self.context.settings.raw_retention_days > 0:
            scheduler.add_job(
                self._prune_job, "interval", hours=PRUNE_INTERVAL_HOURS, id="prune_raw",
                next_run_time=datetime.datetime.now(self.context.settings.tz), coalesce=True,
            )
        register_jobs(scheduler, self.context, self.session_factory)
        scheduler.start()
        return scheduler

    def _deliver_job(self) -> None:
        if self.stop_event.is_set():
            return
        try:
            self.metrics.sent.inc(deliver_due_sync(self.session_factory, self.context.settings, stop=self.stop_event))
        except Exception:  # noqa: BLE001 - the job must survive to run again
            logger.exception("outbox job failed")

    def _prune_job(self) -> None:
        try:
            prune_raw(self.session_factory, self.context.settings.raw_retention_days)
        except SQLAlchemyError:
            logger.exception("raw mail pruning failed")


def _logout(client: imapclient.IMAPClient) -> None:
    try:
        client.logout()
    except (IMAPClientError, OSError):
        logger.debug("IMAP logout failed", exc_info=True)
