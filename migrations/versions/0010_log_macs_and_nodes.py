"""the access log's evidence: a MAC per entry, the tree's perfect subtrees for O(log n) proofs, an
RFC 3161 token per checkpoint and per detached stamp, witnesses' cosignatures, and the registry keys'
statements (the key chain)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 05:00:00

Entries written from now on carry an HMAC under a key derived from the keystore secret; the entries
already there keep none (the audit accepts that only for entries of leaf format 1, which all precede
the newer ones). `log_nodes` is filled here from the stored leaf hashes, in batches, so that proofs
stop reading every leaf; `flask audit verify` checks the leaves themselves as before.
"""
import hashlib

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

BATCH = 5000


def _node(left, right):
    return hashlib.sha256(b'\x01' + left + right).digest()


def upgrade():
    with op.batch_alter_table('log_entries') as batch_op:
        batch_op.add_column(sa.Column('mac', sa.String(length=64), nullable=True))
    with op.batch_alter_table('log_checkpoints') as batch_op:
        batch_op.add_column(sa.Column('timestamp_token', sa.Text(), nullable=True))
    with op.batch_alter_table('stamps') as batch_op:
        batch_op.add_column(sa.Column('timestamp_token', sa.Text(), nullable=True))
    with op.batch_alter_table('seals') as batch_op:
        batch_op.add_column(sa.Column('statement', sa.Text(), nullable=True))  # `flask setup` fills it in
    op.create_table(
        'log_nodes',
        sa.Column('level', sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column('idx', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('level', 'idx', name=op.f('pk_log_nodes')),
    )
    op.create_table(
        'log_cosignatures',
        sa.Column('size', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('witness', sa.String(length=200), nullable=False),
        sa.Column('line', sa.Text(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['size'], ['log_checkpoints.size'], name=op.f('fk_log_cosignatures_size_log_checkpoints')),
        sa.PrimaryKeyConstraint('size', 'witness', name=op.f('pk_log_cosignatures')),
    )
    nodes_table = sa.table('log_nodes', sa.column('level'), sa.column('idx'), sa.column('hash'))
    bind = op.get_bind()
    stack, size, pending = [], 0, []  # the frontier, as verifiers.merkle.Frontier keeps it
    for (leaf_hex,) in bind.execute(sa.text('SELECT leaf_hash FROM log_entries ORDER BY idx')):
        node, k, level = bytes.fromhex(leaf_hex), size, 0
        while k & 1:
            node = _node(stack.pop(), node)
            k >>= 1
            level += 1
            pending.append({'level': level, 'idx': size >> level, 'hash': node.hex()})
        stack.append(node)
        size += 1
        if len(pending) >= BATCH:
            op.bulk_insert(nodes_table, pending)
            pending = []
    if pending:
        op.bulk_insert(nodes_table, pending)


def downgrade():
    op.drop_table('log_cosignatures')
    op.drop_table('log_nodes')
    with op.batch_alter_table('log_checkpoints') as batch_op:
        batch_op.drop_column('timestamp_token')
    with op.batch_alter_table('stamps') as batch_op:
        batch_op.drop_column('timestamp_token')
    with op.batch_alter_table('seals') as batch_op:
        batch_op.drop_column('statement')
    with op.batch_alter_table('log_entries') as batch_op:
        batch_op.drop_column('mac')
