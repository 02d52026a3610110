"""Migration 0006 turns free-text organisations into records without losing anything: same names
(case and spacing aside) become one unverified organisation, users its members, platforms and
voucher accounts point at it. On SQLite and PostgreSQL, from a database at 0005 with old data."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from booking import create_app
from booking.extensions import db

from support import pg_scratch_schema


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    with pg_scratch_schema("m") as url:
        yield url


OLD_DATA = [
    "INSERT INTO platform (id, code, name_zh, name_en, city_zh, city_en, kind, address, timezone, email, booking_rules,"
    " approval_expiry_hours, organisation, voucher_cap_percent, checkin_before_minutes, checkin_after_minutes,"
    " no_show_limit, no_show_ban_days, created_at) VALUES (1, 'NJNC', '宁川大学分析测试中心', '', '南京', '', "
    "'university_lab', '', 'Asia/Shanghai', '', '{}', 48, 'Ningchuan University', 50, 15, 30, 3, 30, :now)",
]
USERS = [("a@qubit.cn", "Qubit Ltd"), ("b@qubit.cn", "  qubit   LTD "), ("c@qubit.cn", "QUBIT LTD"),
         ("prof@ningchuan.cn", "ningchuan university"), ("solo@x.cn", ""), ("other@x.cn", "Other Co")]


def test_free_text_organisations_become_unverified_records(empty_url: str, tmp_path: Path) -> None:
    import flask_migrate

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_url, "INSTANCE_PATH": str(tmp_path),
                      "SECRET_KEY": "test"})
    now = datetime(2026, 11, 1, 8, 0)
    with app.app_context():
        try:
            flask_migrate.upgrade(revision="0005_services")
            with db.engine.begin() as conn:
                for statement in OLD_DATA:
                    conn.execute(sa.text(statement), {"now": now})
                for n, (address, organisation) in enumerate(USERS, start=1):
                    conn.execute(sa.text(
                        "INSERT INTO user_account (id, email, password_hash, name, organisation, role, language,"
                        " calendar_token, active, reminders_enabled, created_at) VALUES (:id, :email, 'x', '', :org,"
                        " 'user', 'zh', :token, :yes, :yes, :now)"),
                        {"id": n, "email": address, "org": organisation, "token": f"t{n}", "now": now, "yes": True})
                for n, (name, balance) in enumerate((("Qubit Ltd", 100), ("qubit ltd", 25)), start=1):
                    conn.execute(sa.text("INSERT INTO voucher_account (id, organisation, balance, created_at)"
                                         " VALUES (:id, :name, :balance, :now)"),
                                 {"id": n, "name": name, "balance": balance, "now": now})
                    conn.execute(sa.text("INSERT INTO voucher_entry (account_id, kind, amount, note, created_at)"
                                         " VALUES (:id, 'issue', :balance, '', :now)"),
                                 {"id": n, "balance": balance, "now": now})
            flask_migrate.upgrade()
            with db.engine.connect() as conn:
                orgs = {name: (org_id, state, uscc) for org_id, name, state, uscc in conn.execute(sa.text(
                    "SELECT id, name_zh, state, uscc FROM organisation"))}
                members = dict(conn.execute(sa.text("SELECT email, organisation_id FROM user_account")).all())
                roles = set(conn.execute(sa.text(
                    "SELECT org_role FROM user_account WHERE organisation_id IS NOT NULL")).scalars())
                owner = conn.execute(sa.text("SELECT owner_org_id FROM platform WHERE code = 'NJNC'")).scalar()
                accounts = conn.execute(sa.text("SELECT organisation_id, balance FROM voucher_account")).all()
                ledger = conn.execute(sa.text("SELECT account_id, amount FROM voucher_entry")).all()
                unverified_emails = conn.execute(sa.text(
                    "SELECT count(*) FROM user_account WHERE email_verified_at IS NULL")).scalar()
        finally:
            db.engine.dispose()
    assert sorted(orgs) == ["Ningchuan University", "Other Co", "Qubit Ltd"]  # first spelling, spacing collapsed
    assert {state for _id, state, _uscc in orgs.values()} == {"unverified"}
    assert {uscc for _id, _state, uscc in orgs.values()} == {None}
    qubit, ningchuan = orgs["Qubit Ltd"][0], orgs["Ningchuan University"][0]
    assert [members[a] for a in ("a@qubit.cn", "b@qubit.cn", "c@qubit.cn")] == [qubit] * 3
    assert members["prof@ningchuan.cn"] == ningchuan and members["solo@x.cn"] is None
    assert roles == {"member"} and owner == ningchuan
    # the two accounts whose names differed in case only are one now, with both ledgers
    assert [(org_id, float(balance)) for org_id, balance in accounts] == [(qubit, 125.0)]
    assert sorted(float(a) for _acc, a in ledger) == [25.0, 100.0] and len({acc for acc, _a in ledger}) == 1
    assert unverified_emails == 0  # accounts from before verification existed count as verified
