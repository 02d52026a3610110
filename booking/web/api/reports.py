"""The sharing-performance report in the API (docs/contract.md §5, issue 13).

    GET /api/v1/reports/usage?from=YYYY-MM-DD&to=YYYY-MM-DD&group=resource|platform|city
        [&platform=CODE][&format=json|xlsx|csv]

Staff read their own platform's figures (403 for another), administrators everyone's, anyone else
none (403). The figures come from booking.reports (the same functions as the report pages and the
command line); `format=xlsx` is the workbook of booking.reports.export, `format=csv` one table with
every figure of each group (Chinese headers, the English names beneath), both as attachments.

The query's values are checked here rather than by the schema, so a bad date, grouping or format
is the 422 `invalid` with `fields` that the report pages and the command line also give.
"""
from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import marshmallow as ma
from flask import Response, current_app, send_file
from flask_babel import gettext as _
from marshmallow import fields

from ...errors import InvalidInput
from ...reports.errors import UnknownPlatform
from ...reports.export import GROUP_COLUMNS, GROUP_TABLES, ReportFiles, Table, write_xlsx
from ...reports.figures import FigureRow, UsageReport, usage_report
from ...reports.periods import Period, parse_day
from ...reports.scope import report_scope
from ..platforms.headline import last_complete_months, local_today
from .blueprint import api_user, bp, errors, signed_in

GROUPS = ("resource", "platform", "city")
FORMATS = ("json", "xlsx", "csv")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)

#: every figure of a group in one CSV table: the names, then each figure table's own columns
CSV_TABLE = Table("usage", "usage", GROUP_COLUMNS + tuple(c for t in GROUP_TABLES for c in t.columns[len(GROUP_COLUMNS):]))


class UsageQuery(ma.Schema):
    from_ = fields.String(data_key="from", metadata={
        "format": "date", "description": "first local day (YYYY-MM-DD, 2000 to 2100); with `to`. "
                                         "Neither: the last 12 complete months"})
    to = fields.String(metadata={"format": "date", "description": "last local day, included (at most three years "
                                                                  "after `from`)"})
    group = fields.String(load_default="platform", metadata={
        "enum": list(GROUPS), "default": "platform", "description": "one row per resource, platform or city"})
    platform = fields.String(metadata={"description": "one platform's code (staff: default and only their own)"})
    format = fields.String(load_default="json", metadata={
        "enum": list(FORMATS), "default": "json",
        "description": "json; xlsx (the workbook: an instrument sheet and a sheet per figure group) or csv "
                       "(every figure of each group), as attachments"})


class IncomeSchema(ma.Schema):
    internal = fields.String(required=True, metadata={"description": "decimal string, CNY"})
    external = fields.String(required=True)
    voucher = fields.String(required=True, metadata={"description": "the part of both paid with vouchers"})


def _hours() -> fields.Float:
    return fields.Float(required=True)


def _share(description: str) -> fields.Float:
    return fields.Float(required=True, allow_none=True, metadata={"description": description})


class UsageRowSchema(ma.Schema):
    key = fields.Raw(required=True, metadata={"description": "resource id, platform id, city name, or * for totals"})
    label = fields.Dict(keys=fields.String(), metadata={"description": "names (name_zh, name_en) and, by resource, "
                                                                        "kind, platform, model, asset value"})
    open_hours = fields.Float(allow_none=True)
    booked_hours = _hours()
    effective_hours = _hours()
    internal_hours = _hours()
    external_hours = _hours()
    share_rate = _share("external / effective hours (a fraction); null without effective hours")
    utilisation = _share("effective / open hours (a fraction); null without open hours")
    income = fields.Nested(IncomeSchema, required=True)
    users_served = fields.Integer(required=True)
    organisations_served = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                                       metadata={"description": "distinct organisations served, by kind"})
    organisations_served_total = fields.Integer(required=True)
    organisations_by_city = fields.Dict(keys=fields.String(), values=fields.Integer())
    smes_served = fields.Integer(metadata={"description": "startups and SMEs supported"})
    bookings = fields.Integer()
    no_shows = fields.Integer(required=True)
    no_show_rate = _share("no-shows / bookings held that began")
    orders_completed = fields.Integer(required=True)
    samples = fields.Integer(required=True)
    turnaround_median_days = fields.Float(allow_none=True)
    on_time_share = _share("orders completed by the promised day / orders with a promised day")
    approvals = fields.Integer()
    approval_median_hours = fields.Float(allow_none=True)
    approval_p90_hours = fields.Float(allow_none=True)
    waitlist_unfulfilled = fields.Integer()
    rating = fields.Float(required=True, allow_none=True, metadata={"description": "average stars (1-5)"})


class PeriodSchema(ma.Schema):
    from_ = fields.String(data_key="from", required=True, metadata={"format": "date"})
    to = fields.String(required=True, metadata={"format": "date"})


class UsageReportSchema(ma.Schema):
    period = fields.Nested(PeriodSchema, required=True)
    group = fields.String(required=True)
    platform = fields.String(allow_none=True, required=True, metadata={"description": "the scope: a code, or null "
                                                                                      "for every platform"})
    rows = fields.List(fields.Nested(UsageRowSchema), required=True)
    totals = fields.Nested(UsageRowSchema, required=True, metadata={"description": "the whole scope (distinct "
                                                                                   "users are not a sum)"})
    total = fields.Nested(UsageRowSchema, metadata={"description": "the same as totals"})
    generated_at = fields.String(metadata={"format": "date-time"})


def row_json(row: FigureRow) -> dict[str, Any]:
    """A row as the contract names it: organisations served by kind, their number beside."""
    data = row.to_json()
    data["organisations_served_total"] = row.organisations_served
    data["organisations_served"] = dict(row.organisations_by_kind)
    return data


def read_period(first: str | None, last: str | None) -> Period:
    """`from` and `to`, or neither (the last 12 complete months in the site's zone); 422 otherwise."""
    if first is None and last is None:  # absent, not empty: an empty date is a bad date
        return last_complete_months(local_today(current_app.config.get("ONESTOP_DEFAULT_TIMEZONE", "Asia/Shanghai")))
    both = _("Give both from and to, or neither for the last 12 complete months.")
    if first is None or last is None:
        raise InvalidInput(both, fields={"from" if first is None else "to": both})
    days = {"from": parse_day(first, "from"), "to": parse_day(last, "to")}
    for name, day in days.items():
        if not FIRST_DAY <= day <= LAST_DAY:
            message = _("Choose a day from %(first)s to %(last)s.", first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat())
            raise InvalidInput(message, fields={name: message})
    return Period(days["from"], days["to"])


def read_choice(value: str, choices: tuple[str, ...], name: str) -> str:
    value = (value or "").strip()
    if value not in choices:
        message = _("Use one of: %(names)s.", names=", ".join(choices))
        raise InvalidInput(message, fields={name: message})
    return value


def _filename(report: UsageReport, extension: str) -> str:
    scope = report.scope.platform.code if report.scope.platform is not None else "all"
    return f"usage-{scope}-{report.group}-{report.period.first.isoformat()}-{report.period.last.isoformat()}.{extension}"


def xlsx_answer(report: UsageReport) -> Response:
    buffer = io.BytesIO()
    write_xlsx(ReportFiles.build(report), buffer)
    buffer.seek(0)
    return send_file(buffer, mimetype=XLSX, as_attachment=True, download_name=_filename(report, "xlsx"), max_age=0)


def csv_answer(report: UsageReport) -> Response:
    text = io.StringIO()
    writer = csv.writer(text)
    for values in ReportFiles(report, report).table_rows(CSV_TABLE):
        writer.writerow(["" if v is None else v for v in values])
    data = io.BytesIO(text.getvalue().encode("utf-8-sig"))  # the byte-order mark: spreadsheets read the Chinese
    return send_file(data, mimetype="text/csv", as_attachment=True, download_name=_filename(report, "csv"), max_age=0)


@bp.get("/reports/usage")
@signed_in
@bp.arguments(UsageQuery, location="query", as_kwargs=True)
@bp.response(200, UsageReportSchema, description="the figures (json), or the workbook or table as an attachment")
@bp.doc(responses={"200": {"description": "the figures (json), or the workbook or table as an attachment", "content": {
    "application/json": {"schema": {"$ref": "#/components/schemas/UsageReport"}},
    XLSX: {"schema": {"type": "string", "format": "binary"}},
    "text/csv": {"schema": {"type": "string"}},
}}})
@errors({403: "not staff of that platform, nor an administrator", 404: "no platform with that code",
         422: "a bad date, period, group or format: see fields"})
def usage(group: str = "platform", format: str = "json", platform: str | None = None,  # noqa: A002
          **query: Any) -> Any:
    """The sharing-performance figures of a period, one row per resource, platform or city, and the totals."""
    user = api_user()
    code = (platform or "").strip()
    if len(code) > 32 or "\x00" in code:  # no platform has such a code; never sent to the database
        raise UnknownPlatform(_("No platform with code %(code)s.", code=code[:32]), fields={"platform": code[:32]})
    scope = report_scope(user, code or None)
    group = read_choice(group, GROUPS, "group")
    answer_format = read_choice(format, FORMATS, "format")
    period = read_period(query.get("from_"), query.get("to"))
    report = usage_report(scope, period, group)
    if answer_format == "xlsx":
        return xlsx_answer(report)
    if answer_format == "csv":
        return csv_answer(report)
    totals = row_json(report.total)
    return {
        "period": {"from_": period.first.isoformat(), "to": period.last.isoformat()},  # dumped as "from"
        "group": group,
        "platform": scope.platform.code if scope.platform is not None else None,
        "rows": [row_json(row) for row in report.rows],
        "totals": totals,
        "total": totals,
        "generated_at": report.generated_at.isoformat(),
    }
