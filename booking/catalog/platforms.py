"""Upsert platforms by code from the platforms file (a JSON list of objects)."""
from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from ..engine.quotas import carried_quota
from ..extensions import db
from ..models import PLATFORM_KINDS, Platform
from .feed import BadRecord, parse_booking_rules, parse_opening_hours
from .importer import FeedFileError

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
_WEB = re.compile(r"^https?://[^\s/?#]+[^\s]*$", re.IGNORECASE)
_LIMITS = {"name_zh": 200, "name_en": 200, "city_zh": 64, "city_en": 64, "address": 300, "email": 200,
           # the public profile (/platforms/<code>), each optional
           "introduction_zh": 5000, "introduction_en": 5000, "accreditation": 300, "contact_name": 100,
           "phone": 64, "website": 300}
PROFILE_KEYS = ("introduction_zh", "introduction_en", "accreditation", "contact_name", "phone", "website")


@dataclass
class PlatformSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejections: list[tuple[int, str]] = field(default_factory=list)  # (index in the list, reason)

    @property
    def rejected(self) -> int:
        return len(self.rejections)

    def describe(self) -> str:
        return (f"platforms: {self.created} created, {self.updated} updated, "
                f"{self.unchanged} unchanged, {self.rejected} rejected")


def _string(entry: dict[str, Any], key: str, default: str = "", *, source: str | None = None) -> str:
    value = entry.get(source or key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise BadRecord(f"{source or key} must be a string")
    value = value.strip()
    if len(value) > _LIMITS[key]:
        raise BadRecord(f"{source or key} too long (at most {_LIMITS[key]} characters)")
    return value


def parse_platform(entry: Any) -> dict[str, Any]:
    """Check one entry of the platforms file; return Platform column values. Extra keys ignored."""
    if not isinstance(entry, dict):
        raise BadRecord("not a JSON object")
    code = entry.get("code")
    if not isinstance(code, str) or not code.strip():
        raise BadRecord("missing code")
    code = code.strip()
    if not _CODE.match(code):
        raise BadRecord(f"bad code {code!r}: letters, digits, - and _, at most 32")
    # Only the fields the entry gives: an update never resets what the file leaves out.
    values: dict[str, Any] = {"code": code}
    for key in ("name_zh", "name_en", "city_zh", "city_en", "email"):
        if entry.get(key) is not None:
            values[key] = _string(entry, key)
    for source in ("address_zh", "address"):
        if entry.get(source) is not None:
            values["address"] = _string(entry, "address", source=source)
            break
    for key in PROFILE_KEYS:
        if entry.get(key) is not None:
            values[key] = _string(entry, key)
    if values.get("website") and not _WEB.match(values["website"]):
        raise BadRecord("website must be an http:// or https:// address")
    if "tracks_check_in" in entry:
        if not isinstance(entry["tracks_check_in"], bool):
            raise BadRecord("tracks_check_in must be true or false")
        values["tracks_check_in"] = entry["tracks_check_in"]
    if "kind" in entry:
        if entry["kind"] not in PLATFORM_KINDS:
            raise BadRecord(f"unknown kind {entry['kind']!r} (use one of {', '.join(PLATFORM_KINDS)})")
        values["kind"] = entry["kind"]
    if "timezone" in entry:
        tz = entry["timezone"]
        try:
            if not isinstance(tz, str) or not tz:
                raise ValueError
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise BadRecord(f"unknown timezone {tz!r}") from None
        values["timezone"] = tz
    if "opening_hours" in entry:
        values["opening_hours"] = parse_opening_hours(entry["opening_hours"])
    if "booking_rules" in entry:
        values["booking_rules"] = parse_booking_rules(entry["booking_rules"]) or {}
    if "approval_expiry_hours" in entry:
        hours = entry["approval_expiry_hours"]
        if isinstance(hours, bool) or not isinstance(hours, int) or hours < 1:
            raise BadRecord("approval_expiry_hours must be a whole number of hours, at least 1")
        values["approval_expiry_hours"] = hours
    return values


def read_platforms_file(path: str | Path) -> list[Any]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise FeedFileError(f"no such file: {path}") from None
    except UnicodeDecodeError:
        raise FeedFileError(f"{path.name} is not UTF-8 text") from None
    except OSError as exc:
        raise FeedFileError(f"cannot read {path}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FeedFileError(f"{path.name} is not valid JSON: {exc.msg} at line {exc.lineno}") from None
    if isinstance(data, dict) and isinstance(data.get("platforms"), list):
        data = data["platforms"]
    if not isinstance(data, list):
        raise FeedFileError(f"{path.name} must hold a JSON list of platforms")
    return data


def import_platforms(source: str | Path | Iterable[Any]) -> PlatformSummary:
    """Upsert platforms by code from a platforms file or a list of entries; one transaction.

    Bad entries are skipped and reported by their index (from 0) and reason.
    """
    entries = read_platforms_file(source) if isinstance(source, (str, Path)) else list(source)
    summary = PlatformSummary()
    existing = {p.code: p for p in db.session.scalars(select(Platform))}
    seen: set[str] = set()
    try:
        for index, entry in enumerate(entries):
            try:
                values = parse_platform(entry)
                if values["code"] in seen:
                    raise BadRecord(f"duplicate code {values['code']!r}")
            except BadRecord as exc:
                summary.rejections.append((index, exc.reason))
                continue
            seen.add(values["code"])
            platform = existing.get(values["code"])
            if platform is None:
                if not values.get("name_zh") and not values.get("name_en"):
                    summary.rejections.append((index, "missing name_zh"))
                    continue
                values["name_zh"] = values.get("name_zh") or values["name_en"]
                values.setdefault("booking_rules", {})  # kind and timezone: the column defaults
                db.session.add(Platform(**values))
                summary.created += 1
                continue
            if "booking_rules" in values:  # a quota staff set stays unless the file states one
                values["booking_rules"] = carried_quota(values["booking_rules"], platform.booking_rules) or {}
            if any(getattr(platform, key) != value for key, value in values.items()):
                for key, value in values.items():
                    setattr(platform, key, value)
                summary.updated += 1
            else:
                summary.unchanged += 1
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return summary
