"""sharing-performance reports

`platform.tracks_check_in`: a platform that does not check users in says so, and its confirmed
past bookings then count as effective hours in the figures (booking.reports).

Revision ID: 0009_reports
Revises: 0008_mail_rendered_at_dispatch
Create Date: 2026-12-04 19:30:00

"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009_reports'
down_revision = '0008_mail_rendered_at_dispatch'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('platform', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tracks_check_in', sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade():
    with op.batch_alter_table('platform', schema=None) as batch_op:
        batch_op.drop_column('tracks_check_in')
