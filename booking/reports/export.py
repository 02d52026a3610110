"""The report as files: an XLSX workbook (openpyxl, write-only) and one CSV per table.

The instrument sheet has one row per instrument with the fields of the national evaluation of
open sharing of large research instruments (大型科研仪器开放共享评价考核); the other sheets hold
one figure group each, a row per group of the report and a total. Column headers are Chinese
with the English name beneath (two header rows), in every file, whatever the reader's language.
"""
from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import xlsxwriter

from ..models import ORG_KINDS
from .figures import FigureRow, UsageReport, usage_report
from .waits import WAIT_HEADERS, PopularWait, popular_waits, wait_rows

PERCENT = "0.0%"
MONEY = "#,##0.00"
HOURS = "0.00"


@dataclass(frozen=True)
class Column:
    zh: str
    en: str
    value: Callable[[FigureRow], Any]
    number_format: str | None = None


@dataclass(frozen=True)
class Table:
    slug: str  # the CSV file's name
    title: str  # the sheet's name (Excel allows 31 characters)
    columns: tuple[Column, ...]
    instruments: bool = False  # one row per instrument, not per group


def _label(row: FigureRow) -> str:
    return str(row.label.get("name_zh") or row.key)


def _label_en(row: FigureRow) -> str:
    return str(row.label.get("name_en") or row.label.get("name_zh") or row.key)


def _of_kind(kind: str) -> Callable[[FigureRow], int]:
    return lambda row: row.organisations_by_kind.get(kind, 0)


GROUP_COLUMNS = (Column("名称", "Name", _label), Column("英文名称", "Name (English)", _label_en))

INSTRUMENTS = Table("instruments", "仪器 Instruments", (
    Column("仪器名称", "Instrument", _label),
    Column("英文名称", "Name (English)", _label_en),
    Column("规格型号", "Model", lambda r: r.label.get("model") or ""),
    Column("生产厂商", "Manufacturer", lambda r: r.label.get("manufacturer") or ""),
    Column("资产原值（元）", "Asset value (CNY)", lambda r: r.label.get("asset_value"), MONEY),
    Column("所属平台", "Platform", lambda r: r.label.get("platform") or ""),
    Column("开放机时", "Open hours", lambda r: r.open_hours, HOURS),
    Column("有效工作机时", "Effective hours", lambda r: r.effective_hours, HOURS),
    Column("对外服务机时", "External service hours", lambda r: r.external_hours, HOURS),
    Column("对内服务收入（元）", "Internal income (CNY)", lambda r: r.income_internal, MONEY),
    Column("对外服务收入（元）", "External income (CNY)", lambda r: r.income_external, MONEY),
    Column("服务用户数", "Users served", lambda r: r.users_served),
    Column("服务中小微企业数", "SMEs supported", lambda r: r.smes_served),
    Column("共享率", "Share rate", lambda r: r.share_rate, PERCENT),
    Column("服务评价", "Rating", lambda r: r.rating),
), instruments=True)

GROUP_TABLES = (
    Table("hours", "机时 Hours", GROUP_COLUMNS + (
        Column("开放机时", "Open hours", lambda r: r.open_hours, HOURS),
        Column("预约机时", "Booked hours", lambda r: r.booked_hours, HOURS),
        Column("有效工作机时", "Effective hours", lambda r: r.effective_hours, HOURS),
        Column("对内服务机时", "Internal hours", lambda r: r.internal_hours, HOURS),
        Column("对外服务机时", "External service hours", lambda r: r.external_hours, HOURS),
        Column("使用率", "Utilisation", lambda r: r.utilisation, PERCENT),
        Column("共享率", "Share rate", lambda r: r.share_rate, PERCENT),
    )),
    Table("income", "收入 Income", GROUP_COLUMNS + (
        Column("对内服务收入（元）", "Internal income (CNY)", lambda r: r.income_internal, MONEY),
        Column("对外服务收入（元）", "External income (CNY)", lambda r: r.income_external, MONEY),
        Column("其中创新券（元）", "Of which vouchers (CNY)", lambda r: r.income_voucher, MONEY),
        Column("服务收入合计（元）", "Total income (CNY)", lambda r: r.income_total, MONEY),
    )),
    Table("users", "用户 Users served", GROUP_COLUMNS + (
        Column("服务用户数", "Users served", lambda r: r.users_served),
        Column("服务机构数", "Organisations served", lambda r: r.organisations_served),
        Column("服务中小微企业数", "SMEs supported", lambda r: r.smes_served),
        *(Column(zh, en, _of_kind(kind))
          for kind, zh, en in (
              ("startup", "初创企业", "Startups"), ("sme", "中小企业", "SMEs"),
              ("enterprise", "大型企业", "Enterprises"), ("university", "高校", "Universities"),
              ("institute", "科研院所", "Institutes"), ("government", "政府机构", "Government"),
              ("other", "其他机构", "Other organisations"))
          if kind in ORG_KINDS),
    )),
    Table("testing", "检测 Testing services", GROUP_COLUMNS + (
        Column("完成委托检测数", "Orders completed", lambda r: r.orders_completed),
        Column("检测样品数", "Samples tested", lambda r: r.samples),
        Column("检测周期中位数（天）", "Median turnaround (days)", lambda r: r.turnaround_median_days, HOURS),
        Column("按期完成率", "On-time share", lambda r: r.on_time_share, PERCENT),
    )),
    Table("operations", "运行 Operations", GROUP_COLUMNS + (
        Column("预约数", "Bookings", lambda r: r.bookings),
        Column("爽约数", "No-shows", lambda r: r.no_shows),
        Column("爽约率", "No-show rate", lambda r: r.no_show_rate, PERCENT),
        Column("审批数", "Approvals", lambda r: r.approvals),
        Column("审批时长中位数（小时）", "Median approval time (hours)", lambda r: r.approval_median_hours, HOURS),
        Column("审批时长P90（小时）", "Approval time p90 (hours)", lambda r: r.approval_p90_hours, HOURS),
        Column("候补未满足数", "Waitlist never fulfilled", lambda r: r.waitlist_unfulfilled),
    )),
)

TOTAL_LABEL = ("合计", "Total")


@dataclass
class ReportFiles:
    """The grouped report and the per-resource one the instrument sheet is made from."""

    report: UsageReport
    by_resource: UsageReport
    waits: list[PopularWait] = field(default_factory=list)

    @classmethod
    def build(cls, report: UsageReport, *, now: datetime | None = None) -> ReportFiles:
        now = now or report.generated_at
        by_resource = report if report.group == "resource" else usage_report(
            report.scope, report.period, "resource", now=now, with_total=False)
        return cls(report, by_resource, popular_waits(report.scope, report.period, now, by_resource=by_resource.rows))

    def instruments(self) -> list[FigureRow]:
        return [row for row in self.by_resource.rows if row.label.get("kind") == "instrument"]

    def table_rows(self, table: Table) -> Iterator[list[Any]]:
        """The header rows, then the values, of one table."""
        yield [c.zh for c in table.columns]
        yield [c.en for c in table.columns]
        rows = self.instruments() if table.instruments else self.report.rows
        for row in rows:
            yield [c.value(row) for c in table.columns]
        if not table.instruments:
            total = [c.value(self.report.total) for c in table.columns]
            total[:2] = TOTAL_LABEL
            yield total

    def wait_table(self) -> Iterator[list[Any]]:
        """The popular instruments' waiting times: the two header rows, then one row each."""
        yield [zh for zh, _en in WAIT_HEADERS]
        yield [en for _zh, en in WAIT_HEADERS]
        yield from wait_rows(self.waits)

    def tables(self) -> tuple[Table, ...]:
        return (INSTRUMENTS, *GROUP_TABLES)


def _about(files: ReportFiles) -> list[tuple[str, str, Any]]:
    report = files.report
    scope = report.scope.platform.code if report.scope.platform is not None else "全部 All"
    return [
        ("期间", "Period", f"{report.period.first.isoformat()} – {report.period.last.isoformat()}"),
        ("范围", "Scope", scope),
        ("分组", "Grouped by", report.group),
        ("生成时间（UTC）", "Generated (UTC)", report.generated_at.strftime("%Y-%m-%d %H:%M")),
        ("零结果搜索数", "Zero-result searches", report.zero_result_searches),
    ]


def write_xlsx(files: ReportFiles, target: str | Path | IO[bytes]) -> None:
    """The workbook: an about sheet, the instrument sheet, one sheet per figure group and the
    waiting times. XlsxWriter in constant-memory mode streams each row to a temporary file: a
    province's 10,000 instruments take a third of the time openpyxl took, in little memory."""
    book = xlsxwriter.Workbook(str(target) if isinstance(target, Path) else target, {"constant_memory": True})
    bold = book.add_format({"bold": True})
    formats: dict[str, Any] = {}
    about = book.add_worksheet("报告 Report")
    for n, (zh, en, value) in enumerate(_about(files)):
        about.write_row(n, 0, [zh, en, value])
    about.set_column(0, 1, 24)
    about.set_column(2, 2, 28)
    for table in files.tables():
        sheet = book.add_worksheet(table.title)
        numbered = [None if c.number_format is None else formats.setdefault(
            c.number_format, book.add_format({"num_format": c.number_format})) for c in table.columns]
        _write_rows(sheet, files.table_rows(table), numbered, bold)
    _write_rows(book.add_worksheet(WAITS_TITLE), files.wait_table(), [], bold)
    book.close()


WAITS_TITLE = "等待 Waiting"


def _write_rows(sheet: Any, rows: Iterator[list[Any]], formats: list[Any], header: Any) -> None:
    """Two header rows (Chinese, then English, kept in view), then the values, each number in
    its column's format; an empty figure is an empty cell."""
    sheet.freeze_panes(2, 0)
    sheet.set_column(0, 1, 22)
    for n, values in enumerate(rows):
        for col, value in enumerate(values):
            if value is None or value == "":
                continue
            if n < 2:
                sheet.write_string(n, col, str(value), header)
            elif isinstance(value, str):
                sheet.write_string(n, col, value)
            else:
                number_format = formats[col] if col < len(formats) else None
                sheet.write_number(n, col, float(value), number_format) if number_format is not None \
                    else sheet.write_number(n, col, float(value))


def write_csv(files: ReportFiles, folder: str | Path) -> list[Path]:
    """One UTF-8 CSV (with a byte-order mark, so spreadsheet programs read the Chinese) per table."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for table in files.tables():
        path = folder / f"{table.slug}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            for values in files.table_rows(table):
                writer.writerow(["" if v is None else v for v in values])
        written.append(path)
    path = folder / "waiting.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows([["" if v is None else v for v in values] for values in files.wait_table()])
    written.append(path)
    return written
