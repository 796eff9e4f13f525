"""Run `mailbot run` as a child process against loopback servers, for kill and stop tests."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from mailbot.demo.servers import ImapServer, SmtpSink
from tests.app_fixtures import IT_ADDRESS, STAFF_ADDRESS

REPOSITORY = Path(__file__).resolve().parent.parent
STARTED_LINE = "daemon started"


def write_service_env(
    workdir: Path, imap: ImapServer, smtp: SmtpSink, **overrides: str
) -> Path:
    """Write a service.env that points the daemon at `imap`, `smtp` and a SQLite file in `workdir`."""
    values = imap.env() | smtp.env() | {
        "MAILBOT_ADDRESS": IT_ADDRESS,
        "MAILBOT_ALLOWED_DOMAINS": "committee.example",
        "MAILBOT_STAFF": STAFF_ADDRESS,
        "MAILBOT_STORAGE_DIR": str(workdir / "storage"),
        "MAILBOT_DATABASE_URL": f"sqlite:///{database_path(workdir)}",
        "MAILBOT_POLL_SECONDS": "2",
        "MAILBOT_OUTBOX_SECONDS": "1",
        "MAILBOT_SMTP_TIMEOUT_SECONDS": "5",
        "MAILBOT_IMAP_TIMEOUT_SECONDS": "10",
        "MAILBOT_LOG_LEVEL": "INFO",
    }
    values.update(overrides)
    path = workdir / "service.env"
    path.write_text("".join(f"{name}={value}\n" for name, value in values.items()), encoding="utf-8")
    return path


def database_path(workdir: Path) -> Path:
    return workdir / "mailbot.sqlite3"


class DaemonProcess:
    """One `mailbot run` child process whose log goes to a file."""

    def __init__(self, env_file: Path, log_path: Path, *, once: bool = False) -> None:
        self.log_path = log_path
        command = [sys.executable, "-m", "mailbot", "--env-file", str(env_file), "run"]
        if once:
            command.append("--once")
        environment = {key: value for key, value in os.environ.items() if not key.startswith("MAILBOT_")}
        environment["PYTHONPATH"] = str(REPOSITORY)
        with log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=env_file.parent, stdout=log, stderr=subprocess.STDOUT, env=environment
            )

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_started(self, timeout: float = 30.0) -> None:
        """Wait for the daemon's start line; raise RuntimeError with the log when it exits or times out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if STARTED_LINE in self.log_text():
                return
            if self.process.poll() is not None:
                raise RuntimeError("mailbot exited with %s before starting:\n%s" % (self.process.returncode, self.log_text()))
            time.sleep(0.05)
        raise RuntimeError("mailbot did not start within %s s:\n%s" % (timeout, self.log_text()))

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def terminate(self, timeout: float) -> int:
        """Send SIGTERM and return the exit code; raise TimeoutExpired after `timeout` seconds."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def close(self) -> None:
        if self.process.poll() is None:
            self.kill()


def state_counts(workdir: Path) -> dict[str, int]:
    """Count inbound messages per state and outbox rows still pending, read-only."""
    path = database_path(workdir)
    if not path.exists():
        return {}
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        counts = dict(connection.execute("SELECT state, count(*) FROM inbound_message GROUP BY state").fetchall())
        pending = connection.execute("SELECT count(*) FROM outbox WHERE state = 'pending'").fetchone()[0]
    except sqlite3.OperationalError:
        # The first start has not created the schema yet.
        return {}
    finally:
        connection.close()
    counts["outbox_pending"] = pending
    return counts
