"""scheduled SMS

Revision ID: 0005_schedules
Revises: 0004_templates_signs
Create Date: 2026-11-26 16:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_schedules"
down_revision: str | None = "0004_templates_signs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "schedules",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("app_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("temp_id", sa.Integer(), nullable=False),
        sa.Column("sign_id", sa.Integer(), nullable=True),
        sa.Column("tag", sa.String(length=10), nullable=True),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.Column("send_at", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("lease_until", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("sent_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_schedules_app_id", "schedules", ["app_id"])
    op.create_index("ix_schedules_status_send_at", "schedules", ["status", "send_at"])


def downgrade() -> None:
    op.drop_index("ix_schedules_status_send_at", table_name="schedules")
    op.drop_index("ix_schedules_app_id", table_name="schedules")
    op.drop_table("schedules")
