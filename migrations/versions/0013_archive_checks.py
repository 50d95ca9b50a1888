"""archive checks: the four-property reports of exported packages, kept for the archivist's desk

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'archive_checks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('folder', sa.String(length=1000), nullable=False),
        sa.Column('packages', sa.Integer(), nullable=False),
        sa.Column('passed', sa.Boolean(), nullable=False),
        sa.Column('report', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_archive_checks')),
    )


def downgrade():
    op.drop_table('archive_checks')
