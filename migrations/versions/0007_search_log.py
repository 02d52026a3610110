"""search log

`search_log`: one row per search (web page or API) with its words, filters, total, page, language,
the searcher's account id when logged in (nothing else personal), and the first result clicked —
for the staff's and administrators' "demand that was not met" pages.

Revision ID: 0007_search_log
Revises: 0006_organisations
Create Date: 2026-12-10 10:00:00

"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import booking.models.types

revision = '0007_search_log'
down_revision = '0006_organisations'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('search_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', booking.models.types.UTCDateTime(), nullable=False),
    sa.Column('week', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('query', sa.String(length=200), nullable=False),
    sa.Column('query_key', sa.String(length=200), nullable=False),
    sa.Column('filters', sa.String(length=1000), nullable=False),
    sa.Column('platforms', sa.String(length=500), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('page', sa.Integer(), nullable=False),
    sa.Column('lang', sa.String(length=5), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('clicked_resource_id', sa.Integer(), nullable=True),
    sa.Column('clicked_at', booking.models.types.UTCDateTime(), nullable=True),
    sa.Column('clicks', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.ForeignKeyConstraint(['clicked_resource_id'], ['resource.id'], name=op.f('fk_search_log_clicked_resource_id_resource'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_search_log_user_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_log'))
    )
    with op.batch_alter_table('search_log', schema=None) as batch_op:
        batch_op.create_index('ix_search_log_week_query', ['week', 'query_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_search_log_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('search_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_search_log_user_id'))
        batch_op.drop_index('ix_search_log_week_query')
    op.drop_table('search_log')
