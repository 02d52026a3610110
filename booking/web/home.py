"""The main blueprint: the home page (/) and search (/search, and the counted click from a result).
A resource's own page is booking.web.resources.page (endpoint main.resource, on this blueprint)."""
from __future__ import annotations

import html
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from ..engine.equivalents import COMPARABLE_KINDS
from ..extensions import db
from ..models import KINDS, Platform, Resource
from .filters import kind_label, lang

bp = Blueprint("main", __name__)
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@bp.get("/")
def home() -> Any:
    kind_counts: dict[str, int] = dict(
        db.session.execute(
            select(Resource.kind, func.count()).where(Resource.status == "active").group_by(Resource.kind)
        ).tuples().all()
    )
    platform_counts: dict[int, int] = dict(
        db.session.execute(
            select(Resource.platform_id, func.count()).where(Resource.status == "active").group_by(Resource.platform_id)
        ).tuples().all()
    )
    platforms = db.session.scalars(select(Platform).order_by(Platform.city_en, Platform.code)).all()
    return render_template(
        "home.html", kinds=KINDS, kind_counts=kind_counts, platforms=platforms, platform_counts=platform_counts
    )


@bp.get("/search")
def search() -> Any:
    from ..searching.params import BadSearchParameters, SearchParams, parse_search_args
    from ..searching.service import SearchUnavailable, search_resources

    error = window_error = None
    try:
        params = parse_search_args(_with_local_window(request.args))
    except BadSearchParameters as exc:
        if exc.details.get("field") in WINDOW_FIELDS:
            # a mistake in the free-time form: say so beside it, and keep the words and filters
            window_error = exc.message
            params, error = _params_without_window(request.args)
        else:
            params, error = SearchParams(q=(request.args.get("q") or "")[:200]), exc.message
    try:
        result = search_resources(params)
    except SearchUnavailable as exc:
        return render_template("error.html", code=503, message=exc.message), 503
    platforms = {p.code: p for p in db.session.scalars(select(Platform))}
    hit_url = _log_search(params, result)
    _snippets_in_language(result.hits, lang())

    english_cities = {p.city_zh: p.city_en for p in platforms.values() if p.city_zh and p.city_en}

    def platform_name(code: str) -> str:
        platform = platforms.get(code)
        return platform.name(lang()) if platform else code

    def city_name(city: str) -> str:
        return english_cities.get(city, city) if lang() == "en" else city

    return render_template("search.html", params=params, result=result, error=error, window_error=window_error,
                           platform_name=platform_name, city_name=city_name, kind_label=kind_label,
                           hit_url=hit_url, comparable=lambda hit: hit.get("kind") in COMPARABLE_KINDS,
                           pages=max(1, -(-result.total // params.per_page)),
                           today=datetime.now(ZoneInfo(current_app.config["ONESTOP_DEFAULT_TIMEZONE"])).date().isoformat())


def _snippets_in_language(hits: list[dict[str, Any]], language: str) -> None:
    """Cut each snippet from the description's paragraphs in the reader's language when the feed
    gives both languages in one text (the index cuts from the whole text: a Chinese page would end
    in English, an English one show only Chinese), marking the words the index marked."""
    from search.highlight import make_snippet

    ids = [int(hit["id"]) for hit in hits if hit.get("snippet")]
    if not ids:
        return
    descriptions = dict(db.session.execute(select(Resource.id, Resource.description).where(Resource.id.in_(ids))).tuples().all())
    for hit in hits:
        lines = [line for line in (descriptions.get(int(hit["id"])) or "").split("\n") if line.strip()]
        chinese = [line for line in lines if CJK.search(line)]
        other = [line for line in lines if not CJK.search(line)]
        if not chinese or not other:
            continue  # one language only: the index's snippet is right
        text = "".join(chinese) if language == "zh" else " ".join(other)
        marked = sorted({html.unescape(m) for m in re.findall(r"<mark>(.*?)</mark>", hit["snippet"])}, key=len, reverse=True)
        snippet = make_snippet(text, marked, 120 if language == "zh" else 160)
        head, _, tail = snippet[:-1].rpartition(" ")
        if language == "en" and snippet.endswith("…") and head and "<" not in tail and ">" not in tail:
            snippet = head.rstrip(",;:") + "…"  # end on a whole word
        hit["snippet"] = snippet


def _log_search(params: Any, result: Any) -> Any:
    """Log the search (booking.searching.searchlog); the result links then pass through `search_click`,
    which records the click. Without a log row they lead straight to the resource."""
    from ..searching.searchlog import click_token, log_search

    log_id = log_search(params, result.total, [hit["platform"] for hit in result.hits], source="web", lang=lang(),
                        user_id=current_user.id if current_user.is_authenticated else None)

    def hit_url(hit: dict[str, Any]) -> str:
        if log_id is None:
            return url_for("main.resource", resource_id=hit["id"])
        return url_for("main.search_click", log_id=log_id, resource_id=hit["id"],
                       t=click_token(log_id, int(hit["id"])))

    return hit_url


@bp.get("/search/go/<int:log_id>/<int:resource_id>")
def search_click(log_id: int, resource_id: int) -> Any:
    """A result link of a logged search: count the click, then show the resource. It leads only to a
    resource page that exists (no open redirect); a forged or stale link records nothing."""
    from ..searching.searchlog import record_click

    db.get_or_404(Resource, resource_id)
    record_click(log_id, resource_id, request.args.get("t", ""))
    return redirect(url_for("main.resource", resource_id=resource_id), 303)


#: The query parameters of the free-time filter (the page's form, and the API's names).
WINDOW_FIELDS = ("date", "start", "end", "available_from", "available_to")


def _params_without_window(args: MultiDict[str, str]) -> tuple[Any, str | None]:
    """The search without its free-time filter (and the error of the rest, if any)."""
    from ..errors import DomainError
    from ..searching.params import SearchParams, parse_search_args

    rest = MultiDict([(k, v) for k, v in args.items(multi=True) if k not in WINDOW_FIELDS])
    try:
        return parse_search_args(rest), None
    except DomainError as exc:
        return SearchParams(q=(args.get("q") or "")[:200]), exc.message


def _with_local_window(args: MultiDict[str, str]) -> MultiDict[str, str]:
    """The page's "free on day D from S to E" fields, as the API's available_from/available_to."""
    from ..engine.text import _
    from ..searching.params import BadSearchParameters

    day, start, end = args.get("date"), args.get("start"), args.get("end")
    if not (day or start or end):
        return args
    if not (day and start and end):
        raise BadSearchParameters(_("Choose a day, a start and an end time."), field="date")
    zone = ZoneInfo(current_app.config["ONESTOP_DEFAULT_TIMEZONE"])
    result = MultiDict(args)
    try:
        result["available_from"] = datetime.fromisoformat(f"{day}T{start}").replace(tzinfo=zone).isoformat()
        result["available_to"] = datetime.fromisoformat(f"{day}T{end}").replace(tzinfo=zone).isoformat()
    except ValueError:
        raise BadSearchParameters(_("Give the day as 2027-03-02 and the times as 09:00."), field="date") from None
    return result
