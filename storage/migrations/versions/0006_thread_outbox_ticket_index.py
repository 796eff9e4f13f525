"""Index thread entries and outbox rows by their ticket.

Every ticket view, reply, answer and reminder reads a ticket's thread by
ticket id; without an index each read scanned the whole table, so routing
slowed down as the thread table grew.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_thread_entry_ticket", "thread_entry", ["ticket_id", "id"])
    op.create_index("ix_outbox_ticket", "outbox", ["ticket_id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_ticket", table_name="outbox")
    op.drop_index("ix_thread_entry_ticket", table_name="thread_entry")
