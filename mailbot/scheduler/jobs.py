"""Register the daemon's periodic jobs on its APScheduler scheduler."""

from __future__ import annotations

from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy.orm import Session, sessionmaker

from mailbot.routing.context import Context


def register_jobs(scheduler: BaseScheduler, context: Context, session_factory: sessionmaker[Session]) -> None:
    """Add the deadline and reporting jobs; the outbox job is the daemon's own."""
