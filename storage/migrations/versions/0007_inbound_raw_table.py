"""Move each inbound message's raw bytes to a table of their own, inbound_raw.

SQLite rewrites a whole record on every UPDATE, so while the raw message
was a column of inbound_message, each state change of a 27 MB message
copied the 27 MB too. The bytes are copied over with INSERT ... SELECT
and the old column is dropped.

On SQLite the column is dropped with ALTER TABLE ... DROP COLUMN (SQLite
3.35 or later), not by recreating the table: thread_entry refers to
inbound_message, and with PRAGMA foreign_keys=ON, which mailbot sets,
dropping the old table of a recreation fails while rows refer to it.
The database file does not shrink: the pages the old column used go to
SQLite's free list and take new mail, until a VACUUM returns them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbound_raw",
        sa.Column("inbound_id", sa.Integer(), sa.ForeignKey("inbound_message.id"), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("inbound_id"),
    )
    op.execute("INSERT INTO inbound_raw (inbound_id, raw) SELECT id, raw FROM inbound_message")
    with op.batch_alter_table("inbound_message", recreate="never") as batch_op:
        batch_op.drop_column("raw")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a NOT NULL column only with a default, and removing
        # the default later would recreate the table (see above), so the
        # restored column keeps DEFAULT x''.
        op.add_column(
            "inbound_message",
            sa.Column("raw", sa.LargeBinary(), nullable=False, server_default=sa.text("x''")),
        )
        _copy_back()
    else:
        op.add_column("inbound_message", sa.Column("raw", sa.LargeBinary(), nullable=True))
        _copy_back()
        op.alter_column("inbound_message", "raw", nullable=False)
    op.drop_table("inbound_raw")


def _copy_back() -> None:
    op.execute(
        "UPDATE inbound_message SET raw = "
        "(SELECT inbound_raw.raw FROM inbound_raw WHERE inbound_raw.inbound_id = inbound_message.id)"
    )
