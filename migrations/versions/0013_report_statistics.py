"""PostgreSQL statistics on the status expression the sharing-performance figures filter on

The figures test `coalesce(status, '') IN (...)` so that no index on status is used for a
year of a province (booking.reports.figures.effective_clause). PostgreSQL has no statistics for
that expression and guessed 0.5 % of the rows: it then planned a year of bookings (85 %) as if
it were a few thousand, and sorted them on disk. Expression statistics (PostgreSQL 14+) give
the planner the real share; SQLite needs nothing.

Revision ID: 0013_report_statistics
Revises: 0012_usage_seconds
Create Date: 2026-12-05 08:30:00

"""
from __future__ import annotations

from alembic import op

revision = '0013_report_statistics'
down_revision = '0012_usage_seconds'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("CREATE STATISTICS st_reservation_status_used ON (coalesce(status, '')) FROM reservation")
        op.execute('ANALYZE reservation')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP STATISTICS IF EXISTS st_reservation_status_used')
