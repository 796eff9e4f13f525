"""Ingestion from a private dovecot: throughput against the raw floor, IDLE latency, peak memory.

Run from the repository root (needs Debian's dovecot-imapd)::

    .venv/bin/python -m bench.ingest_bench --sizes 1000 10000 --runs 3 --latency 50 --memory 10000

- Throughput: the same backlog is fetched six ways, each `--runs` times.
  The raw floor is imapclient BODY.PEEK[] in batches of 100 plus `email`
  parsing, with nothing stored, measured three ways:

  - `floor_compat32`: the legacy compat32 policy, which splits the MIME
    tree and leaves headers as raw strings;
  - `floor_default`: `email.policy.default`, the API the standard library
    recommends today, which also builds a header object for every header.
    The target's own scale for the floor of a 2-core machine (1,100 to 1,600
    messages/s) matches this one;
  - `floor_default_body`: the default policy plus reading each message's
    text (`get_body`, `get_content`), as ingest must; for comparison only.

  Intake is `sync_folder` into a fresh SQLite file (fetch, store raw,
  high-water mark, \\Seen). Ingest is intake plus `process_pending` until
  nothing is left (parsed, classified, ticket opened, acknowledgement and
  staff mail queued, committed), the target's "end to end". The full pass
  is `Daemon.run_once` (ingest plus SMTP delivery of the queued mail).
  Medians are printed with their ratio to each floor. The same fetch with
  mailbot's own parser and classifier in place of `email`
  (`fetch_parse_classify`, nothing stored) shows what those two steps
  alone leave of the budget.
- Latency: a running daemon (IDLE, outbox job every second) gets one mail
  at a time; the time from APPEND to the acknowledgement in the SMTP sink.
  Beside it, the server's own share: the time from an APPEND to the EXISTS
  that a plain imapclient connection idling on the folder receives.
- Memory: a fresh child process runs `run_once` until the backlog, which
  includes twenty messages with a `--attachment-mb` (20 MiB) attachment, is
  processed; its peak resident set size (VmHWM from /proc/self/status).
  With 17.5 MiB the messages stay under the default size limit, so their
  files are kept and offered to the staff announcement.
"""

from __future__ import annotations

import argparse
import contextlib
import email
import email.policy
import json
import multiprocessing
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy.engine import make_url

from mailbot.app import build_application
from mailbot.classify import load_classifier
from mailbot.classify.classifier import Classifier
from mailbot.config import load_settings
from mailbot.daemon import Daemon
from mailbot.demo.dovecot import DovecotServer
from mailbot.demo.servers import ImapServer, SmtpSink
from mailbot.intake.ledger import sync_folder
from mailbot.parse import parse_message
from mailbot.routing.pipeline import process_pending
from tests.app_fixtures import NO_ENV_FILE, make_settings
from tests.backlog import BacklogMail, backlog, big_attachment_mail

BATCH = 100

# Not a floor: the same fetch with mailbot's parser and classifier in place
# of `email`, nothing stored. It shows how much of the ingest budget these
# two steps take before any ticket, mail or commit.
PARSE_CLASSIFY = "fetch_parse_classify"


def load(imap: ImapServer, mails: list[BacklogMail]) -> None:
    with imap.connect(timeout=120) as client:
        for start in range(0, len(mails), 200):
            client.multiappend("INBOX", [mail.raw for mail in mails[start:start + 200]])


def parse_compat32(raw: bytes) -> None:
    email.message_from_bytes(raw)


def parse_default(raw: bytes) -> None:
    email.message_from_bytes(raw, policy=email.policy.default)


def parse_default_body(raw: bytes) -> None:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    body = message.get_body(("plain", "html"))
    if body is not None:
        body.get_content()


FLOORS = {"floor_compat32": parse_compat32, "floor_default": parse_default, "floor_default_body": parse_default_body}


def parse_and_classify(classifier: Classifier) -> Callable[[bytes], None]:
    """Return mailbot's own parse and classification of one message, as routing runs them."""
    def work(raw: bytes) -> None:
        parsed = parse_message(raw)
        classifier.classify(parsed.subject, parsed.reply_text)

    return work


def raw_floor(imap: ImapServer, parse: Callable[[bytes], None]) -> float:
    started = time.perf_counter()
    with imap.connect(timeout=120) as client:
        client.select_folder("INBOX", readonly=True)
        uids = client.search(["ALL"])
        for start in range(0, len(uids), BATCH):
            fetched = client.fetch(uids[start:start + BATCH], ["BODY.PEEK[]", "INTERNALDATE"])
            for data in fetched.values():
                parse(data[b"BODY[]"])
    return time.perf_counter() - started


@contextlib.contextmanager
def fresh_database(workdir: Path, postgres: str | None) -> Iterator[str]:
    """Yield the URL of an empty database: a SQLite file in `workdir`, or a new PostgreSQL database."""
    if postgres is None:
        yield f"sqlite:///{workdir}/bench.sqlite3"
        return
    # Imported only here: psycopg and pytest would add about 9 MB to the
    # memory child's footprint on SQLite runs too.
    from tests.servers import postgres_database

    with postgres_database(make_url(postgres)) as url:
        yield url


def mailbot_pass(
    imap: ImapServer, smtp: SmtpSink, workdir: Path, *, kind: str, postgres: str | None = None
) -> float:
    with fresh_database(workdir, postgres) as database_url:
        return _timed_pass(imap, smtp, workdir, database_url, kind)


def _timed_pass(imap: ImapServer, smtp: SmtpSink, workdir: Path, database_url: str, kind: str) -> float:
    settings = make_settings(imap, smtp, database_url, workdir / "storage")
    application = build_application(settings)
    daemon = Daemon(application.context, application.session_factory)
    started = time.perf_counter()
    if kind == "full":
        while daemon.run_once().processed:
            pass
    else:
        with imap.connect(timeout=120) as client:
            sync_folder(client, application.session_factory, daemon.mailbox, "INBOX")
        # The target's end to end: stored, parsed, classified, ticket opened,
        # acknowledgement queued, committed; SMTP delivery is not part of it.
        while kind == "ingest" and process_pending(application.session_factory, application.context):
            pass
    elapsed = time.perf_counter() - started
    application.engine.dispose()
    return elapsed


def throughput(size: int, runs: int, postgres: str | None = None) -> dict[str, object]:
    mails = backlog(size, seed=size)
    passes = ("intake", "ingest", "full")
    timings: dict[str, list[float]] = {name: [] for name in (*FLOORS, PARSE_CLASSIFY, *passes)}
    work = parse_and_classify(load_classifier())
    with DovecotServer() as imap, SmtpSink() as smtp:
        load(imap, mails)
        for _ in range(runs):
            for floor, parse in FLOORS.items():
                timings[floor].append(raw_floor(imap, parse))
            timings[PARSE_CLASSIFY].append(raw_floor(imap, work))
            for kind in passes:
                with tempfile.TemporaryDirectory() as workdir:
                    timings[kind].append(mailbot_pass(imap, smtp, Path(workdir), kind=kind, postgres=postgres))
    medians = {name: statistics.median(values) for name, values in timings.items()}
    ratios = {
        f"{kind}_to_{floor}": round(medians[floor] / medians[kind], 3)
        for floor in FLOORS
        for kind in (PARSE_CLASSIFY, *passes)
    }
    return {
        "messages": size,
        "runs": runs,
        "database": "postgresql" if postgres else "sqlite",
        **{f"{name}_msgs_per_s": round(size / seconds, 1) for name, seconds in medians.items()},
        **ratios,
    }


def idle_notify_seconds(imap: ImapServer, raw: bytes) -> float:
    """Time from an APPEND to the EXISTS it causes on another connection idling on the folder."""
    with imap.connect(timeout=30) as watcher:
        watcher.select_folder("INBOX")
        watcher.idle()
        started = time.perf_counter()
        imap.append(raw)
        try:
            while not any(response[1:2] == (b"EXISTS",) for response in watcher.idle_check(timeout=10)):
                if time.perf_counter() - started > 10:
                    raise TimeoutError("dovecot reported no EXISTS within 10 s of the APPEND")
            return time.perf_counter() - started
        finally:
            watcher.idle_done()


def _quantiles(samples: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(samples, n=100)
    return {"p50_s": round(cuts[49], 3), "p95_s": round(cuts[94], 3), "p99_s": round(cuts[98], 3)}


def latency(count: int) -> dict[str, object]:
    mails = [mail for mail in backlog(count * 2, seed=99) if mail.kind == "request"][:count]
    samples = []
    # The server's own share, on a server of its own so that the daemon
    # finds an empty folder: dovecot waits before telling an idling client
    # about a change, so that changes close together go out as one.
    with DovecotServer() as probe:
        notify = [idle_notify_seconds(probe, mail.raw) for mail in mails[:10]]
    with DovecotServer() as imap, SmtpSink() as smtp, tempfile.TemporaryDirectory() as workdir:
        settings = make_settings(imap, smtp, f"sqlite:///{workdir}/bench.sqlite3", Path(workdir) / "storage",
                                 poll_seconds=60, outbox_seconds=1)
        application = build_application(settings)
        daemon = Daemon(application.context, application.session_factory)
        thread = threading.Thread(target=daemon.run_forever)
        thread.start()
        time.sleep(2)
        try:
            for mail in mails:
                before = len(smtp.messages)
                started = time.perf_counter()
                imap.append(mail.raw)
                smtp.wait_for(before + 1, timeout=30)
                samples.append(time.perf_counter() - started)
                time.sleep(0.2)
        finally:
            daemon.stop()
            thread.join(timeout=30)
            application.engine.dispose()
    return {
        "mails": len(samples),
        **_quantiles(samples),
        "server_idle_notify_median_s": round(statistics.median(notify), 3),
    }


def _memory_child(
    values: dict[str, object], postgres: str | None, queue: multiprocessing.Queue  # type: ignore[type-arg]
) -> None:
    # A fresh interpreter, so that its maximum RSS covers only mailbot's pass
    # and not the generated backlog, which the parent holds.
    baseline = _peak_rss_mb()
    with tempfile.TemporaryDirectory() as workdir, fresh_database(Path(workdir), postgres) as database_url:
        settings = load_settings(NO_ENV_FILE, **values, database_url=database_url,
                                 storage_dir=Path(workdir) / "storage")
        application = build_application(settings)
        daemon = Daemon(application.context, application.session_factory)
        while daemon.run_once().processed:
            pass
        application.engine.dispose()
    queue.put({"child_start_peak_rss_mb": baseline, "peak_rss_mb": _peak_rss_mb()})


def _peak_rss_mb() -> float:
    # VmHWM starts afresh at exec, unlike getrusage's ru_maxrss, which Linux
    # carries over from the forking parent.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError("VmHWM not found in /proc/self/status")


def memory(size: int, attachment_mb: float, postgres: str | None = None) -> dict[str, object]:
    attachment_bytes = int(attachment_mb * 1024 * 1024)
    mails = backlog(size - 20, seed=7) + [big_attachment_mail(index, attachment_bytes) for index in range(20)]
    context = multiprocessing.get_context("spawn")
    queue: multiprocessing.Queue = context.Queue()  # type: ignore[type-arg]
    with DovecotServer() as imap, SmtpSink() as smtp:
        load(imap, mails)
        del mails
        template = make_settings(imap, smtp, "sqlite://", Path("storage"))
        values = {name: getattr(template, name) for name in ("imap_host", "imap_port", "imap_user", "imap_security",
                  "smtp_host", "smtp_port", "smtp_security", "address", "allowed_domains", "staff")}
        values["imap_password"] = imap.password
        child = context.Process(target=_memory_child, args=(values, postgres, queue))
        child.start()
        result = queue.get()
        child.join()
    return {"messages": size, "large_attachments": 20, "attachment_mb": attachment_mb,
            "database": "postgresql" if postgres else "sqlite", **result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--latency", type=int, default=0, help="mails for the IDLE latency run, 0 to skip")
    parser.add_argument("--memory", type=int, default=0, help="backlog size for the memory run, 0 to skip")
    parser.add_argument("--attachment-mb", type=float, default=20.0,
                        help="size in MiB of the attachment in each of the memory run's 20 large messages")
    parser.add_argument("--postgres", metavar="URL",
                        help="run throughput and memory on fresh databases of this PostgreSQL server instead of SQLite")
    args = parser.parse_args()
    results: dict[str, object] = {"throughput": [throughput(size, args.runs, args.postgres) for size in args.sizes]}
    if args.latency:
        results["latency"] = latency(args.latency)
    if args.memory:
        results["memory"] = memory(args.memory, args.attachment_mb, args.postgres)
    print(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
