"""Testing-service orders in the API (docs/contract.md §5).

    POST /api/v1/orders                      place an order (201; 422 bad fields; 409 not orderable)
    GET  /api/v1/orders?status=…             a user's own orders; staff: their platform's
    GET  /api/v1/orders/<id>                 one order with its events and files (403 not yours)
    POST /api/v1/orders/<id>/<action>        quote | accept | decline | receive | start | issue |
                                             complete | cancel (409 not from this status; 403 no right)
    GET  /api/v1/orders/<id>/files/<file_id> download a file (the same rights as on the pages)

Files travel as JSON `{"filename": "report.pdf", "content_base64": "…"}`: the optional
`attachment` of a new order, the required `report` of `issue`.
"""
from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

import marshmallow as ma
from flask import send_file, url_for
from flask_babel import gettext as _

from ...engine.timefmt import iso
from ...errors import Forbidden, InvalidInput, NotFound
from ...extensions import db
from ...models import Order, OrderFile, Resource
from ...orders import service
from ...orders.files import MAX_FILE_BYTES, Upload, file_path
from ..validate import MAX_ID
from .blueprint import api_user, bp, errors, signed_in
from .lists import TOTAL_DOC, page_of_query
from .resources import load_resource
from .schemas import IssueBody, NewOrder, OrderActionBody, OrderCancelBody, OrderQuery, OrderSchema, QuoteBody

MAX_LIST = 500


class NewOrderBody(NewOrder):
    @ma.pre_load
    def refuse_what_no_field_can_fix(self, data: Any, **kwargs: Any) -> Any:
        """An unknown resource (404) or one that takes no orders (409) is said before any field error."""
        if isinstance(data, dict):
            resource_id = data.get("resource_id")
            if type(resource_id) is int and 1 <= resource_id <= MAX_ID:
                service.check_orderable(load_resource(resource_id))
        return data


def upload(value: dict[str, str] | None, field: str) -> Upload | None:
    """A file sent as {"filename", "content_base64"}; None when absent."""
    if value is None:
        return None
    text = value["content_base64"]
    if len(text) > (MAX_FILE_BYTES + 3) * 4 // 3 + 8:
        too_big = _("The file is larger than %(mb)s MB.", mb=MAX_FILE_BYTES // (1024 * 1024))
        raise InvalidInput(too_big, fields={field: too_big})
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        bad = _("content_base64 is not valid base64.")
        raise InvalidInput(bad, fields={field: bad}) from None
    return Upload(filename=value["filename"][:1000], data=data)


def order_json(order: Order, user: Any) -> dict[str, Any]:
    tz = order.platform.timezone
    return {
        "id": order.id,
        "status": order.status,
        "status_label": service.status_label(order.status),
        "resource": {"id": order.resource_id, "title": order.resource.title, "title_en": order.resource.title_en,
                     "platform": order.platform.code},
        "user": {"id": order.user.id, "name": order.user.name, "email": order.user.email,
                 "organisation": order.user.organisation_label()},
        "samples": order.samples,
        "sample_description": order.sample_description,
        "standard": order.standard,
        "needed_by": order.needed_by.isoformat() if order.needed_by else None,
        "notes": order.notes,
        "price": None if order.price_amount is None else {"amount": str(order.price_amount),
                                                           "currency": order.price_currency},
        "promised_date": order.promised_date.isoformat() if order.promised_date else None,
        "cancel_reason": order.cancel_reason or None,
        "created_at": iso(order.created_at, tz),
        "updated_at": iso(order.updated_at, tz),
        "actions": service.allowed_actions(order, user),
        "files": [
            {"id": f.id, "kind": f.kind, "filename": f.original_name, "size": f.size, "content_type": f.content_type,
             "url": url_for("api.order_file", order_id=order.id, file_id=f.id, _external=True)}
            for f in order.files if service.can_download(f, user)
        ],
        "events": [
            {"id": e.id, "action": e.action, "from": e.from_status, "to": e.to_status, "note": e.note,
             "actor": ({"id": e.actor.id, "name": e.actor.name} if e.actor else None), "at": iso(e.at, tz)}
            for e in order.events
        ],
        "url": url_for("orders.detail", order_id=order.id, _external=True),
    }


@bp.post("/orders")
@signed_in
@bp.arguments(NewOrderBody)
@bp.response(201, OrderSchema, description="placed: status submitted")
@errors({403: "the caller's e-mail address is not confirmed yet (error email_unverified)",
         404: "no such resource", 409: "the resource takes no orders or was withdrawn",
         422: "invalid fields: see fields"})
def create_order(body: dict[str, Any]) -> Any:
    """Order a testing service (an orderable resource)."""
    user = api_user()
    resource: Resource = load_resource(body["resource_id"])
    attachment = upload(body.get("attachment"), "attachment")
    service.check_orderable(resource)
    draft = service.parse_draft(body, resource)
    order = service.place_order(user, resource, draft, attachment)
    db.session.flush()
    return order_json(order, user), {"Location": url_for("api.get_order", order_id=order.id)}


@bp.get("/orders")
@signed_in
@bp.arguments(OrderQuery, location="query", as_kwargs=True)
@bp.response(200, OrderSchema(many=True), description="newest first", headers=TOTAL_DOC)
@errors({400: "unknown status"})
def list_orders(page: int, per_page: int | None = None, status: str = "", mine: str = "") -> Any:
    """Orders the caller may see (own; staff: their platform's; admins: all)."""
    user = api_user()
    query = service.visible_orders(user, status=status or None, mine=mine == "1")
    rows, headers = page_of_query(query, page, per_page, MAX_LIST)
    return [order_json(o, user) for o in rows], headers


@bp.get("/orders/<int:order_id>")
@signed_in
@bp.response(200, OrderSchema, description="the order")
@errors({403: "not yours, nor your platform's", 404: "no such order"})
def get_order(order_id: int) -> Any:
    """One order with its events and files."""
    user = api_user()
    return order_json(service.get_order(order_id, user), user)


STEPS: dict[str, tuple[type[ma.Schema], str]] = {
    "quote": (QuoteBody, "Staff: set the price and the promised date (submitted, or quoted again)"),
    "accept": (OrderActionBody, "The orderer accepts the quote (quoted)"),
    "decline": (OrderActionBody, "The orderer declines the quote (quoted)"),
    "receive": (OrderActionBody, "Staff: the samples arrived (accepted)"),
    "start": (OrderActionBody, "Staff: testing started (received)"),
    "issue": (IssueBody, "Staff: upload the report (testing)"),
    "complete": (OrderActionBody, "Staff or the orderer confirm (reported)"),
    "cancel": (OrderCancelBody, "Cancel: the orderer until the samples are received; staff until the report, "
                                "with a reason"),
}


def _step_view(action: str, schema: type[ma.Schema], summary: str) -> Callable[..., Any]:
    """The view of one order step: POST /orders/<id>/<action> with that step's body."""

    def step(body: dict[str, Any], order_id: int) -> Any:
        user = api_user()
        order = service.get_order(order_id, user, for_update=True)
        report = upload(body.get("report"), "report") if action == "issue" else None
        service.perform(order, user, action, body, report=report)
        db.session.flush()
        return order_json(order, user)

    step.__name__ = f"order_{action}"
    step.__doc__ = summary
    view = errors({403: "no right to this step", 404: "no such order",
                   409: "not allowed from the order's status", 422: "invalid fields"})(step)
    view = bp.response(200, OrderSchema, description="done")(view)
    view = bp.arguments(schema, required=action in ("quote", "issue"))(view)
    view = signed_in(view)
    return bp.post(f"/orders/<int:order_id>/{action}", endpoint=f"order_{action}")(view)


for _action in service.ACTIONS:
    _step_view(_action, *STEPS[_action])


@bp.get("/orders/<int:order_id>/files/<int:file_id>")
@signed_in
@bp.response(200, {"type": "string", "format": "binary"}, content_type="application/octet-stream",
             description="the file, as an attachment")
@errors({403: "not yours to download", 404: "no such file"})
def order_file(order_id: int, file_id: int) -> Any:
    """Download a file: the attachment (orderer, platform staff) or the report (also the orderer's organisation)."""
    user = api_user()
    record = db.session.get(OrderFile, file_id)
    if record is None or record.order_id != order_id:
        raise NotFound(_("There is no such file."))
    if not service.can_download(record, user):
        raise Forbidden(_("This file is not yours to download."))
    path = file_path(record)
    if not path.is_file():
        raise NotFound(_("The file is missing on the server."))
    response = send_file(path, mimetype=record.content_type, as_attachment=True,
                         download_name=record.original_name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
