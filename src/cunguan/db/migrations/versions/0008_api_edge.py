"""The platform API edge: credentials, nonces, the callback outbox, hosted page sessions (issue 4).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 08:22:13.063658
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_bank_keys',
    sa.Column('algorithm', sa.String(length=16), nullable=False),
    sa.Column('private_key', sa.String(length=128), nullable=False),
    sa.Column('public_key', sa.String(length=130), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('algorithm')
    )
    op.create_table('api_credentials',
    sa.Column('key_id', sa.String(length=64), nullable=False),
    sa.Column('tenant_id', sa.String(length=32), nullable=True),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('secret', sa.String(length=128), nullable=False),
    sa.Column('sm2_public_key', sa.String(length=130), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key_id')
    )
    op.create_table('api_nonces',
    sa.Column('key_id', sa.String(length=64), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key_id', 'nonce')
    )
    with op.batch_alter_table('api_nonces', schema=None) as batch_op:
        batch_op.create_index('ix_api_nonces_seen_at', ['seen_at'], unique=False)

    op.create_table('outbox_events',
    sa.Column('event_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=True),
    sa.Column('operation', sa.String(length=32), nullable=False),
    sa.Column('request_no', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivery', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.String(length=256), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('event_id'),
    sa.UniqueConstraint('seq')
    )
    with op.batch_alter_table('outbox_events', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_events_delivery', ['delivery', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_outbox_events_tenant_seq', ['tenant_id', 'seq'], unique=False)

    op.create_table('outbox_sequencer',
    sa.Column('name', sa.String(length=16), nullable=False),
    sa.Column('last_seq', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('page_sessions',
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('request_no', sa.String(length=64), nullable=False),
    sa.Column('params', sa.Text(), nullable=False),
    sa.Column('return_url', sa.String(length=512), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('result', sa.Text(), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('token')
    )
    with op.batch_alter_table('custody_platforms', schema=None) as batch_op:
        batch_op.add_column(sa.Column('callback_url', sa.String(length=512), nullable=True))
        batch_op.add_column(sa.Column('return_url_prefix', sa.String(length=512), nullable=True))

    with op.batch_alter_table('custody_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content', sa.Text(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('custody_requests', schema=None) as batch_op:
        batch_op.drop_column('content')

    with op.batch_alter_table('custody_platforms', schema=None) as batch_op:
        batch_op.drop_column('return_url_prefix')
        batch_op.drop_column('callback_url')

    op.drop_table('page_sessions')
    op.drop_table('outbox_sequencer')
    with op.batch_alter_table('outbox_events', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_events_tenant_seq')
        batch_op.drop_index('ix_outbox_events_delivery')

    op.drop_table('outbox_events')
    with op.batch_alter_table('api_nonces', schema=None) as batch_op:
        batch_op.drop_index('ix_api_nonces_seen_at')

    op.drop_table('api_nonces')
    op.drop_table('api_credentials')
    op.drop_table('api_bank_keys')
