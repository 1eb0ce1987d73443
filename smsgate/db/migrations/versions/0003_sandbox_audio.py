"""sandbox audio: where the sandbox stored the audio of a voice code

Revision ID: 0003_sandbox_audio
Revises: 0002
Create Date: 2026-11-26 16:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003_sandbox_audio'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('sandbox_inbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audio_path', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sandbox_inbox', schema=None) as batch_op:
        batch_op.drop_column('audio_path')
