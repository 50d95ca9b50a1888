"""staff sign-out ends every copy of the session: an epoch per account, bumped by signing out

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 09:05:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('staff_accounts') as batch_op:
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('staff_accounts') as batch_op:
        batch_op.alter_column('session_epoch', server_default=None)


def downgrade():
    with op.batch_alter_table('staff_accounts') as batch_op:
        batch_op.drop_column('session_epoch')
