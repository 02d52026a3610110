"""/orders: my orders; one order's page with its timeline and next steps (for the orderer and the
platform's staff), a step taken on it, and its files. (Ordering is on the resource's page:
booking.web.resources.order; the platform's list is /staff/orders.)

Views load, check access and call booking.orders.service; the service raises domain errors,
shown here as form errors (422) or a message on the order's page (403/409).
"""
from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from ...errors import Conflict, Forbidden, InvalidInput, NotFound
from ...extensions import db
from ...models import ORDER_STATUSES, Order, OrderFile
from ...orders import service
from ...orders.files import file_path, read_storage
from ...orders.forms import CancelForm, NoteForm, QuoteForm, ReportForm
from ..refusals import flash_refusal, show_on_form
from ..resources.order import lang_arg
from .blueprint import bp

PAGE_SIZE = 200


def status_arg() -> str | None:
    status = request.args.get("status") or None
    return status if status in ORDER_STATUSES else None


@bp.get("/orders")
@login_required
def mine() -> Any:
    status = status_arg()
    orders = db.session.scalars(service.visible_orders(current_user, status=status, mine=True).limit(PAGE_SIZE)).all()
    counts: dict[str, int] = dict(db.session.execute(
        select(Order.status, func.count()).where(Order.user_id == current_user.id).group_by(Order.status)).tuples().all())
    return render_template("orders/mine.html", orders=orders, status=status, statuses=ORDER_STATUSES, counts=counts)


def _load(order_id: int, for_update: bool = False) -> Order:
    try:
        return service.get_order(order_id, current_user, for_update=for_update)
    except NotFound:
        abort(404)
    except Forbidden:
        abort(403)


def _render_detail(order: Order, forms: dict[str, FlaskForm] | None = None, status: int = 200) -> Any:
    actions = service.allowed_actions(order, current_user)
    forms = dict(forms or {})
    defaults = {"quote": QuoteForm, "issue": ReportForm, "cancel": CancelForm}
    for action in actions:
        if action not in forms:
            forms[action] = defaults.get(action, NoteForm)(formdata=None, prefix=action)
    if "quote" in forms and order.price_amount is not None and forms["quote"].price.data is None:
        forms["quote"].price.data = order.price_amount
        forms["quote"].promised_date.data = order.promised_date
    return render_template(
        "orders/detail.html", order=order, actions=actions, forms=forms,
        is_staff=service.is_platform_staff(order, current_user), is_orderer=service.is_orderer(order, current_user),
        main_path=service.MAIN_PATH, action_label=service.action_label,
    ), status


@bp.get("/orders/<int:order_id>")
@login_required
def detail(order_id: int) -> Any:
    return _render_detail(_load(order_id))


@bp.post("/orders/<int:order_id>/<action>")
@login_required
def act(order_id: int, action: str) -> Any:
    if action not in service.ACTIONS:
        abort(404)
    order = _load(order_id, for_update=True)
    refused = service.refusal(order, current_user, action)
    if refused is not None:  # e.g. a page left open while the order moved on
        flash(refused.message, "error")
        return _render_detail(order, status=refused.status)
    form_class: type[FlaskForm] = {"quote": QuoteForm, "issue": ReportForm, "cancel": CancelForm}.get(action, NoteForm)
    form = form_class(prefix=action)
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            flash(_("The form expired. Please submit it again."), "error")
        return _render_detail(order, {action: form}, 422)
    params: dict[str, Any] = {}
    report = None
    if isinstance(form, QuoteForm):
        params = {"price": form.price.data, "promised_date": form.promised_date.data, "note": form.note.data or ""}
    elif isinstance(form, ReportForm):
        params = {"note": form.note.data or ""}
        report = read_storage(form.report.data)
    elif isinstance(form, CancelForm):
        params = {"reason": form.reason.data or ""}
    else:
        params = {"note": form.note.data or ""}
    try:
        service.perform(order, current_user, action, params, report=report)
    except InvalidInput as exc:
        show_on_form(form, exc, field_messages=True)
        return _render_detail(db.session.get(Order, order_id) or order, {action: form}, 422)
    except (Conflict, Forbidden) as exc:
        flash_refusal(exc)
        return _render_detail(db.session.get(Order, order_id) or order, status=exc.status)
    flash(service.action_label(action), "success")
    return redirect(url_for("orders.detail", order_id=order.id), 303)


@bp.get("/orders/<int:order_id>/<action>")
def act_again(order_id: int, action: str) -> Any:
    """The address of a refused step, opened again (e.g. by switching language): the order's page."""
    return redirect(url_for("orders.detail", order_id=order_id, **lang_arg()), 303)


@bp.get("/orders/<int:order_id>/files/<int:file_id>")
@login_required
def download(order_id: int, file_id: int) -> Any:
    record = db.session.get(OrderFile, file_id)
    if record is None or record.order_id != order_id:
        abort(404)
    if not service.can_download(record, current_user):
        abort(403)
    path = file_path(record)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=record.content_type, as_attachment=True,
                         download_name=record.original_name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
