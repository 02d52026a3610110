"""Reminder rows follow the booking; the dispatcher sends each once, retries, and never loses one."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import select, update

from booking.engine import approve_reservation, cancel_reservation, reject_reservation
from booking.extensions import db
from booking.models import OutgoingMail, Reminder, utcnow
from booking.notify import dispatch_due, sweep_stuck
from booking.notify.dispatch import claim

from support.smtp import hour_from_now, move


def reminders() -> list[Reminder]:
    db.session.expire_all()
    return db.session.scalars(select(Reminder).order_by(Reminder.reservation_id, Reminder.offset_seconds.desc())).all()


def make_due(reminder: Reminder, ago: timedelta = timedelta(seconds=1)) -> None:
    """Time passes: the reminder's moment has come (its due time stays what it was)."""
    db.session.execute(update(Reminder).where(Reminder.id == reminder.id).values(next_attempt_at=utcnow() - ago))
    db.session.commit()


def sent_reminders(smtp_server):
    return [m for m in smtp_server.messages() if m.subject.startswith("Reminder")]


def test_confirmed_booking_gets_one_reminder_per_offset(app, book):
    app.config["ONESTOP_REMINDER_OFFSETS"] = [timedelta(hours=24), timedelta(hours=1)]
    start = hour_from_now(48)
    reservation = book(start=start)
    rows = reminders()
    assert [(r.offset_seconds, r.due_at, r.status) for r in rows] == [
        (86400, start - timedelta(hours=24), "pending"), (3600, start - timedelta(hours=1), "pending"),
    ]
    assert all(r.reservation_id == reservation.id for r in rows)


def test_reminder_time_already_past_when_booking_is_made_is_skipped(app, book):
    app.config["ONESTOP_REMINDER_OFFSETS"] = [timedelta(hours=24), timedelta(hours=1)]
    book(start=hour_from_now(5))
    assert [(r.offset_seconds, r.status) for r in reminders()] == [(86400, "skipped"), (3600, "pending")]


def test_pending_booking_gets_reminders_when_approved_and_loses_them_when_rejected(
        mail_app, book, make_user, make_resource, make_platform):
    platform = make_platform(booking_rules={"requires_approval": True})
    staff = make_user(role="staff", platform=platform)
    resource = make_resource(platform=platform)
    first = book(resource=resource, start=hour_from_now(30))
    second = book(resource=resource, start=hour_from_now(40))
    assert reminders() == []
    approve_reservation(staff, first)
    db.session.commit()
    assert [(r.reservation_id, r.status) for r in reminders()] == [(first.id, "pending")]
    reject_reservation(staff, second, "no")
    cancel_reservation(staff, first, "instrument broken")
    db.session.commit()
    assert [(r.reservation_id, r.status, r.last_error) for r in reminders()] == [(first.id, "cancelled", "booking cancelled")]


def test_cancelled_booking_gets_no_reminder(mail_app, smtp_server, book, make_user):
    user = make_user(language="en")
    reservation = book(user=user, start=hour_from_now(3))
    (reminder,) = reminders()
    cancel_reservation(user, reservation)
    db.session.commit()
    make_due(reminder)
    dispatch_due()
    assert sent_reminders(smtp_server) == []
    assert reminders()[0].status == "cancelled"


def test_due_reminder_is_sent_once_with_its_own_message_id(mail_app, smtp_server, book, make_user):
    user = make_user(language="zh", name="李四")
    book(user=user, start=hour_from_now(3), purpose="测晶体结构")
    (reminder,) = reminders()
    assert dispatch_due()["sent"] == 1  # the confirmation; the reminder is not due yet
    make_due(reminder)
    assert dispatch_due()["sent"] == 1
    assert dispatch_due()["sent"] == 0
    (mail,) = sent_reminders(smtp_server) or [m for m in smtp_server.messages() if m.subject.startswith("预约提醒")]
    assert mail.message_id == reminder.message_id == (
        f"<reminder-{reminder.id}-3600-{reminder.due_at:%Y%m%dT%H%M%SZ}@onestop>")
    assert mail.subject.startswith("预约提醒：")
    assert "3 小时" in mail.text()  # how long until it starts, in the user's words
    assert "测晶体结构" in mail.text()
    (row,) = reminders()
    assert row.status == "sent" and row.sent_at is not None and row.attempts == 0


def test_moved_booking_is_reminded_at_the_new_time(mail_app, smtp_server, book, make_user):
    user = make_user(language="en")
    start = hour_from_now(3)
    reservation = book(user=user, start=start)
    (reminder,) = reminders()
    first_id = reminder.message_id
    make_due(reminder)
    dispatch_due()
    assert len(sent_reminders(smtp_server)) == 1
    move(reservation, start + timedelta(hours=2))
    (row,) = reminders()
    assert (row.status, row.due_at) == ("pending", start + timedelta(hours=1))
    assert row.message_id != first_id  # a new time is a new mail
    make_due(row)
    dispatch_due()
    first, second = sent_reminders(smtp_server)
    assert second.message_id == row.message_id
    new_local = (start + timedelta(hours=2)).astimezone(ZoneInfo("Asia/Shanghai"))
    assert f"{new_local:%Y-%m-%d}" in second.text() and f"{new_local:%H:%M}–" in second.text()
    assert first.message_id == first_id


def test_overdue_reminder_is_sent_if_booking_has_not_begun_and_skipped_if_it_has(mail_app, smtp_server, book, make_user):
    """The scheduler was down: a reminder whose moment passed is still useful until the booking starts."""
    user = make_user(language="en")
    not_begun = book(user=user, start=hour_from_now(3))
    begun = book(user=user, start=hour_from_now(4))
    late, too_late = reminders()
    make_due(late, ago=timedelta(minutes=90))
    # The second booking started while nobody sent its reminder (moved back in time directly).
    db.session.execute(update(Reminder).where(Reminder.id == too_late.id).values(next_attempt_at=utcnow() - timedelta(hours=2)))
    begun.start = begun.block_start = utcnow() - timedelta(minutes=5)
    db.session.commit()
    stats = dispatch_due()
    assert (stats["skipped"], len(sent_reminders(smtp_server))) == (1, 1)
    assert sent_reminders(smtp_server)[0].message_id == late.message_id
    skipped = reminders()[1]
    assert skipped.status == "skipped" and "had begun" in skipped.last_error
    assert not_begun.id != begun.id


def test_smtp_failure_is_retried_with_backoff_then_marked_failed(mail_app, smtp_server, book, make_user):
    mail_app.config.update(ONESTOP_MAIL_MAX_ATTEMPTS=3)
    smtp_server.stop()
    book(user=make_user(language="en"), start=hour_from_now(3))
    (reminder,) = reminders()
    make_due(reminder)
    before = utcnow()
    assert dispatch_due()["retry"] == 2  # the confirmation and the reminder
    row = reminders()[0]
    assert row.status == "pending" and row.attempts == 1 and "Connection refused" in row.last_error
    assert row.next_attempt_at >= before + timedelta(seconds=1)  # backoff: not before the retry time
    assert dispatch_due() == {}  # nothing due yet
    for attempts in (2, 3):
        db.session.execute(update(Reminder).values(next_attempt_at=utcnow()))
        db.session.execute(update(OutgoingMail).values(next_attempt_at=utcnow()))
        db.session.commit()
        dispatch_due()
        assert reminders()[0].attempts == attempts
    assert reminders()[0].status == "failed"
    assert db.session.scalar(select(OutgoingMail.status)) == "failed"


def test_smtp_outage_then_recovery_delivers_everything_once(mail_app, smtp_server, book, make_user):
    smtp_server.stop()
    for n in range(3):
        book(user=make_user(language="en"), start=hour_from_now(3 + n))
    for reminder in reminders():
        make_due(reminder)
    assert dispatch_due()["retry"] == 6
    smtp_server.start()
    db.session.execute(update(Reminder).values(next_attempt_at=utcnow()))
    db.session.execute(update(OutgoingMail).values(next_attempt_at=utcnow()))
    db.session.commit()
    assert dispatch_due()["sent"] == 6
    assert len(smtp_server.messages()) == 6 and smtp_server.duplicates() == {}
    assert {r.status for r in reminders()} == {"sent"}


def test_a_row_stuck_in_sending_is_resent_with_the_same_message_id(mail_app, smtp_server, book, make_user):
    """The worst moment: the process died after the server took the mail, before it was marked sent."""
    book(user=make_user(language="en"), start=hour_from_now(3))
    (reminder,) = reminders()
    make_due(reminder)
    assert claim(Reminder, utcnow()) == [reminder.id]
    db.session.commit()
    assert dispatch_due()["sent"] == 1  # only the confirmation: the claimed row belongs to the dead process
    assert sweep_stuck() == 0  # not stuck for long enough yet
    db.session.execute(update(Reminder).values(claimed_at=utcnow() - timedelta(minutes=6)))  # time passes
    db.session.commit()
    assert sweep_stuck() == 1
    row = reminders()[0]
    assert (row.status, row.attempts) == ("pending", 1)
    dispatch_due()
    (mail,) = sent_reminders(smtp_server)
    assert mail.message_id == reminder.message_id


def test_two_dispatchers_that_saw_the_same_rows_claim_each_once(mail_app, book, make_user):
    """Both read the due rows; the other process claims them first; our claim then gets none."""
    from booking.notify.dispatch import claim_ids, due_ids

    book(user=make_user(), start=hour_from_now(3))
    (reminder,) = reminders()
    make_due(reminder)
    seen = due_ids(Reminder, utcnow())
    db.session.commit()
    assert seen == [reminder.id]
    other = sa.create_engine(mail_app.config["SQLALCHEMY_DATABASE_URI"])  # another process's connection
    try:
        with other.begin() as conn:
            won = conn.execute(sa.update(Reminder.__table__).where(Reminder.id.in_(seen), Reminder.status == "pending")
                               .values(status="sending", claimed_at=utcnow())).rowcount
    finally:
        other.dispose()
    assert won == 1
    assert claim_ids(Reminder, seen, utcnow()) == []
    db.session.commit()


def test_user_without_reminders_gets_none_and_own_offsets_are_used(app, book, make_user):
    app.config["ONESTOP_REMINDER_OFFSETS"] = [timedelta(hours=24), timedelta(hours=1)]
    quiet = make_user()
    quiet.reminders_enabled = False
    picky = make_user()
    picky.reminder_offsets = "2h,30m"
    db.session.commit()
    book(user=quiet)
    picky_booking = book(user=picky)
    assert [(r.reservation_id, r.offset_seconds) for r in reminders()] == [(picky_booking.id, 7200), (picky_booking.id, 1800)]


def test_how_long_until_the_start_reads_naturally():
    from booking.notify.messages import format_offset, format_starts_in

    assert format_starts_in(86398, "en") == "24 hours"
    assert format_starts_in(3 * 86400 - 30, "zh") == "3 天"
    assert format_starts_in(3599, "en") == "1 hour"
    assert format_starts_in(45 * 60 + 10, "en") == "45 minutes"
    assert format_starts_in(20, "en") == "1 minute"
    assert format_offset(5400, "en") == "90 minutes" and format_offset(86400, "zh") == "24 小时"
