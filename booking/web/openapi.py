"""GET /api/v1/openapi.json: the OpenAPI 3 description of all of CONTRACT §5."""
from __future__ import annotations

from typing import Any

from flask import url_for

from .api import bp
from ..searching.params import MAX_PAGE, MAX_PER_PAGE, SORTS
from .validate import MAX_ID


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


def _q(name: str, description: str, schema: dict[str, Any] | None = None, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "description": description,
            "schema": schema or {"type": "string"}}


def _path_id(name: str) -> dict[str, Any]:
    """An id in a path: a larger number than the databases hold matches no route (404)."""
    return {"name": name, "in": "path", "required": True, "schema": ID}


ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
BOOL = {"type": "string", "enum": ["true", "false", "1", "0", "yes", "no", "on", "off", ""],
        "description": "empty: either"}
RESERVATION_STATUSES = ("pending", "confirmed", "rejected", "cancelled", "completed", "no_show")
TIME = {"type": "string", "format": "date-time", "example": "2027-03-08T09:00:00+08:00"}
TIME_OR_EMPTY = {"type": "string", "anyOf": [{"format": "date-time"}, {"maxLength": 0}],
                 "example": "2027-03-08T09:00:00+08:00"}
REASON = {"type": "string", "maxLength": 2000, "nullable": True, "description": "null or left out: none"}
REASON_BODY = {"required": False, "content": {"application/json": {"schema": {
    "type": "object", "properties": {"reason": REASON}}}}}
AUTH = [{"bearer": []}, {"session": []}]


def _or_empty(schema: dict[str, Any]) -> dict[str, Any]:
    """A search parameter that an HTML form may also send empty (then it is as if left out)."""
    return {"anyOf": [schema, {"type": "string", "maxLength": 0}]}


ELSEWHERE = {"type": "array", "items": _ref("Elsewhere"), "maxItems": 5, "description": "on a refused single "
             "booking: up to five resources of the same type at other platforms, free for the asked time (empty "
             "unless the time was taken, closed, under maintenance or outside opening hours)"}


def build_spec() -> dict[str, Any]:
    schemas: dict[str, Any] = {
        "Error": {"type": "object", "required": ["error", "message"], "properties": {
            "error": {"type": "string", "example": "invalid"}, "message": {"type": "string"},
            "fields": {"type": "object", "additionalProperties": {"type": "string"}},
            "reason": {"type": "string"}}},
        "Conflict": {"type": "object", "required": ["error", "message"], "properties": {
            "error": {"type": "string", "enum": ["conflict"]}, "message": {"type": "string"},
            "reason": {"type": "string", "example": "taken"},
            "conflict": _ref("Slot"),
            "alternatives": {"type": "array", "items": _ref("Slot")},
            "occurrences": {"type": "array", "items": {"type": "object"}}, "elsewhere": ELSEWHERE}},
        "Refused": {"allOf": [_ref("Error"), {"type": "object", "properties": {"elsewhere": ELSEWHERE}}]},
        "Money": {"type": "object", "required": ["amount", "currency"], "properties": {
            "amount": {"type": "string", "example": "610.00"}, "currency": {"type": "string", "example": "CNY"}}},
        "Elsewhere": {"type": "object", "required": ["resource_id", "platform", "title", "city", "url"], "properties": {
            "resource_id": {"type": "integer"}, "platform": {"type": "string"}, "platform_name": {"type": "string"},
            "title": {"type": "string"}, "title_en": {"type": "string", "nullable": True}, "kind": {"type": "string"},
            "city": {"type": "string"}, "start": TIME, "end": TIME, "timezone": {"type": "string"},
            "price": {"type": "object", "nullable": True, "description": "the caller's rate and the fee for the asked time",
                      "properties": {"rate_kind": {"type": "string", "enum": ["internal", "startup", "external"]},
                                     "unit": {"type": "string"}, "rate": _ref("Money"), "estimate": _ref("Money")}},
            "voucher": {"type": "object", "description": "the share of the fee innovation vouchers may pay there "
                        "(the platform's cap); usable: what the caller's organisation can pay now, null without vouchers",
                        "properties": {"cap_percent": {"type": "integer"},
                                       "allowed": {"allOf": [_ref("Money")], "nullable": True},
                                       "usable": {"allOf": [_ref("Money")], "nullable": True}}},
            "training_required": {"type": "boolean"}, "requires_approval": {"type": "boolean"},
            "url": {"type": "string", "description": "the resource page with the booking form filled in"}}},
        "Slot": {"type": "object", "required": ["start", "end"], "properties": {"start": TIME, "end": TIME}},
        "Resource": {"type": "object", "properties": {
            "id": {"type": "integer"}, "platform": {"type": "string"}, "external_id": {"type": "string"},
            "kind": {"type": "string", "enum": ["instrument", "testing_service", "patent", "document", "germplasm",
                                               "lab_animal", "facility", "space"]},
            "title": {"type": "string"}, "title_en": {"type": "string", "nullable": True},
            "bookable": {"type": "boolean"}, "opening_hours": {"type": "object", "nullable": True},
            "booking_rules": {"type": "object", "nullable": True}, "url": {"type": "string"},
            "platform_timezone": {"type": "string"}}, "additionalProperties": True},
        "Hit": {"type": "object", "properties": {
            "id": {"type": "integer"}, "platform": {"type": "string"}, "external_id": {"type": "string"},
            "kind": {"type": "string"}, "title": {"type": "string"}, "snippet": {"type": "string"},
            "score": {"type": "number"}, "url": {"type": "string"}}},
        "SearchResult": {"type": "object", "required": ["total", "page", "per_page", "hits", "facets"], "properties": {
            "total": {"type": "integer"}, "page": {"type": "integer"}, "per_page": {"type": "integer"},
            "hits": {"type": "array", "items": _ref("Hit")},
            "facets": {"type": "object", "properties": {
                k: {"type": "object", "additionalProperties": {"type": "integer"}} for k in ("kind", "platform", "city")}},
            "suggestion": {"type": "string", "nullable": True},
            "unmatched": {"type": "array", "items": {"type": "string"},
                          "description": "words of the query that no resource holds (they matched nothing)"}}},
        "Availability": {"type": "object", "required": ["resource_id", "slots"], "properties": {
            "resource_id": {"type": "integer"}, "timezone": {"type": "string"}, "from": TIME, "to": TIME,
            "slots": {"type": "array", "items": _ref("Slot")}}},
        "Recurrence": {"type": "object", "required": ["freq"], "description": "count or until, not both", "properties": {
            "freq": {"type": "string", "enum": ["daily", "weekly", "monthly"]},
            "interval": {"type": "integer", "minimum": 1, "maximum": 12, "default": 1},
            "weekdays": {"type": "array", "items": {"type": "string", "enum": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}},
            "nth": {"type": "integer", "enum": [1, 2, 3, 4, -1], "description": "monthly: week of the month"},
            "count": {"type": "integer", "minimum": 1, "maximum": 100},
            "until": {"type": "string", "format": "date"}},
            "oneOf": [{"required": ["count"]}, {"required": ["until"]}]},
        "NewReservation": {"type": "object", "required": ["resource_id", "start", "end"], "properties": {
            "resource_id": ID, "start": TIME, "end": TIME,
            "purpose": {"type": "string", "maxLength": 2000},
            "recurrence": _ref("Recurrence"),
            "skip_conflicts": {"type": "boolean", "default": False},
            "use_voucher": {"type": "boolean", "default": False,
                            "description": "pay up to the platform's cap of the fee with the organisation's "
                                           "innovation vouchers (409 reason voucher_balance when it cannot)"}}},
        "Reservation": {"type": "object", "required": ["id", "status", "start", "end", "resource_id"], "properties": {
            "id": {"type": "integer"}, "resource_id": {"type": "integer"}, "resource_title": {"type": "string"},
            "platform": {"type": "string"}, "start": TIME, "end": TIME, "timezone": {"type": "string"},
            "status": {"type": "string", "enum": list(RESERVATION_STATUSES)},
            "status_label": {"type": "string"}, "purpose": {"type": "string"},
            "series_id": {"type": "integer", "nullable": True},
            "decision_reason": {"type": "string", "nullable": True}, "created_at": TIME, "url": {"type": "string"},
            "user": {"type": "object", "properties": {"id": {"type": "integer"}, "email": {"type": "string"},
                                                      "name": {"type": "string"}, "organisation": {"type": "string"}}},
            "occurrences": {"type": "array", "items": {"type": "object"}},
            "skipped": {"type": "array", "items": {"type": "object"}},
            "cancelled": {"type": "array", "items": {"type": "integer"}},
            "fee": {"type": "object", "properties": {
                "rate_kind": {"type": "string", "enum": ["internal", "external", "startup"], "nullable": True},
                "unit": {"type": "string", "nullable": True}, "rate": {"type": "number", "nullable": True},
                "currency": {"type": "string", "nullable": True},
                "estimate": {"type": "number", "nullable": True, "description": "when booked"},
                "actual": {"type": "number", "nullable": True, "description": "when finished (time used)"},
                "voucher": {"type": "number", "description": "share paid with innovation vouchers"}}},
            "checked_in_at": {**TIME, "nullable": True}, "checked_out_at": {**TIME, "nullable": True}}},
        "Me": {"type": "object", "required": ["id", "email", "role"], "properties": {
            "id": {"type": "integer"}, "email": {"type": "string"}, "name": {"type": "string"},
            "role": {"type": "string", "enum": ["user", "staff", "admin"]},
            "platform": {"type": "string", "nullable": True},
            "organisation": {"type": "object", "nullable": True, "description": "the caller's membership; rates, "
                             "vouchers and colleagues' reports follow it only while `verified`", "properties": {
                "id": {"type": "integer"}, "name": {"type": "string"}, "name_en": {"type": "string"},
                "uscc": {"type": "string", "nullable": True}, "kind": {"type": "string"},
                "verified": {"type": "boolean"}, "state": {"type": "string"},
                "role": {"type": "string", "enum": ["member", "manager"]}}},
            "calendar_url": {"type": "string", "nullable": True, "description": "secret iCalendar subscription URL"}}},
    }
    ics = {"description": "iCalendar", "content": {"text/calendar": {"schema": {"type": "string"}}}}
    paths: dict[str, Any] = {
        "/search": {"get": {"summary": "Search resources (an empty q lists everything the filters admit)",
                            "operationId": "search", "parameters": [
            _q("q", "query text, Chinese or English"), _q("kind", "resource kind"), _q("platform", "platform code"),
            _q("city", "city"),
            _q("available_from", "free from this time (with available_to; empty: no free-time filter)", TIME_OR_EMPTY),
            _q("available_to", "free until this time, at most 31 days after available_from", TIME_OR_EMPTY),
            _q("category", "category"),
            _q("max_price", "at most this price",
               _or_empty({"type": "number", "minimum": 0, "maximum": 1e9, "exclusiveMaximum": True})),
            _q("bookable", "only bookable (true) or not (false)", BOOL), _q("orderable", "only orderable", BOOL),
            _q("sort", "order of the hits (default relevance)", {"type": "string", "enum": [*SORTS, ""]}),
            _q("page", "page number", _or_empty({"type": "integer", "minimum": 1, "maximum": MAX_PAGE})),
            _q("per_page", "hits per page", _or_empty({"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}))],
            "responses": {"200": _json(_ref("SearchResult"), "results"),
                          "400": _error("bad parameters (error bad_request, field names the parameter), e.g. "
                                        "available_to not after available_from, a free-time window in the past or "
                                        "longer than 31 days"),
                          "503": _error("the search index is unavailable (error search_unavailable)")}}},
        "/resources/{resource_id}": {"get": {"summary": "One resource", "operationId": "getResource",
            "parameters": [_path_id("resource_id")],
            "responses": {"200": _json(_ref("Resource"), "the resource"), "404": _error("no such resource")}}},
        "/resources/{resource_id}/availability": {"get": {
            "summary": "Free bookable intervals (opening hours − closures − maintenance − bookings, within the horizon)",
            "operationId": "getAvailability", "parameters": [
                _path_id("resource_id"),
                _q("from", "ISO 8601 time with offset, or a date (local midnight); default now", TIME),
                _q("to", "ISO 8601; default from + 7 days; at most 62 days after from", TIME)],
            "responses": {"200": _json(_ref("Availability"), "free slots in the platform's zone"),
                          "400": _error("bad from/to"), "404": _error("no such resource")}}},
        "/resources/{resource_id}/calendar.ics": {"get": {
            "summary": "The resource's busy times as iCalendar (no personal data)", "operationId": "getResourceCalendar",
            "parameters": [_path_id("resource_id")], "responses": {"200": ics, "404": _error("no such resource")}}},
        "/tokens": {"post": {"summary": "Exchange e-mail and password for a bearer token", "operationId": "createToken",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["email", "password"],
                "properties": {"email": {"type": "string"}, "password": {"type": "string"}}}}}},
            "responses": {"201": _json({"type": "object", "properties": {"token": {"type": "string"}}}, "a token"),
                          "401": _error("wrong e-mail or password"), "422": _error("missing fields"),
                          "429": _error("too many failed log-ins for this account or address (error throttled): "
                                        "wait and try again")}}},
        "/me": {"get": {"summary": "The caller", "operationId": "getMe", "security": AUTH,
            "responses": {"200": _json(_ref("Me"), "the caller"), "401": _error("not logged in")}}},
        "/reservations": {
            "get": {"summary": "Reservations the caller may see (own; staff: their platform's)",
                    "operationId": "listReservations", "security": AUTH, "parameters": [
                        _q("mine", "1 (or true): only the caller's own; 0, false or empty: all the caller may see",
                           {"type": "string", "enum": ["0", "1", "true", "false", ""]}),
                        _q("resource_id", "one resource", ID),
                        _q("from", "ending after", TIME), _q("to", "starting before (after from, at most 62 days)", TIME),
                        _q("status", "one status", {"type": "string", "enum": list(RESERVATION_STATUSES)})],
                    "responses": {"200": _json({"type": "array", "items": _ref("Reservation")}, "list, by start time"),
                        "400": _error("bad parameters"), "401": _error("not logged in")}},
            "post": {"summary": "Book a resource (optionally a recurring series)", "operationId": "createReservation",
                     "security": AUTH,
                     "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("NewReservation")}}},
                     "responses": {"201": _json(_ref("Reservation"), "booked: status confirmed or pending"),
                                   "401": _error("not logged in"),
                                   "403": _error("training required (error not_qualified) or booking suspended "
                                                 "after no-shows (error restricted, with until)"),
                                   "409": _json(_ref("Conflict"), "the time is taken, closed or under maintenance; "
                                                "or the voucher balance cannot pay (reason voucher_balance)"),
                                   "422": _json(_ref("Refused"), "invalid fields or a broken booking rule "
                                                "(outside opening hours: elsewhere lists equivalents free then)")}}},
        "/reservations/{reservation_id}": {"get": {"summary": "One reservation", "operationId": "getReservation",
            "security": AUTH, "parameters": [_path_id("reservation_id")],
            "responses": {"200": _json(_ref("Reservation"), "the reservation"), "401": _error("not logged in"),
                          "404": _error("no such booking, or not yours")}}},
    }
    for action, summary, extra in (
        ("cancel", "Cancel (the booker up to the cancel notice; platform staff at any time, with a reason)",
         {"409": _error("too late to cancel, or already cancelled")}),
        ("approve", "Approve a pending booking (staff of its platform)", {"409": _error("not pending")}),
        ("reject", "Reject a pending booking with a reason (staff of its platform)", {"409": _error("not pending")}),
    ):
        body = REASON_BODY
        if action == "reject":
            body = {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["reason"], "properties": {"reason": {
                    "type": "string", "minLength": 1, "maxLength": 2000, "pattern": r"\S",
                    "description": "told to the booker"}}}}}}
        if action == "cancel":
            body = {"required": False, "content": {"application/json": {"schema": {"type": "object", "properties": {
                "reason": REASON, "scope": {"type": "string", "enum": ["one", "rest"], "default": "one"}}}}}}
        paths[f"/reservations/{{reservation_id}}/{action}"] = {"post": {
            "summary": summary, "operationId": f"{action}Reservation", "security": AUTH,
            "parameters": [_path_id("reservation_id")], "requestBody": body,
            "responses": {"200": _json(_ref("Reservation"), "done"), "401": _error("not logged in"),
                          "403": _error("not yours / not staff of this platform"), "404": _error("no such booking"),
                          "422": _error("invalid fields"), **extra}}}
    for action, summary in (
        ("check-in", "Check in, from the platform's window before the start until its grace after it"),
        ("check-out", "Check out: the booking is completed and its actual fee follows the time used"),
    ):
        paths[f"/reservations/{{reservation_id}}/{action}"] = {"post": {
            "summary": summary, "operationId": action.replace("-", "") + "Reservation", "security": AUTH,
            "parameters": [_path_id("reservation_id")],
            "responses": {"200": _json(_ref("Reservation"), "done"), "401": _error("not logged in"),
                          "403": _error("not yours"), "404": _error("no such booking"),
                          "409": _error("not confirmed / not checked in"),
                          "422": _error("outside the check-in window (reason check_in_window)")}}}
    paths["/waitlist"] = {"post": {
        "summary": "Wait for a taken time; mailed (in joining order) when it is freed", "operationId": "joinWaitlist",
        "security": AUTH, "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["resource_id", "start", "end"],
            "properties": {"resource_id": ID, "start": TIME, "end": TIME}}}}},
        "responses": {"201": _json({"type": "object", "properties": {
            "id": {"type": "integer"}, "resource_id": {"type": "integer"}, "start": TIME, "end": TIME,
            "status": {"type": "string"}}}, "on the waitlist"),
            "401": _error("not logged in"), "422": _error("the time is free, past, or yours")}}}
    paths["/resources/{resource_id}/training-requests"] = {"post": {
        "summary": "Ask the platform for training on a resource that requires it", "operationId": "requestTraining",
        "security": AUTH, "parameters": [_path_id("resource_id")],
        "requestBody": {"required": False, "content": {"application/json": {"schema": {
            "type": "object", "properties": {"message": {"type": "string", "maxLength": 2000}}}}}},
        "responses": {"201": _json({"type": "object", "properties": {
            "id": {"type": "integer"}, "resource_id": {"type": "integer"}, "status": {"type": "string"}}},
            "requested"), "401": _error("not logged in"), "404": _error("no such resource"),
            "422": _error("the resource needs no training")}}}
    from .api_orders import openapi_spec  # testing-service orders: described beside their routes

    order_schemas, order_paths = openapi_spec(_ref, _json, _error, _path_id, _q, AUTH)
    schemas.update(order_schemas)
    paths.update(order_paths)
    from .api_tokens import openapi_paths as token_paths  # listing and revoking tokens, beside their routes

    for path, operations in token_paths(_ref, _json, _error, _path_id, AUTH).items():
        paths.setdefault(path, {}).update(operations)
    for path in ("/reservations", "/orders"):  # booking and ordering need a confirmed e-mail address
        responses = paths[path]["post"]["responses"]
        before = responses.get("403", {}).get("description")
        responses["403"] = _error("; or ".join(filter(None, (before, "the caller's e-mail address is not "
                                                            "confirmed yet (error email_unverified)"))))
    paths["/openapi.json"] = {"get": {"summary": "This description", "operationId": "getOpenApi",
                                      "responses": {"200": {"description": "OpenAPI 3 document"}}}}
    _answers_of_every_operation(paths)
    return {
        "openapi": "3.0.3",
        "info": {"title": "OneStop API", "version": "1",
                 "description": "Search and book shared science and technology resources. Times are ISO 8601 with "
                                "an offset; the server answers in the platform's time zone. Errors are JSON "
                                "{error, message, ...} with a 4xx status. Ids are whole numbers from 1 to "
                                f"{MAX_ID}. Text may not contain NUL (U+0000): a JSON body holding one anywhere "
                                "is refused with 422 invalid, its field named."},
        "servers": [{"url": url_for("api.openapi_json", _external=True).rsplit("/openapi.json", 1)[0]}],
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "description": "POST /tokens"},
            "session": {"type": "apiKey", "in": "cookie", "name": "session",
                        "description": "the browser session; writes also need the X-CSRFToken header"}}},
    }


def _answers_of_every_operation(paths: dict[str, Any]) -> None:
    """Answers that come from the API's doorway rather than an operation's own logic (booking.web.api,
    werkzeug), listed on every operation they can reach, so that a client sees every status it may get."""
    for operations in paths.values():
        for method, operation in operations.items():
            responses = operation["responses"]
            # identify(): a Bearer header is checked on every call, public ones included
            responses.setdefault("401", _error("an unknown or expired bearer token (leave the header out to "
                                               "call anonymously)"))
            if method != "get" and {"session": []} in operation.get("security", []):
                csrf = "a browser-session call without its X-CSRFToken header (error csrf)"
                before = responses.get("400", {}).get("description")
                responses["400"] = _error("; or ".join(filter(None, (before, csrf))))
            if "requestBody" in operation:
                responses.setdefault("413", _error("the request is larger than 20 MB"))


@bp.get("/openapi.json")
def openapi_json() -> Any:
    return build_spec()
