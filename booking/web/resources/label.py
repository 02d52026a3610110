"""A printable QR label per bookable resource, and the page its code opens.

- /resources/<id>/label: one label (the QR code as inline SVG, the title in Chinese and English,
  the platform, the place and the short address under the code), for staff of the resource's
  platform; /staff/labels: every bookable resource's label of the platform on A4 sheets.
- /resources/<id>/here: the page for someone standing at the instrument, who scanned the code: the
  resource, today's remaining bookings (times only: whose they are is nobody else's business), and,
  when the logged-in visitor's own booking is in its check-in window, a big "Check in" button that
  uses the engine's `check_in` (and "Check out" once in). Anyone may open it; checking in needs a
  log-in, which comes back here.

The code holds the page's absolute address under ONESTOP_BASE_URL (as links in mail do), so a
label printed from any host opens the site people actually reach.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

import segno
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import select
from wtforms import HiddenField

from ...accounts.access import role_required
from ...engine.attendance import can_check_in, check_in, check_out, checkin_window
from ...engine.calendars import zone
from ...errors import DomainError
from ...extensions import db
from ...models import Reservation, Resource, utcnow
from ...models.resource import english_title
from ...notify.links import absolute_url
from ..refusals import flash_refusal
from ..staff.blueprint import bp as staff_bp
from ..staff.calendar import category_choices, in_category
from ..staff.platform import bookable_resources, current_platform, platform_choices
from ..validate import id_arg
from .blueprint import bp

ACTIVE = ("pending", "confirmed")


def here_url(resource: Resource) -> str:
    """The absolute address a resource's QR code holds: its "here" page."""
    return absolute_url(url_for("resources.here", resource_id=resource.id))


def qr_svg(url: str) -> Markup:
    """`url` as a QR code in inline SVG, scalable (no fixed size), error correction M so a
    scuffed label still reads."""
    code = segno.make(url, error="m", micro=False)
    return Markup(code.svg_inline(scale=4, border=2, omitsize=True, svgclass="qr", lineclass="qr-line",
                                  title=url))


@dataclass
class Label:
    resource: Resource
    url: str
    short_url: str
    svg: Markup
    title_zh: str
    title_en: str


def label_for(resource: Resource) -> Label:
    url = here_url(resource)
    title_en = english_title(resource.title_en, resource.title) if resource.title_en else ""
    return Label(resource=resource, url=url, short_url=url.split("://", 1)[-1], svg=qr_svg(url),
                 title_zh=resource.title or "", title_en=title_en if title_en != resource.title else "")


def _bookable(resource_id: int) -> Resource:
    resource = db.get_or_404(Resource, resource_id)
    if not (resource.bookable and resource.active):
        abort(404)
    return resource


@bp.get("/<int:resource_id>/label")
@role_required("staff")
def label(resource_id: int) -> Any:
    """One label to print; staff of another platform get a 403 (they may not label it)."""
    resource = _bookable(resource_id)
    if not current_user.is_staff_of(resource.platform_id):
        abort(403)
    return render_template("resources/label.html", labels=[label_for(resource)], platform=resource.platform)


@staff_bp.get("/labels")
@role_required("staff")
def labels() -> Any:
    """Every bookable resource's label of the platform (or of one category), to print on A4."""
    platform = current_platform()
    resources = bookable_resources(platform)
    categories = category_choices(resources)
    category = request.args.get("category", "")
    status = 200
    error = None
    if category and category not in categories:
        error = _("No resource of this platform is in the category “%(value)s”: showing all categories.",
                  value=category[:40])
        category, status = "", 400
    chosen = [res for res in resources if not category or in_category(res, category)]
    return render_template("resources/labels.html", platform=platform, platforms=platform_choices(),
                           labels=[label_for(res) for res in chosen], categories=categories, category=category,
                           error=error, total=len(resources)), status


class HereForm(FlaskForm):
    reservation_id = HiddenField()


@dataclass
class Visit:
    """What /here shows of one booking today: its times, and for its own booker more."""

    reservation: Reservation
    start: datetime
    end: datetime
    mine: bool
    can_check_in: bool
    can_check_out: bool
    opens: datetime


def todays_bookings(resource: Resource, user: Any, now: datetime) -> list[Visit]:
    """The resource's bookings that have not ended yet today (platform time), in order; and one
    starting just after midnight whose check-in window is already open."""
    tz = zone(resource.platform.timezone)
    local_today = now.astimezone(tz).date()
    day_end = datetime.combine(local_today + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    day_end = max(day_end, now + timedelta(minutes=(resource.platform.checkin_before_minutes or 0) + 1))
    rows = db.session.scalars(select(Reservation).where(
        Reservation.resource_id == resource.id, Reservation.status.in_(ACTIVE),
        Reservation.end > now, Reservation.start < day_end).order_by(Reservation.start)).all()
    user_id = user.id if user.is_authenticated else None
    visits = []
    for r in rows:
        mine = r.user_id == user_id
        visits.append(Visit(
            reservation=r, start=r.start, end=r.end, mine=mine,
            can_check_in=mine and can_check_in(r, now),
            can_check_out=mine and r.status == "confirmed" and r.checked_in_at is not None and r.checked_out_at is None,
            opens=checkin_window(r)[0]))
    return visits


@bp.get("/<int:resource_id>/here")
def here(resource_id: int) -> Any:
    resource = _bookable(resource_id)
    now = utcnow()
    visits = todays_bookings(resource, current_user, now)
    mine = [v for v in visits if v.mine]
    return render_template(
        "resources/here.html", resource=resource, visits=visits, mine=mine,
        check_in=next((v for v in mine if v.can_check_in), None),
        check_out=next((v for v in mine if v.can_check_out), None),
        form=HereForm(formdata=None), tz=resource.platform.timezone, now=now,
        login_url=url_for("auth.login", next=url_for("resources.here", resource_id=resource.id)))


@bp.post("/<int:resource_id>/here/<any('check-in', 'check-out'):action>")
def here_action(resource_id: int, action: str) -> Any:
    """Check in (or out) from the resource's page: the visitor's own booking of this resource."""
    resource = _bookable(resource_id)
    back = url_for("resources.here", resource_id=resource.id)
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=back), 303)
    form = HereForm()
    if not form.validate_on_submit():
        abort(400)
    rid = id_arg(form.reservation_id.data)
    reservation = db.session.get(Reservation, rid) if rid is not None else None
    if reservation is None or reservation.resource_id != resource.id or reservation.user_id != current_user.id:
        abort(404)
    try:
        if action == "check-in":
            check_in(current_user, reservation)
            flash(_("Checked in."), "success")
        else:
            check_out(current_user, reservation)
            flash(_("Checked out."), "success")
    except DomainError as exc:
        if exc.status == 403:
            raise
        flash_refusal(exc)
    return redirect(back, 303)
