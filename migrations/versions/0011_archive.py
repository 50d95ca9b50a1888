"""the archive: filing parameters per service item, documents kept for filing, filings (which record is in
which package), legal holds and the tombstones of disposed records

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 07:00:00

Existing service items file nothing until configured (no types, no documents); a certificate's signed form
and fields become nullable, because disposal at the end of retention removes them.
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('legal_holds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_kind', sa.String(length=16), nullable=True),
    sa.Column('record_identifier', sa.String(length=96), nullable=True),
    sa.Column('series', sa.String(length=200), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('placed_by', sa.String(length=64), nullable=False),
    sa.Column('placed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lifted_by', sa.String(length=64), nullable=True),
    sa.Column('lifted_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_legal_holds'))
    )
    with op.batch_alter_table('legal_holds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_legal_holds_record_identifier'), ['record_identifier'], unique=False)
        batch_op.create_index(batch_op.f('ix_legal_holds_series'), ['series'], unique=False)

    op.create_table('documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=36), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('media_type', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('service_item_id', sa.Integer(), nullable=False),
    sa.Column('stamp_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=500), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deposited_by', sa.String(length=64), nullable=False),
    sa.Column('deposited_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('disposed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_documents_department_id_departments')),
    sa.ForeignKeyConstraint(['service_item_id'], ['service_items.id'], name=op.f('fk_documents_service_item_id_service_items')),
    sa.ForeignKeyConstraint(['stamp_id'], ['stamps.id'], name=op.f('fk_documents_stamp_id_stamps')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents')),
    sa.UniqueConstraint('reference', name=op.f('uq_documents_reference')),
    sa.UniqueConstraint('stamp_id', name=op.f('uq_documents_stamp_id'))
    )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_documents_service_item_id'), ['service_item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_sha256'), ['sha256'], unique=False)

    op.create_table('filings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_kind', sa.String(length=16), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('identifier', sa.String(length=96), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('service_item_id', sa.Integer(), nullable=False),
    sa.Column('series', sa.String(length=200), nullable=False),
    sa.Column('ordinal', sa.Integer(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deadline_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('package', sa.String(length=400), nullable=False),
    sa.Column('package_sha256', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_filings_department_id_departments')),
    sa.ForeignKeyConstraint(['service_item_id'], ['service_items.id'], name=op.f('fk_filings_service_item_id_service_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_filings')),
    sa.UniqueConstraint('record_kind', 'record_id', name='uq_filings_record'),
    sa.UniqueConstraint('series', 'ordinal', name='uq_filings_series_ordinal')
    )
    with op.batch_alter_table('filings', schema=None) as batch_op:
        batch_op.create_index('ix_filings_department_due', ['department_id', 'due_at'], unique=False)

    op.create_table('tombstones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_kind', sa.String(length=16), nullable=False),
    sa.Column('identifier', sa.String(length=96), nullable=False),
    sa.Column('type_code', sa.String(length=21), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('service_item_id', sa.Integer(), nullable=True),
    sa.Column('dates', sa.JSON(), nullable=False),
    sa.Column('removed', sa.JSON(), nullable=False),
    sa.Column('disposed_by', sa.String(length=64), nullable=False),
    sa.Column('disposed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('authority', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_tombstones_department_id_departments')),
    sa.ForeignKeyConstraint(['service_item_id'], ['service_items.id'], name=op.f('fk_tombstones_service_item_id_service_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tombstones')),
    sa.UniqueConstraint('identifier', name=op.f('uq_tombstones_identifier'))
    )
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('disposed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('rendition_sha256', sa.String(length=64), nullable=True))
        batch_op.alter_column('fields',
               existing_type=sa.TEXT(),
               nullable=True)
        batch_op.alter_column('signed_form',
               existing_type=sa.TEXT(),
               nullable=True)

    with op.batch_alter_table('service_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('department_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('filing_types', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('filing_documents', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('retention_years', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('retention_event', sa.String(length=16), nullable=False, server_default='issue'))
        batch_op.add_column(sa.Column('filing_deadline_days', sa.Integer(), nullable=False, server_default='30'))
        batch_op.add_column(sa.Column('archive_category', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False, server_default=sa.func.current_timestamp())
        )
        batch_op.create_index(batch_op.f('ix_service_items_department_id'), ['department_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_service_items_parent_id_service_items'), 'service_items', ['parent_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_service_items_department_id_departments'), 'departments', ['department_id'], ['id'])
    # The defaults filled the rows already there; from now on the application sets every value.
    with op.batch_alter_table('service_items', schema=None) as batch_op:
        for column in ('filing_types', 'filing_documents', 'retention_event', 'filing_deadline_days', 'updated_at'):
            batch_op.alter_column(column, server_default=None)



def downgrade():
    with op.batch_alter_table('service_items', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_service_items_department_id_departments'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_service_items_parent_id_service_items'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_service_items_department_id'))
        batch_op.drop_column('updated_at')
        batch_op.drop_column('retired_at')
        batch_op.drop_column('archive_category')
        batch_op.drop_column('filing_deadline_days')
        batch_op.drop_column('retention_event')
        batch_op.drop_column('retention_years')
        batch_op.drop_column('filing_documents')
        batch_op.drop_column('filing_types')
        batch_op.drop_column('parent_id')
        batch_op.drop_column('department_id')

    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.alter_column('signed_form',
               existing_type=sa.TEXT(),
               nullable=False)
        batch_op.alter_column('fields',
               existing_type=sa.TEXT(),
               nullable=False)
        batch_op.drop_column('rendition_sha256')
        batch_op.drop_column('disposed_at')

    op.drop_table('tombstones')
    with op.batch_alter_table('filings', schema=None) as batch_op:
        batch_op.drop_index('ix_filings_department_due')

    op.drop_table('filings')
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_documents_sha256'))
        batch_op.drop_index(batch_op.f('ix_documents_service_item_id'))

    op.drop_table('documents')
    with op.batch_alter_table('legal_holds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_legal_holds_series'))
        batch_op.drop_index(batch_op.f('ix_legal_holds_record_identifier'))

    op.drop_table('legal_holds')
