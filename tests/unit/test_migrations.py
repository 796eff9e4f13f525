"""The Alembic migrations create exactly the schema the models describe."""

from __future__ import annotations

import datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from mailbot.db.engine import create_db_engine
from mailbot.db.migrate import alembic_config, current_revision, head_revision, upgrade
from mailbot.db.models import Base

ARRIVAL = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC)
# Every byte value, and a 3 MB message that SQLite keeps in overflow pages.
RAW_MESSAGES = {
    1: b"Message-ID: <a@example.ru>\r\nSubject: test\r\n\r\nbody\r\n",
    2: bytes(range(256)) * 16,
    3: b"Message-ID: <c@example.ru>\r\n\r\n" + bytes(range(256)) * 12_000,
}


def test_migrations_match_models(database_url: str) -> None:
    engine = create_db_engine(database_url)
    upgrade(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == []


def test_upgrade_twice_is_harmless(database_url: str) -> None:
    engine = create_db_engine(database_url)
    upgrade(engine)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def _downgrade(engine: Engine, revision: str) -> None:
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def _insert_0006_messages(engine: Engine) -> None:
    """Insert RAW_MESSAGES into a 0006 schema, with a ticket whose thread refers to message 1."""
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO ticket (id, number, status, channel, requester_address, requester_name, subject,"
                " received_at, due_date, due_at, created_at, updated_at) VALUES (1, 'IT-2026-0001', 'open',"
                " 'email', 'user@example.ru', '', 'test', :at, :due, :at, :at, :at)"
            ),
            {"at": ARRIVAL, "due": ARRIVAL.date()},
        )
        for inbound_id, raw in RAW_MESSAGES.items():
            connection.execute(
                text(
                    "INSERT INTO inbound_message (id, mailbox, uidvalidity, uid, message_id, body_sha256, raw,"
                    " size, received_at, stored_at, state, outcome, ticket_id) VALUES (:id, 'INBOX', 7, :id,"
                    " NULL, :digest, :raw, :size, :at, :at, 'processed', 'request', 1)"
                ),
                {"id": inbound_id, "digest": f"{inbound_id:064x}", "raw": raw, "size": len(raw), "at": ARRIVAL},
            )
        connection.execute(
            text(
                "INSERT INTO thread_entry (ticket_id, direction, kind, author, text, inbound_id, created_at)"
                " VALUES (1, 'inbound', 'request', 'user@example.ru', 'body', 1, :at)"
            ),
            {"at": ARRIVAL},
        )


def test_upgrade_0007_moves_raw_bytes(database_url: str) -> None:
    engine = create_db_engine(database_url)
    upgrade(engine, "0006")
    _insert_0006_messages(engine)

    upgrade(engine, "0007")

    with engine.connect() as connection:
        moved = dict(connection.execute(text("SELECT inbound_id, raw FROM inbound_raw")).all())
        columns = {column["name"] for column in inspect(connection).get_columns("inbound_message")}
        states = connection.execute(text("SELECT id, state, ticket_id FROM inbound_message ORDER BY id")).all()
        entries = connection.execute(text("SELECT inbound_id FROM thread_entry")).scalars().all()
    engine.dispose()
    assert {inbound_id: bytes(raw) for inbound_id, raw in moved.items()} == RAW_MESSAGES
    assert "raw" not in columns
    assert [tuple(row) for row in states] == [(1, "processed", 1), (2, "processed", 1), (3, "processed", 1)]
    assert entries == [1]


def test_downgrade_0007_restores_raw_column(database_url: str) -> None:
    engine = create_db_engine(database_url)
    upgrade(engine, "0006")
    _insert_0006_messages(engine)
    upgrade(engine, "0007")

    _downgrade(engine, "0006")

    with engine.connect() as connection:
        restored = dict(connection.execute(text("SELECT id, raw FROM inbound_message")).all())
        tables = set(inspect(connection).get_table_names())
        raw_column = next(
            column for column in inspect(connection).get_columns("inbound_message") if column["name"] == "raw"
        )
    assert current_revision(engine) == "0006"
    engine.dispose()
    assert {inbound_id: bytes(raw) for inbound_id, raw in restored.items()} == RAW_MESSAGES
    assert "inbound_raw" not in tables
    assert raw_column["nullable"] is False


def test_sqlite_runs_in_wal_mode(tmp_path: object) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path}/wal.sqlite3")
    with engine.connect() as connection:
        mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
    engine.dispose()
    assert mode == "wal"
