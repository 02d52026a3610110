"""Orders of testing services: the state machine, in plain functions.

Every function takes the acting user, checks the actor's right first (Forbidden, 403), then the
order's status (Conflict, 409), then the input (InvalidInput, 422); it changes the order, records
an OrderEvent, publishes it as `order.<action>` (booking.engine.events: the notification outlet mails
the other side), and only flushes: the caller commits.

    action    who                      from                                   to
    submit    the user                 —                                      submitted
    quote     platform staff           submitted, quoted (a revised quote)    quoted
    accept    the ordering user        quoted                                 accepted
    decline   the ordering user        quoted                                 declined
    receive   platform staff           accepted                               received
    start     platform staff           received                               testing
    issue     platform staff (report)  testing                                reported
    complete  staff or ordering user   reported                               completed
    cancel    the ordering user        submitted, quoted, accepted            cancelled
    cancel    platform staff (reason)  submitted … testing                    cancelled

"Platform staff" means staff of the resource's platform, or an administrator.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select

from ..accounts.service import require_verified_email
from ..engine.events import publish
from ..engine.text import _  # translated with or without a request (jobs, the CLI)
from ..errors import Conflict, Forbidden, InvalidInput, NotFound
from ..extensions import db
from ..models import ORDER_STATUSES, Order, OrderEvent, OrderFile, Resource, User, utcnow
from .files import Upload, check_upload, store_file
from .labels import ACTION_LABELS, STATUS_LABELS, action_label, status_label  # noqa: F401  (re-exported for pages and the API)

MAX_SAMPLES = 1000
MAX_DAYS_AHEAD = 730
MAX_PRICE = Decimal("99999999.99")
LIMITS = {"sample_description": 2000, "standard": 300, "notes": 4000, "note": 2000}

# The happy path, as the timeline shows it.
MAIN_PATH = ("submitted", "quoted", "accepted", "received", "testing", "reported", "completed")
FINAL = ("declined", "completed", "cancelled")
ACTIONS = ("quote", "accept", "decline", "receive", "start", "issue", "complete", "cancel")


@dataclass(frozen=True)
class Step:
    sources: tuple[str, ...]
    target: str
    who: str  # staff | orderer | either


STEPS: dict[str, Step] = {
    "quote": Step(("submitted", "quoted"), "quoted", "staff"),
    "accept": Step(("quoted",), "accepted", "orderer"),
    "decline": Step(("quoted",), "declined", "orderer"),
    "receive": Step(("accepted",), "received", "staff"),
    "start": Step(("received",), "testing", "staff"),
    "issue": Step(("testing",), "reported", "staff"),
    "complete": Step(("reported",), "completed", "either"),
}
USER_CANCELLABLE = ("submitted", "quoted", "accepted")
STAFF_CANCELLABLE = ("submitted", "quoted", "accepted", "received", "testing")


# --- who may do what ---------------------------------------------------------------------------

def is_orderer(order: Order, user: User | None) -> bool:
    return user is not None and user.id == order.user_id


def is_platform_staff(order: Order, user: User | None) -> bool:
    return user is not None and user.is_staff_of(order.platform_id)


def is_colleague(order: Order, user: User | None) -> bool:
    """A member, now, of the same verified organisation as the ordering user."""
    # Not at the top: organisations.service queues notices through booking.notify, whose order
    # mail reads this package's labels, so the packages would import each other.
    from ..organisations.service import colleagues

    return colleagues(order.user, user)


def can_view(order: Order, user: User | None) -> bool:
    return is_orderer(order, user) or is_platform_staff(order, user)


def can_download(record: OrderFile, user: User | None) -> bool:
    """The user's attachment: the orderer and the platform's staff. The report: also the
    orderer's colleagues (members of the same verified organisation)."""
    order = record.order
    if is_orderer(order, user) or is_platform_staff(order, user):
        return True
    return record.kind == "report" and order.status in ("reported", "completed") and is_colleague(order, user)


def _has_right(order: Order, user: User, who: str) -> bool:
    if who == "staff":
        return is_platform_staff(order, user)
    if who == "orderer":
        return is_orderer(order, user)
    return is_platform_staff(order, user) or is_orderer(order, user)


def allowed_actions(order: Order, user: User | None) -> list[str]:
    """The actions `user` may take on `order` now (for buttons and the API's `actions`)."""
    if user is None:
        return []
    return [action for action in ACTIONS if refusal(order, user, action) is None]


def lock_for_write() -> None:
    """SQLite: take the write lock now (BEGIN IMMEDIATE), so two steps on one order cannot both
    read the old status; the other writer waits (busy_timeout). PostgreSQL locks the order's row
    instead (SELECT … FOR UPDATE in get_order)."""
    connection = db.session.connection()
    raw = connection.connection.dbapi_connection
    if connection.dialect.name == "sqlite" and raw is not None and not raw.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def get_order(order_id: int, user: User, *, for_update: bool = False) -> Order:
    """An order the user may see: NotFound when there is none, Forbidden when it is not theirs.
    `for_update`: about to change it, so read it under a lock (two clicks make one step)."""
    if for_update:
        lock_for_write()
    order = db.session.get(Order, order_id, with_for_update=True if for_update else None)
    if order is None:
        raise NotFound(_("There is no order %(id)s.", id=order_id))
    if not can_view(order, user):
        raise Forbidden(_("This order is not yours to see."))
    return order


def visible_orders(user: User, *, status: str | None = None, platform_id: int | None = None,
                   mine: bool = False) -> Select[tuple[Order]]:
    """A user's own orders; staff: their platform's; admins: every platform's (or one)."""
    query = select(Order).order_by(Order.created_at.desc(), Order.id.desc())
    if mine or user.role == "user":
        query = query.where(Order.user_id == user.id)
    elif user.role == "staff":
        query = query.where(Order.platform_id == (user.platform_id or -1))
    if platform_id is not None:
        query = query.where(Order.platform_id == platform_id)
    if status:
        if status not in ORDER_STATUSES:
            raise InvalidInput(_("Unknown status: %(s)s.", s=status[:30]), fields={"status": _("unknown status")})
        query = query.where(Order.status == status)
    return query


# --- reading input -----------------------------------------------------------------------------

@dataclass(frozen=True)
class OrderDraft:
    samples: int
    sample_description: str
    standard: str
    needed_by: date | None
    notes: str


def platform_today(order_or_resource: Order | Resource, now: datetime | None = None) -> date:
    tz = order_or_resource.platform.timezone or "Asia/Shanghai"
    return (now or utcnow()).astimezone(ZoneInfo(tz)).date()


def _text(data: Mapping[str, Any], name: str, errors: dict[str, str], *, required: bool = False) -> str:
    value = data.get(name)
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[name] = _("Must be text.")
        return ""
    value = value.strip()
    if required and not value:
        errors[name] = _("This field is required.")
    elif len(value) > LIMITS[name]:
        errors[name] = _("At most %(n)s characters.", n=LIMITS[name])
    elif "\x00" in value:
        errors[name] = _("Contains a character that is not allowed.")
    return value


def _date(value: Any, name: str, errors: dict[str, str], today: date, *, days_allowed: bool) -> date | None:
    """A date (or an ISO date string, or — when allowed — a whole number of days from today)
    between today and two years ahead."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        errors[name] = _("Give a date such as 2027-03-08.")
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, int) and days_allowed:
        if not 1 <= value <= MAX_DAYS_AHEAD:
            errors[name] = _("Give between 1 and %(n)s days.", n=MAX_DAYS_AHEAD)
            return None
        return today + timedelta(days=value)
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            errors[name] = _("Give a date such as 2027-03-08.")
            return None
    if not isinstance(value, date):
        errors[name] = _("Give a date such as 2027-03-08.")
        return None
    if value < today:
        errors[name] = _("The date has passed.")
        return None
    if value > today + timedelta(days=MAX_DAYS_AHEAD):
        errors[name] = _("At most two years ahead.")
        return None
    return value


def parse_draft(data: Mapping[str, Any], resource: Resource, now: datetime | None = None) -> OrderDraft:
    """Check the fields of a new order (from the API's JSON or the page's form data).

    `needed_by` is a date (or ISO date text) or a whole number of days from today in the
    platform's time zone; it may be left out. Raises InvalidInput with every bad field."""
    errors: dict[str, str] = {}
    samples = data.get("samples")
    if isinstance(samples, str) and samples.strip().isdigit():
        samples = int(samples.strip())
    if isinstance(samples, bool) or not isinstance(samples, int):
        errors["samples"] = _("Give a whole number of samples.")
        samples = 0
    elif not 1 <= samples <= MAX_SAMPLES:
        errors["samples"] = _("Between 1 and %(n)s samples.", n=MAX_SAMPLES)
    description = _text(data, "sample_description", errors, required=True)
    standard = _text(data, "standard", errors)
    notes = _text(data, "notes", errors)
    needed_by = _date(data.get("needed_by"), "needed_by", errors, platform_today(resource, now), days_allowed=True)
    if errors:
        raise InvalidInput(_("Please correct the marked fields."), fields=errors)
    return OrderDraft(samples, description, standard, needed_by, notes)


def parse_price(value: Any) -> Decimal:
    """A price in CNY: a number ≥ 0 with at most two decimals."""
    message = _("Give a price in CNY, 0 or more, with at most two decimals.")
    if isinstance(value, bool) or value is None or not isinstance(value, (int, float, str, Decimal)):
        raise InvalidInput(message, fields={"price": message})
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidInput(message, fields={"price": message})
    try:
        amount = Decimal(str(value).strip().replace(",", "")) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise InvalidInput(message, fields={"price": message}) from None
    if not amount.is_finite() or amount < 0 or amount > MAX_PRICE or amount != amount.quantize(Decimal("0.01")):
        raise InvalidInput(message, fields={"price": message})
    return amount.quantize(Decimal("0.01"))


def _note(value: Any, name: str = "note", *, required: bool = False) -> str:
    errors: dict[str, str] = {}
    text = _text({"note": value}, "note", errors, required=required)
    if errors:
        raise InvalidInput(errors["note"], fields={name: errors["note"]})
    return text


# --- the steps ---------------------------------------------------------------------------------

def _record(order: Order, actor: User | None, action: str, from_status: str | None, note: str,
            now: datetime) -> OrderEvent:
    event = OrderEvent(order=order, actor_id=actor.id if actor else None, action=action, from_status=from_status,
                       to_status=order.status, note=note, at=now)
    db.session.add(event)
    order.updated_at = now
    db.session.flush()
    publish(f"order.{action}", event, actor, now)  # the other side hears of it, in this same transaction
    return event


def check_orderable(resource: Resource) -> None:
    """Conflict unless the resource takes orders now."""
    if not resource.orderable:
        raise Conflict(_("This resource does not take orders."))
    if not resource.active:
        raise Conflict(_("This resource has been withdrawn by its platform."))


def place_order(user: User, resource: Resource, draft: OrderDraft, attachment: Upload | None = None,
                now: datetime | None = None) -> Order:
    """A new order of `resource` by `user`, status submitted (flush only)."""
    require_verified_email(user)  # 403 email_unverified: browsing needs no confirmed address, ordering does
    now = now or utcnow()
    check_orderable(resource)
    content_type = check_upload(attachment, "attachment") if attachment is not None else None
    order = Order(resource=resource, platform_id=resource.platform_id, user=user, status="submitted",
                  samples=draft.samples, sample_description=draft.sample_description, standard=draft.standard,
                  needed_by=draft.needed_by, notes=draft.notes, price_currency="CNY", cancel_reason="",
                  created_at=now, updated_at=now)
    db.session.add(order)
    db.session.flush()
    if attachment is not None and content_type is not None:
        store_file(order, "attachment", attachment, user, content_type)
    _record(order, user, "submit", None, "", now)
    return order


def refusal(order: Order, actor: User, action: str) -> Forbidden | Conflict | None:
    """Why `actor` may not take `action` on `order` now (the right first, then the status), or None."""
    if action == "cancel":
        orderer, staff = is_orderer(order, actor), is_platform_staff(order, actor)
        if not orderer and not staff:
            return Forbidden(_("This order is not yours."))
        if (orderer and order.status in USER_CANCELLABLE) or (staff and order.status in STAFF_CANCELLABLE):
            return None
        if orderer and order.status in STAFF_CANCELLABLE:
            return Conflict(_("The samples have been received: ask the platform to cancel the order."))
    else:
        step = STEPS[action]
        if not _has_right(order, actor, step.who):
            if step.who == "staff":
                return Forbidden(_("Only staff of this resource's platform may do that."))
            if step.who == "orderer":
                return Forbidden(_("Only the person who placed the order may do that."))
            return Forbidden(_("This order is not yours."))
        if order.status in step.sources:
            return None
    return Conflict(_("You cannot %(action)s an order that is %(status)s.",
                      action=_action_verb(action), status=status_label(order.status).lower()))


def _step(order: Order, actor: User, action: str) -> str:
    """Check the actor's right, then the status; return the status it leaves."""
    error = refusal(order, actor, action)
    if error is not None:
        raise error
    return order.status


def _action_verb(action: str) -> str:
    verbs = {"quote": _("quote"), "accept": _("accept"), "decline": _("decline"), "receive": _("mark as received"),
             "start": _("start testing"), "issue": _("issue a report for"), "complete": _("complete"),
             "cancel": _("cancel")}
    return verbs.get(action, action)


def quote_order(order: Order, actor: User, price: Any, promised_date: Any, note: Any = "",
                now: datetime | None = None) -> Order:
    now = now or utcnow()
    before = _step(order, actor, "quote")
    amount = parse_price(price)
    errors: dict[str, str] = {}
    promised = _date(promised_date, "promised_date", errors, platform_today(order, now), days_allowed=False)
    if promised is None and "promised_date" not in errors:
        errors["promised_date"] = _("Give the date the report will be ready.")
    if errors:
        raise InvalidInput(errors["promised_date"], fields=errors)
    text = _note(note)
    order.price_amount, order.price_currency, order.promised_date = amount, "CNY", promised
    order.status = "quoted"
    _record(order, actor, "quote", before, text, now)
    return order


def _simple(order: Order, actor: User, action: str, note: Any, now: datetime | None) -> Order:
    now = now or utcnow()
    before = _step(order, actor, action)
    text = _note(note)
    order.status = STEPS[action].target
    _record(order, actor, action, before, text, now)
    return order


def accept_order(order: Order, actor: User, note: Any = "", now: datetime | None = None) -> Order:
    return _simple(order, actor, "accept", note, now)


def decline_order(order: Order, actor: User, note: Any = "", now: datetime | None = None) -> Order:
    return _simple(order, actor, "decline", note, now)


def receive_samples(order: Order, actor: User, note: Any = "", now: datetime | None = None) -> Order:
    return _simple(order, actor, "receive", note, now)


def start_testing(order: Order, actor: User, note: Any = "", now: datetime | None = None) -> Order:
    return _simple(order, actor, "start", note, now)


def complete_order(order: Order, actor: User, note: Any = "", now: datetime | None = None) -> Order:
    return _simple(order, actor, "complete", note, now)


def issue_report(order: Order, actor: User, report: Upload | None, note: Any = "",
                 now: datetime | None = None) -> Order:
    now = now or utcnow()
    before = _step(order, actor, "issue")
    if report is None:
        message = _("Upload the report file.")
        raise InvalidInput(message, fields={"report": message})
    content_type = check_upload(report, "report")
    text = _note(note)
    store_file(order, "report", report, actor, content_type)
    order.status = "reported"
    _record(order, actor, "issue", before, text, now)
    return order


def cancel_order(order: Order, actor: User, reason: Any = "", now: datetime | None = None) -> Order:
    """The orderer may cancel until the samples are received; the platform's staff until the
    report is issued, giving a reason."""
    now = now or utcnow()
    before = _step(order, actor, "cancel")
    if is_orderer(order, actor) and before in USER_CANCELLABLE:
        text = _note(reason, "reason")
    else:
        text = _note(reason, "reason", required=True)
    order.status = "cancelled"
    order.cancel_reason = text
    _record(order, actor, "cancel", before, text, now)
    return order


def perform(order: Order, actor: User, action: str, params: Mapping[str, Any],
            report: Upload | None = None) -> Order:
    """One of ACTIONS with its parameters (price, promised_date, note, reason)."""
    if action == "quote":
        return quote_order(order, actor, params.get("price"), params.get("promised_date"), params.get("note", ""))
    if action == "issue":
        return issue_report(order, actor, report, params.get("note", ""))
    if action == "cancel":
        return cancel_order(order, actor, params.get("reason", ""))
    simple = {"accept": accept_order, "decline": decline_order, "receive": receive_samples,
              "start": start_testing, "complete": complete_order}
    if action not in simple:
        raise NotFound(_("Unknown action: %(a)s.", a=action[:30]))
    return simple[action](order, actor, params.get("note", ""))
