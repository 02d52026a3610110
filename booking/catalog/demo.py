"""`onestop demo`: a deterministic demo catalogue, loaded through the real importers.

Platforms, instruments, services, patents, standards, germplasm, laboratory animals, facilities
and spaces are generated from the templates in `demo_data` with a seeded random.Random, so every
run produces the same feed and a second run changes nothing.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import func, select

from ..extensions import db
from ..models import User
from . import demo_data as data
from .importer import ImportSummary, import_feed
from .platforms import PlatformSummary, import_platforms

SEED = 20240601
DEMO_ACCOUNTS = (
    # email, password, role, platform code
    ("demo@onestop.example", "demo-password", "user", None),
    ("staff@onestop.example", "staff-password", "staff", "NJNC"),
    ("admin@onestop.example", "admin-password", "admin", None),
)
# Organisations (name, English name, USCC, kind, city, verified, platform it owns, demo members
# with their roles, vouchers): the demo member manages a verified startup with vouchers; the
# staff platform belongs to a verified university; one startup waits for an administrator.
DEMO_ORGS = (
    ("演示科技（南京）有限公司", "OneStop Demo Tech (Nanjing) Co., Ltd.", "91320100MA1XD3M00T", "startup", "南京", True,
     None, (("demo@onestop.example", "manager"),), "1000"),
    ("宁川大学", "Ningchuan University", "123200004660070056", "university", "南京", True, "NJNC",
     (("staff@onestop.example", "member"),), None),
    ("锡创未来智能（无锡）有限公司", "Xichuang Future AI (Wuxi) Co., Ltd.", "91320100MA1XKW8L0Q", "startup", "无锡",
     False, None, (), None),
)


@dataclass
class DemoSummary:
    platforms: PlatformSummary
    resources: ImportSummary
    accounts_created: int
    bookings_created: int = 0


def seed_demo() -> DemoSummary:
    """Load the demo platforms, resources and accounts; running it again changes nothing."""
    platforms = import_platforms([{**p, **data.PROFILES.get(p["code"], {})} for p in data.PLATFORMS])
    resources = import_feed(demo_records())
    created = _ensure_accounts()
    bookings = _ensure_bookings()
    return DemoSummary(platforms=platforms, resources=resources, accounts_created=created, bookings_created=bookings)


def _ensure_accounts() -> int:
    from ..accounts.service import create_user

    created = 0
    try:
        for email, password, role, platform in DEMO_ACCOUNTS:
            if db.session.scalar(select(User.id).where(func.lower(User.email) == email)) is None:
                name = {"user": "演示用户 Demo User", "staff": "平台管理员 Platform Staff",
                        "admin": "系统管理员 Administrator"}[role]
                create_user(email, password, role=role, platform_code=platform, name=name, verified=True)
                created += 1
        _ensure_organisations()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return created


def _ensure_organisations() -> None:
    """The demo organisations, made once (found again by USCC), with members, owned platform and vouchers."""
    from ..engine.vouchers import issue_vouchers
    from ..models import Organisation, Platform
    from ..organisations.service import add_member, create_organisation

    admin = db.session.scalar(select(User).where(User.email == DEMO_ACCOUNTS[2][0]))
    for name, name_en, uscc, kind, city, verified, platform_code, members, vouchers in DEMO_ORGS:
        if db.session.scalar(select(Organisation.id).where(Organisation.uscc == uscc)) is not None:
            continue
        org = create_organisation(None, name=name, name_en=name_en, uscc=uscc, kind=kind, city=city,
                                  verified=verified)
        if platform_code:
            platform = db.session.scalar(select(Platform).where(Platform.code == platform_code))
            if platform is not None and platform.owner_org_id is None:
                platform.owner_org_id = org.id
        for email, role in members:
            user = db.session.scalar(select(User).where(User.email == email))
            if user is not None and user.organisation_id is None and admin is not None:
                add_member(admin, org, user, role=role)
        if vouchers:
            issue_vouchers(admin, org, vouchers, "演示额度 demo allocation")


def _ensure_bookings(wanted: int = 4) -> int:
    """A few bookings of the demo member on the demo staff's platform in the coming week, so the
    calendars, the approval queue and the outbox show something; only when the member has none."""
    from ..engine import create_reservation, effective_rules, find_free_slots
    from ..models import Platform, Reservation, Resource, utcnow

    member = db.session.scalar(select(User).where(User.email == DEMO_ACCOUNTS[0][0]))
    if member is None or db.session.scalar(select(Reservation.id).where(Reservation.user_id == member.id).limit(1)):
        return 0
    platform_code = DEMO_ACCOUNTS[1][3]
    candidates = db.session.scalars(
        select(Resource).join(Platform).where(Platform.code == platform_code, Resource.bookable.is_(True),
                                              Resource.status == "active", Resource.requires_training.is_(False))
        .order_by(Resource.id)
    ).all()
    now, made = utcnow(), 0
    try:
        for resource in candidates[::7]:  # a spread of instruments, on different days
            rules = effective_rules(resource)
            length = timedelta(minutes=max(60, rules.min_minutes))
            slots = find_free_slots(resource, now + timedelta(days=1 + made), now + timedelta(days=9), now=now)
            start = next((s for s, e in slots if e - s >= length), None)
            if start is None:
                continue
            create_reservation(member, resource, start, start + length, "演示预约 Demo booking", now=now)
            made += 1
            if made == wanted:
                break
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return made


# -- the generator ---------------------------------------------------------------------------


class _Ids:
    """External ids in each platform's own style, counted per platform and kind."""

    def __init__(self) -> None:
        self.counters: dict[tuple[str, str], int] = {}

    def next(self, platform: str, kind: str) -> str:
        n = self.counters.get((platform, kind), 0) + 1
        self.counters[(platform, kind)] = n
        letter = data.KIND_LETTERS[kind]
        style = data.ID_STYLES[platform]
        # Styles like the platforms' own, but never equal to an id of the shared corpora.
        if style == "year":
            return f"{platform}-DEMO-{letter}{n:05d}"
        if style == "numeric":
            return str(9_100_000 + data.KINDS_ORDER.index(kind) * 10_000 + n)
        return f"DEMO-{letter}{n:06d}"


def _updated_at(rng: random.Random) -> str:
    moment = datetime(2023, 1, 1, tzinfo=timezone(timedelta(hours=8))) + timedelta(
        days=rng.randrange(0, 640), minutes=rng.randrange(8 * 60, 18 * 60)
    )
    return moment.isoformat()


def _email(platform: str, local: str) -> str:
    return f"{local}@{data.PLATFORM_BY_CODE[platform]['email_domain']}"


def _place(rng: random.Random, platform: str) -> str:
    building = rng.choice(data.PLATFORM_BY_CODE[platform]["buildings"])
    if platform == "SGBL":
        return f"{building}, Raum {rng.randrange(1, 4)}.{rng.randrange(1, 40):02d}"
    return f"{building}{rng.randrange(1, 6)}楼{rng.randrange(1, 6)}{rng.randrange(1, 30):02d}室"


def _rules(rng: random.Random, *, approval: bool) -> dict[str, Any] | None:
    if not approval and rng.random() < 0.5:
        return None
    rules: dict[str, Any] = {"requires_approval": approval}
    low = rng.choice((30, 60, 60, 120))
    rules["min_minutes"] = low
    rules["max_minutes"] = low * rng.choice((4, 6, 8))
    if rng.random() < 0.6:
        rules["min_notice_minutes"] = rng.choice((60, 240, 1440))
    if rng.random() < 0.5:
        rules["max_advance_days"] = rng.choice((14, 30, 60, 90))
    if rng.random() < 0.4:
        rules["buffer_minutes"] = rng.choice((15, 30))
    if rng.random() < 0.4:
        rules["cancel_notice_minutes"] = rng.choice((120, 1440))
    return rules


def _instrument(rng: random.Random, ids: _Ids, platform: str, spec: data.InstrumentType, n: int) -> dict[str, Any]:
    maker, maker_zh, model, country = rng.choice(spec.models)
    year = rng.randrange(2014, 2024)
    suffix = f"（{n}号机）" if n > 1 else ""
    title = rng.choice((f"{spec.zh} {model}{suffix}", f"{spec.zh}{suffix}", f"{maker_zh}{spec.zh}"))
    uses = rng.sample(spec.uses_zh, k=min(2, len(spec.uses_zh)))
    description = (
        f"本平台{spec.zh}（{spec.abbr}）一台，型号{maker} {model}，{year}年购置。"
        f"主要功能：{'、'.join(uses)}。{rng.choice(data.INSTRUMENT_SERVICE_ZH)}"
        f"\nThe {spec.en} ({maker} {model}) is used for {spec.use_en}. "
        f"{rng.choice(data.INSTRUMENT_SERVICE_EN)}"
    )
    approval = spec.price[1] >= 500 and rng.random() < 0.6
    return {
        "platform": platform,
        "external_id": ids.next(platform, "instrument"),
        "kind": "instrument",
        "title": title,
        "title_en": f"{spec.en} {model}",
        "description": description,
        "category": f"仪器设备/{spec.category}",
        "keywords": [spec.abbr, *spec.synonyms, *uses[:1]],
        "location": _place(rng, platform),
        "attributes": {
            "manufacturer": maker, "manufacturer_zh": maker_zh, "model": model, "country": country,
            "purchase_year": year, "asset_value_wan_cny": rng.randrange(*spec.value_wan),
            "service_modes": rng.sample(["自主上机", "委托测试", "培训后自主操作"], k=2),
            "training_required": approval or rng.random() < 0.3,
        },
        "price": {"amount": float(rng.randrange(spec.price[0], spec.price[1] + 1, 10)),
                  "currency": "CNY" if platform != "SGBL" else "EUR", "unit": "hour"},
        "bookable": True,
        "opening_hours": rng.choice(data.HOURS_BY_PLATFORM[platform]) if rng.random() > 0.05 else None,
        "booking_rules": _rules(rng, approval=approval),
        "contact_email": _email(platform, "booking"),
        "updated_at": _updated_at(rng),
    }


def _service(rng: random.Random, ids: _Ids, platform: str, spec: data.ServiceType) -> dict[str, Any]:
    days = rng.choice(spec.turnaround)
    accreditation = rng.sample(["CMA", "CNAS"], k=rng.randrange(1, 3)) if platform != "SGBL" else ["DAkkS"]
    return {
        "platform": platform,
        "external_id": ids.next(platform, "testing_service"),
        "kind": "testing_service",
        "title": spec.zh,
        "title_en": spec.en,
        "description": (
            f"依据{'、'.join(spec.standards)}，对{'、'.join(spec.samples)}开展{spec.zh}，出具"
            f"{'、'.join(accreditation)}检测报告。常规周期{days}个工作日，可加急。"
            f"\nTesting to {', '.join(spec.standards)}; report in {days} working days."
        ),
        "category": f"检测服务/{spec.category}",
        "keywords": [*spec.standards, *spec.keywords],
        "location": _place(rng, platform),
        "attributes": {"standards": list(spec.standards), "sample_types": list(spec.samples),
                       "turnaround_days": days, "accreditation": accreditation,
                       "instruments": list(spec.instruments)},
        "price": {"amount": float(rng.randrange(*spec.price, 50)),
                  "currency": "CNY" if platform != "SGBL" else "EUR", "unit": "sample"},
        "bookable": False,
        "orderable": True,
        "opening_hours": None,
        "contact_email": _email(platform, "test"),
        "updated_at": _updated_at(rng),
    }


def _check_digit(digits: str) -> str:
    total = sum(int(d) * w for d, w in zip(digits, (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)))
    rest = total % 11
    return "X" if rest == 10 else str(rest)


def _patent(rng: random.Random, ids: _Ids, platform: str, spec: data.PatentTopic) -> dict[str, Any]:
    year = rng.randrange(2016, 2024)
    # A utility model (实用新型) protects a product's shape or structure, never a method.
    invention = "方法" in spec.zh or "工艺" in spec.zh or rng.random() < 0.6
    kind_digit = "1" if invention else "2"
    digits = f"{year}{kind_digit}{rng.randrange(0, 10_000_000):07d}"
    application_no = f"CN{digits}.{_check_digit(digits)}"
    ptype = "发明专利" if invention else "实用新型"
    thing = "本发明" if invention else "本实用新型"
    owner = data.PLATFORM_BY_CODE[platform]
    return {
        "platform": platform,
        "external_id": ids.next(platform, "patent"),
        "kind": "patent",
        "title": spec.zh,
        "title_en": spec.en,
        "description": (f"{thing}公开了{spec.zh[2:] if spec.zh.startswith('一种') else spec.zh}，"
                        f"属于{spec.field}技术领域。{spec.abstract}"),
        "category": f"专利/{spec.field}",
        "keywords": list(spec.keywords),
        "location": None,
        "attributes": {
            "patent_type": ptype, "applicant": owner["name_zh"],
            "inventors": rng.sample(data.INVENTORS, k=rng.randrange(2, 5)),
            "application_no": application_no,
            "application_date": f"{year}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
            "publication_no": (f"CN1{rng.randrange(10_000_000, 20_000_000)}B" if invention
                               else f"CN2{rng.randrange(10_000_000, 20_000_000)}U"),
            "ipc": spec.ipc[0], "ipc_all": list(spec.ipc),
            "legal_status": rng.choice(("授权", "授权", "实质审查")),
            "transfer_mode": rng.choice(("转让", "许可", "作价入股")),
        },
        "price": {"amount": float(rng.randrange(5, 120) * 10000), "currency": "CNY", "unit": "item"}
        if rng.random() < 0.7 else None,
        "bookable": False,
        "opening_hours": None,
        "contact_email": _email(platform, "tto"),
        "updated_at": _updated_at(rng),
    }


def _document(rng: random.Random, ids: _Ids, platform: str, spec: data.Document) -> dict[str, Any]:
    return {
        "platform": platform,
        "external_id": ids.next(platform, "document"),
        "kind": "document",
        "title": f"{spec.number} {spec.zh}",
        "title_en": spec.en,
        "description": (f"标准文本与解读：{spec.number}《{spec.zh}》，{spec.publisher}发布，{spec.year}年实施。"
                        f"{spec.note}平台提供查阅与技术咨询。"),
        "category": f"标准与文献/{spec.doc_type}",
        "keywords": [spec.number, *spec.keywords],
        "location": None,
        "attributes": {"standard_no": spec.number, "doc_type": spec.doc_type, "publisher": spec.publisher,
                       "year": spec.year, "status": "现行", **({"replaces": spec.replaces} if spec.replaces else {})},
        "price": None,
        "bookable": False,
        "opening_hours": None,
        "contact_email": _email(platform, "info"),
        "updated_at": _updated_at(rng),
    }


def _germplasm(rng: random.Random, ids: _Ids, spec: data.Germplasm, n: int) -> dict[str, Any]:
    platform = "YCHH"
    return {
        "platform": platform,
        "external_id": ids.next(platform, "germplasm"),
        "kind": "germplasm",
        "title": f"{spec.zh}种质资源 {spec.variety}",
        "title_en": f"{spec.en} germplasm, {spec.variety_en}",
        "description": (f"{spec.zh}（{spec.latin}）品种{spec.variety}，{'；'.join(spec.traits)}。"
                        f"保存于种质资源库中期库，可提供种子/样本用于科研与育种。"),
        "category": f"种质资源/{spec.group}",
        "keywords": [spec.zh, spec.en, spec.latin],
        "location": "种质资源库",
        "attributes": {"accession_no": f"YC-{spec.code}-{2018 + n % 6}{rng.randrange(1000, 9999)}",
                       "species_latin": spec.latin, "variety": spec.variety,
                       "storage": rng.choice(("中期库 -4℃", "长期库 -18℃", "种质圃活体保存")),
                       "traits": list(spec.traits)},
        "price": {"amount": float(rng.randrange(2, 20) * 50), "currency": "CNY", "unit": "sample"},
        "bookable": False,
        "orderable": True,
        "opening_hours": None,
        "contact_email": _email(platform, "germplasm"),
        "updated_at": _updated_at(rng),
    }


def _animal(rng: random.Random, ids: _Ids, spec: data.Animal) -> dict[str, Any]:
    platform = "NTTH"
    return {
        "platform": platform,
        "external_id": ids.next(platform, "lab_animal"),
        "kind": "lab_animal",
        "title": f"{spec.strain} {spec.zh}（{spec.grade}）",
        "title_en": f"{spec.strain} {spec.en} ({spec.grade_en})",
        "description": (f"{spec.strain}{spec.zh}，{spec.grade}，{spec.age}。{spec.note}"
                        "提供饲养、给药与采样等配套服务，需伦理审查（IACUC）批准。"),
        "category": "实验动物",
        "keywords": [spec.strain, spec.zh, spec.en],
        "location": "动物房",
        "attributes": {"strain": spec.strain, "grade": spec.grade, "age": spec.age,
                       "license_no": "SYXK(苏)2022-0031"},
        "price": {"amount": float(spec.price), "currency": "CNY", "unit": "item"},
        "bookable": False,
        "orderable": True,
        "opening_hours": None,
        "contact_email": _email(platform, "animal"),
        "updated_at": _updated_at(rng),
    }


def _facility(rng: random.Random, ids: _Ids, spec: data.Facility) -> dict[str, Any]:
    return {
        "platform": spec.platform,
        "external_id": ids.next(spec.platform, "facility"),
        "kind": "facility",
        "title": spec.zh,
        "title_en": spec.en,
        "description": spec.description,
        "category": "重大科研设施",
        "keywords": list(spec.keywords),
        "location": _place(rng, spec.platform),
        "attributes": dict(spec.attributes),
        "price": {"amount": float(spec.price), "currency": "CNY", "unit": spec.unit},
        "bookable": True,
        "opening_hours": spec.hours,
        "booking_rules": {"requires_approval": True, "min_minutes": 120,
                          "max_minutes": 720 if spec.unit == "day" else 480,
                          "min_notice_minutes": 2880, "max_advance_days": 90, "buffer_minutes": 60},
        "contact_email": _email(spec.platform, "facility"),
        "updated_at": _updated_at(rng),
    }


def _space(rng: random.Random, ids: _Ids, platform: str, spec: data.Space, n: int) -> dict[str, Any]:
    label = f"{spec.zh}{n}" if spec.numbered else spec.zh
    return {
        "platform": platform,
        "external_id": ids.next(platform, "space"),
        "kind": "space",
        "title": label,
        "title_en": f"{spec.en} {n}" if spec.numbered else spec.en,
        "description": f"{label}，面积约{spec.area}平方米，可容纳{spec.capacity}人；配备{'、'.join(spec.amenities)}。",
        "category": "众创空间/场地",
        "keywords": list(spec.keywords),
        "location": _place(rng, platform),
        "attributes": {"capacity": spec.capacity, "area_m2": spec.area, "amenities": list(spec.amenities)},
        "price": {"amount": float(spec.price), "currency": "CNY" if platform != "SGBL" else "EUR",
                  "unit": spec.unit} if spec.price else None,
        "bookable": True,
        # Spaces let by the day are open in one stretch, so a whole day fits in one booking.
        "opening_hours": rng.choice(data.SPACE_HOURS) if spec.unit == "hour" else data.HOURS["day_let"],
        "booking_rules": {"requires_approval": spec.capacity >= 50, "min_minutes": 60,
                          "max_minutes": 480 if spec.unit == "hour" else 840,
                          **({"max_advance_days": 60} if spec.unit == "day" else {})},
        "contact_email": _email(platform, "space"),
        "updated_at": _updated_at(rng),
    }


def demo_records() -> list[dict[str, Any]]:
    """The whole demo feed, in order; the same list on every call."""
    rng = random.Random(SEED)
    ids = _Ids()
    records: list[dict[str, Any]] = []
    for platform, type_keys, copies in data.INSTRUMENT_PLAN:
        for key in type_keys:
            for n in range(1, copies + 1):
                records.append(_instrument(rng, ids, platform, data.INSTRUMENTS[key], n))
    for platform, service_keys in data.SERVICE_PLAN:
        for key in service_keys:
            records.append(_service(rng, ids, platform, data.SERVICES[key]))
    for platform, topics in data.PATENT_PLAN:
        for topic in topics:
            records.append(_patent(rng, ids, platform, topic))
    for platform, documents in data.DOCUMENT_PLAN:
        for document in documents:
            records.append(_document(rng, ids, platform, document))
    for n, germplasm in enumerate(data.GERMPLASM):
        records.append(_germplasm(rng, ids, germplasm, n))
    for animal in data.ANIMALS:
        records.append(_animal(rng, ids, animal))
    for facility in data.FACILITIES:
        records.append(_facility(rng, ids, facility))
    for platform, spaces in data.SPACE_PLAN:
        for space in spaces:
            for n in range(1, space.count + 1):
                records.append(_space(rng, ids, platform, space, n))
    return records
