"""Template helpers: kind names, prices, local times, all in the visitor's language."""
from __future__ import annotations

import re
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
    "size_m": _l("Size (m)"), "frequency": _l("Frequency range"), "turntable_t": _l("Turntable load (t)"),
    "gpus": _l("GPUs"), "gpu_model": _l("GPU model"), "interconnect": _l("Interconnect"),
    "cleanliness": _l("Cleanliness class"), "force_kN": _l("Force (kN)"), "frequency_Hz": _l("Frequency (Hz)"),
    "temperature": _l("Temperature range"), "solar_W_m2": _l("Solar irradiance (W/m²)"), "stations": _l("Stations"),
    "protocols": _l("Protocols"), "machines": _l("Machines"), "materials": _l("Materials"),
}
# Feed values that are words of a fixed list (service modes, patent and document types, statuses,
# grades), keyed by the Chinese the feeds send: an English page shows the English name.
VALUE_LABELS = {
    "自主上机": _l("Self-operated"), "委托测试": _l("Testing on commission"),
    "培训后自主操作": _l("Self-operated after training"), "发明专利": _l("Invention patent"),
    "实用新型": _l("Utility model"), "外观设计": _l("Design patent"), "授权": _l("Granted"),
    "实质审查": _l("Under substantive examination"), "转让": _l("Assignment"), "许可": _l("Licence"),
    "作价入股": _l("Equity contribution"), "国家标准": _l("National standard"), "国际标准": _l("International standard"),
    "德国标准": _l("German standard"), "技术规范": _l("Technical specification"),
    "教育行业标准": _l("Education industry standard"), "行业规范": _l("Industry code"), "现行": _l("In force"),
    "废止": _l("Withdrawn"), "SPF级": _l("SPF grade"), "普通级": _l("Conventional grade"),
    "清洁级": _l("Clean grade"), "种质圃活体保存": _l("Kept alive in the germplasm nursery"),
}
# The parts of a feed's category ("仪器设备/电子显微镜"), keyed by the Chinese the feeds send.
CATEGORY_LABELS = {
    "仪器设备": _l("Instruments"), "检测服务": _l("Testing services"), "专利": _l("Patents"),
    "标准与文献": _l("Standards and documents"), "种质资源": _l("Germplasm"), "实验动物": _l("Laboratory animals"),
    "重大科研设施": _l("Major research facilities"), "众创空间": _l("Maker spaces"), "场地": _l("Rooms and desks"),
    "电子显微镜": _l("Electron microscopy"), "X射线分析": _l("X-ray analysis"), "波谱": _l("Magnetic resonance"),
    "表面分析": _l("Surface analysis"), "光谱": _l("Spectroscopy"), "扫描探针显微镜": _l("Scanning probe microscopy"),
    "热分析": _l("Thermal analysis"), "颗粒表征": _l("Particle characterisation"), "原子光谱": _l("Atomic spectroscopy"),
    "质谱": _l("Mass spectrometry"), "色谱": _l("Chromatography"), "力学性能": _l("Mechanical properties"),
    "几何量计量": _l("Dimensional metrology"), "无损检测": _l("Non-destructive testing"),
    "光学显微镜": _l("Optical microscopy"), "细胞分析": _l("Cell analysis"), "分子生物学": _l("Molecular biology"),
    "增材制造": _l("Additive manufacturing"), "机加工": _l("Machining"), "环境可靠性": _l("Environmental reliability"),
    "电磁兼容": _l("Electromagnetic compatibility"), "电气安全": _l("Electrical safety"),
    "高分子材料": _l("Polymer materials"), "纺织品检测": _l("Textile testing"), "食品安全": _l("Food safety"),
    "水质检测": _l("Water quality"), "结构分析": _l("Structure analysis"), "药物分析": _l("Drug analysis"),
    "生物相容性": _l("Biocompatibility"), "种子检验": _l("Seed testing"), "新能源材料": _l("New energy materials"),
    "光伏": _l("Photovoltaics"), "环境试验": _l("Environmental testing"), "力学试验": _l("Mechanical testing"),
    "生物医药": _l("Biomedicine"), "药物制剂": _l("Drug formulation"), "作物育种": _l("Crop breeding"),
    "种质保存": _l("Germplasm conservation"), "智能制造": _l("Smart manufacturing"), "智能硬件": _l("Smart hardware"),
    "国家标准": _l("National standards"), "教育行业标准": _l("Education industry standards"),
    "德国标准": _l("German standards"), "行业规范": _l("Industry codes"), "国际标准": _l("International standards"),
    "技术规范": _l("Technical specifications"), "粮食作物": _l("Cereal crops"), "油料作物": _l("Oil crops"),
    "盐生植物": _l("Halophytes"), "湿地植物": _l("Wetland plants"), "蔬菜": _l("Vegetables"),
    "薯类": _l("Tuber crops"),
}
# Feeds name countries by ISO code; "UK" is common for GB.
COUNTRY_ALIASES = {"UK": "GB", "EL": "GR"}
RATE_UNIT_LABELS = {"hour": _l("per hour"), "sample": _l("per sample"), "day": _l("per day")}
RATE_KIND_LABELS = {"internal": _l("Internal rate"), "external": _l("External rate"), "startup": _l("Startup rate")}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_LABELS = {
    "mon": _l("Mon"), "tue": _l("Tue"), "wed": _l("Wed"), "thu": _l("Thu"),
    "fri": _l("Fri"), "sat": _l("Sat"), "sun": _l("Sun"),
}


def attribute_value(value: Any, key: str | None = None) -> str:
    """A feed attribute as text in the visitor's language: lists joined, yes/no for booleans,
    mappings as key: value, a country code as the country's name ("country" attribute, or a bare
    two-letter code), words of a fixed list (service modes, statuses) in English on English pages."""
    from flask_babel import gettext

    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, dict):
        return "; ".join(f"{attribute_label(k)}: {attribute_value(v, k)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(attribute_value(v, key) for v in value)
    if value is None:
        return ""
    text = str(value)
    if key in (None, "country", "origin") and re.fullmatch(r"[A-Z]{2}", text):
        return country_name(text)
    if lang() == "en" and text in VALUE_LABELS:
        return str(VALUE_LABELS[text])
    return text


def country_name(code: str) -> str:
    """An ISO 3166 code ("US", "UK") as the country's name in the visitor's language; unknown codes as given."""
    from babel import Locale

    territories = Locale.parse("en" if lang() == "en" else "zh").territories
    return str(territories.get(COUNTRY_ALIASES.get(code, code), code))


def zone_label(tz: str) -> str:
    """A platform's time zone as people say it ("上海时间", "Berlin time"), not its IANA code."""
    from babel.dates import get_timezone_location
    from flask_babel import gettext

    try:
        city = get_timezone_location(tz, locale="en" if lang() == "en" else "zh", return_city=True)
    except LookupError:
        return tz
    return gettext("%(city)s time", city=city)


def clip(text: str | None, limit: int) -> str:
    """`text` cut to about `limit` characters for a list, on a whole English word ("" when it fits)."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return ""
    cut = text[:limit]
    if text[limit].isascii() and text[limit].isalnum() and " " in cut[-25:]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:、，；：") + "…"


# Languages by their own names (the custom of language switches), never as codes.
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}


def language_name(code: str | None) -> str:
    """A language code ("zh") as the language's own name ("中文")."""
    return LANGUAGE_NAMES.get(code or "", code or "")


def category_label(category: str | None) -> str:
    """A feed category ("仪器设备/电子显微镜") in the visitor's language, part by part."""
    if not category or lang() != "en":
        return category or ""
    return " / ".join(str(CATEGORY_LABELS.get(part, part)) for part in category.split("/"))


def attribute_label(key: str) -> str:
    """A feed attribute's name; a key we do not know is spelt out ("force_kN" → "force (kN)")."""
    label = ATTRIBUTE_LABELS.get(key)
    if label is not None:
        return str(label)
    words = key.split("_")
    if len(words) > 1 and any(c.isupper() for c in words[-1]) and words[-1].isalnum():
        return " ".join(words[:-1]) + f" ({words[-1]})"
    return key.replace("_", " ")


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


# What an error page says for the HTTP errors werkzeug describes in English only.
ERROR_MESSAGES = {
    400: _l("The request could not be understood. Go back and try again."),
    401: _l("Log in to see this page."),
    404: _l("This page does not exist. It may have been withdrawn."),
    405: _l("This address cannot be opened like that. Go back and use the page's buttons and links."),
    409: _l("Someone changed this at the same time. Reload the page and try again."),
    410: _l("This page has been removed."),
    413: _l("The upload is too large: files may be at most 10 MB. Go back and choose a smaller file."),
    415: _l("The request could not be understood. Go back and try again."),
    422: _l("The request could not be understood. Go back and try again."),
    429: _l("Too many requests: wait a few minutes and try again."),
    500: _l("Something went wrong on our side. Nothing was changed; try again in a moment."),
    502: _l("The service is briefly unavailable. Try again in a moment."),
    503: _l("The service is briefly unavailable. Try again in a moment."),
}
CSRF_MESSAGE = _l("The form had expired. Go back, reload the page and send it again.")


def error_message(code: int, message: str | None) -> str:
    """The text of an error page: ours, translated, when `message` is werkzeug's or Flask-WTF's
    English default (or missing); the raiser's own message (already translated) otherwise."""
    from werkzeug.exceptions import default_exceptions

    default = default_exceptions.get(code)
    if message and ("CSRF" in message or message.startswith("The referrer")):
        return str(CSRF_MESSAGE)
    if not message or (default is not None and message == default.description):
        label = ERROR_MESSAGES.get(code) or ERROR_MESSAGES[500 if code >= 500 else 400]
        return str(label)
    return message


def has_endpoint(name: str) -> bool:
    from flask import current_app

    return name in current_app.view_functions


def role_label(role: str) -> str:
    from ..accounts.forms import ROLE_LABELS

    return str(ROLE_LABELS.get(role, role))


def register_filters(app: Flask) -> None:
    from ..engine.timefmt import duration_label
    from ..models.resource import english_title

    app.jinja_env.filters.update(attribute_label=attribute_label, attribute_value=attribute_value, kind_label=kind_label, price_label=price_label, local_time=local_time,
                                 category_label=category_label, country_name=country_name, duration=duration_label,
                                 zone_label=zone_label, clip=clip, language_name=language_name)
    app.jinja_env.globals.update(
        lang=lang, url_with=url_with, has_endpoint=has_endpoint, role_label=role_label, WEEKDAYS=WEEKDAYS,
        WEEKDAY_LABELS=WEEKDAY_LABELS, KIND_LABELS=KIND_LABELS, money=money, rate_kind_label=rate_kind_label,
        rate_unit_label=rate_unit_label, error_message=error_message, duration_label=duration_label,
        english_title=english_title, category_label=category_label, language_name=language_name,
    )
