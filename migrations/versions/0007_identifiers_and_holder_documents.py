"""identifiers and holder documents: serials of up to 32 characters, holder kinds of every document

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 01:40:00

The national identifier rule allows serials of 1 to 32 characters (ours are 20), and the holder kinds
of foreigners' cards, residence permits and passports are longer than 16 characters. Widening a
VARCHAR keeps every row as it is.
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('certificates') as batch_op:
        batch_op.alter_column('serial', existing_type=sa.String(length=20), type_=sa.String(length=32),
                              existing_nullable=False)
        batch_op.alter_column('holder_kind', existing_type=sa.String(length=16), type_=sa.String(length=32),
                              existing_nullable=False)


def downgrade():
    with op.batch_alter_table('certificates') as batch_op:
        batch_op.alter_column('holder_kind', existing_type=sa.String(length=32), type_=sa.String(length=16),
                              existing_nullable=False)
        batch_op.alter_column('serial', existing_type=sa.String(length=32), type_=sa.String(length=20),
                              existing_nullable=False)
