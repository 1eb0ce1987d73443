"""developer accounts and the content policy on sends

Revision ID: 0007_devs_policy
Revises: 0006_reports_callbacks
Create Date: 2026-11-26 16:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_devs_policy"
down_revision: str | None = "0006_reports_callbacks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "devs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dev_key", sa.String(length=24), nullable=False),
        sa.Column("secret_hash", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=True),
        sa.Column("voice", sa.BigInteger(), nullable=True),
        sa.Column("industry", sa.BigInteger(), nullable=True),
        sa.Column("market", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dev_key"),
    )
    op.create_table(
        "unsubscribes",
        sa.Column("app_id", sa.Integer(), nullable=False),
        sa.Column("mobile", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("app_id", "mobile"),
    )
    with op.batch_alter_table("apps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dev_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("blocked", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("allowed_ips", sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f("ix_apps_dev_id"), ["dev_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_apps_dev_id_devs", "devs", ["dev_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("apps", schema=None) as batch_op:
        batch_op.drop_constraint("fk_apps_dev_id_devs", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_apps_dev_id"))
        batch_op.drop_column("allowed_ips")
        batch_op.drop_column("blocked")
        batch_op.drop_column("dev_id")
    op.drop_table("unsubscribes")
    op.drop_table("devs")
