"""Innovation vouchers: issued by administrators, held by bookings up to the platform's cap,
refunded on cancellation, settled at completion; never negative, and the ledger adds up."""
from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from booking.engine import cancel_reservation, create_reservation
from booking.engine.attendance import check_in, check_out
from booking.engine.pricing import set_rate
from booking.engine.vouchers import VoucherShort, account_for, balance_of, issue_vouchers, ledger_total
from booking.errors import Forbidden
from booking.extensions import db
from booking.models import Reservation, Resource, User, VoucherEntry

from support import csrf_token

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2027, 3, 1, 0, 0, tzinfo=UTC)
THREADS = 20


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def english(app):
    """Messages are asserted in English, the source language (jobs default to Chinese)."""
    with force_locale("en"):
        yield


@pytest.fixture
def setup(make_platform, make_resource, make_user, make_org):
    """A platform with a 50 % voucher cap, an instrument at 100/h, an admin and a member of a
    verified startup (the organisation holding the vouchers)."""
    platform = make_platform(voucher_cap_percent=50)
    resource = make_resource(platform=platform, opening_hours=None)
    staff = make_user(role="staff", platform=platform)
    set_rate(staff, resource, "hour", "100")
    admin = make_user(role="admin")
    user = make_user()
    org = make_org(name="量子比特科技有限公司", name_en="Qubit Startup Ltd", kind="startup", members={user: "member"})
    db.session.commit()
    return platform, resource, staff, admin, user, org


def entries(kind=None):
    query = sa.select(VoucherEntry.kind, VoucherEntry.amount).order_by(VoucherEntry.id)
    return [(k, a) for k, a in db.session.execute(query) if kind is None or k == kind]


def test_hold_refund_and_settle_keep_the_ledger_equal_to_the_balance(setup):
    _platform, resource, staff, admin, user, org = setup
    issue_vouchers(admin, org, "1000", "2027 Q1 allocation", now=NOW)
    db.session.commit()
    booked = create_reservation(user, resource, sh(2027, 3, 2, 9), sh(2027, 3, 2, 13), now=NOW, use_voucher=True)
    db.session.commit()
    assert (booked.fee_estimate, booked.voucher_amount) == (Decimal("400.00"), Decimal("200.00"))  # 50 % cap
    assert balance_of(org) == Decimal("800.00")
    other = create_reservation(user, resource, sh(2027, 3, 3, 9), sh(2027, 3, 3, 10), now=NOW, use_voucher=True,
                               voucher_amount=Decimal("20"))
    db.session.commit()
    assert other.voucher_amount == Decimal("20.00")
    cancel_reservation(user, other, now=NOW)
    db.session.commit()
    assert (other.voucher_amount, balance_of(org)) == (Decimal("0.00"), Decimal("800.00"))
    check_in(user, booked, now=sh(2027, 3, 2, 9))
    check_out(user, booked, now=sh(2027, 3, 2, 10))  # 1 h used: fee 100, vouchers pay at most 50
    db.session.commit()
    assert (booked.fee_actual, booked.voucher_amount) == (Decimal("100.00"), Decimal("50.00"))
    assert balance_of(org) == Decimal("950.00")
    assert [k for k, _a in entries()] == ["issue", "hold", "hold", "refund", "adjust"]
    assert ledger_total(account_for(org)) == balance_of(org)


def test_no_balance_means_a_clear_refusal_and_no_booking(setup, make_user):
    _platform, resource, _staff, admin, user, org = setup
    with pytest.raises(VoucherShort) as refused:
        create_reservation(user, resource, sh(2027, 3, 2, 9), sh(2027, 3, 2, 10), now=NOW, use_voucher=True)
    db.session.rollback()
    assert refused.value.status == 409
    issue_vouchers(admin, org, "30", now=NOW)
    db.session.commit()
    with pytest.raises(VoucherShort):
        create_reservation(user, resource, sh(2027, 3, 2, 9), sh(2027, 3, 2, 10), now=NOW, use_voucher=True,
                           voucher_amount=Decimal("40"))
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Reservation)) == 0
    with pytest.raises(Forbidden):
        issue_vouchers(user, org, "10", now=NOW)


def test_only_members_of_the_verified_organisation_spend_its_vouchers(setup, make_user, make_org):
    """A look-alike organisation of the same name (unverified), an unaffiliated user and a member
    of an organisation whose verification was withdrawn cannot pay with the startup's vouchers."""
    from booking.organisations.service import suspend_organisation

    _platform, resource, _staff, admin, user, org = setup
    issue_vouchers(admin, org, "1000", now=NOW)
    look_alike = make_user()
    make_org(name=org.name_zh, name_en=org.name_en, kind="startup", verified=False, members={look_alike: "manager"})
    nobody = make_user()
    db.session.commit()
    for i, stranger in enumerate((look_alike, nobody)):
        with pytest.raises(VoucherShort):
            create_reservation(stranger, resource, sh(2027, 3, 2, 9 + i), sh(2027, 3, 2, 10 + i), now=NOW,
                               use_voucher=True)
        db.session.rollback()
    assert balance_of(org) == Decimal("1000.00")
    booked = create_reservation(user, resource, sh(2027, 3, 2, 9), sh(2027, 3, 2, 10), now=NOW, use_voucher=True)
    db.session.commit()
    assert (booked.voucher_amount, balance_of(org)) == (Decimal("50.00"), Decimal("950.00"))
    suspend_organisation(admin, org, now=NOW)
    db.session.commit()
    with pytest.raises(VoucherShort):
        create_reservation(user, resource, sh(2027, 3, 3, 9), sh(2027, 3, 3, 10), now=NOW, use_voucher=True)
    db.session.rollback()
    assert balance_of(org) == Decimal("950.00")


def test_twenty_concurrent_bookings_never_overdraw(app, setup):
    """20 threads, each in its own application context, book different hours paying 50 each from
    a balance of 500: exactly ten get vouchers, the balance ends at 0, the ledger adds up."""
    _platform, resource, _staff, admin, _user, org = setup
    issue_vouchers(admin, org, "500", now=NOW)
    db.session.commit()
    resource_id = resource.id
    for i in range(4):
        u = User(email=f"member{i}@qubit.example", password_hash="x", organisation_id=org.id, org_role="member",
                 role="user", name="", email_verified_at=NOW)
        db.session.add(u)
    db.session.commit()
    users = [u.id for u in db.session.scalars(sa.select(User).where(User.organisation_id == org.id))]
    assert len(users) == 5
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(i: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=60)
                user = db.session.get(User, users[i % len(users)])
                res = db.session.get(Resource, resource_id)
                start = sh(2027, 3, 2, 0) + timedelta(hours=i)
                create_reservation(user, res, start, start + timedelta(hours=1), f"attempt {i}", now=NOW,
                                   use_voucher=True)
                db.session.commit()
                outcome = "paid"
            except VoucherShort:
                db.session.rollback()
                outcome = "short"
            except Exception as exc:  # anything else fails the test
                db.session.rollback()
                outcome = f"error: {exc!r}"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    assert sorted(outcomes) == ["paid"] * 10 + ["short"] * 10, outcomes
    db.session.expire_all()
    assert balance_of(org) == Decimal("0.00")
    assert ledger_total(account_for(org)) == Decimal("0.00")
    held = db.session.scalar(sa.select(sa.func.sum(Reservation.voucher_amount)))
    assert held == Decimal("500.00")
    assert sorted(a for _k, a in entries("hold")) == [Decimal("-50.00")] * 10


def test_admin_page_issues_vouchers_and_shows_the_ledger(setup, client, auth, make_org):
    _platform, _resource, _staff, admin, user, org = setup
    unverified = make_org(name="未核验初创", name_en="Unverified Startup", kind="startup", verified=False)
    auth.login(admin.email)
    client.get("/?lang=en")  # English pages, whatever the catalogue holds
    form = client.get("/admin/vouchers").get_data(as_text=True)
    assert f'<option value="{org.id}"' in form  # verified organisations only can be chosen
    assert f'<option value="{unverified.id}"' not in form
    token = csrf_token(client, "/admin/vouchers")
    response = client.post("/admin/vouchers", data={"csrf_token": token, "organisation": str(org.id), "amount": "800",
                                                    "note": "Provincial programme 2027"})
    assert response.status_code == 303
    page = client.get("/admin/vouchers").get_data(as_text=True)
    assert org.name_zh in page and "800.00" in page and "Provincial programme 2027" in page
    assert balance_of(org) == Decimal("800.00")
    for chosen in (str(unverified.id), "Qubit Startup Ltd"):  # an unverified organisation, a typed name: refused
        response = client.post("/admin/vouchers", data={"csrf_token": token, "organisation": chosen, "amount": "50"})
        assert response.status_code == 422
    assert (balance_of(unverified), balance_of(org)) == (Decimal("0.00"), Decimal("800.00"))
    auth.logout()
    auth.login(user.email)
    client.get("/?lang=en")  # English pages, whatever the catalogue holds
    assert client.get("/admin/vouchers").status_code == 403


def test_api_books_with_vouchers_and_shows_the_fee(setup, app, client, auth):
    _platform, resource, _staff, admin, user, org = setup
    issue_vouchers(admin, org, "100", now=NOW)
    db.session.commit()
    headers = auth.token(user.email)
    start = datetime.now(SHANGHAI).replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
    body = {"resource_id": resource.id, "start": start.isoformat(), "end": (start + timedelta(hours=3)).isoformat(),
            "use_voucher": True}
    response = client.post("/api/v1/reservations", headers=headers, json=body)
    assert response.status_code == 201, response.get_json()
    fee = response.get_json()["fee"]
    # no startup rate on this resource: the external one; the cap (150) is more than the balance (100)
    assert (fee["rate_kind"], fee["estimate"], fee["voucher"]) == (
        "external", {"amount": "300.00", "currency": "CNY"}, {"amount": "100.00", "currency": "CNY"})
    body["start"], body["end"] = (start + timedelta(hours=4)).isoformat(), (start + timedelta(hours=5)).isoformat()
    response = client.post("/api/v1/reservations", headers=headers, json=body)
    assert response.status_code == 409
    assert response.get_json()["reason"] == "voucher_balance"
    assert balance_of(org) == Decimal("0.00")
