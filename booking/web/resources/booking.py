"""/resources/<id>/book: one booking or a series, from the booking form of the resource's page.
A refusal draws the page again with the form as posted, the reason and the free alternatives."""
from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ...engine.calendars import WEEKDAYS
from ...engine.equivalents import equivalents_elsewhere, offers_elsewhere
from ...engine.errors import SeriesConflicts
from ...engine.recurrence import create_series, parse_recurrence
from ...engine.reservations import create_reservation
from ...engine.timefmt import describe
from ...errors import DomainError
from ...extensions import db
from ...models import Resource
from ..filters import lang
from ..localtime import local_span
from ..transaction import discard_changes
from .blueprint import bp
from .booking_panel import BookingForm
from .page import render_resource_page


@bp.post("/<int:resource_id>/book")
@login_required
def book(resource_id: int) -> Any:
    resource = db.get_or_404(Resource, resource_id)
    # A refusal is drawn at this POST URL: its links (weeks, language) must lead to the GET page.
    g.get_path = url_for("main.resource", resource_id=resource.id)
    form = BookingForm()
    if not form.validate_on_submit():
        return render_resource_page(resource, booking_form=form, status=422)
    tz = resource.platform.timezone
    start, end = local_span(form.day.data, form.start.data, form.end.data, tz)
    try:
        if form.repeat.data:
            rec = parse_recurrence({"freq": form.repeat.data, "count": form.count.data or 1,
                                    "weekdays": form.weekdays.data or [WEEKDAYS[form.day.data.weekday()]]})
            series, plan = create_series(current_user, resource, start, end, rec, form.purpose.data or "",
                                         skip_conflicts=form.skip_conflicts.data)
            booked = [o for o in plan if o.reservation is not None]
            flash(_("Booked %(n)s dates of %(title)s.", n=len(booked), title=resource.display_title(lang())), "success")
            skipped = [o for o in plan if o.reservation is None]
            if skipped:
                flash(_("Skipped: %(dates)s.", dates="; ".join(describe(o.start, o.end, tz) for o in skipped)), "warning")
            if any(o.reservation is not None and o.reservation.status == "pending" for o in booked):
                flash(_("The platform must approve these bookings; you will hear from it."), "info")
            if form.use_voucher.data:
                flash(_("Innovation vouchers pay for single bookings only; this series was booked without them."),
                      "warning")
        else:
            reservation = create_reservation(current_user, resource, start, end, form.purpose.data or "",
                                             use_voucher=bool(form.use_voucher.data))
            if reservation.status == "pending":
                flash(_("Requested %(title)s for %(span)s. The platform must approve it; you will hear from it.",
                        title=resource.display_title(lang()), span=describe(start, end, tz)), "info")
            else:
                flash(_("Booked %(title)s for %(span)s.", title=resource.display_title(lang()),
                        span=describe(start, end, tz)), "success")
    except DomainError as exc:
        discard_changes()  # the week drawn with the refusal shows what is stored, not the refused booking
        if isinstance(exc, SeriesConflicts):
            form.skip_conflicts.data = True
        elsewhere = []
        if not form.repeat.data and offers_elsewhere(exc):  # the same type at other platforms, free then
            elsewhere = equivalents_elsewhere(current_user._get_current_object(), resource, start, end)
        return render_resource_page(resource, booking_form=form, booking_refusal=exc, elsewhere=elsewhere,
                                    status=exc.status)
    return redirect(url_for("bookings.mine"), 303)
