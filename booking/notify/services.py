"""Mail of the booking services around a reservation: a freed waitlist time, training requests
and decisions (templates/services/email/). Queued for `waitlist.offered` and `qualification.*`
events in the transaction of the change; rendered by the dispatcher."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from flask_babel import gettext as _

from ..models import Qualification, Resource, TrainingRequest, User, WaitlistEntry
from . import links
from .messages import format_span, lang_of
from .outbox import queue_mail
from .recipients import Recipient, platform_recipients, user_recipient


def waitlist_offered(entry: WaitlistEntry, now: datetime) -> None:
    """Tell a waiting user that the time they wait for is free (a link that fills the booking form)."""
    user, resource = entry.user, entry.resource
    lang = lang_of(user.language)
    tz = resource.platform.timezone
    when = format_span(entry.start, entry.end, tz, lang)
    with force_locale(lang):
        subject = _("Free again: %(title)s, %(when)s", title=resource.display_title(lang), when=when)
    zone = ZoneInfo(tz)
    start, end = entry.start.astimezone(zone), entry.end.astimezone(zone)
    link = links.page("main.resource", f"/resources/{entry.resource_id}", "book-form", resource_id=entry.resource_id,
                      day=start.date().isoformat(), start=f"{start:%H:%M}", end=f"{end:%H:%M}")
    context = {"title": resource.display_title(lang), "platform_name": resource.platform.name(lang), "when": when,
               "timezone": tz, "subject": subject}
    queue_mail("services/email/waitlist_free", kind="waitlist_free", to_email=user.email, to_name=user.name,
               language=lang, message_id=f"<waitlist-{entry.id}-{now:%Y%m%dT%H%M%S}@onestop>", context=context,
               links={"link": link}, subject=subject, now=now)


def _training_mail(template: str, recipient: Recipient, key: str, subject: str, context: Mapping[str, object],
                   link: links.LinkSpec, now: datetime) -> None:
    queue_mail(f"services/email/{template}", kind=template, to_email=recipient.email, to_name=recipient.name,
               language=recipient.language, message_id=f"<{template}-{key}@onestop>",
               context=dict(context, subject=subject), links={"link": link}, subject=subject, now=now)


def training_requested(request: TrainingRequest, now: datetime) -> None:
    """Tell the platform's staff (else its contact address) of a new training request."""
    resource, user = request.resource, request.user
    for recipient in platform_recipients(resource.platform):
        lang = lang_of(recipient.language)
        with force_locale(lang):
            subject = _("Training requested: %(title)s", title=resource.display_title(lang))
        context = {"title": resource.display_title(lang), "platform_name": resource.platform.name(lang),
                   "user_name": user.name or user.email, "user_email": user.email,
                   "organisation": user.organisation_label(lang), "message": request.message}
        _training_mail("training_request", recipient, f"{request.id}-{recipient.key}", subject, context,
                       links.page("staff.training", "/staff/training"), now)


def training_decided(user: User, resource: Resource, granted: bool, key: str, now: datetime, *,
                     expires_on: str = "", note: str = "") -> None:
    """Tell the user that staff qualified them (or declined their request)."""
    recipient = user_recipient(user)
    lang = lang_of(recipient.language)
    with force_locale(lang):
        if granted:
            subject = _("You may now book %(title)s", title=resource.display_title(lang))
        else:
            subject = _("Training request declined: %(title)s", title=resource.display_title(lang))
    context = {"title": resource.display_title(lang), "platform_name": resource.platform.name(lang),
               "granted": granted, "expires_on": expires_on, "note": note}
    _training_mail("training_decision", recipient, key, subject, context,
                   links.page("main.resource", f"/resources/{resource.id}", resource_id=resource.id), now)


def qualification_granted(qualification: Qualification, now: datetime) -> None:
    training_decided(qualification.user, qualification.resource, True, f"qualification-{qualification.id}", now,
                     expires_on=qualification.expires_on.isoformat(), note=qualification.note)


def training_declined(request: TrainingRequest, now: datetime) -> None:
    training_decided(request.user, request.resource, False, f"declined-{request.id}", now,
                     note=request.decision_note)
