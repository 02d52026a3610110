"""The invitation to rate (templates/email/rating_invite.*): once per completed booking or order.

`invite_ratings` (the scheduler's `invite_ratings` job) finds bookings and orders completed in the
last 14 days that nobody invited yet and nobody rated, claims each by inserting its
`rating_invitation` row (unique per booking / order; ON CONFLICT DO NOTHING … RETURNING: only
the rows this statement inserted are ours), and queues one mail for each, in the same transaction.
Two schedulers, or one restarted, never invite twice: the database holds the claim.

The user's mail settings decide: a user who turned e-mail reminders off (account page; the one
mail preference an account has) or whose account is disabled gets no invitation; the row is still
written (`mail_off`), so they are not asked again when they turn reminders back on.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import exists, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import selectinload

from ..engine.ratings import EDIT_WINDOW
from ..extensions import db
from ..models import Order, OrderEvent, OutgoingMail, Rating, RatingInvitation, Reservation, User, utcnow
from . import links
from .messages import format_span, lang_of
from .outbox import queue_mail

TEMPLATE = "email/rating_invite"
INVITE_WITHIN = timedelta(days=14)  # completed longer ago than this: too late to ask
BATCH = 500


def wants_rating_mail(user: User) -> bool:
    """The user's settings allow the invitation: an active account with e-mail reminders on."""
    return bool(user.active and user.reminders_enabled)


def _insert(rows: list[dict[str, Any]]) -> Any:
    """INSERT … ON CONFLICT DO NOTHING RETURNING, in the session's dialect."""
    name = db.session.get_bind().dialect.name
    make = postgresql.insert if name == "postgresql" else sqlite.insert
    return (make(RatingInvitation).values(rows).on_conflict_do_nothing()
            .returning(RatingInvitation.id, RatingInvitation.reservation_id, RatingInvitation.order_id))


def _claim(rows: list[dict[str, Any]]) -> list[tuple[int, int | None, int | None]]:
    if not rows:
        return []
    return [(r[0], r[1], r[2]) for r in db.session.execute(_insert(rows))]


def _due_reservations(now: datetime, limit: int) -> list[Reservation]:
    invited = exists().where(RatingInvitation.reservation_id == Reservation.id)
    rated = exists().where(Rating.reservation_id == Reservation.id)
    return list(db.session.scalars(
        select(Reservation).options(selectinload(Reservation.user))
        .where(Reservation.status == "completed", Reservation.end >= now - INVITE_WITHIN, ~invited, ~rated)
        .order_by(Reservation.id).limit(limit)))


def _due_orders(now: datetime, limit: int) -> list[Order]:
    invited = exists().where(RatingInvitation.order_id == Order.id)
    rated = exists().where(Rating.order_id == Order.id)
    recently = exists().where(OrderEvent.order_id == Order.id, OrderEvent.to_status == "completed",
                              OrderEvent.at >= now - INVITE_WITHIN)
    return list(db.session.scalars(
        select(Order).options(selectinload(Order.user), selectinload(Order.resource), selectinload(Order.platform))
        .where(Order.status == "completed", recently, ~invited, ~rated)
        .order_by(Order.id).limit(limit)))


def _queue(user: User, *, title: str, platform_name: str, when: str, what: str, link: links.LinkSpec, key: str,
           reservation_id: int | None, now: datetime, lang: str) -> OutgoingMail:
    with force_locale(lang):
        subject = _("How was it? Rate %(title)s", title=title)
    context = {"subject": subject, "title": title, "platform_name": platform_name, "when": when, "what": what,
               "edit_days": EDIT_WINDOW.days}
    return queue_mail(TEMPLATE, kind="rating_invite", to_email=user.email, to_name=user.name, language=lang,
                      message_id=f"<rating-invite-{key}@onestop>", context=context, links={"link": link},
                      subject=subject, reservation_id=reservation_id, now=now)


def invite_reservation(reservation: Reservation, now: datetime) -> OutgoingMail:
    user = reservation.user
    lang = lang_of(user.language)
    resource = reservation.resource
    return _queue(user, title=resource.display_title(lang), platform_name=resource.platform.name(lang),
                  when=format_span(reservation.start, reservation.end, resource.platform.timezone, lang),
                  what="booking", key=f"r{reservation.id}", reservation_id=reservation.id, now=now, lang=lang,
                  link=links.page("ratings.booking_rating", f"/bookings/{reservation.id}/rating",
                                  reservation_id=reservation.id))


def invite_order(order: Order, now: datetime) -> OutgoingMail:
    user = order.user
    lang = lang_of(user.language)
    with force_locale(lang):
        when = _("order no. %(id)s", id=order.id)
    return _queue(user, title=order.resource.display_title(lang), platform_name=order.platform.name(lang),
                  when=when, what="order", key=f"o{order.id}", reservation_id=None, now=now, lang=lang,
                  link=links.page("ratings.order_rating", f"/orders/{order.id}/rating", order_id=order.id))


def invite_ratings(now: datetime | None = None, batch: int = BATCH) -> Counter[str]:
    """Invite the users of recently completed bookings and orders to rate them, once each (flush
    only: the caller commits the claims and the mails together). Counts: queued, mail_off."""
    now = now or utcnow()
    stats: Counter[str] = Counter()
    reservations = {r.id: r for r in _due_reservations(now, batch)}
    orders = {o.id: o for o in _due_orders(now, batch)}
    rows = [{"reservation_id": r.id, "order_id": None, "user_id": r.user_id, "invited_at": now,
             "outcome": "queued" if wants_rating_mail(r.user) else "mail_off"} for r in reservations.values()]
    rows += [{"reservation_id": None, "order_id": o.id, "user_id": o.user_id, "invited_at": now,
              "outcome": "queued" if wants_rating_mail(o.user) else "mail_off"} for o in orders.values()]
    # one statement per kind: a multi-row INSERT needs the same keys, and NULL never conflicts
    claimed = _claim([r for r in rows if r["reservation_id"] is not None])
    claimed += _claim([r for r in rows if r["order_id"] is not None])
    for invitation_id, reservation_id, order_id in claimed:
        if reservation_id is not None:
            reservation = reservations[reservation_id]
            if not wants_rating_mail(reservation.user):
                stats["mail_off"] += 1
                continue
            mail = invite_reservation(reservation, now)
        else:
            order = orders[order_id]  # type: ignore[index]
            if not wants_rating_mail(order.user):
                stats["mail_off"] += 1
                continue
            mail = invite_order(order, now)
        db.session.flush()
        db.session.execute(update(RatingInvitation).where(RatingInvitation.id == invitation_id)
                           .values(mail_id=mail.id).execution_options(synchronize_session=False))
        stats["queued"] += 1
    return stats


__all__ = ["INVITE_WITHIN", "invite_order", "invite_ratings", "invite_reservation", "wants_rating_mail"]
