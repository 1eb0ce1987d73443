"""reports, replies and callbacks: callback URLs, reply numbers, pull records, callback outbox

Revision ID: 0006_reports_callbacks
Revises: 0005_schedules
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_reports_callbacks"
down_revision: str | None = "0005_schedules"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _app() -> sa.ForeignKey:
    return sa.ForeignKey("apps.id", ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "app_callbacks",
        sa.Column("app_id", sa.Integer(), _app(), primary_key=True),
        sa.Column("url", sa.String(500), nullable=True),
        sa.Column("sealed_secret", sa.Text(), nullable=True),
        sa.Column("verified_at", sa.BigInteger(), nullable=True),
    )
    op.create_table(
        "reply_numbers",
        sa.Column("number", sa.String(32), primary_key=True),
        sa.Column("app_id", sa.Integer(), _app(), nullable=False),
    )
    op.create_index("ix_reply_numbers_app_id", "reply_numbers", ["app_id"])
    op.create_table(
        "pull_records",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("app_id", sa.Integer(), _app(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
        sa.Column("lease_token", sa.String(32), nullable=True),
        sa.Column("lease_until", sa.BigInteger(), nullable=True),
    )
    op.create_index("ix_pull_records_app_kind_id", "pull_records", ["app_id", "kind", "id"])
    op.create_index("ix_pull_records_received_at", "pull_records", ["received_at"])
    op.create_table(
        "pull_clocks",
        sa.Column("app_id", sa.Integer(), _app(), primary_key=True),
        sa.Column("kind", sa.String(8), primary_key=True),
        sa.Column("pulled_at", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "callback_outbox",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("app_id", sa.Integer(), _app(), nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.BigInteger(), nullable=False),
        sa.Column("lease_until", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("dead_at", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_callback_outbox_app_id", "callback_outbox", ["app_id"])
    op.create_index("ix_callback_outbox_dead_due", "callback_outbox", ["dead_at", "due_at"])
    op.create_index("ix_messages_mobile_created", "messages", ["mobile", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_messages_mobile_created", "messages")
    op.drop_table("callback_outbox")
    op.drop_table("pull_clocks")
    op.drop_table("pull_records")
    op.drop_table("reply_numbers")
    op.drop_table("app_callbacks")
