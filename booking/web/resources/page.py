"""/resources/<id>: a resource's page, drawn in one place with everything its panels need, each
computed once per request: the booking panel (week and form) and what the booking form says
about training, the rate and fee, vouchers and a booking restriction."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import g, render_template, request, url_for
from flask_login import current_user

from ...engine.attendance import active_restriction
from ...engine.calendars import zone
from ...engine.pricing import estimate, rate_for
from ...engine.qualifications import open_request, valid_qualification
from ...engine.ratings import recent_ratings, resource_rating
from ...engine.vouchers import account_for, balance_of
from ...errors import DomainError
from ...extensions import db
from ...models import Resource, utcnow
from ..home import bp as main_bp
from ..localtime import local_span
from .booking_panel import booking_panel
from .forms import TrainingRequestForm

RECENT_RATINGS = 5  # the latest ratings (with the staff's answers) at the bottom of the page


@main_bp.get("/resources/<int:resource_id>")
def resource(resource_id: int) -> Any:
    return render_resource_page(db.get_or_404(Resource, resource_id))


def render_resource_page(resource: Resource, *, booking_form: Any = None, booking_refusal: DomainError | None = None,
                         elsewhere: Iterable[Any] = (), order_form: Any = None, status: int = 200) -> Any:
    """The resource page; a refused booking or order shows its form as posted, with the refusal.
    Drawn for a POST, its links (weeks, language) lead to the resource's GET page, never back to
    the POST URL (which would answer 405)."""
    if request.method == "POST":
        g.get_path = url_for("main.resource", resource_id=resource.id)
    panel = booking_panel(resource, booking_form) if resource.bookable and resource.active else None
    form = booking_form or (panel["form"] if panel else None)
    return render_template("resource.html", resource=resource, booking=panel, booking_form=form,
                           booking_refusal=booking_refusal, booking_services=booking_services(resource, form) if panel else None,
                           elsewhere=list(elsewhere), order_form=order_form,
                           rating_summary=resource_rating(resource.id),
                           ratings=recent_ratings(resource_id=resource.id, limit=RECENT_RATINGS)), status


def booking_services(resource: Resource, form: Any = None) -> dict[str, Any]:
    """What the booking form says beside the times: training state, rate, fee estimate for the
    form's times, voucher balance, a restriction."""
    now = utcnow()
    info: dict[str, Any] = {"requires_training": resource.requires_training, "rate": None, "estimate": None,
                            "qualified": None, "open_request": None, "balance": None, "restriction": None,
                            "cap": resource.platform.voucher_cap_percent, "training_form": TrainingRequestForm(formdata=None)}
    if not current_user.is_authenticated:
        return info
    tz = resource.platform.timezone
    info["rate"] = rate = rate_for(current_user, resource)
    if rate is not None and form is not None:
        try:
            start, end = local_span(form.day.data, form.start.data, form.end.data, tz)
            found = estimate(current_user, resource, start, end)
            info["estimate"] = found[1] if found else None
        except (TypeError, ValueError):
            info["estimate"] = None
    if resource.requires_training:
        today = now.astimezone(zone(tz)).date()
        info["qualified"] = valid_qualification(current_user, resource, today)
        info["open_request"] = open_request(current_user, resource)
        info["staff"] = current_user.is_staff_of(resource.platform_id)
    org = current_user.verified_organisation
    if account_for(org) is not None:
        info["balance"] = balance_of(org)
    restriction = active_restriction(current_user, resource.platform, now)
    if restriction is not None and not current_user.is_staff_of(resource.platform_id):
        info["restriction"] = restriction
        info["restriction_until"] = restriction.until.astimezone(zone(tz))
    return info
