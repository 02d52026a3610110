"""Template helpers: kind names, prices, local times, all in the visitor's language."""
from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

KIND_LABELS = {
    "instrument": _l("Instrument"),
    "testing_service": _l("Testing service"),
    "patent": _l("Patent"),
    "document": _l("Standard or document"),
    "germplasm": _l("Germplasm"),
    "lab_animal": _l("Laboratory animal"),
    "facility": _l("Major facility"),
    "space": _l("Space"),
}
UNIT_LABELS = {"hour": _l("hour"), "sample": _l("sample"), "item": _l("item"), "day": _l("day")}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_LABELS = {
    "mon": _l("Mon"), "tue": _l("Tue"), "wed": _l("Wed"), "thu": _l("Thu"),
    "fri": _l("Fri"), "sat": _l("Sat"), "sun": _l("Sun"),
}


def lang() -> str:
    return str(get_locale() or "zh")


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


def price_label(price: dict[str, Any] | None) -> str:
    if not price:
        from flask_babel import gettext

        return gettext("Price on request")
    amount = price["amount"]
    text = f"¥{amount:,.0f}" if float(amount).is_integer() else f"¥{amount:,.2f}"
    unit = UNIT_LABELS.get(price.get("unit") or "", price.get("unit") or "")
    return f"{text} / {unit}" if unit else text


def local_time(value: datetime | None, tz: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(tz)).strftime(fmt)


def url_with(**changes: Any) -> str:
    """The current URL with some query parameters changed (None removes one)."""
    args = request.args.to_dict(flat=False)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = [str(value)]
    from urllib.parse import urlencode

    query = urlencode(args, doseq=True)
    return f"{request.path}?{query}" if query else request.path


def has_endpoint(name: str) -> bool:
    from flask import current_app

    return name in current_app.view_functions


def register_filters(app: Flask) -> None:
    app.jinja_env.filters.update(kind_label=kind_label, price_label=price_label, local_time=local_time)
    app.jinja_env.globals.update(
        lang=lang, url_with=url_with, has_endpoint=has_endpoint, WEEKDAYS=WEEKDAYS, WEEKDAY_LABELS=WEEKDAY_LABELS, KIND_LABELS=KIND_LABELS
    )
