"""seconds booked and used, kept by the database, for the sharing-performance figures

A year of a province is a million reservations; working out each one's length from its two
instants (julianday() on SQLite, which parses text) was most of the report's time. The database
now keeps `booked_seconds` (end − start) and `used_seconds` (check-in to check-out, or to the
booked end) on every row, whatever writes it (ORM, bulk update, a bench's insert):
PostgreSQL as stored generated columns, SQLite through two triggers (it cannot add a stored
generated column to an existing table). The figures clip with the instants only for the few
bookings that cross the period's edges or have not ended.

Revision ID: 0012_usage_seconds
Revises: 0011_ratings
Create Date: 2026-12-05 05:20:00

"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012_usage_seconds'
down_revision = '0011_ratings'
branch_labels = None
depends_on = None

PG = {
    'booked_seconds': 'CAST(EXTRACT(EPOCH FROM ("end" - start)) AS INTEGER)',
    'used_seconds': 'CASE WHEN checked_in_at IS NOT NULL THEN '
                    'CAST(EXTRACT(EPOCH FROM (COALESCE(checked_out_at, "end") - checked_in_at)) AS INTEGER) END',
}
SQLITE = {
    'booked_seconds': 'CAST(ROUND((julianday(NEW."end") - julianday(NEW.start)) * 86400) AS INTEGER)',
    'used_seconds': 'CASE WHEN NEW.checked_in_at IS NOT NULL THEN CAST(ROUND((julianday(COALESCE('
                    'NEW.checked_out_at, NEW."end")) - julianday(NEW.checked_in_at)) * 86400) AS INTEGER) END',
}
SQLITE_SET = ', '.join(f'{name} = {expr}' for name, expr in SQLITE.items())


def upgrade():
    if op.get_context().dialect.name == 'postgresql':
        for name, expr in PG.items():
            op.execute(f'ALTER TABLE reservation ADD COLUMN {name} INTEGER GENERATED ALWAYS AS ({expr}) STORED')
        return
    for name in SQLITE:
        op.add_column('reservation', sa.Column(name, sa.Integer(), nullable=True))
    op.execute(f'CREATE TRIGGER reservation_seconds_insert AFTER INSERT ON reservation BEGIN '
               f'UPDATE reservation SET {SQLITE_SET} WHERE id = NEW.id; END')
    op.execute(f'CREATE TRIGGER reservation_seconds_update AFTER UPDATE OF start, "end", checked_in_at, '
               f'checked_out_at ON reservation BEGIN UPDATE reservation SET {SQLITE_SET} WHERE id = NEW.id; END')
    op.execute(f'UPDATE reservation SET {SQLITE_SET.replace("NEW.", "")}')


def downgrade():
    if op.get_context().dialect.name != 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS reservation_seconds_update')
        op.execute('DROP TRIGGER IF EXISTS reservation_seconds_insert')
    with op.batch_alter_table('reservation', schema=None) as batch_op:
        batch_op.drop_column('used_seconds')
        batch_op.drop_column('booked_seconds')
