"""mail rendered at dispatch

`outgoing_mail` gains what the dispatcher needs to render a queued message when it sends it:
the template, the recipient's language and the template's parameters (frozen when the event
happened). `raw` stays: it holds the rendered message from the first attempt on.

Revision ID: 0008_mail_rendered_at_dispatch
Revises: 0007_search_log
Create Date: 2026-12-04 19:20:00

"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008_mail_rendered_at_dispatch'
down_revision = '0007_search_log'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.add_column(sa.Column('template', sa.String(length=64), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=False, server_default='zh'))
        batch_op.add_column(sa.Column('params', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.drop_column('params')
        batch_op.drop_column('language')
        batch_op.drop_column('template')
