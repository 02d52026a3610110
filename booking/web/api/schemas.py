"""The API's request and answer shapes, as marshmallow schemas: one source for validation,
serialisation and /api/v1/openapi.json.

Conventions every schema follows:
- ids are whole numbers from 1 to MAX_ID (the smaller database's integer);
- times are ISO 8601 with an offset, answered in the platform's time zone;
- money is `Money`: a decimal string with its currency, `{"amount": "610.00", "currency": "CNY"}`;
- an error is `Error`: `{"error", "message", "fields"?, "details"?}` plus the keys some errors add.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

import marshmallow as ma
from flask_babel import gettext as _
from marshmallow import fields, validate

from ...errors import DomainError
from ...models import KINDS
from ...orders import service as orders
from ..validate import MAX_ID, valid_id

RESERVATION_STATUSES = ("pending", "confirmed", "rejected", "cancelled", "completed", "no_show")
TEXT_LIMIT = 2000
TIME_EXAMPLE = "2027-03-08T09:00:00+08:00"
#: the years a time may name (the engine plans within them; JSON Schema cannot say it of a date-time)
YEARS = "(a time in the years 2000 to 2100)"


def money(amount: Decimal | float | int | None, currency: str | None = "CNY") -> dict[str, str] | None:
    """A money value as the API writes it everywhere: a decimal string (two places) with its currency."""
    if amount is None:
        return None
    return {"amount": f"{Decimal(str(amount)).quantize(Decimal('0.01'))}", "currency": currency or "CNY"}


# --- fields ------------------------------------------------------------------------------------

class Id(fields.Integer):
    """A record id: a JSON integer (never a bool, a float or a string) from 1 to MAX_ID; in a query
    string, its ASCII digits. Checked by booking.web.validate, so pages and the API agree."""

    def __init__(self, *, text: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {})
        super().__init__(strict=True, validate=validate.Range(1, MAX_ID), **kwargs)
        self.text = text

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> int:
        try:
            return valid_id(value, attr or "id", text=self.text)
        except DomainError as exc:
            raise ma.ValidationError(next(iter(exc.details["fields"].values()))) from None


class Instant(fields.String):
    """An ISO 8601 time with an offset (checked by the view, which knows the platform's zone and
    which may accept a bare date in a query)."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"format": "date-time", "example": TIME_EXAMPLE, **kwargs.pop("metadata", {})}
        metadata["description"] = " ".join(filter(None, (metadata.get("description"), YEARS)))
        super().__init__(metadata=metadata, **kwargs)


class Text(fields.String):
    """Free text of at most `limit` characters; null means none."""

    def __init__(self, limit: int = TEXT_LIMIT, **kwargs: Any) -> None:
        kwargs.setdefault("allow_none", True)
        super().__init__(validate=validate.Length(max=limit), **kwargs)


class StrictBoolean(fields.Boolean):
    """true or false, nothing that merely looks like it (1, "yes")."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise ma.ValidationError(_("true or false"))
        return value


def query_enum(values: list[str] | tuple[str, ...], description: str) -> fields.String:
    """A query parameter from a fixed list (the empty string included where it means 'any')."""
    return fields.String(validate=validate.OneOf(list(values)), metadata={"description": description})


# --- shared answers ----------------------------------------------------------------------------

class ErrorSchema(ma.Schema):
    """Every 4xx answer of the API (some errors add keys: `reason`, `elsewhere`, `until`, `conflict`, …)."""

    class Meta:
        unknown = ma.INCLUDE  # described as open: some errors add keys

    error = fields.String(required=True, metadata={"example": "invalid"})
    message = fields.String(required=True, metadata={"description": "in the caller's language"})
    fields_ = fields.Dict(data_key="fields", keys=fields.String(), values=fields.String(),
                          metadata={"description": "field or parameter name → what is wrong with it"})
    details = fields.Raw(metadata={"description": "more about the error, when there is more"})
    reason = fields.String(metadata={"description": "a finer code, e.g. taken, closed, voucher_balance"})


class MoneySchema(ma.Schema):
    amount = fields.String(required=True, metadata={"example": "610.00", "description": "a decimal string"})
    currency = fields.String(required=True, metadata={"example": "CNY"})


def money_field(description: str = "", **kwargs: Any) -> fields.Nested:
    return fields.Nested(MoneySchema, allow_none=True, metadata={"description": description}, **kwargs)


class SlotSchema(ma.Schema):
    start = Instant(required=True)
    end = Instant(required=True)


class ElsewhereSchema(ma.Schema):
    """An equivalent resource at another platform, free for the asked time."""

    class ElsewherePrice(ma.Schema):
        rate_kind = fields.String(validate=validate.OneOf(["internal", "startup", "external"]))
        unit = fields.String()
        rate = money_field()
        estimate = money_field()

    class ElsewhereVoucher(ma.Schema):
        cap_percent = fields.Integer()
        allowed = money_field()
        usable = money_field("what the caller's organisation can pay now; null without vouchers")

    resource_id = fields.Integer(required=True)
    platform = fields.String(required=True)
    platform_name = fields.String()
    title = fields.String(required=True)
    title_en = fields.String(allow_none=True)
    kind = fields.String()
    city = fields.String(required=True, allow_none=True)
    start = Instant()
    end = Instant()
    timezone = fields.String()
    price = fields.Nested(ElsewherePrice, allow_none=True, metadata={
        "description": "the caller's rate and the fee for the asked time"})
    voucher = fields.Nested(ElsewhereVoucher, metadata={
        "description": "the share of the fee innovation vouchers may pay there (the platform's cap)"})
    training_required = fields.Boolean()
    requires_approval = fields.Boolean()
    url = fields.String(required=True, metadata={"description": "the resource page with the booking form filled in"})


class RefusedSchema(ErrorSchema):
    """A refused booking: an error plus `elsewhere`, the same type at other platforms free for the asked time
    (empty unless the time was taken, closed, under maintenance or outside opening hours)."""

    elsewhere = fields.List(fields.Nested(ElsewhereSchema), validate=validate.Length(max=5))
    conflict = fields.Nested(SlotSchema)
    alternatives = fields.List(fields.Nested(SlotSchema))
    occurrences = fields.List(fields.Dict())


# --- resources and search ----------------------------------------------------------------------

class PriceSchema(ma.Schema):
    amount = fields.String(required=True, metadata={"example": "300.00"})
    currency = fields.String(required=True, metadata={"example": "CNY"})
    unit = fields.String(allow_none=True, metadata={"example": "hour"})


class ResourceSchema(ma.Schema):
    """A resource in the feed format (docs/feed-format.md), plus its id, page and platform's zone."""

    id = fields.Integer(required=True)
    platform = fields.String(required=True)
    platform_name = fields.String(allow_none=True)
    platform_name_en = fields.String(allow_none=True)
    platform_timezone = fields.String()
    external_id = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(list(KINDS)))
    title = fields.String(required=True)
    title_en = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    category = fields.String(allow_none=True)
    keywords = fields.List(fields.String())
    city = fields.String(allow_none=True)
    location = fields.String(allow_none=True)
    attributes = fields.Dict()
    price = fields.Nested(PriceSchema, allow_none=True)
    bookable = fields.Boolean()
    orderable = fields.Boolean()
    opening_hours = fields.Raw(allow_none=True, metadata={"type": "object"})
    booking_rules = fields.Raw(allow_none=True, metadata={"type": "object"})
    contact_email = fields.String(allow_none=True)
    status = fields.String()
    updated_at = fields.String()
    created_at = fields.String()
    url = fields.String(required=True, metadata={"description": "the resource's page"})


class AvailabilityQuery(ma.Schema):
    from_ = Instant(data_key="from", metadata={
        "description": "ISO 8601 time with offset, or a date (local midnight); default now"})
    to = Instant(metadata={"description": "ISO 8601; default from + 7 days; at most 62 days after from"})


class AvailabilitySchema(ma.Schema):
    resource_id = fields.Integer(required=True)
    timezone = fields.String()
    from_ = Instant(data_key="from")
    to = Instant()
    slots = fields.List(fields.Nested(SlotSchema), required=True)


class TrainingRequestBody(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    message = Text()


class TrainingRequestSchema(ma.Schema):
    id = fields.Integer(required=True)
    resource_id = fields.Integer(required=True)
    status = fields.String(required=True)


class HitSchema(ma.Schema):
    id = fields.Integer(required=True)
    platform = fields.String(required=True)
    external_id = fields.String(required=True)
    kind = fields.String(required=True)
    title = fields.String(allow_none=True)
    title_en = fields.String(allow_none=True)
    snippet = fields.String()
    score = fields.Float(allow_none=True)
    city = fields.String(allow_none=True)
    price = fields.Nested(PriceSchema, allow_none=True)
    url = fields.String(required=True)


class SearchResultSchema(ma.Schema):
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    hits = fields.List(fields.Nested(HitSchema), required=True)
    facets = fields.Dict(keys=fields.String(), values=fields.Dict(keys=fields.String(), values=fields.Integer()),
                         required=True, metadata={"description": "kind, platform, city, category: value → count"})
    suggestion = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    unmatched = fields.List(fields.String(), metadata={
        "description": "words of the query that no resource holds (they matched nothing)"})


# --- accounts ----------------------------------------------------------------------------------

class Credentials(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    email = fields.String(required=True)
    password = fields.String(required=True)


class NewTokenSchema(ma.Schema):
    token = fields.String(required=True)


class TokenSchema(ma.Schema):
    id = fields.Integer(required=True)
    created_at = fields.String(required=True, metadata={"format": "date-time"})
    expires_at = fields.String(required=True, metadata={"format": "date-time"})
    current = fields.Boolean(required=True, metadata={"description": "the token that authenticated this call"})


class MembershipSchema(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    name_en = fields.String(allow_none=True)
    uscc = fields.String(allow_none=True)
    kind = fields.String()
    verified = fields.Boolean(metadata={"description": "rates, vouchers and colleagues' reports follow the "
                                                       "membership only while verified"})
    state = fields.String()
    role = fields.String(validate=validate.OneOf(["member", "manager"]))


class MeSchema(ma.Schema):
    id = fields.Integer(required=True)
    email = fields.String(required=True)
    name = fields.String(allow_none=True)
    role = fields.String(required=True, validate=validate.OneOf(["user", "staff", "admin"]))
    platform = fields.String(allow_none=True)
    organisation = fields.Nested(MembershipSchema, allow_none=True)
    calendar_url = fields.String(allow_none=True, metadata={"description": "secret iCalendar subscription URL"})


# --- reservations ------------------------------------------------------------------------------

class RecurrenceSchema(ma.Schema):
    """count or until, not both (checked by the engine's parser)."""

    class Meta:
        unknown = ma.EXCLUDE

    freq = fields.String(required=True, validate=validate.OneOf(["daily", "weekly", "monthly"]))
    interval = fields.Integer(strict=True, validate=validate.Range(1, 12), metadata={"default": 1})
    weekdays = fields.List(fields.String(validate=validate.OneOf(["mon", "tue", "wed", "thu", "fri", "sat", "sun"])))
    nth = fields.Integer(strict=True, validate=validate.OneOf([1, 2, 3, 4, -1]),
                         metadata={"description": "monthly: week of the month"})
    count = fields.Integer(strict=True, validate=validate.Range(1, 100))
    until = fields.String(metadata={"format": "date"})


class NewReservation(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    resource_id = Id(required=True)
    start = Instant(required=True)
    end = Instant(required=True)
    purpose = Text()
    recurrence = fields.Raw(allow_none=True, metadata={
        "allOf": [{"$ref": "#/components/schemas/Recurrence"}],
        "description": "repeat the booking: a daily, weekly or monthly series"})
    skip_conflicts = StrictBoolean(metadata={"default": False})
    use_voucher = StrictBoolean(metadata={
        "default": False, "description": "pay up to the platform's cap of the fee with the organisation's "
                                         "innovation vouchers (409 reason voucher_balance when it cannot)"})
    for_user = fields.String(validate=validate.Length(1, 254), metadata={
        "format": "email", "description": "staff of the resource's platform: book for the user with this e-mail "
                                          "(the booking is theirs; 403 for anyone else; not with recurrence or "
                                          "use_voucher)"})


class ReservationQuery(ma.Schema):
    mine = query_enum(["0", "1", "true", "false", ""],
                      "1 (or true): only the caller's own; 0, false or empty: all the caller may see")
    resource_id = Id(text=True, metadata={"description": "one resource"})
    from_ = Instant(data_key="from", metadata={"description": "ending after"})
    to = Instant(metadata={"description": "starting before (after from, at most 62 days)"})
    status = query_enum(RESERVATION_STATUSES, "one status")


class PageQuery(ma.Schema):
    page = fields.Integer(validate=validate.Range(1, 10_000), load_default=1, metadata={"description": "page number"})
    per_page = fields.Integer(validate=validate.Range(1, 1000),
                              metadata={"description": "items per page (default: all, up to the list's cap)"})


class ReservationListQuery(ReservationQuery, PageQuery):
    pass


class FeeSchema(ma.Schema):
    rate_kind = fields.String(allow_none=True, validate=validate.OneOf(["internal", "external", "startup"]))
    unit = fields.String(allow_none=True)
    currency = fields.String(allow_none=True)
    rate = money_field("the caller's rate per unit")
    estimate = money_field("when booked")
    actual = money_field("when finished (time used)")
    voucher = money_field("share paid with innovation vouchers")


class BookerSchema(ma.Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String(allow_none=True)
    organisation = fields.String(allow_none=True)


class ReservationSchema(ma.Schema):
    id = fields.Integer(required=True)
    resource_id = fields.Integer(required=True)
    resource_title = fields.String()
    platform = fields.String()
    start = Instant(required=True)
    end = Instant(required=True)
    timezone = fields.String()
    status = fields.String(required=True, validate=validate.OneOf(RESERVATION_STATUSES))
    status_label = fields.String()
    purpose = fields.String(allow_none=True)
    series_id = fields.Integer(allow_none=True)
    decision_reason = fields.String(allow_none=True)
    created_at = Instant()
    url = fields.String()
    fee = fields.Nested(FeeSchema)
    checked_in_at = Instant(allow_none=True)
    checked_out_at = Instant(allow_none=True)
    user = fields.Nested(BookerSchema, metadata={"description": "the booker (to the booker and platform staff)"})
    occurrences = fields.List(fields.Dict(), metadata={"description": "a new series: every planned occurrence"})
    skipped = fields.List(fields.Dict(), metadata={"description": "a new series: occurrences left out"})
    cancelled = fields.List(fields.Integer(), metadata={"description": "after cancel: the ids cancelled"})
    reference = fields.String(metadata={"description": "readable reference, e.g. OS-2026-000123"})
    page = fields.String(metadata={"description": "the booking's page on the site"})


class ChangeReservationBody(ma.Schema):
    """PATCH of a reservation: a new time, a new purpose, or both (without either: 422)."""

    class Meta:
        unknown = ma.EXCLUDE

    start = Instant(metadata={"description": "the new start (with end)"})
    end = Instant(metadata={"description": "the new end (with start)"})
    purpose = Text(metadata={"description": "the new purpose"})
    reason = Text(metadata={"description": "why (required when staff change someone else's booking)"})


class ReasonBody(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    reason = Text(metadata={"description": "null or left out: none"})


class CancelBody(ReasonBody):
    scope = fields.String(validate=validate.OneOf(["one", "rest"]), load_default="one", metadata={
        "description": "one: this booking; rest: this and the later ones of its series"})


class RejectBody(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    reason = fields.String(required=True, validate=[validate.Length(1, TEXT_LIMIT), validate.Regexp(r"\S")],
                           metadata={"description": "told to the booker"})


class WaitlistBody(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    resource_id = Id(required=True)
    start = Instant(required=True)
    end = Instant(required=True)


class WaitlistEntrySchema(ma.Schema):
    id = fields.Integer(required=True)
    resource_id = fields.Integer(required=True)
    start = Instant()
    end = Instant()
    status = fields.String()


# --- testing-service orders --------------------------------------------------------------------

BASE64 = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"


class FileUpload(ma.Schema):
    """A file in JSON: at most 10 MB once decoded; pdf, png, jpg, xlsx, docx, csv or txt (extension
    and content checked)."""

    class Meta:
        unknown = ma.EXCLUDE

    filename = fields.String(required=True, metadata={"example": "report.pdf"})
    content_base64 = fields.String(required=True, metadata={"format": "byte", "pattern": BASE64})


class NewOrder(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    resource_id = Id(required=True)
    samples = fields.Integer(required=True, strict=True, validate=validate.Range(1, orders.MAX_SAMPLES))
    sample_description = fields.String(required=True,
                                       validate=validate.Length(max=orders.LIMITS["sample_description"]))
    standard = fields.String(validate=validate.Length(max=orders.LIMITS["standard"]))
    needed_by = fields.Raw(metadata={
        "oneOf": [{"type": "string", "format": "date", "example": "2027-03-08"},
                  {"type": "integer", "minimum": 1, "maximum": orders.MAX_DAYS_AHEAD}],
        "description": "a date, or a number of days from today (platform's zone); omit for the usual turnaround"})
    notes = fields.String(validate=validate.Length(max=orders.LIMITS["notes"]))
    attachment = fields.Nested(FileUpload)


class OrderQuery(PageQuery):
    status = query_enum([*orders.STATUS_LABELS, ""], "one status (empty: any)")
    mine = query_enum(["0", "1", ""], "1: only the caller's own (0 or empty: all the caller may see)")


class OrderActionBody(ma.Schema):
    """The body of an order step; what each step reads is in its description."""

    class Meta:
        unknown = ma.EXCLUDE

    note = Text(metadata={"description": "null or left out: none"})


class QuoteBody(OrderActionBody):
    price = fields.Raw(required=True, metadata={
        "oneOf": [{"type": "number", "minimum": 0, "maximum": float(orders.MAX_PRICE)},
                  {"type": "string", "example": "1800.00"}],
        "description": "CNY, at most two decimals"})
    promised_date = fields.String(required=True, metadata={"format": "date", "example": "2027-03-08"})


class IssueBody(OrderActionBody):
    report = fields.Nested(FileUpload, required=True)


class OrderCancelBody(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    reason = Text(metadata={"description": "required when platform staff cancel"})


class OrderSchema(ma.Schema):
    class ResourceRef(ma.Schema):
        id = fields.Integer()
        title = fields.String()
        title_en = fields.String(allow_none=True)
        platform = fields.String()

    class OrderFileSchema(ma.Schema):
        id = fields.Integer()
        kind = fields.String(validate=validate.OneOf(["attachment", "report"]))
        filename = fields.String()
        size = fields.Integer()
        content_type = fields.String()
        url = fields.String()

    class EventSchema(ma.Schema):
        id = fields.Integer()
        action = fields.String()
        from_ = fields.String(data_key="from", allow_none=True)
        to = fields.String()
        note = fields.String(allow_none=True)
        actor = fields.Dict(allow_none=True)
        at = Instant()

    id = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(list(orders.STATUS_LABELS)))
    status_label = fields.String()
    resource = fields.Nested(ResourceRef, required=True)
    user = fields.Nested(BookerSchema)
    samples = fields.Integer(required=True)
    sample_description = fields.String()
    standard = fields.String(allow_none=True)
    needed_by = fields.String(allow_none=True, metadata={"format": "date"})
    notes = fields.String(allow_none=True)
    price = money_field("quoted price; null until quoted")
    promised_date = fields.String(allow_none=True, metadata={"format": "date"})
    cancel_reason = fields.String(allow_none=True)
    created_at = Instant()
    updated_at = Instant()
    actions = fields.List(fields.String(validate=validate.OneOf(list(orders.ACTIONS))), required=True,
                          metadata={"description": "what the caller may do now"})
    files = fields.List(fields.Nested(OrderFileSchema))
    events = fields.List(fields.Nested(EventSchema), required=True)
    url = fields.String(metadata={"description": "the order's page"})


def iso_or_none(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
