"""Home and resource pages."""
from __future__ import annotations

from typing import Any

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, render_template, request
from werkzeug.datastructures import MultiDict
from sqlalchemy import func, select

from ..extensions import db
from ..models import KINDS, Platform, Resource
from .filters import kind_label, lang

bp = Blueprint("main", __name__)


@bp.get("/")
def home() -> Any:
    kind_counts = dict(
        db.session.execute(
            select(Resource.kind, func.count()).where(Resource.status == "active").group_by(Resource.kind)
        ).all()
    )
    platform_counts = dict(
        db.session.execute(
            select(Resource.platform_id, func.count()).where(Resource.status == "active").group_by(Resource.platform_id)
        ).all()
    )
    platforms = db.session.scalars(select(Platform).order_by(Platform.city_en, Platform.code)).all()
    return render_template(
        "home.html", kinds=KINDS, kind_counts=kind_counts, platforms=platforms, platform_counts=platform_counts
    )


@bp.get("/resources/<int:resource_id>")
def resource(resource_id: int) -> Any:
    item = db.session.get(Resource, resource_id)
    if item is None:
        abort(404)
    return render_template("resource.html", resource=item)


@bp.get("/search")
def search() -> Any:
    from ..errors import DomainError
    from ..searching.params import SearchParams, parse_search_args
    from ..searching.service import search_resources

    try:
        params = parse_search_args(_with_local_window(request.args))
    except DomainError as exc:
        params, error = SearchParams(q=(request.args.get("q") or "")[:200]), exc.message
    else:
        error = None
    result = search_resources(params)
    platforms = {p.code: p for p in db.session.scalars(select(Platform))}

    english_cities = {p.city_zh: p.city_en for p in platforms.values() if p.city_zh and p.city_en}

    def platform_name(code: str) -> str:
        platform = platforms.get(code)
        return platform.name(lang()) if platform else code

    def city_name(city: str) -> str:
        return english_cities.get(city, city) if lang() == "en" else city

    return render_template("search.html", params=params, result=result, error=error, platform_name=platform_name,
                           city_name=city_name, kind_label=kind_label)


def _with_local_window(args: MultiDict[str, str]) -> MultiDict[str, str]:
    """The page's "free on day D from S to E" fields, as the API's available_from/available_to."""
    day, start, end = args.get("date"), args.get("start"), args.get("end")
    if not (day and start and end):
        return args
    zone = ZoneInfo(current_app.config["ONESTOP_DEFAULT_TIMEZONE"])
    result = MultiDict(args)
    try:
        result["available_from"] = datetime.fromisoformat(f"{day}T{start}").replace(tzinfo=zone).isoformat()
        result["available_to"] = datetime.fromisoformat(f"{day}T{end}").replace(tzinfo=zone).isoformat()
    except ValueError:
        result["available_from"] = "invalid"
    return result
