"""Training and qualification: a resource that requires training is booked by qualified users only."""
from __future__ import annotations

import email
import email.policy
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from booking.engine import create_reservation
from booking.engine.qualifications import (
    NotQualified,
    approve_request,
    check_qualified,
    decline_request,
    grant_qualification,
    request_training,
    revoke_qualification,
    training_queue,
)
from booking.errors import Forbidden, InvalidInput
from booking.extensions import db
from booking.models import OutgoingMail, Qualification, TrainingRequest
from booking.notify.outbox import render_pending

from support import csrf_token

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2027, 3, 1, 0, 0, tzinfo=UTC)  # Monday 08:00 in Shanghai


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def english(app):
    """Messages are asserted in English, the source language (jobs default to Chinese)."""
    with force_locale("en"):
        yield


@pytest.fixture
def lab(make_platform, make_resource, make_user):
    platform = make_platform(name_en="Materials Lab")
    resource = make_resource(platform=platform, opening_hours=None, requires_training=True)
    return platform, resource, make_user(), make_user(role="staff", platform=platform)


def book(user, resource, start, end, now=NOW):
    reservation = create_reservation(user, resource, start, end, "test", now=now)
    db.session.commit()
    return reservation


def test_refused_without_qualification_with_the_way_to_get_it(lab):
    platform, resource, user, _staff = lab
    with pytest.raises(NotQualified) as refused:
        book(user, resource, sh(2027, 3, 2, 9), sh(2027, 3, 2, 10))
    db.session.rollback()
    assert refused.value.status == 403
    assert "Request training on this page" in refused.value.message
    assert "staff of Materials Lab will contact you" in refused.value.message


def test_allowed_with_qualification_and_refused_after_expiry(lab):
    _platform, resource, user, staff = lab
    grant_qualification(staff, user, resource, date(2027, 3, 10), now=NOW)
    db.session.commit()
    assert book(user, resource, sh(2027, 3, 2, 9), sh(2027, 3, 2, 10)).status == "confirmed"
    # valid through its expiry day (the platform's local date), not after
    assert book(user, resource, sh(2027, 3, 10, 9), sh(2027, 3, 10, 10)).status == "confirmed"
    with pytest.raises(NotQualified) as refused:
        book(user, resource, sh(2027, 3, 11, 9), sh(2027, 3, 11, 10))
    db.session.rollback()
    assert "valid until 2027-03-10" in refused.value.message
    later = datetime(2027, 3, 12, tzinfo=UTC)
    with pytest.raises(NotQualified):
        book(user, resource, sh(2027, 3, 15, 9), sh(2027, 3, 15, 10), now=later)
    db.session.rollback()


def test_revoked_qualification_no_longer_counts(lab):
    _platform, resource, user, staff = lab
    qualification = grant_qualification(staff, user, resource, date(2027, 6, 1), now=NOW)
    revoke_qualification(staff, qualification, now=NOW)
    db.session.commit()
    with pytest.raises(NotQualified) as refused:
        check_qualified(user, resource, sh(2027, 3, 2, 9))
    assert "withdrawn" in refused.value.message


def test_staff_of_the_platform_need_no_training_and_others_cannot_grant(lab, make_platform, make_user):
    _platform, resource, user, staff = lab
    assert book(staff, resource, sh(2027, 3, 2, 9), sh(2027, 3, 2, 10)).status == "confirmed"
    outsider = make_user(role="staff", platform=make_platform())
    with pytest.raises(Forbidden):
        grant_qualification(outsider, user, resource, date(2027, 6, 1), now=NOW)
    with pytest.raises(InvalidInput):
        grant_qualification(staff, user, resource, date(2027, 2, 1), now=NOW)  # already expired


def test_request_queue_approve_grants_and_decline_closes(lab, make_user):
    platform, resource, user, staff = lab
    request = request_training(user, resource, "I used a Zeiss SEM before", now=NOW)
    again = request_training(user, resource, "", now=NOW)
    other = request_training(make_user(), resource, now=NOW + timedelta(minutes=1))
    db.session.commit()
    assert again.id == request.id
    # staff hear of each new request once (a repeated request is the same one)
    assert list(db.session.scalars(sa.select(OutgoingMail.recipient).where(OutgoingMail.kind == "training_request")
                                   .order_by(OutgoingMail.id))) == [staff.email, staff.email]
    render_pending()  # mail is rendered at dispatch; render now to read it
    raw = db.session.scalar(sa.select(OutgoingMail.raw).where(OutgoingMail.kind == "training_request").limit(1))
    body = email.message_from_string(raw, policy=email.policy.default).get_body(("plain",)).get_content()
    assert user.email in body and "I used a Zeiss SEM before" in body and "/staff/training" in body
    assert [r.id for r in training_queue(platform)] == [request.id, other.id]
    approve_request(staff, request, date(2027, 12, 31), now=NOW)
    decline_request(staff, other, "Full until May", now=NOW)
    db.session.commit()
    assert training_queue(platform) == []
    render_pending()
    told = dict(db.session.execute(sa.select(OutgoingMail.recipient, OutgoingMail.raw)
                                   .where(OutgoingMail.kind == "training_decision")).all())
    assert set(told) == {user.email, other.user.email}
    assert "2027-12-31" in email.message_from_string(told[user.email], policy=email.policy.default).get_body(
        ("plain",)).get_content()
    assert db.session.scalar(sa.select(TrainingRequest.status).where(TrainingRequest.id == request.id)) == "approved"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Qualification)) == 1
    assert book(user, resource, sh(2027, 3, 2, 9), sh(2027, 3, 2, 10)).status == "confirmed"


def test_api_refuses_with_403_and_the_page_offers_a_training_request(lab, client, auth):
    platform, resource, user, staff = lab
    headers = auth.token(user.email)
    start = (datetime.now(SHANGHAI) + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
    response = client.post("/api/v1/reservations", headers=headers, json={
        "resource_id": resource.id, "start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()})
    assert response.status_code == 403
    assert response.get_json()["error"] == "not_qualified"
    assert "Request training on this page" in response.get_json()["message"]

    auth.login(user.email)
    client.get("/?lang=en")  # English pages, whatever the catalogue holds
    page = client.get(f"/resources/{resource.id}").get_data(as_text=True)
    assert "Request training" in page
    token = csrf_token(client, f"/resources/{resource.id}")
    response = client.post(f"/resources/{resource.id}/training", data={"csrf_token": token, "message": "Please"})
    assert response.status_code == 303
    assert db.session.scalar(sa.select(TrainingRequest.status)) == "open"

    auth.logout()
    auth.login(staff.email)
    client.get("/?lang=en")  # English pages, whatever the catalogue holds
    queue = client.get("/staff/training").get_data(as_text=True)
    assert user.email in queue
    request_id = db.session.scalar(sa.select(TrainingRequest.id))
    token = csrf_token(client, "/staff/training")
    expires = (datetime.now(SHANGHAI) + timedelta(days=365)).date().isoformat()
    response = client.post(f"/staff/training/requests/{request_id}/approve",
                           data={"csrf_token": token, "expires_on": expires})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.scalar(sa.select(Qualification.expires_on)).isoformat() == expires
