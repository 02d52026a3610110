"""Demand that was not met: searches that found nothing and searches nobody clicked, by week.

Staff see the searches that concern their platform (filtered to it, or showing its resources) or,
on asking, all of them; administrators see all, or one platform's. Nobody sees who searched.
"""
from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from ..accounts.access import role_required
from ..extensions import db
from ..models import Platform
from ..searching.searchlog import MAX_WEEKS, demand_by_week
from .admin import bp as admin_bp
from .filters import kind_label, lang
from .staff import bp as staff_bp
from .staff import current_platform, platform_choices

DEFAULT_WEEKS = 8


def _weeks() -> int:
    raw = request.args.get("weeks", "")
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= MAX_WEEKS else DEFAULT_WEEKS


def describe_filters(filters: dict[str, Any], names: dict[str, str]) -> list[str]:
    """A search's filters as short labels in the reader's language (`names`: platform code → name)."""
    labels = []
    for kind in filters.get("kind", []):
        labels.append(kind_label(kind))
    for code in filters.get("platform", []):
        labels.append(names.get(code, code))
    labels += [str(city) for city in filters.get("city", [])]
    if filters.get("category"):
        labels.append(str(filters["category"]))
    if filters.get("max_price") is not None:
        labels.append(_("at most ¥%(price)s", price=f"{float(filters['max_price']):,.2f}".rstrip("0").rstrip(".")))
    if filters.get("bookable"):
        labels.append(_("bookable"))
    if filters.get("orderable"):
        labels.append(_("orderable"))
    if filters.get("available_from"):
        start, end = str(filters["available_from"]), str(filters.get("available_to", ""))
        labels.append(_("free %(from)s–%(to)s", **{"from": start[:16].replace("T", " "),
                                                    "to": end[11:16] if end[:10] == start[:10] else end[:16].replace("T", " ")}))
    if filters.get("truncated"):
        labels.append("…")
    return labels


def _render(template: str, **context: Any) -> Any:
    names = {p.code: p.name(lang()) for p in db.session.scalars(select(Platform))}
    return render_template(template, describe_filters=lambda filters: describe_filters(filters, names),
                           weeks=_weeks(), max_weeks=MAX_WEEKS, **context)


@staff_bp.get("/demand", endpoint="demand")
@role_required("staff")
def staff_demand() -> Any:
    platform = current_platform()
    scope = request.args.get("scope") if request.args.get("scope") in ("mine", "all") else "mine"
    report = demand_by_week(weeks=_weeks(), platform=platform.code if scope == "mine" else None)
    return _render("staff/demand.html", platform=platform, platforms=platform_choices(), scope=scope, report=report)


@admin_bp.get("/demand", endpoint="demand")
@role_required("admin")
def admin_demand() -> Any:
    platforms = list(db.session.scalars(select(Platform).order_by(Platform.code)))
    code = request.args.get("platform", "")
    chosen = next((p for p in platforms if p.code == code), None)
    report = demand_by_week(weeks=_weeks(), platform=chosen.code if chosen else None)
    return _render("admin/demand.html", platforms=platforms, chosen=chosen, report=report)
