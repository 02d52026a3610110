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
from .validate import MAX_ID, valid_id

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
    resource_id = valid_id(body.get("resource_id"), "resource_id")
    resource = db.session.get(Resource, resource_id)
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
    order = service.get_order(order_id, user, for_update=True)
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


def openapi_spec(ref: Any, json_: Any, error: Any, path_id: Any, query: Any,
                 auth: list[dict[str, list[str]]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(schemas, paths) of the order endpoints for /api/v1/openapi.json (booking.web.openapi)."""
    day = {"type": "string", "format": "date", "example": "2027-03-08"}
    time_ = {"type": "string", "format": "date-time"}
    file_ = {"type": "object", "required": ["filename", "content_base64"], "properties": {
        "filename": {"type": "string", "example": "report.pdf"},
        "content_base64": {"type": "string", "format": "byte",
                           "pattern": "^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$",
                           "description": "at most 10 MB once decoded; pdf, png, jpg, xlsx, "
                                          "docx, csv or txt (extension and content checked)"}}}
    statuses = list(service.STATUS_LABELS)
    note = {"type": "string", "nullable": True, "description": "null or left out: none"}
    schemas = {
        "OrderFileUpload": file_,
        "NewOrder": {"type": "object", "required": ["resource_id", "samples", "sample_description"], "properties": {
            "resource_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
            "samples": {"type": "integer", "minimum": 1, "maximum": service.MAX_SAMPLES},
            "sample_description": {"type": "string", "maxLength": service.LIMITS["sample_description"]},
            "standard": {"type": "string", "maxLength": service.LIMITS["standard"]},
            "needed_by": {"oneOf": [day, {"type": "integer", "minimum": 1, "maximum": service.MAX_DAYS_AHEAD}],
                          "description": "a date, or a number of days from today (platform's zone); omit for the "
                                         "usual turnaround"},
            "notes": {"type": "string", "maxLength": service.LIMITS["notes"]},
            "attachment": ref("OrderFileUpload")}, "additionalProperties": False},
        "Order": {"type": "object", "required": ["id", "status", "resource", "samples", "events", "actions"],
                  "properties": {
            "id": {"type": "integer"}, "status": {"type": "string", "enum": statuses},
            "status_label": {"type": "string"},
            "resource": {"type": "object", "properties": {"id": {"type": "integer"}, "title": {"type": "string"},
                                                          "title_en": {"type": "string", "nullable": True},
                                                          "platform": {"type": "string"}}},
            "user": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                                                      "email": {"type": "string"}, "organisation": {"type": "string"}}},
            "samples": {"type": "integer"}, "sample_description": {"type": "string"}, "standard": {"type": "string"},
            "needed_by": {**day, "nullable": True}, "notes": {"type": "string"},
            "price": {"type": "object", "nullable": True, "properties": {
                "amount": {"type": "string", "example": "1800.00"}, "currency": {"type": "string", "enum": ["CNY"]}}},
            "promised_date": {**day, "nullable": True}, "cancel_reason": {"type": "string", "nullable": True},
            "created_at": time_, "updated_at": time_,
            "actions": {"type": "array", "items": {"type": "string", "enum": list(service.ACTIONS)},
                        "description": "what the caller may do now"},
            "files": {"type": "array", "items": {"type": "object", "properties": {
                "id": {"type": "integer"}, "kind": {"type": "string", "enum": ["attachment", "report"]},
                "filename": {"type": "string"}, "size": {"type": "integer"}, "content_type": {"type": "string"},
                "url": {"type": "string"}}}},
            "events": {"type": "array", "items": {"type": "object", "properties": {
                "id": {"type": "integer"}, "action": {"type": "string"},
                "from": {"type": "string", "nullable": True}, "to": {"type": "string"}, "note": {"type": "string"},
                "actor": {"type": "object", "nullable": True}, "at": time_}}},
            "url": {"type": "string", "description": "the order's page"}}},
    }
    order_id = path_id("order_id")
    paths: dict[str, Any] = {
        "/orders": {
            "get": {"summary": "Orders the caller may see (own; staff: their platform's; admins: all)",
                    "operationId": "listOrders", "security": auth, "parameters": [
                        query("status", "one status (empty: any)", {"type": "string", "enum": statuses + [""]}),
                        query("mine", "1: only the caller's own (0 or empty: all the caller may see)",
                              {"type": "string", "enum": ["0", "1", ""]})],
                    "responses": {"200": json_({"type": "array", "items": ref("Order")}, "newest first"),
                                  "400": error("unknown status"), "401": error("not logged in")}},
            "post": {"summary": "Order a testing service (an orderable resource)", "operationId": "createOrder",
                     "security": auth,
                     "requestBody": {"required": True, "content": {"application/json": {"schema": ref("NewOrder")}}},
                     "responses": {"201": json_(ref("Order"), "placed: status submitted"),
                                   "401": error("not logged in"), "404": error("no such resource"),
                                   "409": error("the resource takes no orders or was withdrawn"),
                                   "422": error("invalid fields: see fields")}}},
        "/orders/{order_id}": {"get": {"summary": "One order with its events and files", "operationId": "getOrder",
            "security": auth, "parameters": [order_id],
            "responses": {"200": json_(ref("Order"), "the order"), "401": error("not logged in"),
                          "403": error("not yours, nor your platform's"), "404": error("no such order")}}},
        "/orders/{order_id}/files/{file_id}": {"get": {
            "summary": "Download a file: the attachment (orderer, platform staff) or the report (also the "
                       "orderer's organisation)", "operationId": "getOrderFile", "security": auth,
            "parameters": [order_id, path_id("file_id")],
            "responses": {"200": {"description": "the file, as an attachment"}, "401": error("not logged in"),
                          "403": error("not yours to download"), "404": error("no such file")}}},
    }
    bodies: dict[str, dict[str, Any]] = {
        "quote": {"type": "object", "required": ["price", "promised_date"], "properties": {
            "price": {"oneOf": [{"type": "number", "minimum": 0, "maximum": float(service.MAX_PRICE)},
                                {"type": "string", "example": "1800.00"}],
                      "description": "CNY, at most two decimals"},
            "promised_date": day, "note": note}},
        "issue": {"type": "object", "required": ["report"], "properties": {
            "report": ref("OrderFileUpload"), "note": note}},
        "cancel": {"type": "object", "properties": {"reason": {
            "type": "string", "nullable": True, "description": "required when platform staff cancel"}}},
    }
    summaries = {
        "quote": "Staff: set the price and the promised date (submitted, or quoted again)",
        "accept": "The orderer accepts the quote (quoted)", "decline": "The orderer declines the quote (quoted)",
        "receive": "Staff: the samples arrived (accepted)", "start": "Staff: testing started (received)",
        "issue": "Staff: upload the report (testing)", "complete": "Staff or the orderer confirm (reported)",
        "cancel": "Cancel: the orderer until the samples are received; staff until the report, with a reason",
    }
    for action in service.ACTIONS:
        schema = bodies.get(action, {"type": "object", "properties": {"note": note}})
        paths[f"/orders/{{order_id}}/{action}"] = {"post": {
            "summary": summaries[action], "operationId": f"{action}Order", "security": auth,
            "parameters": [order_id],
            "requestBody": {"required": action in ("quote", "issue"),
                            "content": {"application/json": {"schema": schema}}},
            "responses": {"200": json_(ref("Order"), "done"), "401": error("not logged in"),
                          "403": error("no right to this step"), "404": error("no such order"),
                          "409": error("not allowed from the order's status"), "422": error("invalid fields")}}}
    return schemas, paths
