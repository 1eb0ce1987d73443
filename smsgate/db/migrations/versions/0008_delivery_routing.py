"""delivery routing: provider message ids, early reports, provider health

Revision ID: 0008_delivery_routing
Revises: 0007_devs_policy
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_delivery_routing"
down_revision: str | None = "0007_devs_policy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "provider_message_ids",
        sa.Column("provider", sa.String(64), primary_key=True),
        sa.Column("provider_message_id", sa.String(128), primary_key=True),
        sa.Column("msg_id", sa.String(36), nullable=False),
        sa.Column("report_status", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_provider_message_ids_msg_id", "provider_message_ids", ["msg_id"])
    op.create_index("ix_provider_message_ids_created_at", "provider_message_ids", ["created_at"])
    op.create_table(
        "pending_reports",
        sa.Column("provider", sa.String(64), primary_key=True),
        sa.Column("provider_message_id", sa.String(128), primary_key=True),
        sa.Column("report_key", sa.String(128), nullable=False),
        sa.Column("report_status", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_pending_reports_received_at", "pending_reports", ["received_at"])
    op.create_table(
        "provider_health",
        sa.Column("provider", sa.String(64), primary_key=True),
        sa.Column("worker", sa.String(64), primary_key=True),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("submitted", sa.BigInteger(), nullable=False),
        sa.Column("accepted", sa.BigInteger(), nullable=False),
        sa.Column("rejected", sa.BigInteger(), nullable=False),
        sa.Column("failed", sa.BigInteger(), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("open_until", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("provider_health")
    op.drop_index("ix_pending_reports_received_at", "pending_reports")
    op.drop_table("pending_reports")
    op.drop_index("ix_provider_message_ids_created_at", "provider_message_ids")
    op.drop_index("ix_provider_message_ids_msg_id", "provider_message_ids")
    op.drop_table("provider_message_ids")
