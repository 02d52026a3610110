"""platform profile for the public platform pages

An introduction in both languages, accreditation (CMA, CNAS, …), a contact person, phone and
website: what a startup reads on `/platforms/<code>` before it books.

Revision ID: 0010_platform_profile
Revises: 0009_reports
Create Date: 2026-12-05 05:30:00

"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010_platform_profile'
down_revision = '0009_reports'
branch_labels = None
depends_on = None

COLUMNS = (
    ('introduction_zh', sa.Text()),
    ('introduction_en', sa.Text()),
    ('accreditation', sa.String(300)),
    ('contact_name', sa.String(100)),
    ('phone', sa.String(64)),
    ('website', sa.String(300)),
)


def upgrade():
    with op.batch_alter_table('platform', schema=None) as batch_op:
        for name, type_ in COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('platform', schema=None) as batch_op:
        for name, _type in reversed(COLUMNS):
            batch_op.drop_column(name)
