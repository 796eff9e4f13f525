"""Kill `mailbot run` with SIGKILL at random moments while it works through a backlog.

Shared by tests/integration/test_crash_safety.py (which asserts the
invariants) and bench/crash_bench.py (which reports the counts). Mail is
appended in chunks, before each start and at a random moment during a run,
so kills land in IMAP sync, processing, delivery and idle waits alike.
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from mailbot.db.engine import create_db_engine, create_session_factory
from mailbot.db.models import Direction, InboundMessage, OutboxMessage, ThreadEntry, Ticket
from mailbot.demo.servers import ImapServer, SmtpSink
from tests.backlog import BacklogMail
from tests.daemon_process import DaemonProcess, database_path, state_counts, write_service_env

MAX_RUN_SECONDS = 1.5
DRAIN_TIMEOUT_SECONDS = 120.0
# A new ticket is answered with an acknowledgement, or with a clarifying
# question when the classifier is unsure of the process.
FIRST_REPLY_KINDS = ("acknowledgement", "clarification")


@dataclasses.dataclass(frozen=True)
class CrashRun:
    """What happened during one harness run."""

    kills: int
    kills_with_work_outstanding: int
    seconds: float


@dataclasses.dataclass(frozen=True)
class CrashOutcome:
    """The database and the SMTP sink after the harness, ready for assertions."""

    inbound_per_message_id: dict[str, int]
    outcome_per_message_id: dict[str, str | None]
    states: Counter[str]
    tickets_per_message_id: dict[str, int]
    ticket_numbers: list[str]
    outbox_states: Counter[str]
    first_replies_per_ticket: dict[int, int]
    copies_per_outbox_mail: dict[str, int]
    unknown_sink_mail: int

    @property
    def second_copies(self) -> int:
        """Mails the sink accepted more than once, counted beyond the first copy."""
        return sum(count - 1 for count in self.copies_per_outbox_mail.values() if count > 1)


def run_with_kills(
    workdir: Path, imap: ImapServer, smtp: SmtpSink, mails: list[BacklogMail], *, min_kills: int, seed: int
) -> CrashRun:
    """Feed `mails` in chunks and SIGKILL the daemon at least `min_kills` times until all is done."""
    rng = random.Random(seed)
    env_file = write_service_env(workdir, imap, smtp)
    chunk = max(1, len(mails) // (2 * min_kills))
    remaining = list(mails)
    kills = kills_with_work = 0
    started = time.monotonic()
    while kills < min_kills or remaining:
        remaining = _append(imap, remaining, chunk)
        daemon = DaemonProcess(env_file, workdir / f"run-{kills:03d}.log")
        try:
            daemon.wait_started()
            time.sleep(rng.uniform(0, MAX_RUN_SECONDS / 2))
            if rng.random() < 0.5:
                remaining = _append(imap, remaining, chunk)
            time.sleep(rng.uniform(0, MAX_RUN_SECONDS / 2))
            kills_with_work += _work_outstanding(workdir, len(mails) - len(remaining))
            daemon.kill()
            kills += 1
        finally:
            daemon.close()
    drain(workdir, env_file, len(mails))
    return CrashRun(kills, kills_with_work, time.monotonic() - started)


def drain(workdir: Path, env_file: Path, expected: int) -> None:
    """Run the daemon until every message is handled and the outbox is empty, then stop it with SIGTERM."""
    daemon = DaemonProcess(env_file, workdir / "run-final.log")
    try:
        daemon.wait_started()
        deadline = time.monotonic() + DRAIN_TIMEOUT_SECONDS
        while _work_outstanding(workdir, expected):
            if time.monotonic() > deadline:
                raise TimeoutError("backlog not done after %s s: %s" % (DRAIN_TIMEOUT_SECONDS, state_counts(workdir)))
            time.sleep(0.5)
        code = daemon.terminate(timeout=10)
        if code != 0:
            raise RuntimeError("final run exited with %s:\n%s" % (code, daemon.log_text()))
    finally:
        daemon.close()


def collect(workdir: Path, smtp: SmtpSink, mails: list[BacklogMail]) -> CrashOutcome:
    """Read what the runs left in the database and in the sink."""
    engine = create_db_engine(f"sqlite:///{database_path(workdir)}")
    session_factory = create_session_factory(engine)
    with session_factory() as session:
        inbound = list(session.scalars(select(InboundMessage)))
        entries = list(session.scalars(select(ThreadEntry).where(ThreadEntry.direction == Direction.INBOUND)))
        numbers = sorted(session.scalars(select(Ticket.number)))
        outbox = list(session.scalars(select(OutboxMessage)))
    engine.dispose()

    generated = {mail.message_id for mail in mails}
    ticket_sets: dict[str, set[int]] = {}
    for entry in entries:
        if entry.message_id in generated:
            ticket_sets.setdefault(entry.message_id, set()).add(entry.ticket_id)
    sink_ids = Counter(mail.message_id for mail in smtp.messages)
    outbox_ids = {row.message_id for row in outbox}
    return CrashOutcome(
        inbound_per_message_id=dict(Counter(row.message_id for row in inbound if row.message_id)),
        outcome_per_message_id={row.message_id: row.outcome for row in inbound if row.message_id},
        states=Counter(row.state.value for row in inbound),
        tickets_per_message_id={key: len(value) for key, value in ticket_sets.items()},
        ticket_numbers=numbers,
        outbox_states=Counter(row.state.value for row in outbox),
        first_replies_per_ticket=dict(
            Counter(row.ticket_id for row in outbox if row.kind in FIRST_REPLY_KINDS and row.ticket_id is not None)
        ),
        copies_per_outbox_mail={row.message_id: sink_ids.get(row.message_id, 0) for row in outbox},
        unknown_sink_mail=sum(count for key, count in sink_ids.items() if key not in outbox_ids),
    )


def _append(imap: ImapServer, remaining: list[BacklogMail], chunk: int) -> list[BacklogMail]:
    if not remaining:
        return remaining
    with imap.connect() as client:
        client.multiappend("INBOX", [mail.raw for mail in remaining[:chunk]])
    return remaining[chunk:]


def _work_outstanding(workdir: Path, appended: int) -> bool:
    counts = state_counts(workdir)
    handled = sum(count for state, count in counts.items() if state not in ("stored", "outbox_pending"))
    return handled < appended or counts.get("stored", 0) > 0 or counts.get("outbox_pending", 0) > 0
