"""/platforms (the province's ranking by sharing performance) and /platforms/<code> (a platform's
public page: introduction, contacts, opening hours, resources, rating and headline figures).

Public: no login. The figures cover the last twelve complete months (booking.web.platforms.headline)
and are cached for an hour (booking.web.platforms.cache): anyone may reload a public page.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import abort, current_app, render_template, request
from flask_babel import gettext as _
from sqlalchemy import func, select

from ...engine.ratings import platform_rating
from ...extensions import db
from ...models import Platform, Resource
from ..filters import KIND_LABELS, lang
from .blueprint import bp
from .cache import ranking_cache
from .headline import (
    FIGURES,
    TEXT_SORTS,
    BadRankingQuery,
    all_platforms,
    cached_platform_headline,
    cached_province_figures,
    last_complete_months,
    local_today,
    ranking,
    read_ranking_query,
)
from .labels import PLATFORM_KIND_LABELS, platform_kind_label

RESOURCES_PER_PAGE = 20
MAX_PAGE = 10_000


def paragraphs(text: str | None) -> list[str]:
    """An introduction as paragraphs: one per non-empty line (the template escapes each)."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def safe_website(url: str | None) -> str | None:
    """The website as a link target only when it is an http(s) URL with a host (never javascript: or data:)."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def bad_request(message: str) -> Any:
    return render_template("error.html", code=400, message=message), 400


@bp.app_template_global()
def platform_kind_name(kind: str) -> str:
    return platform_kind_label(kind)


@bp.get("/platforms")
def index() -> Any:
    """Every platform with its headline figures for the last twelve complete months, sortable."""
    platforms = all_platforms()
    cities = {c for p in platforms for c in (p.city_zh, p.city_en) if c}
    try:
        query = read_ranking_query(request.args, cities)
    except BadRankingQuery as exc:
        return bad_request(exc.message)
    period = last_complete_months(local_today(current_app.config.get("ONESTOP_DEFAULT_TIMEZONE", "Asia/Shanghai")))
    figures = cached_province_figures(ranking_cache(), period)
    page_lang = lang()
    rows = ranking(platforms, figures, query, page_lang)
    city_choices = sorted({(p.city_zh, p.city(page_lang)) for p in platforms if p.city_zh}, key=lambda c: c[1])
    kinds = sorted({p.kind for p in platforms})
    return render_template("platforms/index.html", rows=rows, query=query, period=period, figures=FIGURES,
                           text_sorts=TEXT_SORTS, city_choices=city_choices, kinds=kinds)


@bp.get("/platforms/<code>")
def platform_page(code: str) -> Any:
    """A platform's public page."""
    readable = len(code) <= 32 and "\x00" not in code
    platform = db.session.scalar(select(Platform).where(Platform.code == code)) if readable else None
    if platform is None:
        abort(404)
    kind = request.args.get("kind", "").strip()
    if kind and kind not in KIND_LABELS:
        return bad_request(_("Choose a kind of resource from the list."))
    page_text = request.args.get("page", "1").strip() or "1"
    if not (page_text.isascii() and page_text.isdigit() and 1 <= int(page_text[:6]) <= MAX_PAGE):
        return bad_request(_("The page is a whole number from 1 to %(n)s.", n=MAX_PAGE))
    active = (Resource.platform_id == platform.id, Resource.status == "active")
    kind_counts = dict(db.session.execute(
        select(Resource.kind, func.count(Resource.id)).where(*active).group_by(Resource.kind)).tuples().all())
    listing = select(Resource).where(*active)
    if kind:
        listing = listing.where(Resource.kind == kind)
    resources = db.paginate(listing.order_by(Resource.kind, Resource.title, Resource.id), page=int(page_text),
                            per_page=RESOURCES_PER_PAGE, error_out=False, count=True)
    page_lang = lang()
    introduction = (platform.introduction_en if page_lang == "en" else platform.introduction_zh) \
        or platform.introduction_zh or platform.introduction_en
    period = last_complete_months(local_today(platform.timezone))
    return render_template(
        "platforms/platform.html", platform=platform, introduction=paragraphs(introduction),
        website=safe_website(platform.website), resources=resources, kind=kind,
        kind_counts=[(k, kind_counts[k]) for k in KIND_LABELS if k in kind_counts],
        total_resources=sum(kind_counts.values()), rating=platform_rating(platform.id),
        figures=cached_platform_headline(ranking_cache(), platform, period), period=period,
        kind_label=PLATFORM_KIND_LABELS.get(platform.kind),
    )
