"""Rendering mail: one renderer for every template, the formatting its values need, the .ics.

Every message has a plain-text and an HTML part (the HTML autoescaped: a purpose of `<script>`
stays text), absolute links back to the site (ONESTOP_BASE_URL, booking.notify.links), and a
Message-ID chosen when the mail was queued, so that a resend is recognisable. Rendering needs an
application context only: the scheduler process, which renders at dispatch, has no request.
"""
from __future__ import annotations

import email.policy
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from flask import current_app, render_template
from flask_babel import force_locale

from ..engine.references import reservation_reference
from ..ical import add_timezones, reservation_uid
from ..models import Reservation, utcnow
from . import links
from .links import LinkSpec, absolute_url
from .settings import setting

__all__ = [
    "POLICY", "Rendered", "absolute_url", "calendar_event", "format_offset", "format_span", "format_starts_in",
    "invitation", "lang_of", "render", "reservation_context", "reservation_links", "sender_address",
]

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


def calendar_event(reservation: Reservation, sequence: int, lang: str) -> dict[str, Any]:
    """What an invitation needs to know of one reservation, as plain JSON (frozen at the event)."""
    resource = reservation.resource
    platform = resource.platform
    return {
        "id": reservation.id, "sequence": sequence, "start": reservation.start.isoformat(),
        "end": reservation.end.isoformat(), "timezone": platform.timezone or "Asia/Shanghai",
        "summary": f"{resource.display_title(lang)} · {platform.name(lang)}",
        "location": resource.location or platform.address or "", "purpose": reservation.purpose or "",
        "organizer_name": platform.name(lang), "attendee_email": reservation.user.email,
        "attendee_name": reservation.user.name or reservation.user.email,
    }


def reservation_context(reservation: Reservation, lang: str) -> dict[str, Any]:
    """The values every booking mail shows, in `lang`, as plain JSON (links are added at render)."""
    resource = reservation.resource
    platform = resource.platform
    tz = platform.timezone or current_app.config.get("ONESTOP_DEFAULT_TIMEZONE", "Asia/Shanghai")
    return {
        "booking_id": reservation.id,
        "reference": reservation_reference(reservation),
        "title": resource.display_title(lang),
        "platform_name": platform.name(lang),
        "location": resource.location or platform.address or "",
        "when": format_span(reservation.start, reservation.end, tz, lang),
        "timezone": tz,
        "purpose": reservation.purpose or "",
        "booker_name": reservation.user.name or reservation.user.email,
        "booker_email": reservation.user.email,
        "booker_organisation": reservation.user.organisation_label(lang),
    }


def reservation_links(reservation_id: int, *, for_staff: bool = False) -> dict[str, LinkSpec]:
    """The links of a booking mail: the booking, the account page (reminder settings)."""
    return {"link": links.booking(reservation_id, for_staff), "account_link": links.page("auth.account", "/account")}


def sender_address() -> tuple[str, str]:
    """The From header and the envelope sender."""
    header = str(setting("ONESTOP_MAIL_FROM"))
    return header, parseaddr(header)[1] or "noreply@onestop.local"


def invitation(events: list[dict[str, Any]], method: str, link: str, now: datetime | None = None) -> str:
    """An iCalendar invitation (REQUEST) or withdrawal (CANCEL) for reservations (`calendar_event`
    dicts, one VEVENT each: a series is several).

    UID is stable per reservation and the same as in its .ics download and the user's calendar
    subscription (booking.ical.reservation_uid), so a calendar that has both shows one event;
    SEQUENCE grows with every event of the reservation; times carry the platform's TZID with its
    VTIMEZONE, so calendars show the platform's local time.
    """
    organizer = sender_address()[1]
    cal = icalendar.Calendar()
    cal.add("prodid", "-//OneStop//Bookings//EN")
    cal.add("version", "2.0")
    cal.add("method", method)
    starts, ends = [], []
    for item in events:
        zone = ZoneInfo(item["timezone"])
        start, end = datetime.fromisoformat(item["start"]), datetime.fromisoformat(item["end"])
        starts.append(start)
        ends.append(end)
        event = icalendar.Event()
        event.add("uid", reservation_uid(int(item["id"])))
        event.add("sequence", item["sequence"])
        event.add("dtstamp", now or utcnow())
        event.add("dtstart", start.astimezone(zone))
        event.add("dtend", end.astimezone(zone))
        event.add("summary", item["summary"])
        if item["location"]:
            event.add("location", item["location"])
        event.add("description", link if not item["purpose"] else f"{item['purpose']}\n\n{link}")
        event.add("url", link)
        event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
        organizer_prop = icalendar.vCalAddress(f"mailto:{organizer}")
        organizer_prop.params["cn"] = icalendar.vText(item["organizer_name"])
        event.add("organizer", organizer_prop)
        attendee = icalendar.vCalAddress(f"mailto:{item['attendee_email']}")
        attendee.params["cn"] = icalendar.vText(item["attendee_name"])
        attendee.params["role"] = icalendar.vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = icalendar.vText("ACCEPTED")
        event.add("attendee", attendee)
        cal.add_component(event)
    # VTIMEZONE with the zone's rules around the bookings only (the default spans 1970–2038: slow, long).
    add_timezones(cal, min(starts).year - 1, max(ends).year + 1)
    return cal.to_ical().decode("utf-8")


def render(template: str, *, lang: str, to_email: str, to_name: str, message_id: str, context: dict[str, Any],
           subject: str | None = None, ics: tuple[str, str] | None = None, date: datetime | None = None) -> Rendered:
    """The one renderer: templates/<template>.txt and .html in the recipient's language, as one
    multipart message with the headers every OneStop mail carries.

    `template` is a path without extension (email/confirmed, services/email/waitlist_free,
    account/email/verify_email). Without `subject`, the subject is rendered from
    email/subject.txt (booking mails). `ics` is (method, calendar text) to attach as invite.ics.
    """
    lang = lang_of(lang)
    values = dict(context, kind=template.rsplit("/", 1)[-1], lang=lang, recipient_name=to_name or to_email)
    with force_locale(lang):
        if subject is None:
            subject = " ".join(render_template("email/subject.txt", **values).split())
        text = render_template(f"{template}.txt", **values)
        html = render_template(f"{template}.html", **values)
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
