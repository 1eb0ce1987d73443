"""provider availability: since when a provider is in its state (down, open, ...)

Revision ID: 0009_provider_availability
Revises: 0008_delivery_routing
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_provider_availability"
down_revision: str | None = "0008_delivery_routing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("provider_health") as batch_op:
        batch_op.add_column(sa.Column("since", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("provider_health") as batch_op:
        batch_op.drop_column("since")
