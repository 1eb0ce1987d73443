"""message story: message_events, the request id of a send, and the indexes of message search

Revision ID: 0013_message_events
Revises: 0012_fraud_pumping_caps
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_message_events"
down_revision: str | None = "0012_fraud_pumping_caps"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REFUSAL = sa.text("kind = 'refused'")
_REFUSAL_INDEXES = {
    "ix_message_events_refused_mobile": ["mobile", "at"],
    "ix_message_events_refused_app": ["app_id", "at"],
    "ix_message_events_refused_at": ["at"],
}


def upgrade() -> None:
    op.create_table(
        "message_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("msg_id", sa.String(36), nullable=True),
        sa.Column(
            "app_id",
            sa.Integer(),
            sa.ForeignKey("apps.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("mobile", sa.String(20), nullable=True),
        sa.Column("request_id", sa.String(64), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
    )
    op.create_index("ix_message_events_msg_id", "message_events", ["msg_id"])
    op.create_index("ix_message_events_at", "message_events", ["at"])
    for name, columns in _REFUSAL_INDEXES.items():
        op.create_index(
            name, "message_events", columns, sqlite_where=_REFUSAL, postgresql_where=_REFUSAL
        )
    with op.batch_alter_table("messages") as batch_op:
        batch_op.add_column(sa.Column("request_id", sa.String(64), nullable=True))
    op.create_index("ix_messages_status_created", "messages", ["status", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_messages_status_created", "messages")
    with op.batch_alter_table("messages") as batch_op:
        batch_op.drop_column("request_id")
    for name in _REFUSAL_INDEXES:
        op.drop_index(name, "message_events")
    op.drop_index("ix_message_events_at", "message_events")
    op.drop_index("ix_message_events_msg_id", "message_events")
    op.drop_table("message_events")
