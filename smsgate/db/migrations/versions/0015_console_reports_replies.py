"""the console's reports and replies: replies kept with their reply number; final statuses
by report time; the day's codes and hourly bars counted from indexes alone

Revision ID: 0015_console_reports_replies
Revises: 0014_console
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_console_reports_replies"
down_revision: str | None = "0014_console"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REPLY_INDEXES = {
    "ix_replies_app_received": ["app_id", "received_at"],
    "ix_replies_mobile_received": ["mobile", "received_at"],
    "ix_replies_received_at": ["received_at"],
}
_MESSAGE_INDEXES = {
    "ix_messages_reported": ["reported_at"],
    "ix_messages_app_reported": ["app_id", "reported_at"],
    "ix_messages_created_kind": ["created_at", "kind", "app_id", "template_id", "id"],
}


def upgrade() -> None:
    op.create_table(
        "replies",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "app_id", sa.Integer(), sa.ForeignKey("apps.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("mobile", sa.String(20), nullable=False),
        sa.Column("reply_number", sa.String(32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
    )
    for name, columns in _REPLY_INDEXES.items():
        op.create_index(name, "replies", columns)
    for name, columns in _MESSAGE_INDEXES.items():
        op.create_index(name, "messages", columns)
    op.drop_index("ix_messages_created", "messages")
    op.drop_index("ix_messages_status_created", "messages")
    op.create_index("ix_messages_status_created", "messages", ["status", "created_at", "channel"])


def downgrade() -> None:
    op.drop_index("ix_messages_status_created", "messages")
    op.create_index("ix_messages_status_created", "messages", ["status", "created_at"])
    op.create_index("ix_messages_created", "messages", ["created_at"])
    for name in _MESSAGE_INDEXES:
        op.drop_index(name, "messages")
    for name in _REPLY_INDEXES:
        op.drop_index(name, "replies")
    op.drop_table("replies")
