"""The feed format (docs/contract.md §4): check one record and turn it into plain column values.

Everything here is pure: no database, no Flask. A bad record raises `BadRecord` with a reason
fit to print after a line number ("unknown kind 'robot'").
"""
from __future__ import annotations

import hashlib
import json
import math
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ..models import KINDS, PRICE_UNITS

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
RULE_KEYS: dict[str, type] = {
    "requires_approval": bool,
    "min_minutes": int,
    "max_minutes": int,
    "min_notice_minutes": int,
    "max_advance_days": int,
    "buffer_minutes": int,
    "cancel_notice_minutes": int,
    # Quotas (booking.engine.quotas): hours per user or organisation and week or month.
    "quota_hours": float,
    "quota_period": str,
    "quota_scope": str,
}
QUOTA_HOURS_MAX = 24 * 31  # as booking.engine.rules.QUOTA_HOURS_MAX
QUOTA_CHOICES = {"quota_period": ("week", "month"), "quota_scope": ("user", "organisation")}
ORDERABLE_KINDS = frozenset({"testing_service", "germplasm", "lab_animal"})
BOOKABLE_KINDS = frozenset({"instrument", "facility", "space"})

# Column widths from booking.models.Resource; description is Text but still bounded.
MAX_LENGTHS = {
    "platform": 32,
    "external_id": 100,
    "title": 500,
    "title_en": 500,
    "description": 20_000,
    "category": 200,
    "city": 64,
    "location": 300,
    "contact_email": 200,
}
MAX_KEYWORDS = 100
MAX_KEYWORD_LENGTH = 200
MAX_ATTRIBUTES = 200
MAX_LINE = 200_000  # characters in one JSONL line or CSV record: bounds every nested field
MAX_PRICE = Decimal("9999999999.99")  # Numeric(12, 2)

_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_CURRENCY = re.compile(r"^[A-Za-z]{3}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class BadRecord(ValueError):
    """A record that cannot be imported; str(exc) is the reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _type_name(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            int: "a number", float: "a number", type(None): "null"}.get(type(value), type(value).__name__)


# -- small checks ---------------------------------------------------------------------------


def _text(record: dict[str, Any], field: str, *, required: bool = False) -> str | None:
    value = record.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise BadRecord(f"missing {field}")
        return None
    if not isinstance(value, str):
        raise BadRecord(f"{field} must be a string, not {_type_name(value)}")
    value = value.strip()
    limit = MAX_LENGTHS[field]
    if len(value) > limit:
        raise BadRecord(f"{field} too long ({len(value)} characters, at most {limit})")
    return value


def _flag(record: dict[str, Any], field: str, default: bool) -> bool:
    value = record.get(field)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise BadRecord(f"{field} must be true or false, not {_short(value)}")
    return value


def _minutes(text: Any, *, end: bool) -> int:
    if isinstance(text, str):
        if end and text == "24:00":
            return 24 * 60
        match = _TIME.fullmatch(text)
        if match:
            return int(match.group(1)) * 60 + int(match.group(2))
    raise ValueError(f"{_short(text)} is not a time HH:MM")


def parse_opening_hours(value: Any) -> dict[str, list[list[str]]] | None:
    """Weekly hours: {"mon": [["08:30", "12:00"], ...], ...}; null means any hour."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise BadRecord(f"bad opening_hours: must be an object of days, not {_type_name(value)}")
    result: dict[str, list[list[str]]] = {}
    for day, intervals in value.items():
        if day not in DAYS:
            raise BadRecord(f"bad opening_hours: unknown day {_short(day)} (use mon..sun)")
        if not isinstance(intervals, list):
            raise BadRecord(f"bad opening_hours: {day} must be a list of [start, end] pairs")
        spans = []
        for interval in intervals:
            if not (isinstance(interval, list) and len(interval) == 2):
                raise BadRecord(f"bad opening_hours: {day} has {_short(interval)}, not a [start, end] pair")
            try:
                start, stop = _minutes(interval[0], end=False), _minutes(interval[1], end=True)
            except ValueError as exc:
                raise BadRecord(f"bad opening_hours: {day}: {exc}") from None
            if start >= stop:
                raise BadRecord(f"bad opening_hours: {day} {interval[0]}-{interval[1]} must end after it starts")
            spans.append((start, stop, interval))
        spans.sort(key=lambda span: span[0])
        for before, after in zip(spans, spans[1:]):
            if after[0] < before[1]:
                raise BadRecord(f"bad opening_hours: {day} intervals overlap")
        result[day] = [[str(s[2][0]), str(s[2][1])] for s in spans]
    return {day: result[day] for day in DAYS if day in result}


def parse_booking_rules(value: Any) -> dict[str, Any] | None:
    """A subset of the contract's rule keys with the right types, and min ≤ max."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise BadRecord(f"bad booking_rules: must be an object, not {_type_name(value)}")
    rules: dict[str, Any] = {}
    for key, item in value.items():
        expected = RULE_KEYS.get(key)
        if expected is None:
            raise BadRecord(f"bad booking_rules: unknown rule {_short(key)}")
        if expected is bool:
            if not isinstance(item, bool):
                raise BadRecord(f"bad booking_rules: {key} must be true or false")
        elif expected is float:  # quota_hours: null (no quota) or hours above 0
            if item is not None and (isinstance(item, bool) or not isinstance(item, (int, float))
                                     or not 0 < item <= QUOTA_HOURS_MAX):
                raise BadRecord(f"bad booking_rules: {key} must be hours above 0 and at most {QUOTA_HOURS_MAX}, "
                                f"or null, not {_short(item)}")
        elif expected is str:
            if item not in QUOTA_CHOICES[key]:
                raise BadRecord(f"bad booking_rules: {key} must be {' or '.join(QUOTA_CHOICES[key])}, not {_short(item)}")
        else:
            if isinstance(item, bool) or not isinstance(item, int):
                raise BadRecord(f"bad booking_rules: {key} must be a whole number, not {_short(item)}")
            if item < 0:
                raise BadRecord(f"bad booking_rules: {key} must not be negative")
        rules[key] = item
    if rules.get("max_minutes") == 0 or rules.get("max_advance_days") == 0:
        raise BadRecord("bad booking_rules: max_minutes and max_advance_days must be at least 1")
    if "min_minutes" in rules and "max_minutes" in rules and rules["min_minutes"] > rules["max_minutes"]:
        raise BadRecord(
            f"bad booking_rules: min_minutes {rules['min_minutes']} > max_minutes {rules['max_minutes']}"
        )
    return {key: rules[key] for key in RULE_KEYS if key in rules}


def _price(value: Any) -> tuple[Decimal | None, str | None, str | None]:
    if value is None:
        return None, None, None
    if not isinstance(value, dict):
        raise BadRecord(f"bad price: must be an object or null, not {_type_name(value)}")
    extra = set(value) - {"amount", "currency", "unit"}
    if extra:
        raise BadRecord(f"bad price: unknown field {_short(sorted(extra)[0])}")
    amount = value.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, (int, float)) or not math.isfinite(amount):
        raise BadRecord(f"bad price: amount must be a number, not {_short(amount)}")
    if amount < 0:
        raise BadRecord(f"bad price: amount {amount} is negative")
    decimal = Decimal(str(amount)).quantize(Decimal("0.01"))
    if decimal > MAX_PRICE:
        raise BadRecord(f"bad price: amount {amount} is too large")
    currency = value.get("currency", "CNY")
    if not isinstance(currency, str) or not _CURRENCY.match(currency):
        raise BadRecord(f"bad price: currency must be 3 letters, not {_short(currency)}")
    unit = value.get("unit")
    if unit not in PRICE_UNITS:
        raise BadRecord(f"bad price: unit must be one of {'|'.join(PRICE_UNITS)}, not {_short(unit)}")
    return decimal, currency.upper(), unit


def _keywords(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadRecord(f"keywords must be a list of strings, not {_type_name(value)}")
    if len(value) > MAX_KEYWORDS:
        raise BadRecord(f"too many keywords ({len(value)}, at most {MAX_KEYWORDS})")
    words = []
    for word in value:
        if not isinstance(word, str):
            raise BadRecord(f"keywords must be strings, not {_short(word)}")
        if len(word) > MAX_KEYWORD_LENGTH:
            raise BadRecord(f"keyword too long ({len(word)} characters, at most {MAX_KEYWORD_LENGTH})")
        if word.strip():
            words.append(word.strip())
    return words


def _attributes(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRecord(f"attributes must be an object, not {_type_name(value)}")
    if len(value) > MAX_ATTRIBUTES:
        raise BadRecord(f"too many attributes ({len(value)}, at most {MAX_ATTRIBUTES})")
    return value


def _training(record: dict[str, Any], attributes: dict[str, Any]) -> dict[str, Any]:
    """A top-level `training_required` (true/false) joins the attributes, where older feeds put it
    and the importer reads it (booking.catalog.training). Absent: the attributes as they came, so
    the record's digest is the one it had before the field existed."""
    value = record.get("training_required")
    if value is None:
        return attributes
    if not isinstance(value, bool):
        raise BadRecord(f"training_required must be true or false, not {_short(value)}")
    return {**attributes, "training_required": value}


def _updated_at(value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRecord(f"bad updated_at: must be an ISO 8601 string, not {_type_name(value)}")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise BadRecord(f"bad updated_at {_short(value)}: not an ISO 8601 date and time") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise BadRecord(f"bad updated_at {_short(value)}: needs a UTC offset, e.g. +08:00")
    return moment.astimezone(UTC)


def _external_id(record: dict[str, Any]) -> str:
    value = record.get("external_id")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # a numeric database id is a fine identifier
    if value is None or (isinstance(value, str) and not value.strip()):
        raise BadRecord("missing external_id")
    if not isinstance(value, str):
        raise BadRecord(f"external_id must be a string, not {_type_name(value)}")
    value = value.strip()
    if len(value) > MAX_LENGTHS["external_id"]:
        raise BadRecord(f"external_id too long ({len(value)} characters, at most {MAX_LENGTHS['external_id']})")
    return value


# -- the record -----------------------------------------------------------------------------


def record_key(record: Any) -> tuple[str, str] | None:
    """(platform, external_id) of a record, when it has usable ones; None otherwise."""
    if not isinstance(record, dict):
        return None
    platform = record.get("platform")
    try:
        external_id = _external_id(record)
    except BadRecord:
        return None
    if not isinstance(platform, str) or not platform.strip():
        return None
    return platform.strip(), external_id


def parse_record(record: Any) -> dict[str, Any]:
    """Check one feed record; return the Resource column values plus "platform" (the code).

    Unknown extra fields are ignored. Raises BadRecord with the first problem found.
    """
    if not isinstance(record, dict):
        raise BadRecord(f"not a JSON object but {_type_name(record)}")
    platform = _text(record, "platform", required=True)
    external_id = _external_id(record)
    kind = record.get("kind")
    if kind is None or kind == "":
        raise BadRecord("missing kind")
    if kind not in KINDS:
        raise BadRecord(f"unknown kind {_short(kind)}")
    title = _text(record, "title", required=True)
    amount, currency, unit = _price(record.get("price"))
    email = _text(record, "contact_email")
    if email is not None and not _EMAIL.match(email):
        raise BadRecord(f"bad contact_email {_short(email)}")
    return {
        "platform": platform,
        "external_id": external_id,
        "kind": kind,
        "title": title,
        "title_en": _text(record, "title_en"),
        "description": _text(record, "description"),
        "category": _text(record, "category"),
        "keywords": _keywords(record.get("keywords")),
        "city": _text(record, "city"),
        "location": _text(record, "location"),
        "attributes": _training(record, _attributes(record.get("attributes"))),
        "price_amount": amount,
        "price_currency": currency,
        "price_unit": unit,
        "bookable": _flag(record, "bookable", kind in BOOKABLE_KINDS),
        "orderable": _flag(record, "orderable", kind in ORDERABLE_KINDS),
        "opening_hours": parse_opening_hours(record.get("opening_hours")),
        "booking_rules": parse_booking_rules(record.get("booking_rules")),
        "contact_email": email,
        "source_updated_at": _updated_at(record.get("updated_at")),
    }


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def content_hash(values: dict[str, Any]) -> str:
    """A stable digest of the parsed values: equal digests mean nothing to update."""
    text = json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_plain)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# Escapes that decode to text no database column takes: NUL, and surrogate halves (a proper
# pair decodes to one character, which is fine; a lone half cannot be encoded as UTF-8).
_SUSPECT_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _check_text(value: Any) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise BadRecord("text contains a NUL character")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise BadRecord("text contains an unpaired UTF-16 surrogate escape") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _check_text(item)
    elif isinstance(value, list):
        for item in value:
            _check_text(item)


def _loads(text: str) -> Any:
    """json.loads without NaN/Infinity, and without text the database would refuse."""
    value = json.loads(text, parse_constant=_no_constant)
    if "\\u" in text and _SUSPECT_ESCAPE.search(text):
        _check_text(value)
    return value


def parse_json_line(text: str) -> Any:
    """Decode one JSONL line; BadRecord("bad JSON: …") when it is not JSON."""
    if len(text) > MAX_LINE:
        raise BadRecord(f"line too long ({len(text)} characters, at most {MAX_LINE})")
    try:
        return _loads(text)
    except BadRecord:
        raise
    except ValueError as exc:
        message = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise BadRecord(f"bad JSON: {message}") from None


CSV_JSON_FIELDS = ("keywords", "attributes", "price", "opening_hours", "booking_rules")
CSV_BOOL_FIELDS = ("bookable", "orderable", "training_required")


def from_csv_row(row: dict[str | None, Any]) -> dict[str, Any]:
    """A CSV row (all text) as a feed record: nested fields are JSON text, booleans true/false.

    Empty cells mean "absent". Extra cells beyond the header are an error.
    """
    if None in row:
        raise BadRecord("more cells than header columns")
    if sum(len(cell) for cell in row.values() if cell) > MAX_LINE:
        raise BadRecord(f"record too long (at most {MAX_LINE} characters)")
    record: dict[str, Any] = {}
    for field, cell in row.items():
        assert field is not None
        field = field.strip()
        if cell is None or cell.strip() == "":
            continue
        if "\x00" in cell:
            raise BadRecord(f"{field} contains a NUL character")
        if field in CSV_JSON_FIELDS:
            try:
                record[field] = _loads(cell)
            except BadRecord:
                raise
            except ValueError:
                raise BadRecord(f"bad {field}: not valid JSON text") from None
        elif field in CSV_BOOL_FIELDS:
            flag = cell.strip().lower()
            if flag not in ("true", "false"):
                raise BadRecord(f"{field} must be true or false, not {_short(cell)}")
            record[field] = flag == "true"
        else:
            record[field] = cell
    return record
