"""Testing-service orders in the JSON API, on the existing /api/v1 blueprint.

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
from typing import Any

from flask import jsonify, request, send_file, url_for
from flask_babel import gettext as _

from ..errors import DomainError, InvalidInput, NotFound
from ..extensions import db
from ..models import Order, OrderFile, Resource
from ..orders import service
from ..orders.files import MAX_FILE_BYTES, Upload, file_path
from .api import api_user, bp, json_body

MAX_LIST = 500
ORDER_FIELDS = ("resource_id", "samples", "sample_description", "standard", "needed_by", "notes", "attachment")


class BadQuery(DomainError):
    code = "bad_request"
    status = 400


def _upload(value: Any, field: str) -> Upload | None:
    """A file sent as {"filename", "content_base64"}; None when absent."""
    if value is None:
        return None
    message = _('Send the file as {"filename": "…", "content_base64": "…"}.')
    if not isinstance(value, dict) or not isinstance(value.get("filename"), str) \
            or not isinstance(value.get("content_base64"), str):
        raise InvalidInput(message, fields={field: message})
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
                 "organisation": order.user.organisation},
        "samples": order.samples,
        "sample_description": order.sample_description,
        "standard": order.standard,
        "needed_by": order.needed_by.isoformat() if order.needed_by else None,
        "notes": order.notes,
        "price": None if order.price_amount is None else {"amount": str(order.price_amount),
                                                           "currency": order.price_currency},
        "promised_date": order.promised_date.isoformat() if order.promised_date else None,
        "cancel_reason": order.cancel_reason or None,
        "created_at": _iso(order.created_at, tz),
        "updated_at": _iso(order.updated_at, tz),
        "actions": service.allowed_actions(order, user),
        "files": [
            {"id": f.id, "kind": f.kind, "filename": f.original_name, "size": f.size, "content_type": f.content_type,
             "url": url_for("api.order_file", order_id=order.id, file_id=f.id, _external=True)}
            for f in order.files if service.can_download(f, user)
        ],
        "events": [
            {"id": e.id, "action": e.action, "from": e.from_status, "to": e.to_status, "note": e.note,
             "actor": ({"id": e.actor.id, "name": e.actor.name} if e.actor else None), "at": _iso(e.at, tz)}
            for e in order.events
        ],
        "url": url_for("orders.detail", order_id=order.id, _external=True),
    }


def _iso(value: Any, tz: str) -> str:
    from zoneinfo import ZoneInfo

    return value.astimezone(ZoneInfo(tz)).isoformat()


@bp.post("/orders")
def create_order() -> Any:
    user = api_user()
    body = json_body()
    unknown = sorted(set(body) - set(ORDER_FIELDS))
    if unknown:
        raise InvalidInput(_("Unknown fields: %(names)s.", names=", ".join(unknown)[:200]),
                           fields={name[:50]: _("unknown field") for name in unknown[:20]})
    resource_id = body.get("resource_id")
    if isinstance(resource_id, bool) or not isinstance(resource_id, int):
        raise InvalidInput(_("resource_id must be a whole number."), fields={"resource_id": _("required")})
    resource = db.session.get(Resource, resource_id) if 0 < resource_id < 2**31 else None
    if resource is None:
        raise NotFound(_("There is no resource %(id)s.", id=resource_id))
    attachment = _upload(body.get("attachment"), "attachment")
    service.check_orderable(resource)  # 409 before field errors: no field can fix that
    draft = service.parse_draft(body, resource)
    order = service.place_order(user, resource, draft, attachment)
    db.session.commit()
    return jsonify(order_json(order, user)), 201, {"Location": url_for("api.get_order", order_id=order.id)}


@bp.get("/orders")
def list_orders() -> Any:
    user = api_user()
    status = request.args.get("status") or None
    if status is not None and status not in service.STATUS_LABELS:
        raise BadQuery(_("Unknown status: %(s)s.", s=status[:30]), fields={"status": _("unknown status")})
    mine = request.args.get("mine")
    if mine not in (None, "", "0", "1"):
        raise BadQuery(_("mine is 1 or 0."), fields={"mine": _("1 or 0")})
    orders = db.session.scalars(service.visible_orders(user, status=status, mine=mine == "1").limit(MAX_LIST)).all()
    return jsonify([order_json(o, user) for o in orders])


@bp.get("/orders/<int:order_id>")
def get_order(order_id: int) -> Any:
    user = api_user()
    return jsonify(order_json(service.get_order(order_id, user), user))


@bp.post("/orders/<int:order_id>/<action>")
def order_action(order_id: int, action: str) -> Any:
    user = api_user()
    if action not in service.ACTIONS:
        raise NotFound(_("Unknown action: %(a)s. Use one of %(all)s.", a=action[:30], all=", ".join(service.ACTIONS)))
    order = service.get_order(order_id, user)
    body = request.get_json(silent=True) if request.data else {}
    if not isinstance(body, dict):
        raise InvalidInput(_("send a JSON object with Content-Type: application/json"), fields={})
    report = _upload(body.get("report"), "report") if action == "issue" else None
    service.perform(order, user, action, body, report=report)
    db.session.commit()
    return jsonify(order_json(order, user))


@bp.get("/orders/<int:order_id>/files/<int:file_id>")
def order_file(order_id: int, file_id: int) -> Any:
    user = api_user()
    record = db.session.get(OrderFile, file_id)
    if record is None or record.order_id != order_id:
        raise NotFound(_("There is no such file."))
    if not service.can_download(record, user):
        from ..errors import Forbidden

        raise Forbidden(_("This file is not yours to download."))
    path = file_path(record)
    if not path.is_file():
        raise NotFound(_("The file is missing on the server."))
    response = send_file(path, mimetype=record.content_type, as_attachment=True,
                         download_name=record.original_name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
