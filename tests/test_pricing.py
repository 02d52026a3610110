"""Prices: internal, external and startup rates; the estimate when booking, the actual fee at the end."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale

from booking.engine import create_reservation
from booking.engine.attendance import check_in, check_out
from booking.engine.pricing import adjust_fee, estimate, rate_for, set_rate
from booking.engine.reservations import mark_outcome
from booking.errors import Forbidden, InvalidInput
from booking.extensions import db
from booking.models import Reservation
from booking.organisations.service import put_in

from support import csrf_token

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2027, 3, 1, 0, 0, tzinfo=UTC)


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def english(app):
    """Messages are asserted in English, the source language (jobs default to Chinese)."""
    with force_locale("en"):
        yield


@pytest.fixture
def priced(make_platform, make_resource, make_user, make_org):
    """A university lab owned by the verified organisation Nanjing University, with an SEM:
    200/h external, 80/h internal, 120/h for startups."""
    platform = make_platform()
    make_org(name="南京大学", name_en="Nanjing University", kind="university", owns=[platform])
    resource = make_resource(platform=platform, opening_hours=None, price_amount=Decimal("300"), price_unit="hour",
                             price_currency="CNY")
    staff = make_user(role="staff", platform=platform)
    set_rate(staff, resource, "hour", "200", internal="80", startup="120")
    db.session.commit()
    return platform, resource, staff


def startup_member(make_user, make_org, **params):
    """A member of a verified startup (the startup rate), made with make_user's params."""
    user = make_user(**params)
    make_org(name="量子比特科技有限公司", name_en="Qubit Startup Ltd", kind="startup", members={user: "member"})
    return user


def test_who_pays_which_rate(priced, make_user, make_platform, make_org):
    platform, resource, _staff = priced
    internal = make_user()
    startup = make_user()
    sme = make_user()
    external = make_user(role="staff", platform=make_platform())  # staff of another platform, no organisation
    put_in(platform.owner, internal, "member")
    make_org(name="量子比特科技有限公司", name_en="Qubit Startup Ltd", kind="startup", members={startup: "member"})
    make_org(name="宁川材料有限公司", name_en="Ningchuan Materials", kind="sme", members={sme: "manager"})
    db.session.commit()
    assert (rate_for(internal, resource).kind, rate_for(internal, resource).amount) == ("internal", Decimal("80.00"))
    assert (rate_for(startup, resource).kind, rate_for(startup, resource).amount) == ("startup", Decimal("120.00"))
    assert (rate_for(sme, resource).kind, rate_for(sme, resource).amount) == ("startup", Decimal("120.00"))
    assert (rate_for(external, resource).kind, rate_for(external, resource).amount) == ("external", Decimal("200.00"))
    rate, fee = estimate(startup, resource, sh(2027, 3, 2, 9), sh(2027, 3, 2, 11, 30))
    assert fee == Decimal("300.00")  # 2.5 h × 120


def test_a_similar_name_or_an_unverified_organisation_pays_the_external_rate(priced, make_user, make_org):
    _platform, resource, _staff = priced
    look_alike = make_user()  # an unverified organisation with the owner's very name is not the owner
    make_org(name="南京大学", name_en="Nanjing University", kind="university", verified=False,
             members={look_alike: "manager"})
    unverified_startup = make_user()
    make_org(name="未核验初创", name_en="Unverified Startup", kind="startup", verified=False,
             members={unverified_startup: "member"})
    enterprise = make_user()  # verified, but neither the owner nor a startup or SME
    make_org(name="大型企业集团", name_en="Big Enterprise", kind="enterprise", members={enterprise: "member"})
    nobody = make_user()
    admin = make_user(role="admin")
    for user in (look_alike, unverified_startup, enterprise, nobody, admin):
        rate = rate_for(user, resource)
        assert (rate.kind, rate.amount) == ("external", Decimal("200.00")), user.email


def test_without_rates_the_feed_price_is_the_external_rate_for_everyone(make_resource, make_user):
    resource = make_resource(opening_hours=None, price_amount=Decimal("50"), price_unit="hour", price_currency="CNY")
    rate = rate_for(make_user(), resource)
    assert (rate.kind, rate.amount, rate.unit) == ("external", Decimal("50.00"), "hour")
    assert rate_for(make_user(), make_resource(opening_hours=None)) is None  # no price at all


def test_missing_startup_rate_falls_back_to_external_and_day_rates_count_started_days(priced, make_user, make_org):
    _platform, resource, staff = priced
    user = startup_member(make_user, make_org)
    set_rate(staff, resource, "hour", "200")  # no internal or startup rate any more
    set_rate(staff, resource, "day", "1000", startup="600")
    assert (rate_for(user, resource).kind, rate_for(user, resource).unit) == ("external", "hour")
    set_rate(staff, resource, "hour", "")  # removed: the day rate applies
    db.session.commit()
    rate, fee = estimate(user, resource, sh(2027, 3, 2, 9), sh(2027, 3, 3, 10))
    assert (rate.kind, rate.unit, fee) == ("startup", "day", Decimal("1200.00"))


def test_only_staff_of_the_platform_set_rates_and_amounts_are_checked(priced, make_user):
    _platform, resource, staff = priced
    with pytest.raises(Forbidden):
        set_rate(make_user(), resource, "hour", "1")
    with pytest.raises(InvalidInput):
        set_rate(staff, resource, "hour", "-5")
    with pytest.raises(InvalidInput):
        set_rate(staff, resource, "hour", "abc")


def test_estimate_is_stored_and_the_actual_fee_follows_the_time_used(priced, make_user, make_org):
    _platform, resource, staff = priced
    user = startup_member(make_user, make_org)
    booked = create_reservation(user, resource, sh(2027, 3, 2, 9), sh(2027, 3, 2, 12), now=NOW)
    db.session.commit()
    assert (booked.rate_kind, booked.fee_estimate, booked.fee_actual) == ("startup", Decimal("360.00"), None)
    check_in(user, booked, now=sh(2027, 3, 2, 9, 5))
    check_out(user, booked, now=sh(2027, 3, 2, 10, 35))  # 90 minutes used
    db.session.commit()
    assert (booked.status, booked.fee_actual) == ("completed", Decimal("180.00"))
    adjust_fee(staff, booked, "150.50")
    db.session.commit()
    assert booked.fee_actual == Decimal("150.50")

    other = create_reservation(user, resource, sh(2027, 3, 3, 9), sh(2027, 3, 3, 10), now=NOW)
    db.session.commit()
    mark_outcome(staff, other, "completed", now=sh(2027, 3, 3, 11))  # no check-in/out: the booked time
    db.session.commit()
    assert other.fee_actual == Decimal("120.00")
    with pytest.raises(InvalidInput):
        adjust_fee(staff, create_reservation(user, resource, sh(2027, 3, 4, 9), sh(2027, 3, 4, 10), now=NOW), "1")


def test_panel_shows_the_estimate_and_staff_edit_rates(priced, client, auth, make_user, make_org):
    _platform, resource, staff = priced
    user = startup_member(make_user, make_org)
    auth.login(user.email)
    client.get("/?lang=en")  # English pages, whatever the catalogue holds
    page = client.get(f"/resources/{resource.id}?start=09:00&end=11:00").get_data(as_text=True)
    assert "Startup rate" in page and "240.00" in page  # 2 h × 120
    auth.logout()
    auth.login(staff.email)
    client.get("/?lang=en")  # English pages, whatever the catalogue holds
    path = f"/staff/resources/{resource.id}/settings"
    token = csrf_token(client, path)
    response = client.post(path, data={"csrf_token": token, "requires_training": "y",
                                       "hour-external": "210", "hour-internal": "", "hour-startup": "99",
                                       "sample-external": "", "day-external": ""})
    assert response.status_code == 303, response.get_data(as_text=True)
    db.session.expire_all()
    rate = rate_for(user, resource)
    assert (rate.kind, rate.amount) == ("startup", Decimal("99.00"))
    assert resource.requires_training


def test_monthly_statement_lists_fees_and_vouchers_as_a_page_and_csv(priced, client, auth, make_user, make_org):
    from booking.engine.vouchers import issue_vouchers

    _platform, resource, staff = priced
    admin = make_user(role="admin")
    user = make_user(name="Li Booker", language="en")  # a member who books
    manager = make_user(language="en")  # the startup's manager: the whole organisation's statement
    colleague = make_user(language="en")  # another plain member: only their own lines (none)
    org = make_org(name="量子比特科技有限公司", name_en="Qubit Startup Ltd", kind="startup",
                   members={user: "member", manager: "manager", colleague: "member"})
    other_org = make_org(name="别家公司", name_en="Someone Else", kind="startup")
    issue_vouchers(admin, org, "1000", now=NOW)
    first = create_reservation(user, resource, sh(2027, 3, 2, 9), sh(2027, 3, 2, 11), now=NOW, use_voucher=True)
    create_reservation(user, resource, sh(2027, 3, 3, 9), sh(2027, 3, 3, 10), now=NOW)
    create_reservation(user, resource, sh(2027, 4, 1, 9), sh(2027, 4, 1, 10), now=NOW)  # April: not listed
    mark_outcome(staff, first, "completed", now=sh(2027, 3, 2, 12))
    db.session.commit()

    def statement_csv(query: str = "") -> list[list[str]]:
        text = client.get(f"/statements.csv?month=2027-03{query}").get_data(as_text=True)
        return [line.split(",") for line in text.lstrip("\ufeff").splitlines()]

    auth.login(manager.email)
    client.get("/?lang=en")  # English pages, whatever the catalogue holds
    page = client.get("/statements?month=2027-03&lang=en").get_data(as_text=True)
    assert "量子比特科技有限公司" in page and "Li Booker" in page
    assert "¥360.00" in page and "¥120.00" in page  # fees: 240 + 120; vouchers 120; due 240
    assert "¥240.00" in page
    rows = statement_csv()
    assert rows[0][:3] == ["type", "number", "date"]
    assert len(rows) == 4  # header, two bookings, total
    assert rows[-1][-3:] == ["360.00", "120.00", "240.00"]
    assert statement_csv(f"&org={other_org.id}") == rows  # managers see their own organisation only

    auth.logout()
    auth.login(user.email)  # the member who booked: their own two lines, under their own name
    page = client.get("/statements?month=2027-03&lang=en").get_data(as_text=True)
    assert "Li Booker" in page and "¥360.00" in page
    assert statement_csv() == rows

    auth.logout()
    auth.login(colleague.email)
    for query in ("", f"&org={org.id}"):  # a plain member cannot read a colleague's lines, whatever ?org says
        own = statement_csv(query)
        assert len(own) == 2 and own[-1][-3:] == ["0.00", "0.00", "0.00"]  # header and total only


def test_staff_adjust_the_actual_fee_from_the_day_view(priced, client, auth, make_user):
    _platform, resource, staff = priced
    user = make_user()
    start = datetime.now(SHANGHAI).replace(second=0, microsecond=0) - timedelta(hours=3)
    booked = create_reservation(user, resource, start, start + timedelta(hours=1), now=start - timedelta(days=1))
    mark_outcome(staff, booked, "completed", now=start + timedelta(hours=2))
    db.session.commit()
    auth.login(staff.email)
    client.get("/?lang=en")  # English pages, whatever the catalogue holds
    day = start.date().isoformat()
    page = client.get(f"/staff?view=day&date={day}").get_data(as_text=True)
    assert f'action="/staff/reservations/{booked.id}/fee"' in page
    token = csrf_token(client, f"/staff?view=day&date={day}")
    response = client.post(f"/staff/reservations/{booked.id}/fee", data={"csrf_token": token, "fee": "99.50"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Reservation, booked.id).fee_actual == Decimal("99.50")
