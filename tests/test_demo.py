"""`onestop demo`: deterministic, idempotent, and loaded through the real importer."""
from __future__ import annotations

import sqlalchemy as sa

from booking.accounts.service import authenticate
from booking.catalog.demo import DEMO_ACCOUNTS, demo_records, seed_demo
from booking.catalog.feed import parse_record
from booking.cli import cli, register_commands
from booking.extensions import db
from booking.models import KINDS, IndexOutbox, Platform, Reservation, Resource, User


def counts() -> dict[str, int]:
    def count(model: type) -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0

    return {"platforms": count(Platform), "resources": count(Resource), "users": count(User),
            "outbox": count(IndexOutbox)}


def test_demo_records_are_deterministic_and_valid():
    records = demo_records()
    assert records == demo_records()
    assert len(records) >= 300
    for record in records:
        parse_record(record)  # raises on anything the importer would reject
    assert {r["kind"] for r in records} == set(KINDS)
    assert len({(r["platform"], r["external_id"]) for r in records}) == len(records)


def test_demo_twice_changes_nothing_and_its_accounts_log_in(app):
    first = seed_demo()
    assert first.resources.rejected == 0 and first.accounts_created == 3
    after_first = counts()
    assert after_first["platforms"] >= 6 and after_first["resources"] >= 300 and after_first["users"] == 3

    # The demo member has bookings on the demo staff's platform, so its calendar is not empty.
    booked = db.session.scalars(sa.select(Reservation)).all()
    assert first.bookings_created == len(booked) == 4
    assert {r.resource.platform.code for r in booked} == {"NJNC"} and {r.user.email for r in booked} == {"demo@onestop.example"}

    second = seed_demo()
    assert second.bookings_created == 0 and db.session.query(Reservation).count() == 4
    assert (second.resources.created, second.resources.updated) == (0, 0)
    assert second.resources.unchanged == after_first["resources"]
    assert (second.platforms.created, second.platforms.updated) == (0, 0)
    assert second.accounts_created == 0
    assert counts() == after_first

    kinds = set(db.session.scalars(sa.select(Resource.kind).distinct()))
    assert kinds == set(KINDS)
    cities = set(db.session.scalars(sa.select(Platform.city_en)))
    assert len(cities) >= 4
    assert "Europe/Berlin" in set(db.session.scalars(sa.select(Platform.timezone)))
    rules = [r for r in db.session.scalars(sa.select(Resource.booking_rules).where(Resource.bookable.is_(True))) if r]
    assert sum(1 for r in rules if r.get("requires_approval")) > 10
    hours = db.session.scalars(sa.select(Resource.opening_hours).where(Resource.kind == "instrument")).all()
    assert any(h and len(h.get("mon", [])) >= 2 for h in hours)  # several intervals a day

    for email, password, role, platform in DEMO_ACCOUNTS:  # the accounts can log in
        user = authenticate(email, password, "127.0.0.1", limit=5, window=300)
        assert user.role == role
        assert (user.platform.code if user.platform else None) == platform


def test_demo_command_prints_the_accounts(app):
    register_commands()
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, ["demo"], obj=app)
    assert result.exit_code == 0, result.output
    for email, password, _, _ in DEMO_ACCOUNTS:
        assert f"{email} / {password}" in result.stdout
    assert "rejected" in result.stdout and ", 0 rejected" in result.stdout
