"""Order pages: the order form on a testing service's page, "My orders", an order's page with its
timeline and next steps, the platform's orders (/staff/orders), and file downloads.

Views load, check access, call booking.orders.service and commit; the service raises domain
errors, shown here as form errors (422) or a message on the order's page (403/409).
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from ..accounts.access import role_required
from ..errors import Conflict, Forbidden, InvalidInput, NotFound
from ..extensions import db
from ..models import ORDER_STATUSES, Order, OrderFile, Platform, Resource
from ..orders import service
from ..orders.files import ALLOWED_LABEL, MAX_FILE_BYTES, file_path, read_storage
from ..orders.forms import CancelForm, NoteForm, OrderForm, QuoteForm, ReportForm
from .refusals import flash_refusal, show_on_form
from .transaction import discard_changes

bp = Blueprint("orders", __name__)

PAGE_SIZE = 200


def standards_of(resource: Resource) -> list[str]:
    """Suggestions for the "standard or method" field, from the resource's `standards` attribute."""
    value = (resource.attributes or {}).get("standards")
    if isinstance(value, str):
        value = [part.strip() for part in value.replace("；", ";").split(";")]
    if not isinstance(value, list):
        return []
    return [str(v).strip()[:300] for v in value if str(v).strip()][:50]


def order_form_for(resource: Resource) -> OrderForm:
    form = OrderForm(formdata=None)
    standards = standards_of(resource)
    if len(standards) == 1:
        form.standard.data = standards[0]
    return form


def my_orders_of(resource: Resource) -> list[Order]:
    if not current_user.is_authenticated:
        return []
    return list(db.session.scalars(select(Order).where(
        Order.resource_id == resource.id, Order.user_id == current_user.id,
    ).order_by(Order.id.desc()).limit(5)))


@bp.app_context_processor
def order_helpers() -> dict[str, Any]:
    return {"order_form_for": order_form_for, "order_standards": standards_of, "my_orders_of": my_orders_of,
            "order_status_label": service.status_label, "ORDER_MAX_MB": MAX_FILE_BYTES // (1024 * 1024),
            "ORDER_FILE_TYPES": ALLOWED_LABEL}


# --- ordering ----------------------------------------------------------------------------------

@bp.post("/resources/<int:resource_id>/order")
@login_required
def create(resource_id: int) -> Any:
    resource = db.get_or_404(Resource, resource_id)
    try:
        service.check_orderable(resource)
    except Conflict as exc:
        flash(exc.message, "error")
        return redirect(url_for("main.resource", resource_id=resource.id), 303)
    form = OrderForm()
    form_ok = form.validate_on_submit()
    needed_by = form.needed_by.data if form.needed_by.data is not None else form.turnaround_days.data
    data = {"samples": form.samples.data, "sample_description": form.sample_description.data or "",
            "standard": form.standard.data or "", "needed_by": needed_by, "notes": form.notes.data or ""}
    try:
        # The service's checks too (a date in the past, …), so every mistake shows at once.
        draft = service.parse_draft(data, resource)
        if form_ok:
            order = service.place_order(current_user, resource, draft, read_storage(form.attachment.data))
    except InvalidInput as exc:
        discard_changes()
        fields = exc.details.get("fields") or {}
        if "needed_by" in fields and form.needed_by.data is None:
            fields["turnaround_days"] = fields.pop("needed_by")
        unshown = {name: message for name, message in fields.items()
                   if not getattr(getattr(form, name, None), "errors", None)}
        if unshown or not fields:
            exc.details["fields"] = unshown
            show_on_form(form, exc, field_messages=True)
    except Conflict as exc:
        discard_changes()
        form.form_errors.append(exc.message)
    else:
        if form_ok:
            flash(_("Order no. %(id)s sent. The platform will quote it; you will get an e-mail.", id=order.id),
                  "success")
            return redirect(url_for("orders.detail", order_id=order.id), 303)
    return render_template("resource.html", resource=resource, order_form=form), 422


@bp.get("/resources/<int:resource_id>/order")
def create_again(resource_id: int) -> Any:
    """The address of a refused order form, opened again (e.g. by switching language): its page."""
    return redirect(url_for("main.resource", resource_id=resource_id, **_lang_arg()) + "#order", 303)


def _lang_arg() -> dict[str, str]:
    lang = request.args.get("lang")
    return {"lang": lang} if lang in ("zh", "en") else {}


# --- lists -------------------------------------------------------------------------------------

def _status_arg() -> str | None:
    status = request.args.get("status") or None
    return status if status in ORDER_STATUSES else None


@bp.get("/orders")
@login_required
def mine() -> Any:
    status = _status_arg()
    orders = db.session.scalars(service.visible_orders(current_user, status=status, mine=True).limit(PAGE_SIZE)).all()
    counts = dict(db.session.execute(
        select(Order.status, func.count()).where(Order.user_id == current_user.id).group_by(Order.status)).all())
    return render_template("orders/mine.html", orders=orders, status=status, statuses=ORDER_STATUSES, counts=counts)


@bp.get("/staff/orders")
@role_required("staff")
def staff_list() -> Any:
    platforms: list[Platform] = []
    platform: Platform | None = None
    if current_user.role == "admin":
        platforms = list(db.session.scalars(select(Platform).order_by(Platform.code)))
        code = request.args.get("platform")
        platform = next((p for p in platforms if p.code == code), None)
    else:
        if current_user.platform is None:
            abort(403)
        platform = current_user.platform
    status = _status_arg()
    query = service.visible_orders(current_user, status=status, platform_id=platform.id if platform else None)
    orders = db.session.scalars(query.limit(PAGE_SIZE)).all()
    counts_query = select(Order.status, func.count()).group_by(Order.status)
    if platform is not None:
        counts_query = counts_query.where(Order.platform_id == platform.id)
    counts = dict(db.session.execute(counts_query).all())
    return render_template("orders/staff_list.html", orders=orders, status=status, statuses=ORDER_STATUSES,
                           platform=platform, platforms=platforms, counts=counts)


# --- one order ---------------------------------------------------------------------------------

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
    form_class = {"quote": QuoteForm, "issue": ReportForm, "cancel": CancelForm}.get(action, NoteForm)
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
    return redirect(url_for("orders.detail", order_id=order_id, **_lang_arg()), 303)


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
