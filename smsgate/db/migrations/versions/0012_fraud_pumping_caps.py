"""pumping defence and spend caps: per-app fraud policy, range attempts, conversion counts,
decision records, spend windows

Revision ID: 0012_fraud_pumping_caps
Revises: 0011_idempotency_voice_fallback
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_fraud_pumping_caps"
down_revision: str | None = "0011_idempotency_voice_fallback"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _app_id(primary_key: bool = False) -> sa.Column[int]:
    return sa.Column(
        "app_id",
        sa.Integer(),
        sa.ForeignKey("apps.id", ondelete="CASCADE"),
        primary_key=primary_key,
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "fraud_policies",
        _app_id(primary_key=True),
        sa.Column("mode", sa.String(8), nullable=True),
        sa.Column("allowed_countries", sa.Text(), nullable=True),
        sa.Column("blocked_prefixes", sa.Text(), nullable=True),
        sa.Column("allowed_prefixes", sa.Text(), nullable=True),
        sa.Column("hourly_cap", sa.BigInteger(), nullable=True),
        sa.Column("daily_cap", sa.BigInteger(), nullable=True),
        sa.Column("country_caps", sa.Text(), nullable=True),
    )
    op.create_table(
        "fraud_attempts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("app_id", sa.Integer(), nullable=False),
        sa.Column("country_code", sa.Integer(), nullable=False),
        sa.Column("national", sa.BigInteger(), nullable=False),
        sa.Column("number_range", sa.String(24), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("msg_id", sa.String(36), nullable=True),
    )
    op.create_index("ix_fraud_attempts_range", "fraud_attempts", ["app_id", "number_range", "at"])
    op.create_index(
        "ix_fraud_attempts_number", "fraud_attempts", ["app_id", "country_code", "national", "at"]
    )
    op.create_index("ix_fraud_attempts_country", "fraud_attempts", ["app_id", "country_code", "at"])
    op.create_index("ix_fraud_attempts_at", "fraud_attempts", ["at"])
    op.create_index("ix_fraud_attempts_msg_id", "fraud_attempts", ["msg_id"])
    op.create_table(
        "fraud_counts",
        sa.Column("app_id", sa.Integer(), primary_key=True),
        sa.Column("scope", sa.String(32), primary_key=True),
        sa.Column("bucket", sa.BigInteger(), primary_key=True),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("verified", sa.Integer(), nullable=False),
    )
    op.create_table(
        "fraud_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.BigInteger(), nullable=False),
        _app_id(),
        sa.Column("rule", sa.String(32), nullable=False),
        sa.Column("number_range", sa.String(24), nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("decision", sa.String(8), nullable=False),
        sa.Column("msg_id", sa.String(36), nullable=True),
    )
    op.create_index("ix_fraud_events_app_at", "fraud_events", ["app_id", "at"])
    op.create_index("ix_fraud_events_msg_id", "fraud_events", ["msg_id"])
    op.create_table(
        "spend_windows",
        _app_id(primary_key=True),
        sa.Column("scope", sa.String(8), primary_key=True),
        sa.Column("period", sa.String(8), primary_key=True),
        sa.Column("start", sa.BigInteger(), primary_key=True),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.Column("alerted", sa.Boolean(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("spend_windows")
    op.drop_index("ix_fraud_events_msg_id", "fraud_events")
    op.drop_index("ix_fraud_events_app_at", "fraud_events")
    op.drop_table("fraud_events")
    op.drop_table("fraud_counts")
    for name in ("msg_id", "at", "country", "number", "range"):
        op.drop_index(f"ix_fraud_attempts_{name}", "fraud_attempts")
    op.drop_table("fraud_attempts")
    op.drop_table("fraud_policies")
