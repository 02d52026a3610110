"""Rating pages: /bookings/<id>/rating and /orders/<id>/rating (the user's form), /ratings/<id>/answer
(staff answer publicly) and /ratings/platform (a platform's ratings with an answer box each).

Thin: load, check with the engine's rules (booking.engine.ratings), call, answer.
"""
from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ...accounts.access import role_required
from ...engine.calendars import zone
from ...engine.ratings import (
    EDIT_WINDOW,
    MAX_COMMENT,
    answer_rating,
    can_edit,
    check_may_rate_order,
    check_may_rate_reservation,
    editable_until,
    platform_rating,
    rate_order,
    rate_reservation,
    rater_label,
    rating_of_order,
    rating_of_reservation,
    ratings_by_user,
    recent_ratings,
)
from ...errors import InvalidInput
from ...extensions import db
from ...models import Order, Platform, Rating, Reservation
from ..refusals import show_on_form
from .blueprint import bp
from .forms import AnswerForm, RatingForm

LIST_LIMIT = 100
_MINE = "onestop.my_ratings"


@bp.app_context_processor
def rating_globals() -> dict[str, Any]:
    """For the users' lists (My bookings, My orders, an order): their rating of a row, read once
    per request; and the pieces every rating block shows."""
    return {"booking_rating": booking_rating, "order_rating": order_rating, "rating_editable": can_edit,
            "rater_label": rater_label, "stars_text": stars_text}


def _my_ratings() -> tuple[dict[int, Rating], dict[int, Rating]]:
    if not getattr(current_user, "is_authenticated", False):
        return {}, {}
    # kept in the request's environ, not on `g` (which a test client's requests share)
    mine: tuple[dict[int, Rating], dict[int, Rating]] | None = request.environ.get(_MINE)
    if mine is None:
        mine = request.environ[_MINE] = ratings_by_user(current_user)
    return mine


def booking_rating(reservation: Reservation) -> Rating | None:
    return _my_ratings()[0].get(reservation.id)


def order_rating(order: Order) -> Rating | None:
    return _my_ratings()[1].get(order.id)


def stars_text(stars: int | float | None) -> str:
    """★★★★☆ for 4 (rounded for an average); '' for none."""
    if stars is None:
        return ""
    full = max(0, min(5, int(round(float(stars)))))
    return "★" * full + "☆" * (5 - full)


# --- the user's form --------------------------------------------------------------------------------

def _form_for(rating: Rating | None) -> RatingForm:
    if request.method == "POST":
        return RatingForm()
    if rating is None:
        return RatingForm(formdata=None)
    return RatingForm(formdata=None, data={"stars": rating.stars, "comment": rating.comment})


def _rating_page(*, subject: Any, kind: str, rating: Rating | None, form: RatingForm, status: int = 200) -> Any:
    resource = subject.resource
    return render_template(
        "ratings/form.html", subject=subject, kind=kind, resource=resource, platform=resource.platform,
        rating=rating, form=form, editable=rating is None or can_edit(rating),
        until=editable_until(rating) if rating is not None else None, edit_days=EDIT_WINDOW.days,
        max_comment=MAX_COMMENT), status


def _submit(form: RatingForm, save: Any, subject: Any, kind: str, rating: Rating | None) -> Any:
    if not form.validate_on_submit():
        return _rating_page(subject=subject, kind=kind, rating=rating, form=form, status=422)
    try:
        saved = save(current_user, subject, form.stars.data, form.comment.data or "")
    except InvalidInput as exc:
        show_on_form(form, exc, field_messages=True)
        return _rating_page(subject=subject, kind=kind, rating=rating, form=form, status=422)
    flash(_("Thank you: your rating is saved. You may change it until %(date)s.",
            date=f"{editable_until(saved).astimezone(zone(subject.resource.platform.timezone)):%Y-%m-%d %H:%M}")
          if rating is None
          else _("Your rating is updated."), "success")
    return None


@bp.route("/bookings/<int:reservation_id>/rating", methods=["GET", "POST"], endpoint="booking_rating")
@login_required
def booking_rating_page(reservation_id: int) -> Any:
    reservation = db.get_or_404(Reservation, reservation_id)
    check_may_rate_reservation(current_user, reservation)
    rating = rating_of_reservation(reservation.id)
    form = _form_for(rating)
    if request.method == "POST":
        refused = _submit(form, rate_reservation, reservation, "booking", rating)
        if refused is None:
            return redirect(url_for("bookings.mine") + f"#reservation-{reservation.id}", 303)
        return refused
    return _rating_page(subject=reservation, kind="booking", rating=rating, form=form)


@bp.route("/orders/<int:order_id>/rating", methods=["GET", "POST"], endpoint="order_rating")
@login_required
def order_rating_page(order_id: int) -> Any:
    order = db.get_or_404(Order, order_id)
    check_may_rate_order(current_user, order)
    rating = rating_of_order(order.id)
    form = _form_for(rating)
    if request.method == "POST":
        refused = _submit(form, rate_order, order, "order", rating)
        if refused is None:
            return redirect(url_for("orders.detail", order_id=order.id), 303)
        return refused
    return _rating_page(subject=order, kind="order", rating=rating, form=form)


# --- staff ------------------------------------------------------------------------------------------

def _chosen_platform() -> Platform | None:
    """Staff: their platform (another's code is refused). Admins: ?platform=CODE, else None (a
    chooser). An unknown code is a 404 with the code named."""
    code = (request.args.get("platform") or "").strip()
    platform = None
    if code:
        if len(code) > 64:
            abort(400, _("The platform code is too long."))
        platform = db.session.scalar(select(Platform).where(Platform.code == code))
        if platform is None:
            abort(404, _("No platform with code %(code)s.", code=code))
    if current_user.role == "admin":
        return platform
    own = current_user.platform
    if own is None or (platform is not None and platform.id != own.id):
        abort(403, _("Staff see the ratings of their own platform only."))
    return own


@bp.get("/ratings/platform")
@role_required("staff")
def platform_list() -> Any:
    unanswered = request.args.get("unanswered", "")
    if unanswered not in ("", "0", "1"):
        abort(400, _("unanswered is 1 or 0."))
    platform = _chosen_platform()
    if platform is None:
        platforms = list(db.session.scalars(select(Platform).order_by(Platform.code)))
        return render_template("ratings/choose_platform.html", platforms=platforms)
    ratings = recent_ratings(platform_id=platform.id, limit=LIST_LIMIT, unanswered=unanswered == "1")
    forms = {r.id: AnswerForm(formdata=None, prefix=f"r{r.id}", data={"answer": r.answer}) for r in ratings}
    return render_template("ratings/platform.html", platform=platform, ratings=ratings, forms=forms,
                           platform_summary=platform_rating(platform.id), unanswered=unanswered == "1",
                           limit=LIST_LIMIT)


@bp.post("/ratings/<int:rating_id>/answer")
@role_required("staff")
def answer(rating_id: int) -> Any:
    rating = db.get_or_404(Rating, rating_id)
    form = AnswerForm(prefix=f"r{rating.id}")
    args: dict[str, Any] = {"platform": rating.platform.code} if current_user.role == "admin" else {}
    target = url_for("ratings.platform_list", **args) + f"#rating-{rating.id}"
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            flash(_("The form expired. Please submit it again."), "error")
        for message in form.answer.errors:
            flash(str(message), "error")
        return redirect(target, 303)
    answer_rating(current_user, rating, form.answer.data)
    flash(_("Your answer is published."), "success")
    return redirect(target, 303)
