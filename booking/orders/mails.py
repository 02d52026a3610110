"""Order mail: every step of an order is told to the other side, through the mail outbox.

Called by the state machine (booking.orders.service) in the transaction of the step, like
booking.notify.events does for bookings: the message is rendered now, in the recipient's
language, and queued as an `OutgoingMail` row that the scheduler's dispatcher sends. A step taken
by the ordering user goes to the platform's staff (or the platform's address when it has no staff
accounts); a step taken by staff goes to the ordering user.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.routing import BuildError

from ..extensions import db
from ..models import Order, OrderEvent, OutgoingMail, User
from ..notify.messages import absolute_url, lang_of, render_message

TEMPLATE = "order_update"  # templates/email/order_update.{txt,html}


def order_link(order: Order) -> str:
    try:
        path = current_app.url_map.bind("localhost").build("orders.detail", {"order_id": order.id})
    except BuildError:
        path = f"/orders/{order.id}"
    return absolute_url(path)


def platform_recipients(order: Order) -> list[tuple[str, str, str, str]]:
    """(key, e-mail, name, language) of the platform's active staff, else its contact address."""
    platform = order.platform
    staff = db.session.scalars(
        select(User).where(User.role == "staff", User.platform_id == platform.id, User.active.is_(True))
        .order_by(User.id)
    ).all()
    if staff:
        return [(f"u{u.id}", u.email, u.name, u.language) for u in staff]
    if platform.email:
        return [(f"p{platform.id}", platform.email, platform.name("zh"), "zh")]
    return []


def _context(order: Order, event: OrderEvent, actor: User | None, lang: str, for_staff: bool) -> dict[str, Any]:
    from .service import action_label, status_label

    resource = order.resource
    price = ""
    if order.price_amount is not None:
        price = f"¥{order.price_amount:,.2f} {order.price_currency}"
    return {
        "order": order,
        "order_id": order.id,
        "action": event.action,
        "action_label": action_label(event.action),
        "status_label": status_label(order.status),
        "title": resource.display_title(lang),
        "platform_name": order.platform.name(lang),
        "samples": order.samples,
        "sample_description": order.sample_description,
        "standard": order.standard,
        "needed_by": order.needed_by.isoformat() if order.needed_by else "",
        "price": price,
        "promised_date": order.promised_date.isoformat() if order.promised_date else "",
        "note": event.note,
        "actor_name": (actor.name or actor.email) if actor else "",
        "orderer_name": order.user.name or order.user.email,
        "orderer_email": order.user.email,
        "orderer_organisation": order.user.organisation_label(lang),
        "for_staff": for_staff,
        "link": order_link(order),
        "home": absolute_url("/"),
    }


def _subject(order: Order, event: OrderEvent, lang: str) -> str:
    from .service import action_label

    with force_locale(lang):
        return _("%(step)s · order no. %(id)s: %(title)s", step=action_label(event.action), id=order.id,
                 title=order.resource.display_title(lang))


def _mail(order: Order, event: OrderEvent, actor: User | None, key: str, address: str, name: str,
          language: str, for_staff: bool) -> OutgoingMail:
    lang = lang_of(language)
    message_id = f"<order-event-{event.id}-{key}@onestop>"
    subject = _subject(order, event, lang)
    rendered = render_message(TEMPLATE, lang=lang, to_email=address, to_name=name, message_id=message_id,
                              context=_context(order, event, actor, lang, for_staff) | {"subject": subject},
                              date=event.at)
    # subject.txt knows booking mails only: the order's own subject replaces its fallback.
    rendered.message.replace_header("Subject", subject)
    rendered = replace(rendered, subject=subject)
    now: datetime = event.at
    return OutgoingMail(
        kind=f"order_{event.action}", reservation_id=None, event_id=None, recipient=address,
        subject=subject[:300], message_id=message_id, raw=rendered.as_bytes().decode("ascii"), status="pending",
        attempts=0, next_attempt_at=now, last_error="", created_at=now,
    )


def queue_order_mails(order: Order, event: OrderEvent, actor: User | None) -> list[OutgoingMail]:
    """Queue the mails of one order step (flush only)."""
    from .service import is_orderer, is_platform_staff

    mails: list[OutgoingMail] = []
    by_orderer = is_orderer(order, actor)
    if by_orderer or actor is None:
        for key, address, name, language in platform_recipients(order):
            if actor is not None and address == actor.email:
                continue
            mails.append(_mail(order, event, actor, key, address, name, language, for_staff=True))
    if not by_orderer and (actor is None or is_platform_staff(order, actor)):
        user = order.user
        mails.append(_mail(order, event, actor, f"u{user.id}", user.email, user.name, user.language, for_staff=False))
    db.session.add_all(mails)
    db.session.flush()
    return mails
