"""The sharing-performance report pages, shared by /staff/reports and /admin/reports: the period
picker, the figures as tables (each number a link to the bookings or orders behind it), the
charts, and the XLSX / CSV downloads.

Who may read what is decided by booking.reports.scope.report_scope (staff their own platform,
403 for another; administrators every platform); these views only read the query string, check
it, and call the report functions.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import render_template, request, send_file
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from ..engine.calendars import zone
from ..extensions import db
from ..models import Platform, Resource, utcnow
from ..reports.charts import Chart, heat_chart, share_chart, trend_chart, utilisation_charts
from ..reports.drilldown import FIGURES, Behind, figure_rows
from ..reports.errors import BadPeriod, UnknownPlatform
from ..reports.export import ReportFiles, write_xlsx
from ..reports.figures import FigureRow, UsageReport, usage_report
from ..reports.periods import Period, parse_day, parse_period
from ..reports.scope import Scope, report_scope
from ..reports.trends import monthly_trend, weekday_hour_heat
from ..reports.waits import popular_waits
from .filters import lang, money

GROUPS = ("resource", "platform", "city")
GROUP_LABELS = {"resource": _l("Resource"), "platform": _l("Platform"), "city": _l("City")}
PERIOD_KINDS = ("month", "quarter", "year", "custom")
PERIOD_LABELS = {"month": _l("Month"), "quarter": _l("Quarter"), "year": _l("Year"), "custom": _l("From – to")}
PAGE_SIZE = 50
MAX_PAGE = 10_000
_MONTH = re.compile(r"^\d{4}-\d{2}$")
_QUARTER = re.compile(r"^\d{4}-Q[1-4]$")
_YEAR = re.compile(r"^\d{4}$")


class BadQuery(Exception):
    """A query-string value the report pages cannot use: shown on the page with a 400."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- the period picker ------------------------------------------------------------------------------

@dataclass
class PeriodChoice:
    """What the picker shows (every field as typed) and the period it means, if it means one."""

    kind: str
    month: str
    quarter: str
    year: str
    first: str
    last: str
    period: Period | None = None

    @property
    def token(self) -> str:
        """The period as one query value (`period=`), as booking.reports.periods.parse_period reads it."""
        assert self.period is not None
        return {"month": self.month, "quarter": self.quarter, "year": self.year}.get(self.kind) or self.period.label

    @property
    def label(self) -> str:
        assert self.period is not None
        return f"{self.period.first.isoformat()} – {self.period.last.isoformat()}"


def last_complete_month(today: date) -> Period:
    first_of_this = today.replace(day=1)
    previous = first_of_this - timedelta(days=1)
    return Period.month(previous.year, previous.month)


def _choice_for(period: Period, kind: str) -> PeriodChoice:
    first = period.first
    return PeriodChoice(kind, f"{first.year}-{first.month:02d}", f"{first.year}-Q{(first.month - 1) // 3 + 1}",
                        str(first.year), period.first.isoformat(), period.last.isoformat(), period)


def read_period(args: Any, today: date) -> PeriodChoice:
    """The period the query string asks for: `period=2027-03` (links), or the picker's fields
    (`kind` and `month`, `quarter`, `year` or `from`/`to`); none: the last complete month.
    Raises BadQuery (with the picker filled as typed) for anything else."""
    if args.get("period"):
        text = args.get("period", "").strip()
        try:
            period = parse_period(text)
        except BadPeriod as exc:
            raise BadQuery(exc.message) from None
        kind = ("year" if _YEAR.match(text) else "quarter" if _QUARTER.match(text.upper())
                else "month" if _MONTH.match(text) else "custom")
        return _choice_for(period, kind)
    kind = args.get("kind", "").strip()
    if not kind:
        return _choice_for(last_complete_month(today), "month")
    default = _choice_for(last_complete_month(today), "month")
    choice = PeriodChoice(kind if kind in PERIOD_KINDS else "month",
                          args.get("month", default.month).strip(), args.get("quarter", default.quarter).strip().upper(),
                          args.get("year", default.year).strip(), args.get("from", default.first).strip(),
                          args.get("to", default.last).strip())
    if kind not in PERIOD_KINDS:
        raise _picker_error(choice, _("Choose a month, a quarter, a year or a range of days."))
    pattern = {"month": _MONTH, "quarter": _QUARTER, "year": _YEAR}.get(kind)
    text = {"month": choice.month, "quarter": choice.quarter, "year": choice.year}.get(kind, "")
    try:
        if pattern is not None:
            if not pattern.match(text):
                raise _picker_error(choice, {
                    "month": _("Write the month as YYYY-MM, e.g. 2027-03."),
                    "quarter": _("Write the quarter as YYYY-Qn, e.g. 2027-Q1."),
                    "year": _("Write the year as YYYY, e.g. 2027."),
                }[kind])
            choice.period = parse_period(text)
        else:
            choice.period = Period(parse_day(choice.first, "from"), parse_day(choice.last, "to"))
    except BadPeriod as exc:
        raise _picker_error(choice, exc.message) from None
    return choice


class PickerError(BadQuery):
    def __init__(self, message: str, choice: PeriodChoice) -> None:
        super().__init__(message)
        self.choice = choice


def _picker_error(choice: PeriodChoice, message: str) -> PickerError:
    return PickerError(message, choice)


def recent_quarters(today: date, count: int = 12) -> list[str]:
    year, quarter = today.year, (today.month - 1) // 3 + 1
    found = []
    for _n in range(count):
        found.append(f"{year}-Q{quarter}")
        year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
    return found


def _today(scope: Scope | None) -> date:
    tz = scope.platform.timezone if scope is not None and scope.platform is not None else "Asia/Shanghai"
    return datetime.now(zone(tz)).date()


# --- the figures tables -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Figure:
    """One column of a figures table: its header, its value, how it is written, and the figure
    whose drill-down lists the bookings or orders behind it (None: no list, e.g. open hours)."""

    name: str
    label: Any
    value: Callable[[FigureRow], Any]
    style: str  # hours | percent | money | count | days | rating
    behind: str | None


def _attr(name: str) -> Callable[[FigureRow], Any]:
    return lambda row: getattr(row, name)


SECTIONS: tuple[tuple[Any, tuple[Figure, ...]], ...] = (
    (_l("Machine hours"), (
        Figure("open_hours", _l("Open hours"), _attr("open_hours"), "hours", None),
        Figure("booked_hours", _l("Booked hours"), _attr("booked_hours"), "hours", "booked_hours"),
        Figure("effective_hours", _l("Effective hours"), _attr("effective_hours"), "hours", "effective_hours"),
        Figure("utilisation", _l("Utilisation"), _attr("utilisation"), "percent", "effective_hours"),
        Figure("internal_hours", _l("Internal hours"), _attr("internal_hours"), "hours", "internal_hours"),
        Figure("external_hours", _l("External service hours"), _attr("external_hours"), "hours", "external_hours"),
        Figure("share_rate", _l("Share rate"), _attr("share_rate"), "percent", "external_hours"),
    )),
    (_l("Income"), (
        Figure("income_internal", _l("Internal income"), _attr("income_internal"), "money", "income_internal"),
        Figure("income_external", _l("External income"), _attr("income_external"), "money", "income_external"),
        Figure("income_voucher", _l("Of which vouchers"), _attr("income_voucher"), "money", "income_voucher"),
        Figure("income_total", _l("Total income"), _attr("income_total"), "money", None),
    )),
    (_l("Users served"), (
        Figure("users_served", _l("Users served"), _attr("users_served"), "count", "users_served"),
        Figure("organisations_served", _l("Organisations served"), _attr("organisations_served"), "count",
               "users_served"),
        Figure("smes_served", _l("SMEs supported"), _attr("smes_served"), "count", "users_served"),
        Figure("rating", _l("Rating"), _attr("rating"), "rating", None),
    )),
    (_l("Testing services"), (
        Figure("orders_completed", _l("Orders completed"), _attr("orders_completed"), "count", "orders_completed"),
        Figure("samples", _l("Samples tested"), _attr("samples"), "count", "samples"),
        Figure("turnaround_median_days", _l("Median turnaround (days)"), _attr("turnaround_median_days"), "days",
               "turnaround_median_days"),
        Figure("on_time_share", _l("On-time share"), _attr("on_time_share"), "percent", "orders_promised"),
    )),
    (_l("Operations"), (
        Figure("bookings", _l("Bookings"), _attr("bookings"), "count", "bookings"),
        Figure("no_shows", _l("No-shows"), _attr("no_shows"), "count", "no_shows"),
        Figure("no_show_rate", _l("No-show rate"), _attr("no_show_rate"), "percent", "no_shows"),
        Figure("approval_median_hours", _l("Approval time, median (h)"), _attr("approval_median_hours"), "hours",
               "approvals"),
        Figure("approval_p90_hours", _l("Approval time, 90th percentile (h)"), _attr("approval_p90_hours"), "hours",
               "approvals"),
        Figure("waitlist_unfulfilled", _l("Waitlist never fulfilled"), _attr("waitlist_unfulfilled"), "count",
               "waitlist_unfulfilled"),
    )),
)
HEADLINES = ("effective_hours", "utilisation", "external_hours", "share_rate", "income_total", "users_served",
             "smes_served", "orders_completed")
BY_NAME = {figure.name: figure for _title, figures in SECTIONS for figure in figures}
FIGURE_LABELS = {**{f.behind: f.label for f in BY_NAME.values() if f.behind and f.name == f.behind},
                 "income_internal": _l("Internal income"), "income_external": _l("External income"),
                 "income_voucher": _l("Of which vouchers"), "orders_promised": _l("Orders with a promised date"),
                 "orders_on_time": _l("Orders completed on time"), "due": _l("Bookings that have begun"),
                 "approvals": _l("Approval decisions"), "bookings": _l("Bookings")}


def show(value: Any, style: str) -> str:
    """A figure as the tables write it; a figure that does not apply is a dash."""
    if value is None:
        return "—"
    if style == "percent":
        return f"{value * 100:.1f}%"
    if style == "money":
        return money(value)
    if style in ("hours", "days"):
        return f"{value:,.2f}"
    if style == "rating":
        return f"{value:.1f}"
    return f"{value:,}"


def row_name(row: FigureRow) -> str:
    label = row.label.get("name_en") if lang() == "en" else row.label.get("name_zh")
    return str(label or row.label.get("name_zh") or row.key)


# --- the pages --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Area:
    """Where the pages live: the staff pages or the admin pages (endpoint prefix, defaults)."""

    name: str  # "staff" | "admin"
    default_group: str

    def endpoint(self, page: str) -> str:
        return f"{self.name}.{page}"


STAFF = Area("staff", "resource")
ADMIN = Area("admin", "platform")


def _scope(area: Area) -> Scope:
    """The scope asked for: `platform=CODE`, else staff their own, an administrator on the staff
    page the first platform (the staff pages always show one), on the admin page everything."""
    code = request.args.get("platform", "").strip() or None
    if code is None and area is STAFF and current_user.role == "admin":
        code = db.session.scalar(select(Platform.code).order_by(Platform.code).limit(1))
    try:
        return report_scope(current_user, code)
    except UnknownPlatform as exc:
        raise BadQuery(exc.message) from None


def _group(area: Area, scope: Scope) -> str:
    group = request.args.get("group", "").strip() or area.default_group
    if group not in GROUPS:
        raise BadQuery(_("Group the figures by resource, platform or city."))
    return group


def _context(area: Area, scope: Scope) -> dict[str, Any]:
    platforms = list(db.session.scalars(select(Platform).order_by(Platform.code))) if current_user.role == "admin" \
        else ([scope.platform] if scope.platform is not None else [])
    return {"area": area.name, "scope": scope, "platform": scope.platform, "platforms": platforms,
            "groups": GROUPS, "group_labels": GROUP_LABELS, "period_kinds": PERIOD_KINDS,
            "period_labels": PERIOD_LABELS, "csv_tables": CSV_TABLES, "sections": SECTIONS, "show": show, "row_name": row_name,
            "quarters": recent_quarters(_today(scope)), "years": [str(_today(scope).year - n) for n in range(6)]}


def _link_args(scope: Scope, choice: PeriodChoice, group: str) -> dict[str, Any]:
    """The query values every link of the page carries: the scope, the period and the grouping."""
    args: dict[str, Any] = {"period": choice.token, "group": group}
    if scope.platform is not None and current_user.role == "admin":
        args["platform"] = scope.platform.code
    return args


def _bad(exc: BadQuery) -> Any:
    return render_template("error.html", code=400, message=exc.message), 400


def report_page(area: Area) -> Any:
    try:
        scope = _scope(area)  # NotYourPlatform (403) goes to the application's handler
    except BadQuery as exc:
        return _bad(exc)
    context = _context(area, scope)
    choice = _choice_for(last_complete_month(_today(scope)), "month")
    try:
        group = _group(area, scope)
        choice = read_period(request.args, _today(scope))
    except BadQuery as exc:
        if isinstance(exc, PickerError):
            choice = exc.choice
        return render_template("reports/page.html", choice=choice, group=request.args.get("group", ""),
                               error=exc.message, report=None, **context), 400
    assert choice.period is not None
    now = utcnow()
    report = usage_report(scope, choice.period, group, now=now)
    by_resource = report if group == "resource" else (
        usage_report(scope, choice.period, "resource", now=now, with_total=False) if scope.platform else None)
    charts = _charts(scope, choice.period, report, by_resource, now)
    waits = popular_waits(scope, choice.period, now, by_resource=by_resource.rows if by_resource else None)
    return render_template("reports/page.html", choice=choice, group=group, error=None, report=report,
                           charts=charts, waits=waits, headlines=[BY_NAME[name] for name in HEADLINES],
                           link_args=_link_args(scope, choice, group), **context)


def _charts(scope: Scope, period: Period, report: UsageReport, by_resource: UsageReport | None,
            now: datetime) -> list[Chart]:
    """The trend and heat map; for one platform its instruments' utilisation (from the report by
    resource), for the whole service the share rate by platform."""
    charts = [trend_chart(monthly_trend(scope, period, now)), heat_chart(weekday_hour_heat(scope, period, now))]
    if scope.platform is not None and by_resource is not None:
        charts.extend(utilisation_charts(by_resource.rows, lang()))
    else:
        by_platform = report if report.group == "platform" else usage_report(scope, period, "platform", now=now,
                                                                             with_total=False)
        charts.append(share_chart(by_platform.rows, lang()))
    return charts


def _key(group: str, text: str | None) -> Any:
    if text is None or text == "":
        return None
    if group in ("resource", "platform"):
        if not text.isdigit() or len(text) > 18:
            raise BadQuery(_("The key of a resource or platform is its number."))
        return int(text)
    return text


def _page_number() -> int:
    text = request.args.get("page", "1").strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE:
        raise BadQuery(_("The page number must be a whole number from 1 to %(max)s.", max=MAX_PAGE))
    return int(text)


@dataclass
class BehindList:
    """One list on the drill-down page: a page of its rows and how many there are in all."""

    kind: str
    rows: list[Any]
    total: int


def _count(behind: Behind) -> int:
    return int(db.session.scalar(select(func.count()).select_from(behind.query.order_by(None).subquery())) or 0)


def behind_page(area: Area) -> Any:
    try:
        scope = _scope(area)
    except BadQuery as exc:
        return _bad(exc)
    context = _context(area, scope)
    try:
        figure = request.args.get("figure", "").strip()
        if figure not in FIGURES:
            raise BadQuery(_("Choose a figure of the report: %(name)s is not one.", name=figure or "—"))
        group = request.args.get("group", "").strip() or "service"
        if group not in (*GROUPS, "service"):
            raise BadQuery(_("Group the figures by resource, platform or city."))
        key = _key(group, request.args.get("key"))
        if key is None:
            group = "service"
        elif not _in_scope(scope, group, key):
            raise BadQuery(_("That is not part of this report."))
        choice = read_period(request.args, _today(scope))
        page = _page_number()
    except BadQuery as exc:
        return _bad(exc)
    assert choice.period is not None
    lists = []
    for behind in figure_rows(scope, choice.period, figure, key, group, now=utcnow()):
        lists.append(BehindList(behind.kind, behind.rows(PAGE_SIZE, (page - 1) * PAGE_SIZE), _count(behind)))
    pages = max([(lst.total + PAGE_SIZE - 1) // PAGE_SIZE for lst in lists] + [1])
    back_args = {"period": choice.token, "group": group if group != "service" else area.default_group}
    if scope.platform is not None and current_user.role == "admin":
        back_args["platform"] = scope.platform.code
    return render_template("reports/behind.html", choice=choice, figure=figure,
                           figure_label=FIGURE_LABELS.get(figure, figure), key=key, group=group,
                           key_label=_key_label(group, key), lists=lists, page=page, pages=pages,
                           back_args=back_args, **context)


def _in_scope(scope: Scope, group: str, key: Any) -> bool:
    """A drill-down names a resource or platform the report covers (staff: of their platform),
    never another platform's, even by its id."""
    if scope.platform is None:
        return True
    if group == "resource":
        return db.session.scalar(select(Resource.platform_id).where(Resource.id == key)) == scope.platform.id
    if group == "platform":
        return bool(key == scope.platform.id)
    return True


def _key_label(group: str, key: Any) -> str:
    if key is None:
        return _("All")
    if group == "resource":
        resource = db.session.get(Resource, key)
        return resource.display_title(lang()) if resource is not None else str(key)
    if group == "platform":
        platform = db.session.get(Platform, key)
        return platform.name(lang()) if platform is not None else str(key)
    return str(key)


def export(area: Area, fmt: str) -> Any:
    """The report as an XLSX workbook, or one of its tables as CSV (`table=`)."""
    try:
        scope = _scope(area)
        group = _group(area, scope)
        choice = read_period(request.args, _today(scope))
        if fmt not in ("xlsx", "csv"):
            raise BadQuery(_("Download the report as xlsx or csv."))
    except BadQuery as exc:
        return _bad(exc)
    assert choice.period is not None
    files = ReportFiles.build(usage_report(scope, choice.period, group))
    stem = f"onestop-report-{scope.platform.code if scope.platform else 'all'}-{choice.token.replace('/', '_')}"
    if fmt == "xlsx":
        buffer = io.BytesIO()
        write_xlsx(files, buffer)
        buffer.seek(0)
        return send_file(buffer, as_attachment=True, download_name=f"{stem}.xlsx",
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    slug = request.args.get("table", "hours").strip()
    table = next((t for t in files.tables() if t.slug == slug), None)
    if table is None and slug != WAITING:
        names = ", ".join([t.slug for t in files.tables()] + [WAITING])
        return render_template("error.html", code=400,
                               message=_("There is no table %(name)s; choose one of %(names)s.", name=slug,
                                         names=names)), 400
    text = io.StringIO()
    writer = csv.writer(text)
    for values in files.table_rows(table) if table is not None else files.wait_table():
        writer.writerow(["" if v is None else v for v in values])
    data = io.BytesIO(text.getvalue().encode("utf-8-sig"))  # a byte-order mark: spreadsheets read the Chinese
    return send_file(data, as_attachment=True, download_name=f"{stem}-{slug}.csv", mimetype="text/csv")


WAITING = "waiting"


CSV_TABLES = (("instruments", _l("Instruments")), ("hours", _l("Machine hours")), ("income", _l("Income")),
              ("users", _l("Users served")), ("testing", _l("Testing services")), ("operations", _l("Operations")),
              (WAITING, _l("Waiting for popular instruments")))
