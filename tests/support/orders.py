"""Orders test helpers: a testing centre with its people (the `world` fixture, registered in
conftest), an order placed or moved to a status, uploaded files, events and mails."""
from __future__ import annotations

import base64
import io
import zipfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.models import Order, OrderEvent, OutgoingMail, Platform, Resource, User

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def b64file(name: str, data: bytes) -> dict[str, str]:
    return {"filename": name, "content_base64": base64.b64encode(data).decode()}


@dataclass
class World:
    platform: Platform
    other_platform: Platform
    service: Resource
    instrument: Resource
    user: User
    colleague: User
    stranger: User
    staff: User
    other_staff: User
    admin: User




@pytest.fixture
def world(make_platform, make_resource, make_user, make_org) -> World:
    """A testing centre and its service; Li Lei and his colleague Han Meimei are members of the
    verified startup Qiming Robotics, Wang of another verified company."""
    platform = make_platform(code="NJTC", name_en="Nanjing Testing Centre", address="1 Test Road, Nanjing",
                             email="lab@njtc.example")
    other = make_platform(code="SZLAB")
    service = make_resource(platform=platform, kind="testing_service", title="金属材料拉伸试验",
                            title_en="Tensile testing of metals", bookable=False, orderable=True,
                            attributes={"standards": ["GB/T 228.1-2021", "ISO 6892-1:2019"], "turnaround_days": 5},
                            price_amount=300, price_currency="CNY", price_unit="sample")
    instrument = make_resource(platform=platform, kind="instrument", bookable=True, orderable=False)
    user = make_user(email="li@qiming.cn", name="Li Lei", language="en")
    colleague = make_user(email="han@qiming.cn", name="Han Meimei")
    stranger = make_user(email="wang@other.cn", name="Wang")
    make_org(name="启明机器人有限公司", name_en="Qiming Robotics", kind="startup",
             members={user: "member", colleague: "member"})
    make_org(name="他山有限公司", name_en="Other Co", kind="sme", members={stranger: "manager"})
    return World(
        platform=platform, other_platform=other, service=service, instrument=instrument,
        user=user, colleague=colleague, stranger=stranger,
        staff=make_user(email="staff@njtc.example", name="Zhou Staff", role="staff", platform=platform),
        other_staff=make_user(email="staff@szlab.example", role="staff", platform=other),
        admin=make_user(email="admin@onestop.example", role="admin"),
    )


ORDER = {"samples": 6, "sample_description": "6 dog-bone specimens, Q235 steel", "standard": "GB/T 228.1-2021",
         "needed_by": 14, "notes": "Room temperature only"}


def new_order(client: Any, headers: dict[str, str], resource: Resource, **fields: Any) -> Any:
    body = dict(ORDER, resource_id=resource.id)
    body.update(fields)
    return client.post("/api/v1/orders", json=body, headers=headers)


def events_of(order_id: int) -> list[tuple[str, str | None, str, int | None]]:
    db.session.expire_all()
    rows = db.session.scalars(select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id))
    return [(e.action, e.from_status, e.to_status, e.actor_id) for e in rows]


def mails() -> list[tuple[str, str]]:
    db.session.expire_all()
    return [(m.kind, m.recipient) for m in db.session.scalars(select(OutgoingMail).order_by(OutgoingMail.id))]


def uploads(app: Any) -> list[Path]:
    root = Path(app.instance_path) / "uploads"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def place(world: World, **fields: Any) -> Order:
    """An order placed through the service (fast set-up for the rule tests)."""
    from booking.orders import parse_draft, place_order

    draft = parse_draft(dict(ORDER, **fields), world.service)
    order = place_order(world.user, world.service, draft)
    db.session.commit()
    return order


def at_status(world: World, status: str) -> Order:
    order = place(world)
    order.status = status
    if status != "submitted":
        order.price_amount, order.promised_date = 100, date.today() + timedelta(days=5)
    db.session.commit()
    return order
