"""Ingestion from a private dovecot: throughput against the raw floor, IDLE latency, peak memory.

Run from the repository root (needs Debian's dovecot-imapd)::

    .venv/bin/python -m bench.ingest_bench --sizes 1000 10000 --runs 3 --latency 50 --memory 10000

- Throughput: the same backlog is fetched four ways, each `--runs` times.
  The raw floor is imapclient BODY.PEEK[] in batches of 100 plus `email`
  parsing, with nothing stored. Intake is `sync_folder` into a fresh SQLite
  file (fetch, store raw, high-water mark, \\Seen). Ingest is intake plus
  `process_pending` until nothing is left (parsed, classified, ticket
  opened, acknowledgement and staff mail queued, committed), the target's
  "end to end". The full pass is `Daemon.run_once` (ingest plus SMTP
  delivery of the queued mail). Medians are printed with their ratio to
  the floor.
- Latency: a running daemon (IDLE, outbox job every second) gets one mail
  at a time; the time from APPEND to the acknowledgement in the SMTP sink.
- Memory: a fresh child process runs `run_once` until the backlog, which
  includes twenty messages with a `--attachment-mb` (20 MiB) attachment, is
  processed; its peak resident set size (VmHWM from /proc/self/status).
  With 17.5 MiB the messages stay under the default size limit, so their
  files are kept and offered to the staff announcement.
"""

from __future__ import annotations

import argparse
import email
import json
import multiprocessing
import statistics
import tempfile
import threading
import time
from pathlib import Path

from mailbot.app import build_application
from mailbot.daemon import Daemon
from mailbot.demo.dovecot import DovecotServer
from mailbot.demo.servers import ImapServer, SmtpSink
from mailbot.intake.ledger import sync_folder
from mailbot.routing.pipeline import process_pending
from mailbot.config import load_settings
from tests.app_fixtures import NO_ENV_FILE, make_settings
from tests.backlog import BacklogMail, backlog, big_attachment_mail

BATCH = 100


def load(imap: ImapServer, mails: list[BacklogMail]) -> None:
    with imap.connect(timeout=120) as client:
        for start in range(0, len(mails), 200):
            client.multiappend("INBOX", [mail.raw for mail in mails[start:start + 200]])


def raw_floor(imap: ImapServer) -> float:
    started = time.perf_counter()
    with imap.connect(timeout=120) as client:
        client.select_folder("INBOX", readonly=True)
        uids = client.search(["ALL"])
        for start in range(0, len(uids), BATCH):
            fetched = client.fetch(uids[start:start + BATCH], ["BODY.PEEK[]", "INTERNALDATE"])
            for data in fetched.values():
                email.message_from_bytes(data[b"BODY[]"])
    return time.perf_counter() - started


def mailbot_pass(imap: ImapServer, smtp: SmtpSink, workdir: Path, *, kind: str) -> float:
    settings = make_settings(imap, smtp, f"sqlite:///{workdir}/bench.sqlite3", workdir / "storage")
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


def throughput(size: int, runs: int) -> dict[str, object]:
    mails = backlog(size, seed=size)
    timings: dict[str, list[float]] = {"floor": [], "intake": [], "ingest": [], "full": []}
    with DovecotServer() as imap, SmtpSink() as smtp:
        load(imap, mails)
        for _ in range(runs):
            timings["floor"].append(raw_floor(imap))
            for kind in ("intake", "ingest", "full"):
                with tempfile.TemporaryDirectory() as workdir:
                    timings[kind].append(mailbot_pass(imap, smtp, Path(workdir), kind=kind))
    medians = {kind: statistics.median(values) for kind, values in timings.items()}
    return {
        "messages": size,
        "runs": runs,
        **{f"{kind}_msgs_per_s": round(size / seconds, 1) for kind, seconds in medians.items()},
        **{f"{kind}_to_floor": round(medians["floor"] / medians[kind], 3) for kind in ("intake", "ingest", "full")},
    }


def latency(count: int) -> dict[str, object]:
    mails = [mail for mail in backlog(count * 2, seed=99) if mail.kind == "request"][:count]
    samples = []
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
    quantiles = statistics.quantiles(samples, n=100)
    return {"mails": len(samples), "p50_s": round(quantiles[49], 3), "p95_s": round(quantiles[94], 3),
            "p99_s": round(quantiles[98], 3)}


def _memory_child(values: dict[str, object], queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    # A fresh interpreter, so that its maximum RSS covers only mailbot's pass
    # and not the generated backlog, which the parent holds.
    baseline = _peak_rss_mb()
    with tempfile.TemporaryDirectory() as workdir:
        settings = load_settings(NO_ENV_FILE, **values, database_url=f"sqlite:///{workdir}/bench.sqlite3",
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


def memory(size: int, attachment_mb: float) -> dict[str, object]:
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
        child = context.Process(target=_memory_child, args=(values, queue))
        child.start()
        result = queue.get()
        child.join()
    return {"messages": size, "large_attachments": 20, "attachment_mb": attachment_mb, **result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--latency", type=int, default=0, help="mails for the IDLE latency run, 0 to skip")
    parser.add_argument("--memory", type=int, default=0, help="backlog size for the memory run, 0 to skip")
    parser.add_argument("--attachment-mb", type=float, default=20.0,
                        help="size in MiB of the attachment in each of the memory run's 20 large messages")
    args = parser.parse_args()
    results: dict[str, object] = {"throughput": [throughput(size, args.runs) for size in args.sizes]}
    if args.latency:
        results["latency"] = latency(args.latency)
    if args.memory:
        results["memory"] = memory(args.memory, args.attachment_mb)
    print(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
