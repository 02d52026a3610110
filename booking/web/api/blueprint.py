"""The /api/v1 blueprint, who is calling, and how request errors become the API's error envelope.

Every view of the API is a route on `bp` (a flask-smorest blueprint): its `arguments` schemas
validate the request, its `response` schema shapes the answer, and both describe the operation
in /api/v1/openapi.json. Bearer tokens or the browser session (with its CSRF token) identify the
caller.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NoReturn

import flask_smorest
import marshmallow as ma
from flask import g, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from webargs.flaskparser import FlaskParser

from ...accounts import service
from ...errors import DomainError, InvalidInput
from ...extensions import csrf
from ...models import User
from .schemas import ErrorSchema


class Unauthorized(DomainError):
    code = "unauthorized"
    status = 401


class BadQuery(DomainError):
    """A query parameter that cannot be read (400, like the search's)."""

    code = "bad_request"
    status = 400


#: marshmallow's messages, said in the words the API used before (each has a translation)
_FIELD_MESSAGES: dict[str, Callable[[], str]] = {
    "Missing data for required field.": lambda: _("required"),
    "Unknown field.": lambda: _("unknown field"),
    "Not a valid integer.": lambda: _("a whole number"),
    "Not a valid boolean.": lambda: _("true or false"),
    "Field may not be null.": lambda: _("required"),
}


def field_errors(messages: Any, prefix: str = "") -> dict[str, str]:
    """marshmallow's nested error messages as the envelope's flat `fields`: {"attachment.filename": "…"}."""
    flat: dict[str, str] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            if key == "_schema":  # the object itself: a nested one is named by its field
                flat.update(field_errors(value, prefix or "body"))
            else:
                flat.update(field_errors(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(messages, list) and messages and all(isinstance(m, str) for m in messages):
        text = messages[0]
        flat[prefix or "body"] = _FIELD_MESSAGES[text]() if text in _FIELD_MESSAGES else text
    elif isinstance(messages, list):
        for item in messages:
            flat.update(field_errors(item, prefix))
    else:
        flat[prefix or "body"] = str(messages)
    return flat


class ApiParser(FlaskParser):
    """webargs, answering in the API's envelope: a bad body is 422 `invalid`, a bad query 400 `bad_request`,
    each naming its fields; a body that is not JSON is 422 like any other unreadable body."""

    def handle_error(self, error: ma.ValidationError, req: Any, schema: ma.Schema, *,
                     error_status_code: int | None, error_headers: Mapping[str, str] | None) -> NoReturn:
        messages = error.messages if isinstance(error.messages, dict) else {"json": error.messages}
        location, inner = next(iter(messages.items()))
        fields = field_errors(inner)
        if location == "query":
            raise BadQuery(_("Check the parameters: %(names)s.", names=", ".join(fields)[:200]), fields=fields)
        raise InvalidInput(_("Check the fields: %(names)s.", names=", ".join(fields)[:200]), fields=fields)

    def _handle_invalid_json_error(self, error: Exception, req: Any, *args: Any, **kwargs: Any) -> NoReturn:
        message = _("send a JSON object with Content-Type: application/json")
        raise InvalidInput(message, fields={"body": message})


class ApiBlueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = ApiParser()

    def arguments(self, schema: Any, *, location: str = "json", **kwargs: Any) -> Callable[[Any], Any]:
        """As flask-smorest's, with a bad query parameter documented as the 400 the parser answers."""
        if location == "query":
            kwargs.setdefault("error_status_code", 400)
        return super().arguments(schema, location=location, **kwargs)


bp = ApiBlueprint("api", __name__, url_prefix="/api/v1", description="Search and book shared resources")
csrf.exempt(bp)


@bp.before_request
def identify() -> None:
    """Find the caller: a bearer token, else the session (which then needs its CSRF token)."""
    g.api_user = None
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        user = service.user_for_token(header[7:].strip())
        if user is None:
            raise Unauthorized(_("the token is unknown or expired: ask for a new one at POST /api/v1/tokens"))
        g.api_user = user
    elif current_user.is_authenticated:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            csrf.protect()
        g.api_user = current_user._get_current_object()


def api_user() -> User:
    """The caller, or a 401."""
    if g.get("api_user") is None:
        raise Unauthorized(_("log in first: send 'Authorization: Bearer <token>'"))
    user: User = g.api_user
    return user


def bearer() -> str | None:
    """The bearer token of this call, if it came with one."""
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


def errors(answers: Mapping[int, str | tuple[type[ma.Schema], str]]) -> Callable[[Any], Any]:
    """Document the error answers a view can give, e.g. `@errors({404: "no such resource"})`: each is
    the one error envelope (`Error`, or a schema that extends it). Doorway answers that every
    operation shares (401 for a bad token, 400 for a missing CSRF token, 413) are added to the
    description by booking.web.api.openapi."""

    def decorate(view: Any) -> Any:
        for status, answer in sorted(answers.items(), reverse=True):
            schema, description = answer if isinstance(answer, tuple) else (ErrorSchema, answer)
            view = bp.alt_response(status, schema=schema, description=description)(view)
        return view

    return decorate


AUTH: list[dict[str, list[str]]] = [{"bearer": []}, {"session": []}]


def signed_in(view: Any) -> Any:
    """Document that the operation needs a caller (a bearer token or the session) and may answer 401."""
    view = errors({401: "not logged in"})(view)
    return bp.doc(security=AUTH)(view)


@bp.errorhandler(DomainError)
def domain_error(exc: DomainError) -> Any:
    """The API's one error envelope: `{"error", "message", "fields"?, ...}`. A single `field` (the
    search parameters' form) is given as `fields` like everywhere else. The request's transaction
    (booking.web.transaction) rolls back on this 4xx answer."""
    details = dict(exc.details)
    field = details.pop("field", None)
    if field is not None:
        details.setdefault("fields", {str(field): exc.message})
    return jsonify(error=exc.code, message=exc.message, **details), exc.status


__all__ = ["bp", "api_user", "bearer", "errors", "signed_in", "BadQuery", "Unauthorized", "ErrorSchema"]
