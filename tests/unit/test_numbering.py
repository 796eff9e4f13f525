"""Ticket numbers: format, yearly restart, uniqueness under concurrent writers."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from mailbot.db.engine import create_db_engine, create_session_factory
from mailbot.db.migrate import upgrade
from mailbot.tickets.numbering import format_ticket_number, next_ticket_number

WRITERS = 6
NUMBERS_PER_WRITER = 15


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return create_session_factory(engine)


def test_format() -> None:
    assert format_ticket_number("IT", 2026, 42) == "IT-2026-00042"
    assert format_ticket_number("HELP", 2027, 123456) == "HELP-2027-123456"


def test_sequence_restarts_each_year(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as session:
        first = next_ticket_number(session, "IT", 2026)
        second = next_ticket_number(session, "IT", 2026)
        next_year = next_ticket_number(session, "IT", 2027)
        other_prefix = next_ticket_number(session, "HR", 2026)
    assert (first, second) == ("IT-2026-00001", "IT-2026-00002")
    assert next_year == "IT-2027-00001"
    assert other_prefix == "HR-2026-00001"


def test_rolled_back_number_is_given_again(session_factory: sessionmaker[Session]) -> None:
    session = session_factory()
    assert next_ticket_number(session, "IT", 2026) == "IT-2026-00001"
    session.rollback()
    session.close()
    with session_factory.begin() as session:
        assert next_ticket_number(session, "IT", 2026) == "IT-2026-00001"


def test_concurrent_writers_get_unique_numbers(session_factory: sessionmaker[Session]) -> None:
    numbers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(WRITERS)

    def writer() -> None:
        try:
            start.wait()
            for _ in range(NUMBERS_PER_WRITER):
                with session_factory.begin() as session:
                    number = next_ticket_number(session, "IT", 2026)
                with lock:
                    numbers.append(number)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=writer) for _ in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    total = WRITERS * NUMBERS_PER_WRITER
    assert len(set(numbers)) == total
    assert sorted(numbers) == [format_ticket_number("IT", 2026, n) for n in range(1, total + 1)]
