"""personal data at rest: certificates.fields becomes text, to hold the encrypted JSON

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 02:00:00

The values keep their JSON text; they are encrypted by `flask setup` (or `flask data-key rotate`),
which re-seals every certificate not yet sealed with the newest data key. Until then they read as
they are.
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('certificates') as batch_op:
        batch_op.alter_column('fields', existing_type=sa.JSON(), type_=sa.Text(), existing_nullable=False,
                              postgresql_using='fields::text')


def downgrade():
    # Sealed values are not JSON: run with every row unsealed (data-key rotate before, to a plain copy) first.
    with op.batch_alter_table('certificates') as batch_op:
        batch_op.alter_column('fields', existing_type=sa.Text(), type_=sa.JSON(), existing_nullable=False,
                              postgresql_using='fields::json')
