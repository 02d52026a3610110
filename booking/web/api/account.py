"""The caller's account in the API: API tokens (issue, list, revoke) and `GET /me`.

Tokens are stored as hashes, so a listing shows when each was issued and expires, never the token.
"""
from __future__ import annotations

from typing import Any

from flask import current_app, request, url_for
from flask_babel import gettext as _

from ...accounts import service
from ...errors import InvalidInput
from ...extensions import db
from ...models import ApiToken, User
from ..transaction import keep_changes
from .blueprint import api_user, bearer, bp, errors, signed_in
from .lists import TOTAL_DOC, page_of_list
from .schemas import Credentials, MeSchema, NewTokenSchema, PageQuery, TokenSchema


@bp.post("/tokens")
@bp.arguments(Credentials, as_kwargs=True)
@bp.response(201, NewTokenSchema, description="a token")
@errors({401: "wrong e-mail or password", 422: "missing fields",
         429: "too many failed log-ins for this account or address (error throttled): wait and try again"})
def create_token(email: str, password: str) -> Any:
    """Exchange e-mail and password for a bearer token."""
    try:
        user = service.authenticate(
            email, password, request.remote_addr,
            limit=current_app.config["LOGIN_MAX_FAILURES"],
            window=current_app.config["LOGIN_FAILURE_WINDOW"],
        )
    except service.BadCredentials:
        keep_changes()  # the failure count stays although the answer is 401
        raise
    token = service.issue_token(user)
    db.session.flush()
    return {"token": token}


def token_json(row: ApiToken, current: ApiToken | None) -> dict[str, Any]:
    return {"id": row.id, "created_at": row.created_at.isoformat(), "expires_at": row.expires_at.isoformat(),
            "current": current is not None and row.id == current.id}


@bp.get("/tokens")
@signed_in
@bp.arguments(PageQuery, location="query", as_kwargs=True)
@bp.response(200, TokenSchema(many=True), description="newest first", headers=TOTAL_DOC)
@errors({400: "bad page or per_page"})
def list_tokens(page: int, per_page: int | None = None) -> Any:
    """The caller's API tokens that still work (never the tokens themselves)."""
    user = api_user()
    token = bearer()
    current = service.token_row(token) if token else None
    rows, headers = page_of_list(service.list_tokens(user), page, per_page, cap=1000)
    return [token_json(row, current) for row in rows], headers


@bp.delete("/tokens")
@bp.doc(security=[{"bearer": []}])
@bp.response(204, description="revoked")
@errors({401: "unknown or expired token", 422: "the call carried no bearer token"})
def revoke_current_token() -> Any:
    """Revoke the bearer token used for this call: this program logs out."""
    user = api_user()
    token = bearer()
    row = service.token_row(token) if token else None
    if row is None:
        raise InvalidInput(_("this call was made without a bearer token: DELETE /api/v1/tokens/<id> revokes one "
                             "by its id"), fields={"Authorization": "Bearer <token>"})
    service.revoke_token(user, row.id)
    db.session.flush()
    return None


@bp.delete("/tokens/<int:token_id>")
@signed_in
@bp.response(204, description="revoked")
@errors({404: "no such token of the caller's"})
def revoke_token(token_id: int) -> Any:
    """Revoke one of the caller's tokens; another account's token is a 404, as if it did not exist."""
    service.revoke_token(api_user(), token_id)
    db.session.flush()
    return None


@bp.get("/me")
@signed_in
@bp.response(200, MeSchema, description="the caller")
def me() -> Any:
    """The caller, their organisation and their private calendar subscription."""
    user = api_user()
    return {
        "id": user.id, "email": user.email, "name": user.name, "role": user.role,
        "platform": user.platform.code if user.platform else None,
        "organisation": membership_json(user),
        "calendar_url": url_for("calendar.user_feed", token=user.calendar_token, _external=True)
        if "calendar.user_feed" in current_app.view_functions else None,
    }


def membership_json(user: User) -> dict[str, Any] | None:
    """The caller's organisation as `/me` shows it; `verified` says whether rates and vouchers follow it."""
    org = user.organisation
    if org is None:
        return None
    return {"id": org.id, "name": org.name_zh, "name_en": org.name_en, "uscc": org.uscc, "kind": org.kind,
            "verified": org.verified, "state": org.state, "role": user.org_role}

