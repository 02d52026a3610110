"""Template helpers: kind names, prices, local times, all in the visitor's language."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, g, request
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
ATTRIBUTE_LABELS = {
    "manufacturer": _l("Manufacturer"), "manufacturer_zh": _l("Manufacturer (Chinese)"), "model": _l("Model"),
    "country": _l("Country of origin"), "purchase_year": _l("Year purchased"), "service_modes": _l("Service modes"),
    "standards": _l("Standards"), "sample_types": _l("Sample types"), "turnaround_days": _l("Turnaround (days)"),
    "accreditation": _l("Accreditation"), "instruments": _l("Instruments used"), "patent_type": _l("Patent type"),
    "applicant": _l("Applicant"), "inventors": _l("Inventors"), "application_no": _l("Application number"),
    "publication_no": _l("Publication number"), "ipc": _l("IPC class"), "ipc_all": _l("All IPC classes"),
    "legal_status": _l("Legal status"), "transfer_mode": _l("Transfer mode"), "standard_no": _l("Standard number"),
    "doc_type": _l("Document type"), "publisher": _l("Publisher"), "year": _l("Year"), "status": _l("Status"),
    "replaces": _l("Replaces"), "strain": _l("Strain"), "grade": _l("Grade"), "age": _l("Age"),
    "license_no": _l("Licence number"), "accession_no": _l("Accession number"), "species_latin": _l("Species"),
    "variety": _l("Variety"), "storage": _l("Storage"), "traits": _l("Traits"), "capacity": _l("Capacity"),
    "area_m2": _l("Area (m²)"), "amenities": _l("Amenities"), "application_date": _l("Application date"),
    "asset_value_wan_cny": _l("Asset value (10,000 CNY)"), "training_required": _l("Training required"),
    "internal_price": _l("Internal price"), "report_language": _l("Report language"), "format": _l("Format"),
    "language": _l("Language"), "pages": _l("Pages"), "specifications": _l("Specifications"),
    "booking_unit": _l("Booked by"), "review_required": _l("Review required"), "species": _l("Species"),
    "sex": _l("Sex"), "min_order": _l("Minimum order"), "origin": _l("Origin"),
    "mta_required": _l("Material transfer agreement required"), "room": _l("Room"),
}
RATE_UNIT_LABELS = {"hour": _l("per hour"), "sample": _l("per sample"), "day": _l("per day")}
RATE_KIND_LABELS = {"internal": _l("Internal rate"), "external": _l("External rate"), "startup": _l("Startup rate")}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_LABELS = {
    "mon": _l("Mon"), "tue": _l("Tue"), "wed": _l("Wed"), "thu": _l("Thu"),
    "fri": _l("Fri"), "sat": _l("Sat"), "sun": _l("Sun"),
}


def attribute_value(value: Any) -> str:
    """A feed attribute as text: lists joined, yes/no for booleans, mappings as key: value."""
    from flask_babel import gettext

    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, dict):
        return "; ".join(f"{k}: {attribute_value(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(attribute_value(v) for v in value)
    return "" if value is None else str(value)


def attribute_label(key: str) -> str:
    label = ATTRIBUTE_LABELS.get(key)
    return str(label) if label is not None else key.replace("_", " ")


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


def money(value: Decimal | float | None, currency: str | None = "CNY") -> str:
    """An amount as the pages show it: ¥1,250.00, -¥50.00, USD 12.00."""
    if value is None:
        return ""
    symbol = "¥" if (currency or "CNY") == "CNY" else f"{currency} "
    amount = Decimal(value)
    return f"{'-' if amount < 0 else ''}{symbol}{abs(amount):,.2f}"


def rate_kind_label(kind: str | None) -> str:
    return str(RATE_KIND_LABELS.get(kind or "", kind or ""))


def rate_unit_label(unit: str | None) -> str:
    return str(RATE_UNIT_LABELS.get(unit or "", unit or ""))


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
    path = g.get("get_path") or request.path  # a POST page's links lead to its GET page (set by the view)
    return f"{path}?{query}" if query else path


def has_endpoint(name: str) -> bool:
    from flask import current_app

    return name in current_app.view_functions


def role_label(role: str) -> str:
    from ..accounts.forms import ROLE_LABELS

    return str(ROLE_LABELS.get(role, role))


def register_filters(app: Flask) -> None:
    app.jinja_env.filters.update(attribute_label=attribute_label, attribute_value=attribute_value, kind_label=kind_label, price_label=price_label, local_time=local_time)
    app.jinja_env.globals.update(
        lang=lang, url_with=url_with, has_endpoint=has_endpoint, role_label=role_label, WEEKDAYS=WEEKDAYS,
        WEEKDAY_LABELS=WEEKDAY_LABELS, KIND_LABELS=KIND_LABELS, money=money, rate_kind_label=rate_kind_label,
        rate_unit_label=rate_unit_label,
    )
