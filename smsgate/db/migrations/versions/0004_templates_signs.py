"""templates and signs: sign update times and proof images

Revision ID: 0004_templates_signs
Revises: 0003_sandbox_audio
Create Date: 2026-11-26 16:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004_templates_signs'
down_revision: str | None = '0003_sandbox_audio'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('signs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_at', sa.BigInteger(), nullable=True))
    op.create_table('sign_images',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('sign_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.SmallInteger(), nullable=False),
    sa.Column('file_name', sa.String(length=100), nullable=False),
    sa.Column('media_type', sa.String(length=16), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['sign_id'], ['signs.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('sign_images', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_images_sign_id'), ['sign_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sign_images', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_images_sign_id'))
    op.drop_table('sign_images')
    with op.batch_alter_table('signs', schema=None) as batch_op:
        batch_op.drop_column('updated_at')
