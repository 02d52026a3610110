"""The database keeps each booking's booked and used seconds, whatever writes the row (the
report figures read them instead of working lengths out of a million pairs of instants)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select, text, update

from booking.extensions import db
from booking.models import Reservation


def seconds(reservation_id: int) -> tuple[int | None, int | None]:
    row = db.session.execute(select(Reservation.booked_seconds, Reservation.used_seconds)
                             .where(Reservation.id == reservation_id)).one()
    return row[0], row[1]


def test_seconds_follow_every_write(app, make_resource, make_user):
    with app.app_context():
        resource, user = make_resource(), make_user()
        start = datetime(2027, 3, 27, 22, 0, tzinfo=UTC)  # Berlin's DST night lies inside: real hours count
        end = start + timedelta(hours=5, minutes=30)
        reservation = Reservation(resource_id=resource.id, user_id=user.id, start=start, end=end,
                                  block_start=start, block_end=end, status="confirmed")
        db.session.add(reservation)
        db.session.commit()
        assert seconds(reservation.id) == (19_800, None)  # booked, not used yet

        reservation.checked_in_at = start + timedelta(minutes=10)  # through the ORM
        db.session.commit()
        assert seconds(reservation.id) == (19_800, 19_200)  # no check-out: used to the booked end

        db.session.execute(update(Reservation).where(Reservation.id == reservation.id).values(
            checked_out_at=start + timedelta(hours=2, minutes=10), end=end + timedelta(hours=1),
            block_end=end + timedelta(hours=1)))  # a bulk update
        db.session.commit()
        assert seconds(reservation.id) == (23_400, 7_200)

        db.session.execute(update(Reservation).where(Reservation.id == reservation.id).values(checked_in_at=None))
        db.session.commit()
        assert seconds(reservation.id) == (23_400, None)


def test_postgresql_knows_how_many_bookings_were_used(app, make_resource, make_user):
    """The figures filter on coalesce(status, ''); PostgreSQL must estimate that from statistics
    (migration 0013), not guess 0.5 % and plan a year of bookings as a handful."""
    if db.engine.dialect.name != "postgresql":
        return  # SQLite plans without statistics of this kind
    resource, user = make_resource(), make_user()
    start = datetime(2027, 1, 4, 1, 0, tzinfo=UTC)
    rows = []
    for i in range(2000):
        s = start + timedelta(hours=2 * i)
        rows.append(dict(resource_id=resource.id, user_id=user.id, start=s, end=s + timedelta(hours=1),
                         block_start=s, block_end=s + timedelta(hours=1),
                         status="cancelled" if i % 10 == 0 else "completed"))
    db.session.execute(insert(Reservation), rows)
    db.session.commit()
    db.session.execute(text("ANALYZE reservation"))
    plan = db.session.execute(text(
        "EXPLAIN (FORMAT JSON) SELECT id FROM reservation WHERE coalesce(status, '') IN ('confirmed', 'completed')"
    )).scalar_one()
    assert plan[0]["Plan"]["Plan Rows"] > 1000  # 1,800 match
