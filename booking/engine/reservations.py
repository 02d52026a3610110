"""Reservations: book, approve, reject, cancel, expire — each change recorded as an event.

No double booking is guaranteed by the database. On PostgreSQL the exclusion constraint
`ex_reservation_no_overlap` refuses a second active reservation whose block overlaps; the insert
runs in a savepoint so a refusal becomes `SlotTaken` with the winner's interval. On SQLite the
booking first takes the database's write lock (BEGIN IMMEDIATE), so the overlap check and the
insert of one booking cannot interleave with another's. The check before the insert exists to
give a friendly answer; it is not what keeps the calendar right.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Select, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from ..errors import Forbidden, InvalidInput, NotFound
from ..extensions import db
from ..models import Platform, Reservation, Resource, User, VoucherAccount, utcnow
from .checks import check_rules, check_times, find_conflict, lock_calendar, minutes_label, slot_taken
from .errors import NotPending, SlotTaken, TooLateToCancel
from .events import emit
from .pricing import actual_fee, price_reservation
from .qualifications import check_qualified
from .quotas import check_quota
from .restrictions import after_no_show, check_not_restricted
from .rules import effective_rules
from .text import _
from .timefmt import span_json
from .vouchers import _account_of_hold as account_of_hold
from .vouchers import _move as move_voucher
from .vouchers import cap_for, hold_voucher, release_voucher, settle_voucher
from .waitlist import fulfil, offer_freed_time

__all__ = [
    "approve_reservation", "book_for", "can_view", "cancel_reservation", "check_rules", "check_times",
    "create_reservation", "expire_pending", "find_conflict", "finish_reservation", "get_reservation", "lock_calendar",
    "mark_outcome", "move_reservation", "reject_reservation", "status_label", "user_to_book_for",
    "visible_reservations",
]

EXCLUSION_VIOLATION = "23P01"
DEADLOCK_DETECTED = "40P01"


# --- checks -----------------------------------------------------------------------------------

# --- booking ----------------------------------------------------------------------------------

def create_reservation(user: User, resource: Resource, start: datetime, end: datetime, purpose: str = "", *,
                       now: datetime | None = None, series_id: int | None = None, use_voucher: bool = False,
                       voucher_amount: Decimal | None = None, booked_by: User | None = None) -> Reservation:
    """Book [start, end) of `resource` for `user`: confirmed, or pending when the resource needs
    approval (staff of its platform are confirmed at once). Raises a BookingRefused subclass for a
    broken rule, SlotTaken (409) when another booking holds the time, NotQualified (403) without
    the training the resource requires, RestrictedForNoShows (403), VoucherShort (409) when
    `use_voucher` asks for a voucher share the organisation's balance cannot pay.

    The fee estimate is stored with the booking (booking.engine.pricing); with `use_voucher` a
    share of it (`voucher_amount`, else as much as allowed) is paid with innovation vouchers.

    `booked_by`: staff of the platform booking for `user` (see `book_for`). The booking is the
    user's (their mails, their list), made under the rules as for staff (no approval, training,
    no-show restriction or quota); the history names the staff member."""
    # Not at the top: accounts.service imports booking.engine (its text module), whose package
    # imports this module: a top-level import here would run before accounts.service is ready.
    from ..accounts.service import require_verified_email

    if booked_by is not None and booked_by.id == user.id:
        booked_by = None
    if booked_by is not None:
        if not booked_by.is_staff_of(resource.platform_id):
            raise Forbidden(_("Only staff of this resource's platform may book it for someone else."))
        if use_voucher:
            raise InvalidInput(_("Only the user may pay with their organisation's innovation vouchers."),
                               fields={"use_voucher": _("not when booking for someone")})
    else:
        require_verified_email(user)  # 403 email_unverified: browsing needs no confirmed address, booking does
    now = now or utcnow()
    as_staff = booked_by is not None or user.is_staff_of(resource.platform_id)
    rules = effective_rules(resource)
    check_rules(resource, start, end, now, rules)
    if not as_staff:
        check_not_restricted(user, resource, now)
        check_qualified(user, resource, start)
    purpose = check_purpose(purpose)
    block_start, block_end = start, end + timedelta(minutes=rules.buffer_minutes)

    lock_calendar()
    # After the lock: on SQLite two bookings of one user cannot both count the hours left.
    check_quota(user, resource, start, end, exempt=as_staff)
    other = find_conflict(resource.id, block_start, block_end)  # the very test the constraint makes
    if other is not None:
        raise slot_taken(resource, other, start, end, now)

    status = "pending" if rules.requires_approval and not as_staff else "confirmed"
    reservation = Reservation(
        resource_id=resource.id, user_id=user.id, series_id=series_id, start=start, end=end,
        block_start=block_start, block_end=block_end, status=status, purpose=purpose, created_at=now,
        updated_at=now,
    )
    reservation.resource = resource
    reservation.user = user
    price_reservation(reservation, user)
    if db.session.connection().dialect.name == "postgresql":
        savepoint = db.session.begin_nested()
        try:
            db.session.add(reservation)
            db.session.flush()  # the exclusion constraint checks the insert here
        except (IntegrityError, OperationalError) as exc:
            savepoint.rollback()
            if getattr(exc.orig, "sqlstate", None) not in (EXCLUSION_VIOLATION, DEADLOCK_DETECTED):
                raise
            # A rival's booking was committed first. Name its interval.
            other = find_conflict(resource.id, block_start, block_end)
            if other is None:  # the rival was cancelled in the meantime: still refuse, honestly
                raise SlotTaken(_("That time was just taken by someone else; please choose another."),
                                conflict=span_json(start, end, resource.platform.timezone)) from None
            raise slot_taken(resource, other, start, end, now) from None
        savepoint.commit()
    else:
        db.session.add(reservation)
        db.session.flush()
    if use_voucher:
        hold_voucher(reservation, user, voucher_amount, now=now)
    fulfil(reservation, now)
    if booked_by is not None:
        emit(reservation, "created", booked_by, now, purpose=purpose, series_id=series_id, for_user=user.id,
             by=booked_by.id)
    else:
        emit(reservation, "created", user, now, purpose=purpose, series_id=series_id)
    db.session.flush()
    return reservation


def check_purpose(purpose: str | None) -> str:
    purpose = (purpose or "").strip()
    if len(purpose) > 2000:
        raise InvalidInput(_("The purpose is too long (2000 characters at most)."), fields={"purpose": "too long"})
    return purpose


def user_to_book_for(staff: User, email: str, platform_id: int) -> User:
    """The account staff book for, named by e-mail: it must exist and be active."""
    from ..accounts.service import find_user

    if not staff.is_staff_of(platform_id):
        raise Forbidden(_("Only staff of this resource's platform may book it for someone else."))
    email = (email or "").strip()
    if not email:
        raise InvalidInput(_("Give the e-mail address of the user to book for."), fields={"for_user": _("required")})
    user = find_user(email) if len(email) <= 254 else None
    if user is None:
        raise InvalidInput(_("No account uses %(email)s: the user must register first.", email=email[:254]),
                           fields={"for_user": _("no such account")})
    if not user.active:
        raise InvalidInput(_("The account %(email)s is disabled.", email=user.email),
                           fields={"for_user": _("disabled")})
    return user


def book_for(staff: User, email: str, resource: Resource, start: datetime, end: datetime, purpose: str = "", *,
             now: datetime | None = None) -> Reservation:
    """Staff of the platform book [start, end) for the user with that e-mail (see create_reservation)."""
    user = user_to_book_for(staff, email, resource.platform_id)
    return create_reservation(user, resource, start, end, purpose, now=now, booked_by=staff)


# --- moving -------------------------------------------------------------------------------------

def move_reservation(actor: User, reservation: Reservation, start: datetime | None = None,
                     end: datetime | None = None, purpose: str | None = None, reason: str = "", *,
                     now: datetime | None = None) -> Reservation:
    """Change the time (and/or the purpose) of an active booking.

    The owner: within the rules, as when booking (opening hours, lengths, notice, advance limit,
    training, restriction, quota), and not inside the cancellation notice of the old time (moving
    gives the old time up, like cancelling). Staff of the platform: at any time, with a reason,
    under the rules as for staff. A purpose-only change: the owner until the start.

    The database refuses an overlap as it does for a new booking (the exclusion constraint on
    PostgreSQL; the calendar lock on SQLite): SlotTaken, and nothing changes. The fee estimate and
    the voucher share follow the new time; a "changed" event (old and new times, reason) sends the
    owner the updated invitation, re-plans reminders, and the waitlist of the freed time is told."""
    now = now or utcnow()
    reason = (reason or "").strip()
    resource = reservation.resource
    is_owner = reservation.user_id == actor.id
    is_staff = actor.is_staff_of(resource.platform_id)
    if not is_owner and not is_staff:
        raise Forbidden(_("This booking is not yours to change."))
    if not reservation.active:
        raise NotPending(_("This booking is already %(status)s.", status=status_label(reservation.status)))
    if len(reason) > 2000:
        raise InvalidInput(_("The reason is too long (2000 characters at most)."), fields={"reason": "too long"})
    new_start = start if start is not None else reservation.start
    new_end = end if end is not None else reservation.end
    if start is not None and end is None or end is not None and start is None:
        raise InvalidInput(_("Give both the new start and the new end."),
                           fields={"end" if end is None else "start": _("required")})
    check_times(new_start, new_end)
    new_purpose = check_purpose(purpose) if purpose is not None else reservation.purpose
    moves = (new_start, new_end) != (reservation.start, reservation.end)
    if not moves and new_purpose == reservation.purpose:
        raise InvalidInput(_("Nothing to change: give a new time or a new purpose."),
                           fields={"start": _("unchanged")})
    staff_acting = is_staff and not is_owner
    if staff_acting and not reason:
        raise InvalidInput(_("Give the booker a reason for the change."), fields={"reason": _("required")})
    if not is_staff and reservation.start <= now:
        raise TooLateToCancel(_("Too late to change: the booking has already started."))
    rules = effective_rules(resource)
    if moves and not is_staff:
        deadline = reservation.start - timedelta(minutes=rules.cancel_notice_minutes)
        if now >= deadline:
            raise TooLateToCancel(_("Too late to move: bookings of this resource can be changed up to %(d)s before "
                                    "the start (a move gives the old time up, like a cancellation).",
                                    d=minutes_label(rules.cancel_notice_minutes)))
    if not moves:
        reservation.purpose = new_purpose
        reservation.updated_at = now
        emit(reservation, "changed", actor, now, old_start=reservation.start.isoformat(),
             old_end=reservation.end.isoformat(), reason=reason, purpose=new_purpose, purpose_only=True)
        db.session.flush()
        return reservation

    owner = reservation.user
    as_staff = is_staff or owner.is_staff_of(resource.platform_id)
    check_rules(resource, new_start, new_end, now, rules)
    if not as_staff:
        check_not_restricted(owner, resource, now)
        check_qualified(owner, resource, new_start)
    block_start, block_end = new_start, new_end + timedelta(minutes=rules.buffer_minutes)

    lock_calendar()
    check_quota(owner, resource, new_start, new_end, exclude_id=reservation.id, exempt=as_staff)
    other = find_conflict(resource.id, block_start, block_end, exclude_id=reservation.id)
    if other is not None:
        raise slot_taken(resource, other, new_start, new_end, now)

    old_start, old_end = reservation.start, reservation.end
    old_block = (reservation.block_start, reservation.block_end)
    values = {"start": new_start, "end": new_end, "block_start": block_start, "block_end": block_end,
              "purpose": new_purpose, "updated_at": now}
    if db.session.connection().dialect.name == "postgresql":
        savepoint = db.session.begin_nested()
        try:
            for key, value in values.items():
                setattr(reservation, key, value)
            db.session.flush()  # the exclusion constraint checks the update here
        except (IntegrityError, OperationalError) as exc:
            savepoint.rollback()  # the reservation's attributes are expired: reloaded as they were
            # Two moves racing onto each other's new times wait on each other's constraint check:
            # PostgreSQL breaks the cycle by failing one of them, which is then simply the loser.
            if getattr(exc.orig, "sqlstate", None) not in (EXCLUSION_VIOLATION, DEADLOCK_DETECTED):
                raise
            other = find_conflict(resource.id, block_start, block_end, exclude_id=reservation.id)
            if other is None:
                raise SlotTaken(_("That time was just taken by someone else; please choose another."),
                                conflict=span_json(new_start, new_end, resource.platform.timezone)) from None
            raise slot_taken(resource, other, new_start, new_end, now) from None
        savepoint.commit()
    else:
        for key, value in values.items():
            setattr(reservation, key, value)
        db.session.flush()
    old_cap = cap_for(reservation)
    price_reservation(reservation, owner)
    rehold_voucher(reservation, actor, old_cap, now=now)
    emit(reservation, "changed", actor, now, old_start=old_start.isoformat(), old_end=old_end.isoformat(),
         reason=reason, by_staff=staff_acting)
    _offer_old_time(reservation, old_block, now)
    db.session.flush()
    return reservation


def _offer_old_time(reservation: Reservation, old_block: tuple[datetime, datetime], now: datetime) -> None:
    """Tell the waitlist of the time a move gave up: the parts of the old block the new one does not hold."""
    old_start, old_end = old_block
    parts = [(old_start, min(old_end, reservation.block_start)), (max(old_start, reservation.block_end), old_end)]
    for part_start, part_end in parts:
        if part_start < part_end:  # a stand-in for the freed span (never added to the session)
            offer_freed_time(Reservation(resource_id=reservation.resource_id, block_start=part_start,
                                         block_end=part_end), now)


def rehold_voucher(reservation: Reservation, actor: User | None, old_cap: Decimal, *, now: datetime) -> None:
    """After a move: the voucher share follows the new fee estimate, within the platform's cap and
    the organisation's balance. A share that was as much as allowed (the old cap) stays as much as
    allowed; a smaller one is kept, cut to the new cap. Only the difference moves through the
    ledger, so nothing is counted twice."""
    held = reservation.voucher_amount or Decimal("0")
    if held <= 0:
        return
    account_id = account_of_hold(reservation)
    if account_id is None:
        return
    cap = cap_for(reservation)
    wanted = min(held, cap)
    if held >= old_cap:
        balance = db.session.execute(select(VoucherAccount.balance).where(VoucherAccount.id == account_id)
                                     .execution_options(populate_existing=True)).scalar() or Decimal("0")
        wanted = min(cap, held + Decimal(balance))
    note = _("booking %(id)s moved", id=reservation.id)
    if wanted < held:
        move_voucher(account_id, "adjust", held - wanted, reservation=reservation, actor=actor, note=note, now=now)
    elif wanted > held and not move_voucher(account_id, "hold", -(wanted - held), reservation=reservation,
                                            actor=actor, note=note, now=now):
        wanted = held  # the balance changed meanwhile: keep what is held
    reservation.voucher_amount = wanted


# --- access -----------------------------------------------------------------------------------

def can_view(user: User, reservation: Reservation) -> bool:
    return reservation.user_id == user.id or user.is_staff_of(reservation.resource.platform_id)


def get_reservation(user: User, reservation_id: int) -> Reservation:
    """The reservation, if `user` may see it; otherwise NotFound (no hint that it exists)."""
    reservation = db.session.get(Reservation, reservation_id)
    if reservation is None or not can_view(user, reservation):
        raise NotFound(_("No such booking."))
    return reservation


def visible_reservations(user: User, *, mine: bool = False, resource_id: int | None = None,
                         start: datetime | None = None, end: datetime | None = None,
                         platform_id: int | None = None, statuses: tuple[str, ...] | None = None) -> Select[tuple[Reservation]]:
    """A query of the reservations `user` may see: their own; staff also their platform's; admins all."""
    query = select(Reservation).join(Resource, Resource.id == Reservation.resource_id)
    if mine or user.role not in ("staff", "admin"):
        query = query.where(Reservation.user_id == user.id)
    elif user.role == "staff":
        query = query.where((Resource.platform_id == user.platform_id) | (Reservation.user_id == user.id))
    if platform_id is not None:
        query = query.where(Resource.platform_id == platform_id)
    if resource_id is not None:
        query = query.where(Reservation.resource_id == resource_id)
    if start is not None:
        query = query.where(Reservation.end > start)
    if end is not None:
        query = query.where(Reservation.start < end)
    if statuses:
        query = query.where(Reservation.status.in_(statuses))
    return query.order_by(Reservation.start, Reservation.id)


# --- decisions --------------------------------------------------------------------------------

def _set_status(reservation: Reservation, status: str, actor: User | None, now: datetime, reason: str) -> None:
    reservation.status = status
    reservation.decided_by_id = actor.id if actor else None
    reservation.decided_at = now
    reservation.decision_reason = reason
    reservation.updated_at = now


def cancel_reservation(user: User, reservation: Reservation, reason: str = "", *, now: datetime | None = None) -> Reservation:
    """The booker may cancel up to the resource's cancel notice before the start; staff of its
    platform at any time, with a reason when the booking is someone else's."""
    now = now or utcnow()
    reason = (reason or "").strip()
    is_staff = user.is_staff_of(reservation.resource.platform_id)
    if reservation.user_id != user.id and not is_staff:
        raise Forbidden(_("This booking is not yours to cancel."))
    if not reservation.active:
        raise NotPending(_("This booking is already %(status)s.", status=status_label(reservation.status)))
    if not is_staff:
        rules = effective_rules(reservation.resource)
        deadline = reservation.start - timedelta(minutes=rules.cancel_notice_minutes)
        if now >= deadline:
            if rules.cancel_notice_minutes:
                message = _("Too late to cancel: bookings of this resource can be cancelled up to %(d)s before "
                            "the start.", d=minutes_label(rules.cancel_notice_minutes))
            else:
                message = _("Too late to cancel: the booking has already started.")
            raise TooLateToCancel(message)
    elif reservation.user_id != user.id and not reason:
        raise InvalidInput(_("Give the booker a reason for cancelling."), fields={"reason": _("required")})
    _set_status(reservation, "cancelled", user, now, reason)
    emit(reservation, "cancelled", user, now, reason=reason, by_staff=reservation.user_id != user.id)
    _freed(reservation, user, now)
    db.session.flush()
    return reservation


def _freed(reservation: Reservation, actor: User | None, now: datetime) -> None:
    """A booking gave its time up (cancelled, rejected, expired): vouchers back, waitlist told."""
    release_voucher(reservation, actor, now=now)
    offer_freed_time(reservation, now)


def _decide(user: User, reservation: Reservation, status: str, reason: str, now: datetime | None) -> Reservation:
    now = now or utcnow()
    if not user.is_staff_of(reservation.resource.platform_id):
        raise Forbidden(_("Only staff of this resource's platform may approve or reject its bookings."))
    if reservation.status != "pending":
        raise NotPending(_("This booking is not awaiting approval (it is %(status)s).",
                           status=status_label(reservation.status)))
    _set_status(reservation, status, user, now, (reason or "").strip())
    emit(reservation, "approved" if status == "confirmed" else "rejected", user, now, reason=reservation.decision_reason)
    if status == "rejected":
        _freed(reservation, user, now)
    db.session.flush()
    return reservation


def approve_reservation(user: User, reservation: Reservation, reason: str = "", *, now: datetime | None = None) -> Reservation:
    return _decide(user, reservation, "confirmed", reason, now)


def reject_reservation(user: User, reservation: Reservation, reason: str, *, now: datetime | None = None) -> Reservation:
    if not (reason or "").strip():
        raise InvalidInput(_("Give the booker a reason for the rejection."), fields={"reason": _("required")})
    return _decide(user, reservation, "rejected", reason, now)


def mark_outcome(user: User, reservation: Reservation, outcome: str, *, now: datetime | None = None) -> Reservation:
    """Staff record how a confirmed booking went: completed or no_show (once it has started)."""
    now = now or utcnow()
    if outcome not in ("completed", "no_show"):
        raise InvalidInput(_("Unknown outcome."), fields={"outcome": outcome})
    if not user.is_staff_of(reservation.resource.platform_id):
        raise Forbidden(_("Only staff of this resource's platform may do that."))
    if reservation.status != "confirmed" or reservation.start > now:
        raise NotPending(_("Only a confirmed booking that has started can be marked done or no-show."))
    return finish_reservation(reservation, outcome, user, now)


def finish_reservation(reservation: Reservation, outcome: str, actor: User | None, now: datetime) -> Reservation:
    """Record how a started booking went (staff, the booker's check-out, or the attendance job):
    the actual fee (completed: the time used; no-show: the booked time), the voucher share settled
    to it, and for a no-show the booker's restriction when it reaches the platform's limit."""
    _set_status(reservation, outcome, actor, now, "")
    reservation.fee_actual = actual_fee(reservation) if outcome == "completed" else reservation.fee_estimate
    settle_voucher(reservation, actor, now=now)
    emit(reservation, "changed", actor, now, outcome=outcome)
    if outcome == "no_show":
        after_no_show(reservation, now)
    db.session.flush()
    return reservation


def expire_pending(now: datetime | None = None) -> int:
    """Reject every pending booking left undecided for its platform's approval_expiry_hours, or
    whose start has come. For the scheduler; returns how many expired. Each row is claimed with a
    conditional UPDATE, so a decision made at the same moment wins cleanly."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Reservation.id, Reservation.created_at, Reservation.start, Platform.approval_expiry_hours)
        .join(Resource, Resource.id == Reservation.resource_id)
        .join(Platform, Platform.id == Resource.platform_id)
        .where(Reservation.status == "pending")
    ).all()
    expired = 0
    for rid, created_at, start, hours in rows:
        if created_at + timedelta(hours=hours or 0) > now and start > now:
            continue
        reason = _("Not approved within %(n)s hours.", n=hours) if start > now else _("Not approved before the start.")
        claimed = db.session.execute(
            update(Reservation).where(Reservation.id == rid, Reservation.status == "pending").values(
                status="rejected", decided_at=now, decision_reason=reason, decided_by_id=None, updated_at=now)
        ).rowcount  # type: ignore[attr-defined]
        if claimed:
            reservation = db.session.get_one(Reservation, rid)
            db.session.refresh(reservation)
            emit(reservation, "expired", None, now, reason=reason)
            _freed(reservation, None, now)
            expired += 1
    db.session.flush()
    return expired


def status_label(status: str) -> str:
    labels = {
        "pending": _("awaiting approval"), "confirmed": _("confirmed"), "rejected": _("rejected"),
        "cancelled": _("cancelled"), "completed": _("completed"), "no_show": _("no-show"),
    }
    return labels.get(status, status)
