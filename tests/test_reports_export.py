"""The report's files (XLSX opened with openpyxl, cell by cell; CSV), the drill-down lists, and
`onestop report usage` (exit 0 / 1 / 2)."""
from __future__ import annotations

import csv
import os
import subprocess
import sys
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from booking.reports.drilldown import figure_rows
from booking.reports.errors import UnknownFigure
from booking.reports.export import ReportFiles, write_csv, write_xlsx
from booking.reports.figures import usage_report
from booking.reports.scope import report_scope
from tests import test_reports_figures as hand_computed
from tests.test_reports_figures import MARCH, NOW

month = hand_computed.month  # the month worked out by hand, as a fixture here too


def sheet_values(book, title):
    return [list(row) for row in book[title].iter_rows(values_only=True)]


def blank(values):
    return [None if v == "" else v for v in values]


def test_xlsx_cell_by_cell(month):
    report = usage_report(report_scope(month["admin"]), MARCH, "platform", now=NOW)
    stream = BytesIO()
    write_xlsx(ReportFiles.build(report), stream)
    book = load_workbook(BytesIO(stream.getvalue()))
    assert book.sheetnames == ["报告 Report", "仪器 Instruments", "机时 Hours", "收入 Income", "用户 Users served",
                               "检测 Testing services", "运行 Operations", "等待 Waiting"]

    r1, r2 = month["r1"], month["r2"]
    assert sheet_values(book, "仪器 Instruments") == [
        ["仪器名称", "英文名称", "规格型号", "生产厂商", "资产原值（元）", "所属平台", "开放机时", "有效工作机时", "对外服务机时",
         "对内服务收入（元）", "对外服务收入（元）", "服务用户数", "服务中小微企业数", "共享率", "服务评价"],
        ["Instrument", "Name (English)", "Model", "Manufacturer", "Asset value (CNY)", "Platform", "Open hours",
         "Effective hours", "External service hours", "Internal income (CNY)", "External income (CNY)",
         "Users served", "SMEs supported", "Share rate", "Rating"],
        blank(["扫描电镜", r1.title_en, "Regulus 8100", "", 3200000, "PA", 174, 8.33, 5.83, 150, 1000, 2, 1,
               round(5.83 / 8.33, 4), None]),
        blank(["流式细胞仪", r2.title_en, "", "", None, "PB", 743, 5, 5, 0, 50, 1, 1, 1, None]),
    ]
    assert sheet_values(book, "机时 Hours") == [
        ["名称", "英文名称", "开放机时", "预约机时", "有效工作机时", "对内服务机时", "对外服务机时", "使用率", "共享率"],
        ["Name", "Name (English)", "Open hours", "Booked hours", "Effective hours", "Internal hours",
         "External service hours", "Utilisation", "Share rate"],
        ["测试平台1", "Test Platform 1", 174, 12, 8.33, 2.5, 5.83, round(8.33 / 174, 4), round(5.83 / 8.33, 4)],
        ["测试平台2", "Test Platform 2", 743, 5, 5, 0, 5, round(5 / 743, 4), 1],
        ["合计", "Total", 917, 17, 13.33, 2.5, 10.83, round(13.33 / 917, 4), round(10.83 / 13.33, 4)],
    ]
    assert sheet_values(book, "收入 Income")[2:] == [
        ["测试平台1", "Test Platform 1", 350, 1500, 100, 1850],
        ["测试平台2", "Test Platform 2", 0, 50, 0, 50],
        ["合计", "Total", 350, 1550, 100, 1900],
    ]
    assert sheet_values(book, "用户 Users served")[2:] == [
        ["测试平台1", "Test Platform 1", 2, 2, 1, 1, 0, 0, 1, 0, 0, 0],
        ["测试平台2", "Test Platform 2", 1, 1, 1, 0, 1, 0, 0, 0, 0, 0],
        ["合计", "Total", 3, 3, 2, 1, 1, 0, 1, 0, 0, 0],
    ]
    assert sheet_values(book, "检测 Testing services")[2:] == [
        ["测试平台1", "Test Platform 1", 2, 5, 6, 0.5],
        ["测试平台2", "Test Platform 2", 0, 0, None, None],
        ["合计", "Total", 2, 5, 6, 0.5],
    ]
    assert sheet_values(book, "运行 Operations")[2:] == [
        ["测试平台1", "Test Platform 1", 5, 1, 0.2, 2, 1.5, 1.9, 1],
        ["测试平台2", "Test Platform 2", 1, 0, 0, 1, 10, 10, 0],
        ["合计", "Total", 6, 1, round(1 / 6, 4), 3, 2, 8.4, 1],
    ]
    # r1's five bookings were asked for 1, 1, 3, 3 and 3 days ahead; March is over, so no free slot is looked for
    assert sheet_values(book, "等待 Waiting") == [
        ["仪器", "平台", "预约次数", "提前预约天数中位数", "下一个空闲时段", "等待天数"],
        ["Instrument", "Platform", "Bookings", "Median days booked ahead", "Next free slot", "Days to wait"],
        ["扫描电镜", "PA", 5, 3, None, None],
        ["流式细胞仪", "PB", 1, 1, None, None],
    ]
    about = dict((row[1], row[2]) for row in sheet_values(book, "报告 Report"))
    assert about["Period"] == "2027-03-01 – 2027-03-31" and about["Zero-result searches"] == 2
    assert book["机时 Hours"].cell(3, 8).number_format == "0.0%"


def test_csv_per_table(month, tmp_path):
    report = usage_report(report_scope(month["admin"], "PA"), MARCH, "resource", now=NOW)
    paths = write_csv(ReportFiles.build(report), tmp_path / "csv")
    assert [p.name for p in paths] == ["instruments.csv", "hours.csv", "income.csv", "users.csv", "testing.csv",
                                       "operations.csv", "waiting.csv"]
    with (tmp_path / "csv" / "waiting.csv").open(encoding="utf-8-sig", newline="") as fh:
        assert list(csv.reader(fh))[2] == ["扫描电镜", "PA", "5", "3.0", "", ""]  # PA only: r1
    with (tmp_path / "csv" / "hours.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:3] == ["名称", "英文名称", "开放机时"] and rows[1][:3] == ["Name", "Name (English)", "Open hours"]
    assert rows[2] == ["扫描电镜", month["r1"].title_en, "174.0", "12.0", "8.33", "2.5", "5.83", str(round(8.33 / 174, 4)),
                       str(round(5.83 / 8.33, 4))]
    assert rows[3][:4] == ["拉伸试验", month["test"].title_en, "", "0.0"]  # a testing service has no open hours
    assert rows[-1][:2] == ["合计", "Total"]
    with (tmp_path / "csv" / "instruments.csv").open(encoding="utf-8-sig", newline="") as fh:
        assert len(list(csv.reader(fh))) == 3  # two header rows, one instrument on PA


def test_drilldown_matches_the_figures(month):
    scope = report_scope(month["admin"])
    a = month["a"]

    def ids(figure, **kw):
        return [sorted(r.id for r in behind.rows()) for behind in
                figure_rows(scope, MARCH, figure, now=NOW, **kw)]

    external = figure_rows(scope, MARCH, "external_hours", a.id, "platform", now=NOW)
    assert [b.kind for b in external] == ["reservation"]
    assert {r.user.email for r in external[0].rows()} == {"user2@example.com"}  # the startup's member
    assert len(ids("booked_hours", key=a.id, group="platform")[0]) == 6  # 7 of A's, less the cancelled one
    assert len(ids("no_shows")[0]) == 1
    income = figure_rows(scope, MARCH, "income_external", a.id, "platform", now=NOW)
    assert [b.kind for b in income] == ["reservation", "order"]
    assert sum(r.fee_actual or r.fee_estimate for r in income[0].rows()) == Decimal("1000")
    assert [o.price_amount for o in income[1].rows()] == [Decimal("500.00")]
    assert len(ids("orders_on_time")[0]) == 1 and len(ids("approvals")[0]) == 3
    assert len(ids("waitlist_unfulfilled")[0]) == 1
    with pytest.raises(UnknownFigure):
        figure_rows(scope, MARCH, "happiness")


@pytest.fixture
def onestop(database_url, tmp_path):
    env = {**os.environ, "ONESTOP_DATABASE_URL": database_url, "ONESTOP_INSTANCE": str(tmp_path / "inst")}

    def run(*args: str):
        return subprocess.run([sys.executable, "-m", "booking", "report", "usage", *args], env=env,
                              capture_output=True, text=True, timeout=120)

    return run


def test_cli_writes_files_and_prints(month, onestop, tmp_path):
    out = tmp_path / "out" / "march.xlsx"
    out.parent.mkdir()
    result = onestop("--from", "2027-03-01", "--to", "2027-03-31", "--xlsx", str(out), "--csv", str(tmp_path / "csv"))
    assert result.returncode == 0, result.stderr
    book = load_workbook(out)
    hours = sheet_values(book, "机时 Hours")
    assert [row[3] for row in hours[2:]] == [12, 5, 17]  # booked hours do not depend on today
    assert (tmp_path / "csv" / "operations.csv").exists()
    printed = onestop("--from", "2027-03-01", "--to", "2027-03-31", "--platform", "PA", "--group", "resource")
    assert printed.returncode == 0 and "扫描电镜" in printed.stdout, printed.stderr


@pytest.mark.parametrize("args, message", [
    (("--from", "2027-03-01", "--to", "2027-02-01"), "ends before"),
    (("--from", "March", "--to", "2027-02-01"), "YYYY-MM-DD"),
    (("--from", "2027-03-01", "--to", "2027-03-31", "--platform", "NOPE"), "NOPE"),
    (("--from", "2027-03-01", "--to", "2027-03-31", "--xlsx", "/nonexistent/dir/x.xlsx"), "cannot write"),
])
def test_cli_user_errors_exit_1(onestop, args, message):
    result = onestop(*args)
    assert result.returncode == 1, result.stderr
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_cli_usage_error_exits_2(onestop):
    result = onestop("--from", "2027-03-01", "--to", "2027-03-31", "--group", "weekday")
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_waiting_for_a_popular_instrument_today(month):
    """Asked during March, the report also says when each popular instrument is next free for an
    hour: a time the booking engine would offer, in its opening hours, after now."""
    from datetime import UTC, datetime, timedelta

    from booking.engine.availability import find_free_slots
    from booking.engine.calendars import zone
    from booking.reports.waits import popular_waits

    now = datetime(2027, 3, 4, 0, 30, tzinfo=UTC)  # Thursday 08:30 in Nanjing; r1 is booked 09:00-10:00
    waits = popular_waits(report_scope(month["admin"]), MARCH, now)
    assert [(w.resource.id, w.bookings) for w in waits] == [(month["r1"].id, 5), (month["r2"].id, 1)]
    r1 = waits[0]
    assert r1.looked and r1.next_free is not None and r1.next_free > now
    local = r1.next_free.astimezone(zone("Asia/Shanghai"))
    assert local.weekday() < 5 and 9 <= local.hour < 17  # inside its opening hours
    assert any(s <= r1.next_free and e >= r1.next_free + timedelta(hours=1)
               for s, e in find_free_slots(r1.resource, now, now + timedelta(days=7), now=now))
    assert r1.wait_days == round((r1.next_free - now).total_seconds() / 86400, 1)
