"""/resources/<id>/order: ordering a testing service from its page, and what the order panel shows."""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ...errors import Conflict, InvalidInput
from ...extensions import db
from ...models import Order, Resource
from ...orders import service
from ...orders.files import ALLOWED_LABEL, MAX_FILE_BYTES, read_storage
from ...orders.forms import OrderForm
from ..refusals import show_on_form
from ..transaction import discard_changes
from .blueprint import bp
from .page import render_resource_page


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


@bp.post("/<int:resource_id>/order", endpoint="order")
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
    return render_resource_page(resource, order_form=form, status=422)


@bp.get("/<int:resource_id>/order", endpoint="order_again")
def create_again(resource_id: int) -> Any:
    """The address of a refused order form, opened again (e.g. by switching language): its page."""
    return redirect(url_for("main.resource", resource_id=resource_id, **lang_arg()) + "#order", 303)


def lang_arg() -> dict[str, Any]:
    """The page's `lang` choice, carried to the page a redirect leads to."""
    lang = request.args.get("lang")
    return {"lang": lang} if lang in ("zh", "en") else {}
