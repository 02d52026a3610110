"""Demand that was not met, as staff and administrators read it: searches that found nothing and
searches nobody clicked, by week. Nobody sees who searched. (Routes: /staff/demand, /admin/demand.)"""
from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import Platform
from ..searching.searchlog import MAX_WEEKS
from .filters import kind_label, lang

DEFAULT_WEEKS = 8


def weeks_asked() -> int:
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


def render_demand(template: str, **context: Any) -> Any:
    names = {p.code: p.name(lang()) for p in db.session.scalars(select(Platform))}
    return render_template(template, describe_filters=lambda filters: describe_filters(filters, names),
                           weeks=weeks_asked(), max_weeks=MAX_WEEKS, **context)
