"""idempotent sends and voice fallback: idempotency_keys, voice_fallbacks, template opt-in

Revision ID: 0011_idempotency_voice_fallback
Revises: 0010_provider_availability
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_idempotency_voice_fallback"
down_revision: str | None = "0010_provider_availability"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column(
            "app_id",
            sa.Integer(),
            sa.ForeignKey("apps.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status", sa.SmallInteger(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_idempotency_keys_expires_at", "idempotency_keys", ["expires_at"])
    op.create_table(
        "voice_fallbacks",
        sa.Column(
            "msg_id",
            sa.String(36),
            sa.ForeignKey("messages.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("app_id", sa.Integer(), nullable=False),
        sa.Column("mobile", sa.String(20), nullable=False),
        sa.Column("voice_lang", sa.SmallInteger(), nullable=False),
        sa.Column("sealed_code", sa.Text(), nullable=True),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("reason", sa.String(64), nullable=True),
        sa.Column("due_at", sa.BigInteger(), nullable=False),
        sa.Column("lease_until", sa.BigInteger(), nullable=True),
        sa.Column("call_id", sa.String(36), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("done_at", sa.BigInteger(), nullable=True),
    )
    op.create_index("ix_voice_fallbacks_state_due", "voice_fallbacks", ["state", "due_at"])
    with op.batch_alter_table("templates") as batch_op:
        batch_op.add_column(sa.Column("voice_fallback_after", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("voice_fallback_lang", sa.SmallInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("templates") as batch_op:
        batch_op.drop_column("voice_fallback_lang")
        batch_op.drop_column("voice_fallback_after")
    op.drop_index("ix_voice_fallbacks_state_due", "voice_fallbacks")
    op.drop_table("voice_fallbacks")
    op.drop_index("ix_idempotency_keys_expires_at", "idempotency_keys")
    op.drop_table("idempotency_keys")
