"""The caller's API tokens: list them, revoke the one in use, revoke one by id (CONTRACT §5).

Routes on the api blueprint (imported by register_web before it is registered). Tokens are stored
as hashes, so a listing shows when each was issued and expires, never the token itself.
"""
from __future__ import annotations

from typing import Any, Callable

from flask import jsonify, request

from ..accounts import service
from ..errors import InvalidInput
from ..extensions import db
from ..models import ApiToken
from .api import api_user, bp


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


def token_json(row: ApiToken, current: ApiToken | None) -> dict[str, Any]:
    return {"id": row.id, "created_at": row.created_at.isoformat(), "expires_at": row.expires_at.isoformat(),
            "current": current is not None and row.id == current.id}


@bp.get("/tokens")
def list_tokens() -> Any:
    user = api_user()
    bearer = _bearer()
    current = service.token_row(bearer) if bearer else None
    return jsonify([token_json(row, current) for row in service.list_tokens(user)])


@bp.delete("/tokens")
def revoke_current_token() -> Any:
    """Log this program out: the token that authenticated the call stops working."""
    user = api_user()
    bearer = _bearer()
    row = service.token_row(bearer) if bearer else None
    if row is None:
        raise InvalidInput("this call was made without a bearer token: DELETE /api/v1/tokens/<id> revokes one "
                           "by its id", fields={"Authorization": "Bearer <token> required"})
    service.revoke_token(user, row.id)
    db.session.commit()
    return "", 204


@bp.delete("/tokens/<int:token_id>")
def revoke_token(token_id: int) -> Any:
    """Revoke one of the caller's own tokens; another account's token is a 404, as if it did not exist."""
    service.revoke_token(api_user(), token_id)
    db.session.commit()
    return "", 204


def openapi_paths(ref: Callable[..., Any], json: Callable[..., Any], error: Callable[..., Any],
                  path_id: Callable[..., Any], auth: list[Any]) -> dict[str, dict[str, Any]]:
    """This module's part of /api/v1/openapi.json (merged with POST /tokens by booking.web.openapi)."""
    token = {"type": "object", "required": ["id", "created_at", "expires_at", "current"], "properties": {
        "id": {"type": "integer"}, "created_at": {"type": "string", "format": "date-time"},
        "expires_at": {"type": "string", "format": "date-time"},
        "current": {"type": "boolean", "description": "the token that authenticated this call"}}}
    revoked = {"description": "revoked"}
    return {
        "/tokens": {
            "get": {"summary": "The caller's API tokens that still work (never the tokens themselves)",
                    "operationId": "listTokens", "security": auth,
                    "responses": {"200": json({"type": "array", "items": token}, "newest first"),
                                  "401": error("not logged in")}},
            "delete": {"summary": "Revoke the bearer token used for this call", "operationId": "revokeCurrentToken",
                       "security": [{"bearer": []}],
                       "responses": {"204": revoked, "401": error("unknown or expired token"),
                                     "422": error("the call carried no bearer token")}},
        },
        "/tokens/{token_id}": {
            "delete": {"summary": "Revoke one of the caller's tokens", "operationId": "revokeToken",
                       "security": auth, "parameters": [path_id("token_id")],
                       "responses": {"204": revoked, "401": error("not logged in"),
                                     "404": error("no such token of the caller's")}},
        },
    }
