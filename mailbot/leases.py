"""Named leases in the database, so that only one daemon instance does a job at a time.

A lease is one row of the `lease` table: a name (for example the IMAP
folder's key), the instance that holds it and when it ends. Taking or
renewing it is one atomic UPDATE (or an INSERT that the primary key
serialises), so it works the same on SQLite and PostgreSQL. A holder that
dies without releasing its lease blocks the others only until it expires.
"""

from __future__ import annotations

import datetime
import logging
import os
import socket
import uuid

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from mailbot.db.models import Lease, utcnow

logger = logging.getLogger(__name__)


def instance_id() -> str:
    """Name this process uniquely among the instances sharing a database."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def acquire(
    session_factory: sessionmaker[Session], name: str, owner: str, ttl: datetime.timedelta
) -> bool:
    """Take or renew lease `name` for `ttl`; return False when another live owner holds it."""
    now = utcnow()
    try:
        with session_factory.begin() as session:
            renewed = session.execute(
                update(Lease)
                .where(Lease.name == name, or_(Lease.owner == owner, Lease.expires_at < now))
                .values(owner=owner, expires_at=now + ttl)
                .execution_options(synchronize_session=False)
            )
            if renewed.rowcount:  # type: ignore[attr-defined]
                return True
            if session.scalar(select(Lease.name).where(Lease.name == name)) is not None:
                return False
            session.add(Lease(name=name, owner=owner, expires_at=now + ttl))
    except IntegrityError:
        # Another instance inserted the same name after our SELECT (PostgreSQL;
        # SQLite's BEGIN IMMEDIATE serialises the two transactions instead).
        return False
    logger.info("lease taken", extra={"lease": name, "owner": owner})
    return True


def release(session_factory: sessionmaker[Session], name: str, owner: str) -> None:
    """Give lease `name` up at once when `owner` holds it; do nothing otherwise."""
    with session_factory.begin() as session:
        session.execute(delete(Lease).where(Lease.name == name, Lease.owner == owner))


def holder(session_factory: sessionmaker[Session], name: str) -> str | None:
    """Return the owner of lease `name` while it is unexpired, else None."""
    with session_factory() as session:
        lease = session.get(Lease, name)
    if lease is None or lease.expires_at < utcnow():
        return None
    return lease.owner
