"""The Alembic migrations create exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from mailbot.db.engine import create_db_engine
from mailbot.db.migrate import current_revision, head_revision, upgrade
from mailbot.db.models import Base


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


def test_sqlite_runs_in_wal_mode(tmp_path: object) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path}/wal.sqlite3")
    with engine.connect() as connection:
        mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
    engine.dispose()
    assert mode == "wal"
