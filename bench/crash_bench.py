"""Kill `mailbot run` many times through a backlog and report second copies of mail.

Runs the harness of tests/integration/test_crash_safety.py (pymap IMAP,
aiosmtpd sink, SQLite) with more kills, checks the same invariants and
prints the counts as JSON; with --write it also rewrites bench/RESULTS-crash.md.

    .venv/bin/python -m bench.crash_bench --messages 800 --kills 60 --seed 1 --write
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
from pathlib import Path

from mailbot.demo.servers import EmbeddedImapServer, SmtpSink
from tests.backlog import backlog
from tests.crash_harness import CrashOutcome, CrashRun, collect, run_with_kills

RESULTS = Path(__file__).with_name("RESULTS-crash.md")


def invariant_failures(outcome: CrashOutcome, mails_count: int) -> list[str]:
    failures = []
    if any(count != 1 for count in outcome.inbound_per_message_id.values()):
        failures.append("a message was stored twice")
    if dict(outcome.states) != {"processed": mails_count}:
        failures.append(f"states {dict(outcome.states)}")
    if any(count != 1 for count in outcome.tickets_per_message_id.values()):
        failures.append("a request has more than one ticket")
    if any(copies == 0 for copies in outcome.copies_per_outbox_mail.values()):
        failures.append("a queued mail never reached the sink")
    if outcome.outbox_states.get("pending", 0) or outcome.outbox_states.get("failed", 0):
        failures.append(f"outbox states {dict(outcome.outbox_states)}")
    return failures


def run(messages: int, kills: int, seed: int) -> dict[str, object]:
    mails = backlog(messages, seed=seed)
    with tempfile.TemporaryDirectory(prefix="mailbot-crash-") as workdir, EmbeddedImapServer() as imap, SmtpSink() as smtp:
        crash_run: CrashRun = run_with_kills(Path(workdir), imap, smtp, mails, min_kills=kills, seed=seed)
        outcome = collect(Path(workdir), smtp, mails)
    doubled = {key: count for key, count in outcome.copies_per_outbox_mail.items() if count > 1}
    return {
        "messages": messages,
        "seed": seed,
        "kills": crash_run.kills,
        "kills_with_work_outstanding": crash_run.kills_with_work_outstanding,
        "seconds": round(crash_run.seconds, 1),
        "tickets": len(outcome.ticket_numbers),
        "outbox_mails": len(outcome.copies_per_outbox_mail),
        "mails_with_second_copy": len(doubled),
        "second_copies": outcome.second_copies,
        "invariant_failures": invariant_failures(outcome, messages),
    }


def write_results(result: dict[str, object]) -> None:
    RESULTS.write_text(
        "# Crash safety: SIGKILL during a backlog\n\n"
        "Method: `bench/crash_bench.py` appends a backlog of varied Russian requests "
        "(tests/backlog.py) to pymap's in-memory IMAP server in chunks, starts `mailbot run` "
        "as a subprocess (SQLite, poll 2 s, outbox job every 1 s), kills it with SIGKILL at "
        "a random moment 0-1.5 s after it logs its start, and restarts it until every "
        "message is handled; a last run drains the outbox and stops on SIGTERM. "
        "It then checks that every message was stored once, processed (none left or "
        "quarantined), gave at most one ticket, and that every queued mail reached the "
        "aiosmtpd sink.\n\n"
        f"Machine: {os.cpu_count()} cores, {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.system()}. `seconds` includes every start "
        "(about 1.5 s of imports and classifier loading each) and depends on the machine's load.\n\n"
        "| measure | value |\n|---|---|\n"
        + "".join(f"| {key} | {value} |\n" for key, value in result.items())
        + "\nA second copy is the same Message-ID accepted twice by the sink. It can only "
        "come from a kill after the SMTP server accepted a mail and before the commit that "
        "marks it sent; the restarted daemon sends it again with the same Message-ID.\n",
        encoding="utf-8",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=800)
    parser.add_argument("--kills", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--write", action="store_true", help="rewrite bench/RESULTS-crash.md")
    args = parser.parse_args()
    result = run(args.messages, args.kills, args.seed)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.write:
        write_results(result)


if __name__ == "__main__":
    main()
