"""Ratings (服务评价, issue 13): a completed booking or order is rated once by its user, 1–5 stars and
a comment, changeable for 14 days; staff of the platform answer publicly; averages show on the
resource page; a mail invites the rating once, unless the user turned mail off."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from booking.engine.ratings import (
    EditWindowOver,
    NotCompleted,
    NotStaffOfPlatform,
    NotYoursToRate,
    RatingSummary,
    answer_rating,
    platform_rating,
    platform_ratings,
    rate_order,
    rate_reservation,
    recent_ratings,
    resource_rating,
)
from booking.errors import InvalidInput
from booking.extensions import db
from booking.models import Order, OrderEvent, OutgoingMail, Rating, RatingInvitation, Reservation

from support import csrf_token

NOW = datetime(2027, 3, 20, 8, tzinfo=UTC)


def book(resource: Any, user: Any, start: datetime, status: str = "completed") -> Reservation:
    reservation = Reservation(resource_id=resource.id, user_id=user.id, start=start, end=start + timedelta(hours=2),
                              block_start=start, block_end=start + timedelta(hours=2), status=status,
                              created_at=start - timedelta(days=2))
    db.session.add(reservation)
    db.session.commit()
    return reservation


def order(resource: Any, user: Any, completed_at: datetime | None, status: str = "completed") -> Order:
    item = Order(resource_id=resource.id, platform_id=resource.platform_id, user_id=user.id, status=status,
                 samples=2, sample_description="steel bars", price_amount=Decimal("300"),
                 created_at=(completed_at or NOW) - timedelta(days=5))
    db.session.add(item)
    db.session.flush()
    if completed_at is not None:
        db.session.add(OrderEvent(order_id=item.id, action="complete", from_status="reported", to_status="completed",
                                  at=completed_at))
    db.session.commit()
    return item


@pytest.fixture
def lab(make_platform, make_resource, make_user) -> dict[str, Any]:
    platform = make_platform(code="NJLAB", timezone="Asia/Shanghai")
    other = make_platform(code="SZLAB")
    sem = make_resource(platform=platform, title="扫描电镜", title_en="SEM")
    tensile = make_resource(platform=platform, kind="testing_service", title="拉伸试验", bookable=False, orderable=True)
    elsewhere = make_resource(platform=other, title="流式细胞仪")
    user = make_user(name="Li Lei", email="li@example.com")
    return {"platform": platform, "other": other, "sem": sem, "tensile": tensile, "elsewhere": elsewhere,
            "user": user, "stranger": make_user(name="Wang"), "staff": make_user(role="staff", platform=platform),
            "other_staff": make_user(role="staff", platform=other), "admin": make_user(role="admin")}


# --- the rules ----------------------------------------------------------------------------------------

def test_a_completed_booking_is_rated_once_and_changed_within_14_days(lab):
    done = book(lab["sem"], lab["user"], NOW - timedelta(days=1))
    first = rate_reservation(lab["user"], done, 4, "  清晰，快  ", now=NOW)
    db.session.commit()
    assert (first.stars, first.comment, first.platform_id, first.served_at) == (4, "清晰，快", lab["platform"].id,
                                                                               done.start)
    again = rate_reservation(lab["user"], done, 5, "even better on a second look", now=NOW + timedelta(days=13))
    db.session.commit()
    assert again.id == first.id
    assert db.session.scalar(sa.select(sa.func.count(Rating.id))) == 1
    assert (again.stars, again.created_at) == (5, NOW)
    with pytest.raises(EditWindowOver) as refused:
        rate_reservation(lab["user"], done, 1, "changed my mind", now=NOW + timedelta(days=14))
    assert refused.value.status == 409
    db.session.rollback()
    assert db.session.get(Rating, first.id).stars == 5


def test_the_database_keeps_one_rating_per_booking(lab):
    done = book(lab["sem"], lab["user"], NOW - timedelta(days=1))
    rate_reservation(lab["user"], done, 4, "", now=NOW)
    db.session.commit()
    db.session.add(Rating(reservation_id=done.id, user_id=lab["user"].id, resource_id=lab["sem"].id,
                          platform_id=lab["platform"].id, stars=2, comment="", served_at=done.start))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


@pytest.mark.parametrize("stars", [0, 6, -1, "five", None, True])
def test_stars_outside_one_to_five_are_refused(lab, stars):
    done = book(lab["sem"], lab["user"], NOW - timedelta(days=1))
    with pytest.raises(InvalidInput) as refused:
        rate_reservation(lab["user"], done, stars, "", now=NOW)
    assert "stars" in refused.value.details["fields"]


def test_a_long_comment_is_refused(lab):
    done = book(lab["sem"], lab["user"], NOW - timedelta(days=1))
    with pytest.raises(InvalidInput) as refused:
        rate_reservation(lab["user"], done, 3, "x" * 1001, now=NOW)
    assert "comment" in refused.value.details["fields"]
    assert rate_reservation(lab["user"], done, 3, "x" * 1000, now=NOW).comment == "x" * 1000


@pytest.mark.parametrize("status", ["confirmed", "pending", "cancelled", "no_show", "rejected"])
def test_a_booking_that_is_not_completed_cannot_be_rated(lab, status):
    booking = book(lab["sem"], lab["user"], NOW - timedelta(days=1), status)
    with pytest.raises(NotCompleted):
        rate_reservation(lab["user"], booking, 5, "", now=NOW)


def test_an_order_not_completed_cannot_be_rated(lab):
    pending = order(lab["tensile"], lab["user"], None, status="reported")
    with pytest.raises(NotCompleted):
        rate_order(lab["user"], pending, 5, "", now=NOW)


def test_someone_elses_booking_or_order_is_refused(lab):
    done = book(lab["sem"], lab["user"], NOW - timedelta(days=1))
    closed = order(lab["tensile"], lab["user"], NOW - timedelta(days=1))
    for who in (lab["stranger"], lab["staff"], lab["admin"]):
        with pytest.raises(NotYoursToRate) as refused:
            rate_reservation(who, done, 5, "", now=NOW)
        assert refused.value.status == 403
        with pytest.raises(NotYoursToRate):
            rate_order(who, closed, 5, "", now=NOW)
    assert db.session.scalar(sa.select(sa.func.count(Rating.id))) == 0


def test_an_order_is_placed_at_its_completion(lab):
    completed = NOW - timedelta(days=2, hours=3)
    closed = order(lab["tensile"], lab["user"], completed)
    rating = rate_order(lab["user"], closed, 3, "report a day late", now=NOW)
    db.session.commit()
    assert (rating.order_id, rating.reservation_id, rating.served_at) == (closed.id, None, completed)
    assert rating.resource_id == lab["tensile"].id and rating.platform_id == lab["platform"].id


def test_only_staff_of_the_platform_answer_and_may_rewrite_it(lab):
    done = book(lab["sem"], lab["user"], NOW - timedelta(days=1))
    rating = rate_reservation(lab["user"], done, 2, "the detector was dirty", now=NOW)
    db.session.commit()
    for who in (lab["other_staff"], lab["stranger"], lab["user"]):
        with pytest.raises(NotStaffOfPlatform) as refused:
            answer_rating(who, rating, "not ours to say")
        assert refused.value.status == 403
    assert rating.answer == "" and rating.answered_at is None
    answer_rating(lab["staff"], rating, "Cleaned on Monday, sorry.", now=NOW)
    answer_rating(lab["staff"], rating, "Cleaned on Monday; we now check it weekly.", now=NOW + timedelta(hours=1))
    db.session.commit()
    assert rating.answer == "Cleaned on Monday; we now check it weekly."
    assert (rating.answered_by_id, rating.answered_at) == (lab["staff"].id, NOW + timedelta(hours=1))
    answer_rating(lab["admin"], rating, "From the programme office: thank you.", now=NOW)
    assert rating.answered_by_id == lab["admin"].id


def test_averages_per_resource_and_platform(lab, make_user):
    assert resource_rating(lab["sem"].id) == RatingSummary(None, 0)
    for stars in (5, 4, 4):
        rater = make_user()
        rate_reservation(rater, book(lab["sem"], rater, NOW - timedelta(days=stars)), stars, "", now=NOW)
    rate_order(lab["user"], order(lab["tensile"], lab["user"], NOW - timedelta(days=1)), 2, "", now=NOW)
    rater = make_user()
    rate_reservation(rater, book(lab["elsewhere"], rater, NOW - timedelta(days=1)), 1, "", now=NOW)
    db.session.commit()
    assert resource_rating(lab["sem"].id) == RatingSummary(4.33, 3)
    assert resource_rating(lab["tensile"].id) == RatingSummary(2.0, 1)
    assert platform_rating(lab["platform"].id) == RatingSummary(3.75, 4)
    assert platform_rating(lab["other"].id) == RatingSummary(1.0, 1)
    assert platform_ratings([lab["platform"].id, lab["other"].id]) == {
        lab["platform"].id: RatingSummary(3.75, 4), lab["other"].id: RatingSummary(1.0, 1)}
    latest = recent_ratings(platform_id=lab["platform"].id, limit=2)
    assert len(latest) == 2
    assert [r.stars for r in recent_ratings(resource_id=lab["sem"].id)] == [4, 4, 5]  # newest first


# --- pages ------------------------------------------------------------------------------------------

def login(client: Any, auth: Any, user: Any) -> None:
    """Log in and read the pages in English (the tests quote English texts)."""
    assert auth.login(user.email).status_code in (302, 303)
    client.get("/?lang=en")


def test_the_rating_form_needs_its_csrf_token_and_saves(lab, client, auth):
    done = book(lab["sem"], lab["user"], datetime.now(UTC) - timedelta(days=1))
    login(client, auth, lab["user"])
    page = client.get(f"/bookings/{done.id}/rating")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count('type="radio"') == 5 and 'name="stars"' in html
    assert client.post(f"/bookings/{done.id}/rating", data={"stars": "4", "comment": "ok"}).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(Rating.id))) == 0
    token = csrf_token(client, f"/bookings/{done.id}/rating")
    refused = client.post(f"/bookings/{done.id}/rating", data={"stars": "9", "comment": "", "csrf_token": token})
    assert refused.status_code == 422
    saved = client.post(f"/bookings/{done.id}/rating", data={"stars": "4", "comment": "good", "csrf_token": token})
    assert saved.status_code == 303 and f"#reservation-{done.id}" in saved.headers["Location"]
    rating = db.session.scalar(sa.select(Rating))
    assert (rating.stars, rating.comment, rating.user_id) == (4, "good", lab["user"].id)
    mine = client.get("/bookings").get_data(as_text=True)
    assert "Your rating ★4" in mine and "edit" in mine
    assert 'checked' in client.get(f"/bookings/{done.id}/rating").get_data(as_text=True)


def test_the_rate_link_shows_on_my_completed_bookings(lab, client, auth):
    done = book(lab["sem"], lab["user"], datetime.now(UTC) - timedelta(days=1))
    login(client, auth, lab["user"])
    html = client.get("/bookings").get_data(as_text=True)
    assert f"/bookings/{done.id}/rating" in html and ">Rate<" in html


def test_someone_elses_rating_page_is_refused(lab, client, auth):
    done = book(lab["sem"], lab["user"], datetime.now(UTC) - timedelta(days=1))
    login(client, auth, lab["stranger"])
    assert client.get(f"/bookings/{done.id}/rating").status_code == 403
    assert client.get("/bookings/999999/rating").status_code == 404


def test_a_script_in_a_comment_shows_as_text(lab, client, auth):
    done = book(lab["sem"], lab["user"], datetime.now(UTC) - timedelta(days=1))
    rating = rate_reservation(lab["user"], done, 1, "<script>alert('x')</script>", now=datetime.now(UTC))
    answer_rating(lab["staff"], rating, "<b>we are sorry</b>")
    db.session.commit()
    html = client.get(f"/resources/{lab['sem'].id}?lang=en").get_data(as_text=True)
    assert "&lt;script&gt;alert(" in html and "<script>alert(" not in html
    assert "&lt;b&gt;we are sorry&lt;/b&gt;" in html
    assert "1.00" in html and "(1 rating)" in html
    assert "Li Lei" not in html and "L**" in html  # the rater's first letter only
    login(client, auth, lab["staff"])
    staff_page = client.get("/ratings/platform").get_data(as_text=True)
    assert "&lt;script&gt;alert(" in staff_page and "<script>alert(" not in staff_page


def test_a_rating_older_than_14_days_shows_without_a_form(lab, client, auth):
    done = book(lab["sem"], lab["user"], datetime.now(UTC) - timedelta(days=30))
    rate_reservation(lab["user"], done, 2, "slow", now=datetime.now(UTC) - timedelta(days=15))
    db.session.commit()
    login(client, auth, lab["user"])
    page = client.get(f"/bookings/{done.id}/rating").get_data(as_text=True)
    assert "this one is final" in page and 'type="radio"' not in page
    assert "Your rating ★2" in client.get("/bookings").get_data(as_text=True)
    token = csrf_token(client, "/bookings")
    refused = client.post(f"/bookings/{done.id}/rating", data={"stars": "5", "comment": "", "csrf_token": token})
    assert refused.status_code == 303
    assert "this one is final" in client.get(refused.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(sa.select(Rating)).stars == 2


def test_an_order_is_rated_from_its_page(lab, client, auth):
    closed = order(lab["tensile"], lab["user"], datetime.now(UTC) - timedelta(days=1))
    login(client, auth, lab["user"])
    assert f"/orders/{closed.id}/rating" in client.get(f"/orders/{closed.id}").get_data(as_text=True)
    assert f"/orders/{closed.id}/rating" in client.get("/orders").get_data(as_text=True)
    token = csrf_token(client, f"/orders/{closed.id}/rating")
    saved = client.post(f"/orders/{closed.id}/rating", data={"stars": "5", "comment": "fast", "csrf_token": token})
    assert saved.status_code == 303 and saved.headers["Location"].endswith(f"/orders/{closed.id}")
    html = client.get(f"/orders/{closed.id}").get_data(as_text=True)
    assert "Your rating ★5" in html


def test_staff_answer_their_platforms_ratings_only(lab, client, auth):
    done = book(lab["sem"], lab["user"], datetime.now(UTC) - timedelta(days=1))
    rating = rate_reservation(lab["user"], done, 3, "fine", now=datetime.now(UTC))
    db.session.commit()
    login(client, auth, lab["other_staff"])
    assert "fine" not in client.get("/ratings/platform").get_data(as_text=True)
    assert client.get("/ratings/platform?platform=NJLAB").status_code == 403
    token = csrf_token(client, "/ratings/platform")
    refused = client.post(f"/ratings/{rating.id}/answer", data={f"r{rating.id}-answer": "hi", "csrf_token": token})
    assert refused.status_code == 403
    db.session.expire_all()
    assert db.session.get(Rating, rating.id).answer == ""
    auth.logout()
    login(client, auth, lab["staff"])
    page = client.get("/ratings/platform").get_data(as_text=True)
    assert "fine" in page and f'name="r{rating.id}-answer"' in page
    token = csrf_token(client, "/ratings/platform")
    answered = client.post(f"/ratings/{rating.id}/answer",
                           data={f"r{rating.id}-answer": "Thanks, see you again", "csrf_token": token})
    assert answered.status_code == 303
    assert "Thanks, see you again" in client.get(f"/resources/{lab['sem'].id}").get_data(as_text=True)


def test_admins_choose_the_platform_by_code(lab, client, auth):
    login(client, auth, lab["admin"])
    chooser = client.get("/ratings/platform")
    assert chooser.status_code == 200 and "/ratings/platform?platform=NJLAB" in chooser.get_data(as_text=True)
    assert client.get("/ratings/platform?platform=NJLAB").status_code == 200
    missing = client.get("/ratings/platform?platform=NOPE")
    assert missing.status_code == 404 and "NOPE" in missing.get_data(as_text=True)
    assert client.get("/ratings/platform?platform=NJLAB&unanswered=maybe").status_code == 400
    auth.logout()
    login(client, auth, lab["user"])
    assert client.get("/ratings/platform").status_code == 403


# --- the invitation -----------------------------------------------------------------------------------

def invitations() -> list[OutgoingMail]:
    return list(db.session.scalars(sa.select(OutgoingMail).where(OutgoingMail.kind == "rating_invite")
                                   .order_by(OutgoingMail.id)))


def test_the_job_invites_once_even_when_run_twice(lab, app):
    from booking import jobs
    from booking.notify.outbox import render_pending
    from booking.scheduler import PERIODIC_JOBS

    now = datetime.now(UTC)
    done = book(lab["sem"], lab["user"], now - timedelta(days=2))
    closed = order(lab["tensile"], lab["user"], now - timedelta(days=1))
    book(lab["sem"], lab["user"], now - timedelta(days=20))  # completed too long ago: not asked
    book(lab["sem"], lab["user"], now - timedelta(days=1), "no_show")
    rated = book(lab["sem"], lab["stranger"], now - timedelta(days=1))
    rate_reservation(lab["stranger"], rated, 5, "", now=now)
    db.session.commit()
    assert any(job[1] == "booking.jobs:invite_ratings" for job in PERIODIC_JOBS)
    jobs.bind(app)
    assert jobs.invite_ratings() == 2
    assert jobs.invite_ratings() == 0
    db.session.expire_all()
    mails = invitations()
    assert [m.recipient for m in mails] == ["li@example.com", "li@example.com"]
    assert {(i.reservation_id, i.order_id, i.outcome) for i in db.session.scalars(sa.select(RatingInvitation))} == {
        (done.id, None, "queued"), (None, closed.id, "queued")}
    render_pending()
    raw = "\n".join(m.raw for m in mails)
    assert f"/bookings/{done.id}/rating" in raw and f"/orders/{closed.id}/rating" in raw


def test_a_second_claim_of_the_same_booking_inserts_nothing(lab):
    from booking.notify.ratings import invite_ratings

    now = datetime.now(UTC)
    done = book(lab["sem"], lab["user"], now - timedelta(days=2))
    # another scheduler claimed it a moment ago, in a transaction this one could not see yet
    db.session.add(RatingInvitation(reservation_id=done.id, user_id=lab["user"].id, outcome="queued", invited_at=now))
    db.session.commit()
    assert invite_ratings(now) == {}
    assert invitations() == []


def test_no_invitation_when_the_user_turned_mail_off(lab, app):
    from booking import jobs

    lab["user"].reminders_enabled = False
    now = datetime.now(UTC)
    book(lab["sem"], lab["user"], now - timedelta(days=2))
    db.session.commit()
    jobs.bind(app)
    jobs.invite_ratings()
    jobs.invite_ratings()
    db.session.expire_all()
    assert invitations() == []
    assert [i.outcome for i in db.session.scalars(sa.select(RatingInvitation))] == ["mail_off"]


def test_the_invitation_reads_in_the_users_language(lab):
    from booking.notify.outbox import render_pending
    from booking.notify.ratings import invite_ratings

    lab["user"].language = "zh"
    now = datetime.now(UTC)
    book(lab["sem"], lab["user"], now - timedelta(days=2))
    db.session.commit()
    assert invite_ratings(now) == {"queued": 1}
    render_pending()
    mail = invitations()[0]
    assert mail.subject == "服务体验如何？请评价：扫描电镜"
    assert mail.message_id.startswith("<rating-invite-r")
