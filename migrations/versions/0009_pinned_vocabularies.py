"""pinned vocabularies: access-log actions named object:verb, leaves keep their bytes

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 04:30:00

Every existing entry gets `leaf_format` 1 and its action's new name. An entry of format 1 hashes its
action's legacy name, looked up in `verifiers.logentry.LEGACY_ACTION_NAMES`, so its leaf, every inclusion
proof and every signed checkpoint stay valid; entries appended from now on have format 2. The table of
names is copied here as it was, since a migration must not change when the code does.
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

RENAMED = {
    'issue': 'certificate:issue',
    'issue_replayed': 'certificate:issue_replay',
    'list': 'certificate:list',
    'read': 'certificate:read',
    'qr': 'certificate:qr',
    'suspend': 'certificate:suspend',
    'reinstate': 'certificate:reinstate',
    'revoke': 'certificate:revoke',
    'amend': 'certificate:amend',
    'reidentify': 'certificate:reidentify',
    'superseded': 'certificate:supersede',
    'verify': 'certificate:verify',
    'share': 'certificate:share',
    'verify_copy': 'copy:verify',
    'consent.grant': 'consent:grant',
    'consent.withdraw': 'consent:withdraw',
    'consent.list': 'consent:list',
    'service_item.create': 'service_item:create',
    'sharing_policy.create': 'sharing_policy:create',
    'sharing_policy.update': 'sharing_policy:update',
    'stats': 'sharing_stats:read',
    'stamp': 'stamp:create',
    'stamp.revoke': 'stamp:revoke',
    'stamp.verify': 'stamp:verify',
    'key.create': 'key:create',
    'key.retire': 'key:retire',
    'key.compromise': 'key:compromise',
    'key.picture': 'key:picture',
    'key.certify': 'key:certify',
    'department.create': 'department:create',
    'type.create': 'type:create',
    'client.create': 'client:create',
    'client.list': 'client:list',
    'log.entries': 'log:read',
    'me.access_log': 'log:read_own',
}

entries = sa.table('log_entries', sa.column('action', sa.String), sa.column('leaf_format', sa.SmallInteger))


def upgrade():
    with op.batch_alter_table('log_entries') as batch_op:
        batch_op.add_column(sa.Column('leaf_format', sa.SmallInteger(), nullable=False, server_default='1'))
    for old, new in RENAMED.items():
        op.execute(entries.update().where(entries.c.action == old).values(action=new))
    # New rows say their format themselves; the default was only for the rows already there.
    with op.batch_alter_table('log_entries') as batch_op:
        batch_op.alter_column('leaf_format', existing_type=sa.SmallInteger(), server_default=None)


def downgrade():
    # Only entries of format 1 can go back: a format-2 leaf hashes the new name and its "v".
    bind = op.get_bind()
    newer = bind.execute(sa.select(sa.func.count()).select_from(entries).where(entries.c.leaf_format != 1)).scalar()
    if newer:
        raise RuntimeError(f'{newer} access-log entries have leaf format 2 and cannot be renamed back')
    for old, new in RENAMED.items():
        op.execute(entries.update().where(entries.c.action == new).values(action=old))
    with op.batch_alter_table('log_entries') as batch_op:
        batch_op.drop_column('leaf_format')
