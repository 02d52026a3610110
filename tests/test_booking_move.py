"""Moving a booking, as its owner and as staff: the rules, the notice, the database's refusal of
an overlap, fees and vouchers, the "changed" mail with the updated invitation, the waitlist, and
many moves racing for one slot. Every test runs on SQLite and PostgreSQL."""
from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import icalendar
import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from booking.engine import SlotTaken, create_reservation
from booking.engine.errors import OutsideOpeningHours, TooLateToCancel
from booking.engine.reservations import cancel_reservation, move_reservation
from booking.engine.vouchers import balance_of, issue_vouchers, ledger_total
from booking.engine.waitlist import join_waitlist
from booking.errors import Forbidden, InvalidInput
from booking.extensions import db
from booking.models import (
    BookingEvent,
    Reminder,
    Reservation,
    ResourceRate,
    User,
    VoucherAccount,
    WaitlistEntry,
    utcnow,
)
from booking.notify import dispatch_due

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2027, 3, 1, 0, 0, tzinfo=UTC)  # Monday 08:00 in Shanghai
WEEKDAY_HOURS = {d: [["08:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def english(app):
    with force_locale("en"):
        yield


@pytest.fixture
def lab(make_platform, make_resource, make_user):
    platform = make_platform(name_en="Materials Lab", booking_rules={"cancel_notice_minutes": 24 * 60})
    resource = make_resource(platform=platform, opening_hours=WEEKDAY_HOURS)
    owner = make_user(email="owner@example.com", name="Olivia")
    staff = make_user(email="staff@example.com", role="staff", platform=platform, name="Sam")
    return platform, resource, owner, staff


def book(user, resource, start, hours=1, now=NOW, **kwargs):
    reservation = create_reservation(user, resource, start, start + timedelta(hours=hours), "XRD", now=now, **kwargs)
    db.session.commit()
    return reservation


def events(reservation) -> list[BookingEvent]:
    return list(db.session.scalars(sa.select(BookingEvent).where(BookingEvent.reservation_id == reservation.id)
                                   .order_by(BookingEvent.id)))


# --- the engine -----------------------------------------------------------------------------------

def test_owner_moves_within_the_rules(lab):
    _platform, resource, owner, _staff = lab
    reservation = book(owner, resource, sh(2027, 3, 3, 9))
    move_reservation(owner, reservation, sh(2027, 3, 4, 14), sh(2027, 3, 4, 16), now=NOW)
    db.session.commit()
    db.session.expire_all()
    assert (reservation.start, reservation.end) == (sh(2027, 3, 4, 14), sh(2027, 3, 4, 16))
    assert reservation.block_end == sh(2027, 3, 4, 16) and reservation.status == "confirmed"
    changed = events(reservation)[-1]
    assert changed.kind == "changed" and changed.actor_id == owner.id
    assert changed.payload["old_start"] == sh(2027, 3, 3, 9).astimezone(UTC).isoformat()
    assert datetime.fromisoformat(changed.payload["start"]) == sh(2027, 3, 4, 14)


def test_a_conflict_changes_nothing(lab, make_user):
    _platform, resource, owner, _staff = lab
    mine = book(owner, resource, sh(2027, 3, 3, 9))
    book(make_user(), resource, sh(2027, 3, 4, 10), hours=2)
    with pytest.raises(SlotTaken) as taken:
        move_reservation(owner, mine, sh(2027, 3, 4, 11), sh(2027, 3, 4, 12), now=NOW)
    assert taken.value.status == 409 and "another booking holds" in taken.value.message
    db.session.rollback()
    db.session.expire_all()
    assert (mine.start, mine.end) == (sh(2027, 3, 3, 9), sh(2027, 3, 3, 10))
    assert [e.kind for e in events(mine)] == ["created"]


def test_moving_onto_its_own_time_shifted_is_no_conflict(lab):
    _platform, resource, owner, _staff = lab
    reservation = book(owner, resource, sh(2027, 3, 3, 9), hours=2)
    move_reservation(owner, reservation, sh(2027, 3, 3, 10), sh(2027, 3, 3, 12), now=NOW)  # overlaps itself
    db.session.commit()
    assert reservation.start == sh(2027, 3, 3, 10)


def test_outside_opening_hours_is_refused(lab):
    _platform, resource, owner, _staff = lab
    reservation = book(owner, resource, sh(2027, 3, 3, 9))
    with pytest.raises(OutsideOpeningHours):
        move_reservation(owner, reservation, sh(2027, 3, 3, 19), sh(2027, 3, 3, 20), now=NOW)
    db.session.rollback()
    db.session.expire_all()
    assert reservation.start == sh(2027, 3, 3, 9)


def test_inside_the_cancellation_notice(lab):
    """Moving gives the old time up: inside the 24-hour notice the owner may not; staff may, with a reason."""
    _platform, resource, owner, staff = lab
    reservation = book(owner, resource, sh(2027, 3, 1, 17))  # today 17:00, 9 hours ahead
    later = NOW + timedelta(hours=2)
    with pytest.raises(TooLateToCancel) as late:
        move_reservation(owner, reservation, sh(2027, 3, 3, 9), sh(2027, 3, 3, 10), now=later)
    assert late.value.message.startswith("Too late to move") and late.value.status == 409
    db.session.rollback()
    with pytest.raises(InvalidInput) as no_reason:
        move_reservation(staff, reservation, sh(2027, 3, 3, 9), sh(2027, 3, 3, 10), now=later)
    assert no_reason.value.details["fields"] == {"reason": "required"}
    db.session.rollback()
    move_reservation(staff, reservation, sh(2027, 3, 3, 9), sh(2027, 3, 3, 10), reason="the detector is recalibrated",
                     now=later)
    db.session.commit()
    changed = events(reservation)[-1]
    assert changed.actor_id == staff.id and changed.payload["reason"] == "the detector is recalibrated"
    assert changed.payload["by_staff"] is True


def test_another_user_and_staff_of_another_platform_may_not(lab, make_user, make_platform):
    _platform, resource, owner, _staff = lab
    reservation = book(owner, resource, sh(2027, 3, 3, 9))
    other_staff = make_user(role="staff", platform=make_platform())
    for intruder in (make_user(), other_staff):
        with pytest.raises(Forbidden):
            move_reservation(intruder, reservation, sh(2027, 3, 4, 9), sh(2027, 3, 4, 10), reason="x", now=NOW)
        db.session.rollback()


def test_purpose_only_change_until_the_start(lab):
    _platform, resource, owner, _staff = lab
    reservation = book(owner, resource, sh(2027, 3, 1, 16))
    move_reservation(owner, reservation, purpose="single-crystal XRD", now=NOW + timedelta(hours=7))  # inside notice
    db.session.commit()
    assert reservation.purpose == "single-crystal XRD" and reservation.start == sh(2027, 3, 1, 16)
    with pytest.raises(TooLateToCancel):
        move_reservation(owner, reservation, purpose="again", now=sh(2027, 3, 1, 16, 30))
    db.session.rollback()


def test_fee_and_voucher_share_follow_the_new_time(lab, make_org):
    platform, resource, owner, _staff = lab
    platform.voucher_cap_percent = 50
    db.session.add(ResourceRate(resource_id=resource.id, unit="hour", external=Decimal("200.00"), currency="CNY"))
    org = make_org(members={owner: "manager"})
    issue_vouchers(None, org, "500")
    db.session.commit()
    reservation = book(owner, resource, sh(2027, 3, 3, 9), hours=2, use_voucher=True)  # 400, vouchers 200
    assert (reservation.fee_estimate, reservation.voucher_amount) == (Decimal("400.00"), Decimal("200.00"))
    assert balance_of(org) == Decimal("300.00")
    move_reservation(owner, reservation, sh(2027, 3, 4, 9), sh(2027, 3, 4, 13), now=NOW)  # 800: cap 400
    db.session.commit()
    assert (reservation.fee_estimate, reservation.voucher_amount) == (Decimal("800.00"), Decimal("400.00"))
    assert balance_of(org) == Decimal("100.00")
    move_reservation(owner, reservation, sh(2027, 3, 4, 9), sh(2027, 3, 4, 10), now=NOW)  # 200: cap 100
    db.session.commit()
    assert (reservation.fee_estimate, reservation.voucher_amount) == (Decimal("200.00"), Decimal("100.00"))
    assert balance_of(org) == Decimal("400.00")
    account = db.session.scalar(sa.select(VoucherAccount))
    assert ledger_total(account) == balance_of(org)  # nothing counted twice
    cancel_reservation(owner, reservation, now=NOW)
    db.session.commit()
    assert balance_of(org) == Decimal("500.00")


def test_reminders_follow_and_the_waitlist_of_the_old_time_is_told(lab, make_user, app):
    app.config["ONESTOP_REMINDER_OFFSETS"] = [timedelta(hours=1)]
    _platform, resource, owner, _staff = lab
    reservation = book(owner, resource, sh(2027, 3, 3, 9))
    waiting = make_user()
    entry = join_waitlist(waiting, resource, sh(2027, 3, 3, 9), sh(2027, 3, 3, 10), now=NOW)
    db.session.commit()
    move_reservation(owner, reservation, sh(2027, 3, 5, 9), sh(2027, 3, 5, 10), now=NOW)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(WaitlistEntry, entry.id).status == "notified"
    (reminder,) = db.session.scalars(sa.select(Reminder).where(Reminder.reservation_id == reservation.id))
    assert reminder.due_at == sh(2027, 3, 5, 8) and reminder.status == "pending"


def test_quota_applies_to_a_move_without_counting_the_booking_twice(lab):
    platform, resource, owner, _staff = lab
    resource.booking_rules = {"quota_hours": 3, "quota_period": "week"}
    db.session.commit()
    reservation = book(owner, resource, sh(2027, 3, 3, 9), hours=2)
    move_reservation(owner, reservation, sh(2027, 3, 4, 9), sh(2027, 3, 4, 12), now=NOW)  # 3 h: fits
    db.session.commit()
    with pytest.raises(InvalidInput) as over:
        move_reservation(owner, reservation, sh(2027, 3, 4, 9), sh(2027, 3, 4, 13), now=NOW)
    assert "3 hours left this week" in over.value.message
    db.session.rollback()


# --- the API --------------------------------------------------------------------------------------

def days_ahead(days: int, hour: int) -> datetime:
    """`hour` o'clock in Shanghai, `days` from today."""
    day = datetime.now(SHANGHAI).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


@pytest.fixture
def open_lab(make_platform, make_resource, make_user):
    platform = make_platform(name_en="Open Lab", booking_rules={"cancel_notice_minutes": 60})
    resource = make_resource(platform=platform, opening_hours=None)
    return platform, resource, make_user(email="owner@example.com"), make_user(role="staff", platform=platform)


def test_patch_moves_and_answers_the_reservation(client, auth, open_lab):
    _platform, resource, owner, _staff = open_lab
    reservation = book(owner, resource, days_ahead(3, 9), now=utcnow())
    response = client.patch(f"/api/v1/reservations/{reservation.id}", headers=auth.token(owner.email), json={
        "start": days_ahead(4, 14).isoformat(), "end": days_ahead(4, 15).isoformat(), "purpose": "powder XRD"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert datetime.fromisoformat(body["start"]) == days_ahead(4, 14) and body["purpose"] == "powder XRD"
    assert body["reference"].startswith("OS-") and body["reference"].endswith(f"-{reservation.id:06d}")


def test_patch_answers(client, auth, open_lab, make_user, make_platform):
    _platform, resource, owner, staff = open_lab
    reservation = book(owner, resource, days_ahead(3, 9), now=utcnow())
    other = book(make_user(email="bob@example.com"), resource, days_ahead(3, 11), now=utcnow())
    url = f"/api/v1/reservations/{reservation.id}"
    owner_headers = auth.token(owner.email)
    taken = client.patch(url, headers=owner_headers, json={"start": days_ahead(3, 11).isoformat(),
                                                           "end": days_ahead(3, 12).isoformat()})
    assert taken.status_code == 409 and taken.get_json()["error"] == "conflict"
    assert client.patch(url, headers=owner_headers, json={}).status_code == 422
    half = client.patch(url, headers=owner_headers, json={"start": days_ahead(3, 13).isoformat()})
    assert half.status_code == 422 and "end" in half.get_json()["fields"]
    backwards = client.patch(url, headers=owner_headers, json={"start": days_ahead(3, 13).isoformat(),
                                                               "end": days_ahead(3, 12).isoformat()})
    assert backwards.status_code == 422
    assert client.patch(f"/api/v1/reservations/{other.id}", headers=owner_headers,
                        json={"purpose": "mine now"}).status_code == 403
    foreign = make_user(email="foreign@example.com", role="staff", platform=make_platform())
    assert client.patch(url, headers=auth.token(foreign.email), json={"purpose": "x", "reason": "y"}).status_code == 403
    assert client.patch("/api/v1/reservations/999999", headers=owner_headers, json={"purpose": "x"}).status_code == 404
    no_reason = client.patch(url, headers=auth.token(staff.email), json={"start": days_ahead(5, 9).isoformat(),
                                                                        "end": days_ahead(5, 10).isoformat()})
    assert no_reason.status_code == 422 and "reason" in no_reason.get_json()["fields"]
    db.session.expire_all()
    assert db.session.get(Reservation, reservation.id).start == days_ahead(3, 9)  # nothing changed


# --- the mail -------------------------------------------------------------------------------------

def test_changed_mail_carries_the_same_uid_and_the_next_sequence(mail_app, smtp_server, make_platform,
                                                                  make_resource, make_user):
    platform = make_platform(name_en="Open Lab")
    resource = make_resource(platform=platform, opening_hours=None, title_en="Confocal microscope")
    owner = make_user(language="en", email="ada@example.com")
    staff = make_user(role="staff", platform=platform)
    start = days_ahead(6, 9)
    reservation = book(owner, resource, start, now=utcnow())
    move_reservation(staff, reservation, days_ahead(7, 14), days_ahead(7, 15), reason="laser service")
    db.session.commit()
    dispatch_due()
    mails = smtp_server.wait_for(2)
    confirmation = next(m for m in mails if m.subject.startswith("Booking confirmed"))
    change = next(m for m in mails if m.subject.startswith("Booking moved"))
    assert change.rcpt_tos == ["ada@example.com"]
    assert "laser service" in change.text() and "14:00" in change.text()
    ref = f"OS-{reservation.created_at.astimezone(SHANGHAI).year}-{reservation.id:06d}"
    assert ref in change.text() and ref in change.html()
    first = next(iter(icalendar.Calendar.from_ical(confirmation.attachment("invite.ics").get_content()).walk("VEVENT")))
    second = next(iter(icalendar.Calendar.from_ical(change.attachment("invite.ics").get_content()).walk("VEVENT")))
    assert second["UID"] == first["UID"]
    assert int(second["SEQUENCE"]) == int(first["SEQUENCE"]) + 1
    assert second.decoded("DTSTART") == days_ahead(7, 14)
    assert ref in str(second["DESCRIPTION"])


# --- the race -------------------------------------------------------------------------------------

THREADS = 16


def test_many_threads_moving_two_bookings_onto_one_slot(app, make_resource, make_user):
    resource = make_resource(opening_hours=None)
    users = [make_user(), make_user()]
    first = book(users[0], resource, days_ahead(3, 8), now=utcnow())
    second = book(users[1], resource, days_ahead(3, 12), now=utcnow())
    ids = {first.id: users[0].id, second.id: users[1].id}
    target = days_ahead(4, 10)
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(i: int) -> None:
        reservation_id = list(ids)[i % 2]
        with app.app_context():
            try:
                barrier.wait(timeout=60)
                reservation = db.session.get(Reservation, reservation_id)
                user = db.session.get(User, ids[reservation_id])
                start = target + timedelta(minutes=i)
                move_reservation(user, reservation, start, start + timedelta(hours=1))
                db.session.commit()
                outcome = f"won {reservation_id}"
            except SlotTaken:
                db.session.rollback()
                outcome = "taken"
            except Exception as exc:  # anything else fails the test
                db.session.rollback()
                outcome = f"error: {exc!r}"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    errors = [o for o in outcomes if o.startswith("error")]
    assert not errors, errors
    db.session.expire_all()
    rows = db.session.scalars(sa.select(Reservation).where(Reservation.resource_id == resource.id)).all()
    moved = [r for r in rows if r.start >= target]
    # the same booking may win again (moving onto its own time); the other one never lands there
    assert len({r.id for r in moved}) == 1, outcomes
    winners = {o for o in outcomes if o.startswith("won")}
    assert len(winners) == 1 and winners == {f"won {moved[0].id}"}
    blocks = sorted((r.block_start, r.block_end) for r in rows if r.status in ("pending", "confirmed"))
    assert all(a[1] <= b[0] for a, b in zip(blocks, blocks[1:], strict=False))  # no overlap anywhere
