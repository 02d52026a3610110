"""The JSON API, /api/v1 (CONTRACT.md §5). Bearer tokens or the browser session."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, jsonify, request, url_for
from flask_login import current_user

from ..accounts import service
from ..engine.text import _
from ..errors import DomainError, InvalidInput, NotFound
from ..extensions import csrf, db
from ..models import Resource, User

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


class Unauthorized(DomainError):
    code = "unauthorized"
    status = 401


@bp.before_request
def identify() -> None:
    """Find the caller: a bearer token, else the session (which then needs its CSRF token)."""
    g.api_user = None
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        user = service.user_for_token(header[7:].strip())
        if user is None:
            raise Unauthorized("the token is unknown or expired: ask for a new one at POST /api/v1/tokens")
        g.api_user = user
    elif current_user.is_authenticated:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            csrf.protect()
        g.api_user = current_user._get_current_object()


def api_user() -> User:
    """The caller, or a 401."""
    if g.get("api_user") is None:
        raise Unauthorized("log in first: send 'Authorization: Bearer <token>'")
    return g.api_user


def json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput(_("send a JSON object with Content-Type: application/json"), fields={})
    return body


@bp.post("/tokens")
def create_token() -> Any:
    body = json_body()
    email, password = body.get("email"), body.get("password")
    if not isinstance(email, str) or not isinstance(password, str):
        raise InvalidInput("email and password are required strings",
                           fields={"email": "required", "password": "required"})
    try:
        user = service.authenticate(
            email, password, request.remote_addr,
            limit=current_app.config["LOGIN_MAX_FAILURES"],
            window=current_app.config["LOGIN_FAILURE_WINDOW"],
        )
    except service.BadCredentials:
        db.session.commit()  # keep the failure count
        raise
    token = service.issue_token(user)
    db.session.commit()
    return jsonify(token=token), 201


@bp.get("/me")
def me() -> Any:
    user = api_user()
    return jsonify(
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        platform=user.platform.code if user.platform else None,
        organisation=membership_json(user),
        calendar_url=url_for("calendar.user_feed", token=user.calendar_token, _external=True)
        if "calendar.user_feed" in current_app.view_functions
        else None,
    )


def membership_json(user: User) -> dict[str, Any] | None:
    """The caller's organisation as `/me` shows it; `verified` says whether rates and vouchers follow it."""
    org = user.organisation
    if org is None:
        return None
    return {"id": org.id, "name": org.name_zh, "name_en": org.name_en, "uscc": org.uscc, "kind": org.kind,
            "verified": org.verified, "state": org.state, "role": user.org_role}


def resource_json(resource: Resource) -> dict[str, Any]:
    data = resource.to_feed()
    data["url"] = url_for("main.resource", resource_id=resource.id, _external=True)
    data["platform_timezone"] = resource.platform.timezone
    return data


@bp.get("/resources/<int:resource_id>")
def get_resource(resource_id: int) -> Any:
    resource = db.session.get(Resource, resource_id)
    if resource is None:
        raise NotFound(f"no resource {resource_id}")
    return jsonify(resource_json(resource))


@bp.get("/search")
def search() -> Any:
    from ..searching.params import parse_search_args
    from ..searching.searchlog import log_search
    from ..searching.service import search_resources
    from .filters import lang

    params = parse_search_args(request.args)
    result = search_resources(params)
    caller = g.get("api_user")
    log_search(params, result.total, [hit["platform"] for hit in result.hits], source="api", lang=lang(),
               user_id=caller.id if caller is not None else None)
    hits = [
        {
            "id": hit["id"], "platform": hit["platform"], "external_id": hit["external_id"], "kind": hit["kind"],
            "title": hit.get("title") or hit.get("title_en"), "title_en": hit.get("title_en"),
            "snippet": hit.get("snippet") or "", "score": hit.get("score"), "city": hit.get("city"),
            "price": hit.get("price"), "url": url_for("main.resource", resource_id=hit["id"], _external=True),
        }
        for hit in result.hits
    ]
    facets = {name: result.facets.get(name, {}) for name in ("kind", "platform", "city", "category")}
    return jsonify(total=result.total, page=params.page, per_page=params.per_page, hits=hits, facets=facets,
                   suggestion=result.suggestion, note=getattr(result, "note", None),
                   unmatched=list(getattr(result, "unmatched", None) or []))
