"""Testing-service orders: the lifecycle through the API, the rules of each step, files and rights.

Every test runs on SQLite and PostgreSQL (see conftest). The page flow is in test_orders_pages.py.
"""
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
from booking.models import Order, OrderEvent, OrderFile, OutgoingMail, Platform, Resource, User

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
def world(make_platform, make_resource, make_user) -> World:
    platform = make_platform(code="NJTC", name_en="Nanjing Testing Centre", address="1 Test Road, Nanjing",
                             email="lab@njtc.example")
    other = make_platform(code="SZLAB")
    service = make_resource(platform=platform, kind="testing_service", title="金属材料拉伸试验",
                            title_en="Tensile testing of metals", bookable=False, orderable=True,
                            attributes={"standards": ["GB/T 228.1-2021", "ISO 6892-1:2019"], "turnaround_days": 5},
                            price_amount=300, price_currency="CNY", price_unit="sample")
    instrument = make_resource(platform=platform, kind="instrument", bookable=True, orderable=False)
    return World(
        platform=platform, other_platform=other, service=service, instrument=instrument,
        user=make_user(email="li@qiming.cn", name="Li Lei", organisation="Qiming Robotics", language="en"),
        colleague=make_user(email="han@qiming.cn", name="Han Meimei", organisation=" qiming  robotics "),
        stranger=make_user(email="wang@other.cn", name="Wang", organisation="Other Co"),
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


def test_lifecycle_through_the_api(client, auth, world, app):
    user_h, staff_h = auth.token(world.user.email), auth.token(world.staff.email)
    response = new_order(client, user_h, world.service, attachment=b64file("specimens.pdf", PDF))
    assert response.status_code == 201, response.get_json()
    order = response.get_json()
    oid = order["id"]
    assert order["status"] == "submitted" and order["samples"] == 6 and order["price"] is None
    assert order["needed_by"] == (date.today() + timedelta(days=14)).isoformat() or order["needed_by"]
    assert [f["kind"] for f in order["files"]] == ["attachment"]
    assert order["actions"] == ["cancel"]
    assert response.headers["Location"].endswith(f"/api/v1/orders/{oid}")

    staff_view = client.get(f"/api/v1/orders/{oid}", headers=staff_h).get_json()
    assert set(staff_view["actions"]) == {"quote", "cancel"}
    promised = (date.today() + timedelta(days=10)).isoformat()
    quoted = client.post(f"/api/v1/orders/{oid}/quote", headers=staff_h,
                         json={"price": "1800.50", "promised_date": promised, "note": "Includes sample prep"})
    assert quoted.status_code == 200, quoted.get_json()
    assert quoted.get_json()["price"] == {"amount": "1800.50", "currency": "CNY"}
    assert quoted.get_json()["promised_date"] == promised

    for action, headers, body, status in [
        ("accept", user_h, {}, "accepted"),
        ("receive", staff_h, {"note": "6 specimens, intact"}, "received"),
        ("start", staff_h, None, "testing"),
        ("issue", staff_h, {"report": b64file("report-2027-001.pdf", PDF), "note": "All passed"}, "reported"),
        ("complete", user_h, {}, "completed"),
    ]:
        response = client.post(f"/api/v1/orders/{oid}/{action}", headers=headers, json=body) if body is not None \
            else client.post(f"/api/v1/orders/{oid}/{action}", headers=headers)
        assert response.status_code == 200, (action, response.get_json())
        assert response.get_json()["status"] == status

    final = client.get(f"/api/v1/orders/{oid}", headers=user_h).get_json()
    assert final["actions"] == []
    report = next(f for f in final["files"] if f["kind"] == "report")
    with client.get(report["url"], headers=user_h) as download:
        assert download.status_code == 200 and download.data == PDF
        assert "filename=report-2027-001.pdf" in download.headers["Content-Disposition"]
        assert download.headers["Content-Disposition"].startswith("attachment")

    u, s = world.user.id, world.staff.id
    assert events_of(oid) == [
        ("submit", None, "submitted", u), ("quote", "submitted", "quoted", s), ("accept", "quoted", "accepted", u),
        ("receive", "accepted", "received", s), ("start", "received", "testing", s),
        ("issue", "testing", "reported", s), ("complete", "reported", "completed", u),
    ]
    assert [e["note"] for e in final["events"]][1:4] == ["Includes sample prep", "", "6 specimens, intact"]
    assert mails() == [
        ("order_submit", world.staff.email), ("order_quote", world.user.email), ("order_accept", world.staff.email),
        ("order_receive", world.user.email), ("order_start", world.user.email), ("order_issue", world.user.email),
        ("order_complete", world.staff.email),
    ]
    # Stored under the instance folder with random names, never the user's.
    files = uploads(app)
    assert len(files) == 2 and all(p.parent.name == str(oid) for p in files)
    assert not any("report" in p.name or "specimens" in p.name for p in files)
