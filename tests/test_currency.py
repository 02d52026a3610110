"""One currency per resource: its rates, the fee box, the estimate and the booking's fee share it;
innovation vouchers (yuan) are offered and accepted for CNY fees only."""
from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale

from booking.engine import create_reservation
from booking.engine.pricing import currency_of, rate_for, rates_of, set_rate
from booking.engine.vouchers import VoucherCurrency, balance_of, issue_vouchers, vouchers_pay
from booking.errors import InvalidInput
from booking.extensions import db
from booking.models import Resource

from support import csrf_token

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2027, 3, 1, 0, 0, tzinfo=UTC)


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


@pytest.fixture
def labs(make_platform, make_resource, make_user, make_org):
    """A Berlin lab charging in euros (its feed price), a yuan-priced one at home, a startup member
    whose organisation holds vouchers, and the Berlin lab's staff."""
    eur_lab = make_platform(code="SGBL", timezone="Europe/Berlin", voucher_cap_percent=50)
    cny_lab = make_platform(code="NJNC", voucher_cap_percent=50)
    euro = make_resource(platform=eur_lab, opening_hours=None, price_amount=Decimal("80"), price_currency="EUR",
                         price_unit="hour", title_en="Atom probe")
    yuan = make_resource(platform=cny_lab, opening_hours=None, price_amount=Decimal("300"), price_currency="CNY",
                         price_unit="hour", title_en="FIB-SEM")
    user = make_user(language="en")
    admin = make_user(role="admin")
    staff = make_user(role="staff", platform=eur_lab, language="en")
    org = make_org(kind="startup", members={user: "member"})
    issue_vouchers(admin, org, "1000", now=NOW)
    db.session.commit()
    return euro, yuan, user, staff, org


def test_a_resource_priced_in_euros_charges_in_euros_throughout(labs):
    euro, _yuan, user, staff, _org = labs
    assert currency_of(euro) == "EUR" and rate_for(user, euro).currency == "EUR"
    set_rate(staff, euro, "hour", "90", startup="70")  # staff's rates: in the resource's currency
    set_rate(staff, euro, "day", "500")
    db.session.commit()
    assert {row.currency for row in rates_of(euro).values()} == {"EUR"}
    rate = rate_for(user, euro)
    assert (rate.kind, rate.amount, rate.currency) == ("startup", Decimal("70.00"), "EUR")
    booked = create_reservation(user, euro, berlin(2027, 3, 2, 9), berlin(2027, 3, 2, 11), now=NOW)
    db.session.commit()
    assert (booked.fee_estimate, booked.fee_currency) == (Decimal("140.00"), "EUR")
    with pytest.raises(InvalidInput, match="rates are in EUR"):
        set_rate(staff, euro, "sample", "20", currency="CNY")


def test_vouchers_refuse_a_fee_in_another_currency_and_hold_nothing(labs):
    euro, yuan, user, _staff, org = labs
    assert vouchers_pay("CNY") and vouchers_pay(None) and not vouchers_pay("EUR")
    with force_locale("en"), pytest.raises(VoucherCurrency) as refused:
        create_reservation(user, euro, berlin(2027, 3, 2, 9), berlin(2027, 3, 2, 11), now=NOW, use_voucher=True)
    assert refused.value.status == 422
    assert refused.value.message == ("Innovation vouchers pay fees in yuan (CNY) only; "
                                     "this resource charges in EUR.")
    assert refused.value.details["fields"]["use_voucher"] == refused.value.message
    db.session.rollback()
    assert balance_of(org) == Decimal("1000.00")
    held = create_reservation(user, yuan, berlin(2027, 3, 2, 9), berlin(2027, 3, 2, 10), now=NOW, use_voucher=True)
    db.session.commit()
    assert held.voucher_amount == Decimal("150.00")  # half of ¥300


def fee_box(page: str) -> str:
    match = re.search(r'<div class="fee-box".*?\n</div>', page, re.S)
    assert match, "no fee box on the page"
    return match.group(0)


def test_the_fee_box_speaks_the_resource_currency_and_offers_vouchers_only_for_yuan(labs, client, auth):
    euro, yuan, user, _staff, _org = labs
    auth.login(user.email)
    client.get("/?lang=en")
    box = fee_box(client.get(f"/resources/{euro.id}").get_data(as_text=True))
    assert 'data-currency="EUR"' in box and 'data-symbol="EUR "' in box
    assert "EUR 80.00" in box and "¥" not in box
    assert 'name="use_voucher"' not in box
    assert "Innovation vouchers pay fees in yuan (CNY) only; this resource charges in EUR." in box

    box = fee_box(client.get(f"/resources/{yuan.id}").get_data(as_text=True))
    assert 'data-symbol="¥"' in box and "¥300.00" in box
    assert 'name="use_voucher"' in box


def test_staff_enter_rates_in_the_resource_currency(labs, client, auth):
    euro, _yuan, _user, staff, _org = labs
    auth.login(staff.email)
    client.get("/?lang=en")
    path = f"/staff/resources/{euro.id}/settings"
    page = client.get(path).get_data(as_text=True)
    assert "Every rate of this resource is in EUR." in page
    assert 'name="hour-external" value="" aria-label' in page and 'placeholder="EUR"' in page
    response = client.post(path, data={"csrf_token": csrf_token(client, path), "hour-external": "95",
                                       "sample-external": "", "day-external": ""})
    assert response.status_code == 303
    db.session.expire_all()
    stored = db.session.get(Resource, euro.id)
    assert currency_of(stored) == "EUR"
    assert rate_for(None, stored).amount == Decimal("95.00")
    assert "EUR 95.00" in client.get("/staff/prices?lang=en").get_data(as_text=True)
