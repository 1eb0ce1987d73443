"""the pumping defence's country index holds accepted attempts only, so the neighbour count is
always planned onto the index of numbers

Revision ID: 0016_fraud_country_accepted
Revises: 0015_console_reports_replies
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_fraud_country_accepted"
down_revision: str | None = "0015_console_reports_replies"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACCEPTED = sa.text("msg_id IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_fraud_attempts_country", "fraud_attempts")
    op.create_index(
        "ix_fraud_attempts_country",
        "fraud_attempts",
        ["app_id", "country_code", "at"],
        postgresql_where=_ACCEPTED,
        sqlite_where=_ACCEPTED,
    )


def downgrade() -> None:
    op.drop_index("ix_fraud_attempts_country", "fraud_attempts")
    op.create_index("ix_fraud_attempts_country", "fraud_attempts", ["app_id", "country_code", "at"])
