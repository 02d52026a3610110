"""The booking engine without HTTP: calendars, availability, rules, reservations, series, events."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from booking.engine import (
    Closed,
    NotBookable,
    OutsideOpeningHours,
    SlotTaken,
    TooFarAhead,
    TooLateToBook,
    TooLateToCancel,
    TooLong,
    TooShort,
    UnderMaintenance,
    approve_reservation,
    cancel_reservation,
    create_reservation,
    expire_pending,
    find_free_slots,
    free_resource_ids,
    reject_reservation,
)
from booking.engine.calendars import add_closure, add_maintenance, load_holidays, set_opening_hours
from booking.engine.errors import NotPending, SeriesConflicts
from booking.engine.recurrence import cancel_rest_of_series, create_series, expand, parse_recurrence
from booking.errors import Forbidden, InvalidInput
from booking.extensions import db
from booking.models import BookingEvent, Closure, Reservation

BERLIN = ZoneInfo("Europe/Berlin")
SHANGHAI = ZoneInfo("Asia/Shanghai")
EVERY_DAY_8_18 = {d: [["08:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
WEEKDAYS_SPLIT = {d: [["08:30", "12:00"], ["13:30", "17:30"]] for d in ("mon", "tue", "wed", "thu", "fri")}
NOW = datetime(2027, 3, 1, 0, 0, tzinfo=UTC)  # a Monday, 08:00 in Shanghai


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def events_of(reservation: Reservation) -> list[str]:
    return list(db.session.scalars(
        sa.select(BookingEvent.kind).where(BookingEvent.reservation_id == reservation.id).order_by(BookingEvent.id)))


@pytest.fixture
def lab(make_platform, make_resource, make_user):
    """A Shanghai platform with one instrument (weekday hours), a booker and a staff member."""
    platform = make_platform(timezone="Asia/Shanghai")
    resource = make_resource(platform=platform, opening_hours=WEEKDAYS_SPLIT)
    user = make_user()
    staff = make_user(role="staff", platform=platform)
    return platform, resource, user, staff


def book(user, resource, start, end, **kw):
    reservation = create_reservation(user, resource, start, end, kw.pop("purpose", "test"), now=kw.pop("now", NOW), **kw)
    db.session.commit()
    return reservation


# --- calendars and daylight saving --------------------------------------------------------------

@pytest.mark.parametrize("day, offset", [("2027-03-28", "+02:00"), ("2027-10-31", "+01:00")])
def test_berlin_opening_hours_keep_local_time_on_dst_days(make_platform, make_resource, day, offset):
    platform = make_platform(timezone="Europe/Berlin")
    resource = make_resource(platform=platform, opening_hours=EVERY_DAY_8_18, booking_rules={"max_advance_days": 365})
    midnight = datetime.fromisoformat(day).replace(tzinfo=BERLIN)
    slots = find_free_slots(resource, midnight, midnight + timedelta(days=1), now=NOW)
    assert [(s.isoformat(), e.isoformat()) for s, e in slots] == [
        (f"{day}T08:00:00{offset}", f"{day}T18:00:00{offset}")]


def test_platform_hours_are_the_default_and_null_means_any_hour(make_platform, make_resource):
    platform = make_platform(opening_hours={"mon": [["09:00", "11:00"]]})
    inherits = make_resource(platform=platform, opening_hours=None)
    day = sh(2027, 3, 8)  # a Monday
    assert [(s.hour, e.hour) for s, e in find_free_slots(inherits, day, day + timedelta(days=1), now=NOW)] == [(9, 11)]
    anytime = make_resource(platform=make_platform(opening_hours=None), opening_hours=None)
    assert find_free_slots(anytime, day, day + timedelta(days=1), now=NOW) == [(day, day + timedelta(days=1))]


def test_round_the_clock_hours_join_across_midnight(make_platform, make_resource):
    resource = make_resource(platform=make_platform(), opening_hours={
        d: [["00:00", "23:59"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})
    day = sh(2027, 3, 8)
    assert find_free_slots(resource, day, day + timedelta(days=3), now=NOW) == [(day, day + timedelta(days=3))]
    assert book(make_user_for(resource), resource, sh(2027, 3, 8, 23), sh(2027, 3, 9, 1)).status == "confirmed"


def make_user_for(resource):
    from booking.accounts.service import create_user

    user = create_user(f"night{resource.id}@example.com", "correct horse battery", verified=True)
    db.session.commit()
    return user


def test_weekly_series_across_dst_keeps_local_time(make_platform, make_resource, make_user):
    platform = make_platform(timezone="Europe/Berlin")
    resource = make_resource(platform=platform, opening_hours=EVERY_DAY_8_18)
    user = make_user()
    start = datetime(2027, 3, 22, 9, 0, tzinfo=BERLIN)
    rec = parse_recurrence({"freq": "weekly", "weekdays": ["mon"], "count": 3})
    series, plan = create_series(user, resource, start, start + timedelta(hours=2), rec, "weekly run", now=NOW)
    db.session.commit()
    got = [(r.start.astimezone(BERLIN).isoformat(), r.end.astimezone(BERLIN).strftime("%H:%M"))
           for r in db.session.scalars(sa.select(Reservation).order_by(Reservation.start))]
    assert got == [("2027-03-22T09:00:00+01:00", "11:00"), ("2027-03-29T09:00:00+02:00", "11:00"),
                   ("2027-04-05T09:00:00+02:00", "11:00")]
    # The UTC hour moved with the clocks: the wall-clock hour did not.
    assert [r.start.hour for r in db.session.scalars(sa.select(Reservation).order_by(Reservation.start))] == [8, 7, 7]


def test_monthly_on_the_nth_weekday_and_daily():
    first = sh(2027, 3, 9, 10)  # the second Tuesday of March 2027
    monthly = expand(parse_recurrence({"freq": "monthly", "count": 3}), first, first + timedelta(hours=1), "Asia/Shanghai")
    assert [s.astimezone(SHANGHAI).date().isoformat() for s, _ in monthly] == ["2027-03-09", "2027-04-13", "2027-05-11"]
    last = expand(parse_recurrence({"freq": "monthly", "nth": -1, "count": 2}), sh(2027, 3, 30, 10), sh(2027, 3, 30, 11), "Asia/Shanghai")
    assert [s.astimezone(SHANGHAI).day for s, _ in last] == [30, 27]  # last Tuesdays of March and April
    daily = expand(parse_recurrence({"freq": "daily", "until": "2027-03-11"}), first, first + timedelta(hours=1), "Asia/Shanghai")
    assert len(daily) == 3


@pytest.mark.parametrize("bad, words", [
    ({"freq": "hourly", "count": 2}, "daily, weekly or monthly"),
    ({"freq": "weekly"}, "number of occurrences or a last date"),
    ({"freq": "weekly", "count": 500}, "from 1 to 100"),
    ({"freq": "weekly", "weekdays": ["xyz"], "count": 2}, "Unknown weekday"),
    ({"freq": "daily", "until": "soon"}, "2027-06-30"),
])
def test_bad_recurrences_are_explained(bad, words):
    with pytest.raises(InvalidInput) as info:
        parse_recurrence(bad)
    assert words in info.value.message


# --- rules ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("rules, start, end, error, words", [
    ({}, sh(2027, 3, 8, 9), sh(2027, 3, 8, 9, 15), TooShort, "at least 30 minutes"),
    ({"max_minutes": 120}, sh(2027, 3, 8, 9), sh(2027, 3, 8, 11, 30), TooLong, "at most 2 hours"),
    ({"min_notice_minutes": 1440}, sh(2027, 3, 1, 14), sh(2027, 3, 1, 15), TooLateToBook, "at least 1 days ahead"),
    ({}, sh(2027, 2, 26, 9), sh(2027, 2, 26, 10), TooLateToBook, "already passed"),
    ({"max_advance_days": 30}, sh(2027, 4, 5, 9), sh(2027, 4, 5, 10), TooFarAhead, "at most 30 days ahead"),
    ({}, sh(2027, 3, 8, 12), sh(2027, 3, 8, 13), OutsideOpeningHours, "Outside opening hours"),
    ({}, sh(2027, 3, 6, 9), sh(2027, 3, 6, 10), OutsideOpeningHours, "2027-03-06 09:00–10:00"),  # Saturday
])
def test_each_rule_refuses_with_its_own_message(lab, rules, start, end, error, words):
    platform, resource, user, staff = lab
    resource.booking_rules = rules
    db.session.commit()
    with pytest.raises(error) as info:
        create_reservation(user, resource, start, end, now=NOW)
    assert words in info.value.message
    assert info.value.status == 422 and info.value.details["fields"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Reservation)) == 0


def test_platform_rules_are_defaults_and_resource_rules_win(lab):
    platform, resource, user, staff = lab
    platform.booking_rules = {"max_minutes": 60, "min_minutes": 60}
    db.session.commit()
    with pytest.raises(TooLong):
        create_reservation(user, resource, sh(2027, 3, 8, 9), sh(2027, 3, 8, 11), now=NOW)
    db.session.rollback()
    resource.booking_rules = {"max_minutes": 180}
    db.session.commit()
    assert book(user, resource, sh(2027, 3, 8, 9), sh(2027, 3, 8, 11)).status == "confirmed"


def test_withdrawn_or_unbookable_resources_refuse(lab, make_resource):
    platform, resource, user, staff = lab
    patent = make_resource(platform=platform, kind="patent", bookable=False)
    with pytest.raises(NotBookable, match="cannot be booked"):
        create_reservation(user, patent, sh(2027, 3, 8, 9), sh(2027, 3, 8, 10), now=NOW)


def test_taken_names_the_interval_and_offers_alternatives(lab, make_user):
    platform, resource, user, staff = lab
    book(user, resource, sh(2027, 3, 8, 9), sh(2027, 3, 8, 11))
    with pytest.raises(SlotTaken) as info:
        create_reservation(make_user(), resource, sh(2027, 3, 8, 10), sh(2027, 3, 8, 11), now=NOW)
    assert "2027-03-08 09:00–11:00" in info.value.message
    assert info.value.status == 409
    assert info.value.details["conflict"] == {"start": "2027-03-08T09:00:00+08:00", "end": "2027-03-08T11:00:00+08:00"}
    alternatives = info.value.details["alternatives"]
    assert alternatives[0] == {"start": "2027-03-08T11:00:00+08:00", "end": "2027-03-08T12:00:00+08:00"}
    assert len(alternatives) == 3


def test_buffers_keep_bookings_apart(lab, make_user):
    platform, resource, user, staff = lab
    resource.booking_rules = {"buffer_minutes": 30}
    db.session.commit()
    book(user, resource, sh(2027, 3, 8, 10), sh(2027, 3, 8, 11))
    other = make_user()
    for start, end in [(sh(2027, 3, 8, 11), sh(2027, 3, 8, 12)), (sh(2027, 3, 8, 9), sh(2027, 3, 8, 9, 45))]:
        with pytest.raises(SlotTaken):
            create_reservation(other, resource, start, end, now=NOW)
        db.session.rollback()
    assert book(other, resource, sh(2027, 3, 8, 8, 30), sh(2027, 3, 8, 9, 30)).status == "confirmed"
    free = find_free_slots(resource, sh(2027, 3, 8), sh(2027, 3, 9), now=NOW)
    # 08:30–09:30 and 10:00–11:00 booked, each needing 30 minutes around it; the afternoon is open.
    assert [(s.strftime("%H:%M"), e.strftime("%H:%M")) for s, e in free] == [("11:30", "12:00"), ("13:30", "17:30")]
    # What availability offers can be booked: right after the buffer.
    assert book(other, resource, sh(2027, 3, 8, 11, 30), sh(2027, 3, 8, 12)).status == "confirmed"


def test_horizon_and_notice_cut_availability(lab):
    platform, resource, user, staff = lab
    resource.booking_rules = {"max_advance_days": 7, "min_notice_minutes": 120}
    db.session.commit()
    slots = find_free_slots(resource, sh(2027, 3, 1), sh(2027, 3, 31), now=NOW)
    assert slots[0][0] == sh(2027, 3, 1, 10)  # 08:00 now + 2 hours' notice
    assert slots[-1][1] <= NOW + timedelta(days=7)
    # Seven days from Monday 08:00 end before next Monday opens at 08:30.
    assert {s.date().isoformat() for s, _ in slots} == {f"2027-03-0{d}" for d in range(1, 6)}


def test_closures_holidays_and_maintenance(lab):
    platform, resource, user, staff = lab
    added = load_holidays(staff, platform, "cn-2027")
    db.session.commit()
    assert len(added) == 7 and load_holidays(staff, platform, "cn-2027") == []  # loading twice adds nothing
    with pytest.raises(Closed, match="国庆节 / National Day"):
        create_reservation(user, resource, sh(2027, 10, 4, 9), sh(2027, 10, 4, 10), now=sh(2027, 9, 1))
    db.session.rollback()
    add_maintenance(staff, resource, sh(2027, 3, 9, 8), sh(2027, 3, 9, 12), "yearly service")
    db.session.commit()
    with pytest.raises(UnderMaintenance) as info:
        create_reservation(user, resource, sh(2027, 3, 9, 9), sh(2027, 3, 9, 10), now=NOW)
    assert info.value.details["conflict"]["start"] == "2027-03-09T08:00:00+08:00"
    db.session.rollback()
    free = find_free_slots(resource, sh(2027, 3, 9), sh(2027, 3, 10), now=NOW)
    assert [(s.hour, e.hour) for s, e in free] == [(13, 17)]


def test_staff_of_another_platform_cannot_manage_calendars(lab, make_platform, make_user):
    platform, resource, user, staff = lab
    stranger = make_user(role="staff", platform=make_platform())
    for action in (lambda: add_maintenance(stranger, resource, sh(2027, 3, 9, 8), sh(2027, 3, 9, 9)),
                   lambda: add_closure(stranger, platform, sh(2027, 3, 9), sh(2027, 3, 10), "x"),
                   lambda: load_holidays(stranger, platform),
                   lambda: set_opening_hours(stranger, resource, EVERY_DAY_8_18),
                   lambda: load_holidays(user, platform)):
        with pytest.raises(Forbidden):
            action()
    with pytest.raises(InvalidInput, match="opening hours"):
        set_opening_hours(staff, resource, {"mon": [["18:00", "08:00"]]})
    set_opening_hours(staff, resource, EVERY_DAY_8_18)
    db.session.commit()
    assert resource.opening_hours == EVERY_DAY_8_18


# --- approval, expiry, cancellation ----------------------------------------------------------------

def test_approval_flow(lab, make_platform, make_user):
    platform, resource, user, staff = lab
    resource.booking_rules = {"requires_approval": True}
    db.session.commit()
    pending = book(user, resource, sh(2027, 3, 8, 9), sh(2027, 3, 8, 10))
    assert pending.status == "pending"
    with pytest.raises(SlotTaken):  # a pending booking holds its slot
        create_reservation(make_user(), resource, sh(2027, 3, 8, 9), sh(2027, 3, 8, 10), now=NOW)
    db.session.rollback()
    outsider = make_user(role="staff", platform=make_platform())
    with pytest.raises(Forbidden):
        approve_reservation(outsider, pending, now=NOW)
    with pytest.raises(Forbidden):
        approve_reservation(user, pending, now=NOW)
    approve_reservation(staff, pending, "welcome", now=NOW)
    db.session.commit()
    assert pending.status == "confirmed" and pending.decided_by_id == staff.id
    with pytest.raises(NotPending):
        reject_reservation(staff, pending, "changed my mind", now=NOW)

    second = book(user, resource, sh(2027, 3, 9, 9), sh(2027, 3, 9, 10))
    with pytest.raises(InvalidInput, match="reason"):
        reject_reservation(staff, second, "  ", now=NOW)
    reject_reservation(staff, second, "The instrument is reserved for a course.", now=NOW)
    db.session.commit()
    assert second.status == "rejected" and second.decision_reason == "The instrument is reserved for a course."
    assert events_of(pending) == ["created", "approved"] and events_of(second) == ["created", "rejected"]
    # A rejected booking no longer holds the slot.
    assert book(make_user(), resource, sh(2027, 3, 9, 9), sh(2027, 3, 9, 10)).status == "pending"
    # Staff booking their own platform's resource need no approval.
    assert book(staff, resource, sh(2027, 3, 10, 9), sh(2027, 3, 10, 10)).status == "confirmed"


def test_pending_bookings_expire(lab):
    platform, resource, user, staff = lab
    platform.approval_expiry_hours = 48
    resource.booking_rules = {"requires_approval": True}
    db.session.commit()
    waiting = book(user, resource, sh(2027, 3, 15, 9), sh(2027, 3, 15, 10))
    soon = book(user, resource, sh(2027, 3, 3, 9), sh(2027, 3, 3, 10))
    resource.booking_rules = {}
    db.session.commit()
    confirmed = book(user, resource, sh(2027, 3, 16, 9), sh(2027, 3, 16, 10))
    assert expire_pending(NOW + timedelta(hours=47)) == 0
    assert expire_pending(NOW + timedelta(hours=49)) == 2  # one too old, one whose start has come
    db.session.commit()
    for r in (waiting, soon, confirmed):
        db.session.refresh(r)
    assert (waiting.status, soon.status, confirmed.status) == ("rejected", "rejected", "confirmed")
    assert "48 hours" in waiting.decision_reason and "before the start" in soon.decision_reason
    assert events_of(waiting) == ["created", "expired"]
    assert expire_pending(NOW + timedelta(hours=100)) == 0


def test_cancellation_rules(lab, make_platform, make_user):
    platform, resource, user, staff = lab
    resource.booking_rules = {"cancel_notice_minutes": 1440}
    db.session.commit()
    mine = book(user, resource, sh(2027, 3, 8, 9), sh(2027, 3, 8, 10))
    with pytest.raises(Forbidden, match="not yours"):
        cancel_reservation(make_user(), mine, now=NOW)
    with pytest.raises(Forbidden):
        cancel_reservation(make_user(role="staff", platform=make_platform()), mine, "no", now=NOW)
    with pytest.raises(TooLateToCancel, match="up to 1 days before"):
        cancel_reservation(user, mine, now=sh(2027, 3, 7, 10))
    with pytest.raises(InvalidInput, match="reason"):
        cancel_reservation(staff, mine, now=sh(2027, 3, 8, 9, 30))
    cancel_reservation(staff, mine, "Power cut in the building.", now=sh(2027, 3, 8, 9, 30))
    db.session.commit()
    assert mine.status == "cancelled" and events_of(mine) == ["created", "cancelled"]
    with pytest.raises(NotPending, match="already cancelled"):
        cancel_reservation(user, mine, now=NOW)
    other = book(user, resource, sh(2027, 3, 9, 9), sh(2027, 3, 9, 10))
    cancel_reservation(user, other, now=sh(2027, 3, 8, 8))
    db.session.commit()
    assert other.status == "cancelled"
    assert book(user, resource, sh(2027, 3, 9, 9), sh(2027, 3, 9, 10)).status == "confirmed"  # the slot is free again


# --- series --------------------------------------------------------------------------------------

def test_series_conflicts_are_listed_then_skipped(lab, make_user):
    platform, resource, user, staff = lab
    book(make_user(), resource, sh(2027, 3, 15, 9, 30), sh(2027, 3, 15, 10, 30))
    rec = parse_recurrence({"freq": "weekly", "weekdays": ["mon"], "count": 4})
    with pytest.raises(SeriesConflicts) as info:
        create_series(user, resource, sh(2027, 3, 8, 9), sh(2027, 3, 8, 11), rec, now=NOW)
    occurrences = info.value.details["occurrences"]
    assert [o.get("reason") for o in occurrences] == [None, "taken", None, None]
    assert "1 of 4 dates cannot be booked" in info.value.message
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Reservation)) == 1  # nothing booked
    series, plan = create_series(user, resource, sh(2027, 3, 8, 9), sh(2027, 3, 8, 11), rec, "course", skip_conflicts=True, now=NOW)
    db.session.commit()
    booked = [o.reservation.start.astimezone(SHANGHAI).day for o in plan if o.reservation]
    assert booked == [8, 22, 29]
    assert series.skipped == [sh(2027, 3, 15, 9).astimezone(UTC).isoformat()]


def test_cancel_one_occurrence_or_the_rest(lab):
    platform, resource, user, staff = lab
    rec = parse_recurrence({"freq": "daily", "count": 5})
    series, plan = create_series(user, resource, sh(2027, 3, 8, 9), sh(2027, 3, 8, 10), rec, now=NOW)
    db.session.commit()
    occurrences = [o.reservation for o in plan]
    cancel_reservation(user, occurrences[1], now=NOW)
    db.session.commit()
    assert [r.status for r in occurrences] == ["confirmed", "cancelled", "confirmed", "confirmed", "confirmed"]
    cancelled = cancel_rest_of_series(user, occurrences[2], now=NOW)
    db.session.commit()
    assert len(cancelled) == 3
    assert [r.status for r in occurrences] == ["confirmed", "cancelled", "cancelled", "cancelled", "cancelled"]


# --- the database guarantee and the search filter ----------------------------------------------------

def test_the_database_itself_refuses_double_booking(lab, database_url):
    """PostgreSQL: the exclusion constraint refuses an overlapping row written behind the engine's back.
    SQLite: a booking holds the database's write lock from its overlap check to its commit."""
    platform, resource, user, staff = lab
    book(user, resource, sh(2027, 3, 8, 9), sh(2027, 3, 8, 10))
    if database_url.startswith("postgresql"):
        rival = Reservation(resource_id=resource.id, user_id=user.id, start=sh(2027, 3, 8, 9, 30),
                            end=sh(2027, 3, 8, 10, 30), block_start=sh(2027, 3, 8, 9, 30),
                            block_end=sh(2027, 3, 8, 10, 30), status="pending")
        db.session.add(rival)
        with pytest.raises(sa.exc.IntegrityError, match="ex_reservation_no_overlap"):
            db.session.flush()
        db.session.rollback()
        return
    import sqlite3

    from booking.engine.reservations import lock_calendar

    lock_calendar()
    other = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=0.2, isolation_level=None)
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        db.session.rollback()
        other.execute("BEGIN IMMEDIATE")  # released at the end of the booking's transaction
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_free_resource_ids(make_platform, make_resource, make_user):
    platform = make_platform()
    user = make_user()
    booked = make_resource(platform=platform, opening_hours=WEEKDAYS_SPLIT)
    free = make_resource(platform=platform, opening_hours=WEEKDAYS_SPLIT)
    morning_only = make_resource(platform=platform, opening_hours={"mon": [["08:00", "09:30"]]})
    anytime = make_resource(platform=platform, opening_hours=None)
    serviced = make_resource(platform=platform, opening_hours=None)
    make_resource(platform=platform, kind="patent", bookable=False)
    make_resource(platform=platform, status="withdrawn")
    book(user, booked, sh(2027, 3, 8, 9), sh(2027, 3, 8, 11))
    staff = make_user(role="staff", platform=platform)
    add_maintenance(staff, serviced, sh(2027, 3, 8, 10), sh(2027, 3, 8, 12))
    db.session.commit()
    assert free_resource_ids(sh(2027, 3, 8, 10), sh(2027, 3, 8, 11)) == {free.id, anytime.id}
    assert free_resource_ids(sh(2027, 3, 8, 8, 30), sh(2027, 3, 8, 9)) == {booked.id, free.id, morning_only.id, anytime.id, serviced.id}
    assert free_resource_ids(sh(2027, 3, 8, 10), sh(2027, 3, 8, 11), candidate_ids=[free.id, booked.id]) == {free.id}
    assert free_resource_ids(sh(2027, 3, 8, 10), sh(2027, 3, 8, 11), candidate_ids=[]) == set()
    add_closure(staff, platform, sh(2027, 3, 8), sh(2027, 3, 9), "Lab move")
    db.session.commit()
    assert free_resource_ids(sh(2027, 3, 8, 10), sh(2027, 3, 8, 11)) == set()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Closure)) == 1


def test_free_resource_ids_paths_agree_and_follow_changes(make_platform, make_resource, make_user, monkeypatch):
    """The SQL NOT EXISTS path (small candidate sets) and the cached-catalogue path (large ones)
    give the same answer, and the catalogue notices edited hours and new resources."""
    import booking.engine.availability as availability

    platform = make_platform(opening_hours={"mon": [["08:00", "12:00"]], "tue": [["13:00", "18:00"]]})
    user = make_user()
    resources = [make_resource(platform=platform, opening_hours=h) for h in
                 (None, WEEKDAYS_SPLIT, {"sat": [["10:00", "16:00"]]}, EVERY_DAY_8_18)]
    book(user, resources[3], sh(2027, 3, 8, 9), sh(2027, 3, 8, 10))
    ids = [r.id for r in resources]
    windows = [(sh(2027, 3, 8, 9), sh(2027, 3, 8, 10)), (sh(2027, 3, 9, 14), sh(2027, 3, 9, 15)),
               (sh(2027, 3, 13, 11), sh(2027, 3, 13, 12)), (sh(2027, 3, 8, 12, 30), sh(2027, 3, 8, 13))]
    small = [free_resource_ids(a, b, candidate_ids=ids) for a, b in windows]
    monkeypatch.setattr(availability, "SMALL_CANDIDATE_SET", 0)
    large = [free_resource_ids(a, b, candidate_ids=ids) for a, b in windows]
    assert small == large
    assert small[0] == {ids[0], ids[1]}  # platform hours (Mon 08–12) for the first; the last is booked
    assert small[2] == {ids[2], ids[3]}  # Saturday
    resources[2].opening_hours = None  # now inherits the platform's: closed on Saturday
    db.session.commit()
    extra = make_resource(platform=platform, opening_hours={"sat": [["00:00", "24:00"]]})
    assert free_resource_ids(*windows[2]) == {ids[3], extra.id}
