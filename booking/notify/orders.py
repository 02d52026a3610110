"""Order mail: every step of an order is told to the other side (`order.<action>` events).

A step taken by the ordering user goes to the platform's staff (or the platform's address when
it has no staff accounts); a step taken by staff goes to the ordering user; a step taken by
nobody (a job) goes to both. Queued in the recipient's language in the transaction of the step
(templates/email/order_update.*), rendered by the dispatcher.
"""
from __future__ import annotations

from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _

from ..engine.money import format_money
from ..extensions import db
from ..models import Order, OrderEvent, OutgoingMail, User
from ..orders.labels import ACTION_LABELS, STATUS_LABELS
from . import links
from .messages import lang_of
from .outbox import queue_mail
from .recipients import Recipient, platform_recipients, user_recipient

TEMPLATE = "email/order_update"


def _context(order: Order, event: OrderEvent, actor: User | None, lang: str, for_staff: bool) -> dict[str, Any]:
    """The values of the mail, in the recipient's language, as they are at this step."""
    with force_locale(lang):
        labels = {"action_label": str(ACTION_LABELS.get(event.action, event.action)),
                  "status_label": str(STATUS_LABELS.get(order.status, order.status))}
        subject = _("%(step)s · order no. %(id)s: %(title)s", step=labels["action_label"], id=order.id,
                    title=order.resource.display_title(lang))
    price = format_money(order.price_amount, order.price_currency) if order.price_amount is not None else ""
    return {
        "order_id": order.id,
        "action": event.action,
        **labels,
        "title": order.resource.display_title(lang),
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
        "subject": subject,
    }


def _queue(order: Order, event: OrderEvent, actor: User | None, recipient: Recipient, for_staff: bool) -> OutgoingMail:
    lang = lang_of(recipient.language)
    context = _context(order, event, actor, lang, for_staff)
    return queue_mail(TEMPLATE, kind=f"order_{event.action}", to_email=recipient.email, to_name=recipient.name,
                      language=lang, message_id=f"<order-event-{event.id}-{recipient.key}@onestop>",
                      context=context, links={"link": links.page("orders.detail", f"/orders/{order.id}",
                                                                  order_id=order.id)},
                      subject=context["subject"], now=event.at)


def order_step(event: OrderEvent, actor: User | None) -> list[OutgoingMail]:
    """Queue the mails of one order step (flush only)."""
    order = event.order
    mails: list[OutgoingMail] = []
    by_orderer = actor is not None and actor.id == order.user_id
    if by_orderer or actor is None:
        for recipient in platform_recipients(order.platform):
            if actor is not None and recipient.email == actor.email:
                continue
            mails.append(_queue(order, event, actor, recipient, for_staff=True))
    if not by_orderer and (actor is None or actor.is_staff_of(order.platform_id)):
        mails.append(_queue(order, event, actor, user_recipient(order.user), for_staff=False))
    db.session.flush()
    return mails
