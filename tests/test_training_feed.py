"""Training flag from the feed: `training_required: true` makes a resource require training on
import, unless its platform's staff switched it off (their choice holds over re-imports)."""
from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from booking.catalog.importer import import_feed
from booking.catalog.training import STAFF_KEY, feed_training_resources
from booking.engine import create_reservation
from booking.engine.qualifications import NotQualified, set_requires_training
from booking.engine.rules import effective_rules
from booking.extensions import db
from booking.models import Resource

from support import csrf_token

NOW = datetime(2027, 3, 1, 0, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def english(app):
    with force_locale("en"):
        yield


def record(n: int = 1, **fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"platform": "NJNC", "external_id": f"T-{n}", "kind": "instrument",
                              "title": f"透射电镜 {n}", "title_en": f"TEM {n}", "bookable": True,
                              "booking_rules": {"max_minutes": 240}, "opening_hours": None}
    values.update(fields)
    return values


def load(*records: dict[str, Any]) -> None:
    summary = import_feed([json.dumps(r, ensure_ascii=False) for r in records])
    assert summary.rejected == 0, summary.rejections


def resource(external_id: str) -> Resource:
    db.session.expire_all()
    return db.session.scalar(sa.select(Resource).where(Resource.external_id == external_id))


@pytest.fixture
def njnc(make_platform, make_user):
    platform = make_platform(code="NJNC")
    return platform, make_user(role="staff", platform=platform)


def test_the_feed_sets_the_flag_on_import_and_on_change(njnc):
    load(record(1, training_required=True), record(2, training_required=False), record(3),
         record(4, attributes={"training_required": True}))
    assert [resource(f"T-{n}").requires_training for n in (1, 2, 3, 4)] == [True, False, False, True]
    assert resource("T-1").attributes["training_required"] is True  # the resource page shows it

    load(record(1, training_required=False), record(2, training_required=True), record(3), record(4))
    assert [resource(f"T-{n}").requires_training for n in (1, 2)] == [False, True]
    assert resource("T-4").requires_training is True  # the feed now says nothing: left as it was


def test_staff_switch_off_holds_over_re_imports_until_they_follow_the_feed_again(njnc, client, auth, make_user):
    platform, staff = njnc
    load(record(1, training_required=True), record(2, training_required=True))
    sem = resource("T-1")

    auth.login(staff.email)
    page = client.get("/staff/training?lang=en").get_data(as_text=True)
    assert "Training required by the feed" in page and f'data-resource="{sem.id}"' in page
    token = csrf_token(client, "/staff/training")
    answer = client.post(f"/staff/training/resources/{sem.id}/requirement", data={"csrf_token": token, "required": "off"})
    assert answer.status_code == 303
    assert resource("T-1").requires_training is False
    assert resource("T-1").booking_rules[STAFF_KEY] is False

    # The feed changes (a new title) and still says training is required: staff's choice stands,
    # the feed's own rules are applied, and the other resource follows the feed.
    load(record(1, training_required=True, title="透射电镜 新", booking_rules={"max_minutes": 120}),
         record(2, training_required=True, title="改名"))
    sem = resource("T-1")
    assert sem.title == "透射电镜 新" and sem.requires_training is False
    assert effective_rules(sem).max_minutes == 120 and sem.booking_rules[STAFF_KEY] is False
    assert resource("T-2").requires_training is True
    user = make_user()
    create_reservation(user, sem, datetime(2027, 3, 2, 1, tzinfo=UTC), datetime(2027, 3, 2, 2, tzinfo=UTC), now=NOW)
    with pytest.raises(NotQualified):
        create_reservation(user, resource("T-2"), datetime(2027, 3, 2, 1, tzinfo=UTC),
                           datetime(2027, 3, 2, 2, tzinfo=UTC), now=NOW)
    db.session.rollback()

    page = client.get("/staff/training?lang=en").get_data(as_text=True)
    assert "switched by staff; kept when the feed is imported again" in page
    token = csrf_token(client, "/staff/training")
    client.post(f"/staff/training/resources/{sem.id}/requirement", data={"csrf_token": token, "required": "feed"})
    sem = resource("T-1")
    assert sem.requires_training is True and STAFF_KEY not in (sem.booking_rules or {})
    # The staff key never leaks into the API's resource (its rules are the feed's).
    api = client.get(f"/api/v1/resources/{sem.id}").get_json()
    assert api["booking_rules"] == {"max_minutes": 120}


def test_the_settings_page_switch_is_kept_too(njnc):
    platform, staff = njnc
    load(record(1, training_required=True))
    set_requires_training(staff, resource("T-1"), False)
    db.session.commit()
    load(record(1, training_required=True, title="新标题"))
    assert resource("T-1").requires_training is False
    # Saving the settings again without changing the switch records nothing new.
    load(record(2, training_required=True))
    set_requires_training(staff, resource("T-2"), True)
    db.session.commit()
    assert STAFF_KEY not in (resource("T-2").booking_rules or {})


def test_training_page_lists_only_this_platforms_feed_resources(njnc, make_platform):
    platform, staff = njnc
    make_platform(code="FAR")
    load(record(1, training_required=True), record(2), record(3, platform="FAR", training_required=True))
    assert [r.external_id for r in feed_training_resources(platform)] == ["T-1"]


def test_bad_values_are_rejected_with_a_reason(njnc, tmp_path: Path):
    summary = import_feed([json.dumps(record(1, training_required="yes"))])
    assert summary.rejected == 1 and "training_required must be true or false" in summary.rejections[0].reason
    path = tmp_path / "feed.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["platform", "external_id", "kind", "title", "training_required"])
        writer.writerow(["NJNC", "C-1", "instrument", "电镜", "true"])
        writer.writerow(["NJNC", "C-2", "instrument", "电镜2", "maybe"])
    summary = import_feed(path)
    assert summary.created == 1 and summary.rejected == 1
    assert resource("C-1").requires_training is True


def test_another_platforms_staff_cannot_switch_it(njnc, client, auth, make_platform, make_user):
    load(record(1, training_required=True))
    outsider = make_user(role="staff", platform=make_platform())
    auth.login(outsider.email)
    token = csrf_token(client, "/staff/training")
    answer = client.post(f"/staff/training/resources/{resource('T-1').id}/requirement",
                         data={"csrf_token": token, "required": "off"})
    assert answer.status_code == 403
    assert resource("T-1").requires_training is True
