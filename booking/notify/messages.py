"""Mail built from templates/email/, in the recipient's language, with an .ics where it helps.

Every message has a plain-text and an HTML part (the HTML autoescaped: a purpose of `<script>`
stays text), an absolute link back to the booking (ONESTOP_BASE_URL), and a Message-ID chosen by
the caller so that a resend is recognisable. Rendering needs an application context only: the
scheduler process has no request.
"""
from __future__ import annotations

import email.policy
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
from flask import current_app, render_template
from flask_babel import force_locale
from werkzeug.routing import BuildError

from ..ical import add_timezones
from ..models import Reservation, utcnow
from .settings import setting

# 7bit: bodies are base64/quoted-printable, so the whole message is ASCII and can be stored as text.
POLICY = email.policy.SMTP.clone(cte_type="7bit")
WEEKDAYS = {
    "zh": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}


@dataclass(frozen=True)
class Rendered:
    message: EmailMessage
    subject: str
    sender: str  # envelope sender (addr-spec)
    recipient: str

    def as_bytes(self) -> bytes:
        return self.message.as_bytes(policy=POLICY)


def lang_of(value: str | None) -> str:
    return "en" if value == "en" else "zh"


def format_span(start: datetime, end: datetime, tz: str, lang: str) -> str:
    """'2027-03-29 (Mon) 08:00–10:00' in the platform's zone; both dates when it crosses midnight."""
    zone = ZoneInfo(tz)
    a, b = start.astimezone(zone), end.astimezone(zone)
    day = WEEKDAYS[lang][a.weekday()]
    if a.date() == b.date():
        return f"{a:%Y-%m-%d} ({day}) {a:%H:%M}–{b:%H:%M}"
    return f"{a:%Y-%m-%d} ({day}) {a:%H:%M} – {b:%Y-%m-%d %H:%M}"


def format_offset(seconds: int, lang: str) -> str:
    """How long before: '24 hours' / '24 小时', '2 days' / '2 天', '90 minutes' / '90 分钟'."""
    for size, zh, en in ((86400, "天", "day"), (3600, "小时", "hour"), (60, "分钟", "minute"), (1, "秒", "second")):
        if seconds >= max(size, 2 * 86400 if size == 86400 else 0) and seconds % size == 0:
            n = seconds // size
            return f"{n} {zh}" if lang == "zh" else f"{n} {en}{'' if n == 1 else 's'}"
    return f"{seconds} 秒" if lang == "zh" else f"{seconds} seconds"


def format_starts_in(seconds: float, lang: str) -> str:
    """How long until a booking starts, rounded as people say it: '24 hours', not '1439 minutes'."""
    if seconds >= 2 * 86400:
        return format_offset(round(seconds / 86400) * 86400, lang)
    if seconds >= 90 * 60:
        return format_offset(round(seconds / 3600) * 3600, lang)
    return format_offset(max(1, round(seconds / 60)) * 60, lang)


def absolute_url(path: str) -> str:
    return str(setting("ONESTOP_BASE_URL")).rstrip("/") + "/" + path.lstrip("/")


def _path_for(endpoint: str, **values: Any) -> str | None:
    """The path of an endpoint, built without a request (None when nobody defined it yet)."""
    if endpoint not in current_app.view_functions:
        return None
    try:
        return current_app.url_map.bind("localhost").build(endpoint, values)
    except BuildError:
        return None


def booking_link(reservation: Reservation, for_staff: bool = False) -> str:
    """Where the recipient sees this booking: its own page when the site has one, else the list of
    the user's bookings (or the platform's staff page) at the booking's anchor."""
    specific = ["bookings.detail"] if not for_staff else ["staff.reservation", "bookings.detail"]
    for endpoint in specific:
        path = _path_for(endpoint, reservation_id=reservation.id)
        if path:
            return absolute_url(path)
    if for_staff:
        return absolute_url(f"{_path_for('staff.index') or '/staff'}#approvals")
    return absolute_url(f"{_path_for('bookings.mine') or '/bookings'}#reservation-{reservation.id}")


def reservation_context(reservation: Reservation, lang: str, *, for_staff: bool = False) -> dict[str, Any]:
    resource = reservation.resource
    platform = resource.platform
    tz = platform.timezone or current_app.config.get("ONESTOP_DEFAULT_TIMEZONE", "Asia/Shanghai")
    return {
        "reservation": reservation,
        "booking_id": reservation.id,
        "title": resource.display_title(lang),
        "platform_name": platform.name(lang),
        "location": resource.location or platform.address or "",
        "when": format_span(reservation.start, reservation.end, tz, lang),
        "timezone": tz,
        "purpose": reservation.purpose or "",
        "booker_name": reservation.user.name or reservation.user.email,
        "booker_email": reservation.user.email,
        "booker_organisation": reservation.user.organisation_label(lang),
        "link": booking_link(reservation, for_staff=for_staff),
        "home": absolute_url("/"),
        "account_link": absolute_url(_path_for("auth.account") or "/account"),
    }


def sender_address() -> tuple[str, str]:
    """The From header and the envelope sender."""
    header = str(setting("ONESTOP_MAIL_FROM"))
    return header, parseaddr(header)[1] or "noreply@onestop.local"


def invitation(items: list[tuple[Reservation, int]], method: str, lang: str, link: str,
               now: datetime | None = None) -> str:
    """An iCalendar invitation (REQUEST) or withdrawal (CANCEL) for reservations, with their
    SEQUENCE numbers (one VEVENT each: a series is several).

    UID is stable per reservation and the same as in the user's calendar subscription
    (booking.web.calendar: reservation-<id>@<host>), so a calendar that has both shows one event;
    SEQUENCE grows with every event of the reservation; times carry the platform's TZID with its
    VTIMEZONE, so calendars show the platform's local time.
    """
    organizer = sender_address()[1]
    host = urlsplit(str(setting("ONESTOP_BASE_URL"))).netloc or "onestop"
    cal = icalendar.Calendar()
    cal.add("prodid", "-//OneStop//Bookings//EN")
    cal.add("version", "2.0")
    cal.add("method", method)
    for reservation, sequence in items:
        resource = reservation.resource
        platform = resource.platform
        zone = ZoneInfo(platform.timezone or "Asia/Shanghai")
        event = icalendar.Event()
        event.add("uid", f"reservation-{reservation.id}@{host}")
        event.add("sequence", sequence)
        event.add("dtstamp", now or utcnow())
        event.add("dtstart", reservation.start.astimezone(zone))
        event.add("dtend", reservation.end.astimezone(zone))
        event.add("summary", f"{resource.display_title(lang)} · {platform.name(lang)}")
        where = resource.location or platform.address
        if where:
            event.add("location", where)
        event.add("description", link if not reservation.purpose else f"{reservation.purpose}\n\n{link}")
        event.add("url", link)
        event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
        organizer_prop = icalendar.vCalAddress(f"mailto:{organizer}")
        organizer_prop.params["cn"] = icalendar.vText(platform.name(lang))
        event.add("organizer", organizer_prop)
        attendee = icalendar.vCalAddress(f"mailto:{reservation.user.email}")
        attendee.params["cn"] = icalendar.vText(reservation.user.name or reservation.user.email)
        attendee.params["role"] = icalendar.vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = icalendar.vText("ACCEPTED")
        event.add("attendee", attendee)
        cal.add_component(event)
    # VTIMEZONE with the zone's rules around the bookings only (the default spans 1970–2038: slow, long).
    add_timezones(cal, min(r.start for r, _ in items).year - 1, max(r.end for r, _ in items).year + 1)
    return cal.to_ical().decode("utf-8")


def render_message(kind: str, *, lang: str, to_email: str, to_name: str, message_id: str,
                   context: dict[str, Any], ics: tuple[str, str] | None = None,
                   date: datetime | None = None) -> Rendered:
    """Render templates/email/<kind>.txt and .html (subject from email/subject.txt).

    `ics` is (method, calendar text) to attach as invite.ics.
    """
    lang = lang_of(lang)
    values = dict(context, kind=kind, lang=lang, recipient_name=to_name or to_email)
    with force_locale(lang):
        subject = " ".join(render_template("email/subject.txt", **values).split())
        text = render_template(f"email/{kind}.txt", **values)
        html = render_template(f"email/{kind}.html", **values)
    from_header, envelope_sender = sender_address()
    msg = EmailMessage(policy=POLICY)
    msg["Subject"] = subject
    msg["From"] = from_header
    msg["To"] = Address(display_name=" ".join((to_name or "").split()), addr_spec=to_email)
    msg["Date"] = format_datetime(date or utcnow())
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text.strip() + "\n")
    msg.add_alternative(html, subtype="html")
    if ics is not None:
        method, calendar = ics
        msg.add_attachment(calendar, subtype="calendar", filename="invite.ics", params={"method": method})
    msg["Content-Language"] = "zh-CN" if lang == "zh" else "en"  # after set_content, which drops Content-*
    return Rendered(message=msg, subject=subject, sender=envelope_sender, recipient=to_email)


def compose_message(*, subject: str, text: str, html: str, to_email: str, to_name: str, message_id: str,
                    lang: str, date: datetime) -> Rendered:
    """One multipart (text + HTML) message with the headers every OneStop mail carries."""
    from_header, envelope_sender = sender_address()
    msg = EmailMessage(policy=POLICY)
    msg["Subject"] = subject
    msg["From"] = from_header
    msg["To"] = Address(display_name=" ".join((to_name or "").split()), addr_spec=to_email)
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text.strip() + "\n")
    msg.add_alternative(html, subtype="html")
    msg["Content-Language"] = "zh-CN" if lang == "zh" else "en"  # after set_content, which drops Content-*
    return Rendered(message=msg, subject=subject, sender=envelope_sender, recipient=to_email)


def timedelta_seconds(value: timedelta) -> int:
    return int(value.total_seconds())
