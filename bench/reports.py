"""Sharing-performance report figures on SQLite and PostgreSQL (run by hand; never a timed test).

    nice .venv/bin/python bench/reports.py [--database-url URL] [--resources 100000]
                                           [--reservations 1000000] [--orders 50000] [--runs 3]

Builds a fresh, migrated database (a temporary SQLite file, or a temporary schema in the
PostgreSQL database of --database-url, dropped afterwards) holding a year (2027) of a province:
500 platforms in 13 cities (one of them, B000, with 10,000 instruments), 2,000 organisations,
20,000 users, the resources, the reservations (completed with check-in and check-out, no-shows,
cancelled, confirmed without check-in; fees, vouchers, approvals), testing orders with their
steps, holidays as closures, maintenance windows and a search log — all bulk inserts. Then times:

* the province-wide yearly report by platform (`usage_report`, with and without the service total)
* one platform's yearly report by resource (a platform of 200 resources)
* the XLSX export of B000's 10,000 instruments (report by resource + workbook), time and peak
  memory (tracemalloc peak of the export; the process's peak RSS)

Goals (issue 13): province-wide ≤ 2 s on PostgreSQL, ≤ 5 s on SQLite; one platform ≤ 500 ms;
XLSX of 10,000 instruments ≤ 10 s and ≤ 300 MB.
"""
from __future__ import annotations

import argparse
import random
import resource as rlimit
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.booking import HOURS, prepare_database  # noqa: E402

SHANGHAI = ZoneInfo("Asia/Shanghai")
CITIES = ["南京", "无锡", "徐州", "常州", "苏州", "南通", "连云港", "淮安", "盐城", "扬州", "镇江", "泰州", "宿迁"]
KINDS = ["startup", "sme", "sme", "enterprise", "university", "institute", "other"]
YEAR = 2027
NOW = datetime(YEAR + 1, 1, 20, tzinfo=UTC)  # the year is over when the report is read
BATCH = 20_000


def insert(table: Any, rows: list[dict[str, Any]]) -> None:
    from booking.extensions import db

    for i in range(0, len(rows), BATCH):
        db.session.execute(sa.insert(table), rows[i:i + BATCH])


def seed(n_resources: int, n_reservations: int, n_orders: int, rnd: random.Random) -> dict[str, Any]:
    from booking.extensions import db
    from booking.models import (
        BookingEvent,
        Closure,
        Maintenance,
        Order,
        OrderEvent,
        Organisation,
        Platform,
        Reservation,
        Resource,
        SearchLog,
        User,
    )

    t0 = time.perf_counter()
    created = datetime(YEAR - 1, 12, 1, tzinfo=UTC)
    insert(Organisation.__table__, [
        {"name_zh": f"机构{i}", "name_en": f"Org {i}", "uscc": None, "kind": KINDS[i % len(KINDS)],
         "city": CITIES[i % len(CITIES)], "state": "verified" if i % 10 else "unverified", "created_at": created}
        for i in range(2000)])
    org_ids = list(db.session.scalars(sa.select(Organisation.id).order_by(Organisation.id)))
    insert(Platform.__table__, [
        {"code": f"B{i:03d}", "name_zh": f"平台{i}", "name_en": f"Platform {i}", "city_zh": CITIES[i % len(CITIES)],
         "city_en": f"City {i % len(CITIES)}", "kind": "university_lab", "address": "", "timezone": "Asia/Shanghai",
         "email": "", "opening_hours": HOURS[i % 3], "booking_rules": {}, "approval_expiry_hours": 48,
         "owner_org_id": org_ids[i * 3], "voucher_cap_percent": 50, "checkin_before_minutes": 15,
         "checkin_after_minutes": 30, "no_show_limit": 3, "no_show_ban_days": 30,
         "tracks_check_in": i % 20 != 7, "created_at": created} for i in range(500)])
    platform_ids = list(db.session.scalars(sa.select(Platform.id).order_by(Platform.id)))
    insert(User.__table__, [
        {"email": f"u{i}@bench.test", "password_hash": "x", "name": f"U{i}", "role": "user", "language": "zh",
         "calendar_token": f"bench-{i}", "active": True, "reminders_enabled": True, "session_version": 0,
         "organisation_id": org_ids[i % len(org_ids)] if i % 5 else None, "org_role": "member" if i % 5 else None,
         "created_at": created} for i in range(20_000)])
    user_ids = list(db.session.scalars(sa.select(User.id).order_by(User.id)))
    # B000 holds 10,000 instruments; the other 90,000 resources are spread over the rest
    rows = []
    for i in range(n_resources):
        pid = platform_ids[0] if i < 10_000 else platform_ids[1 + i % (len(platform_ids) - 1)]
        service = i >= 10_000 and i % 10 == 0
        rows.append({"platform_id": pid, "external_id": f"R{i:06d}", "kind": "testing_service" if service else "instrument",
                     "title": f"仪器 {i}", "title_en": f"Instrument {i}", "keywords": [], "city": "",
                     "attributes": {"model": f"M-{i % 97}", "asset_value": 100_000 + i},
                     "bookable": not service, "orderable": service, "requires_training": False,
                     "opening_hours": HOURS[3] if i % 7 == 0 else None, "content_hash": "", "status": "active",
                     "created_at": created, "updated_at": created})
    insert(Resource.__table__, rows)
    resources = db.session.execute(sa.select(Resource.id, Resource.bookable).order_by(Resource.id)).all()
    bookable = [rid for rid, b in resources if b]
    services = [rid for rid, b in resources if not b]
    resource_platform = dict(db.session.execute(sa.select(Resource.id, Resource.platform_id)).tuples().all())
    db.session.commit()
    print(f"  organisations, platforms, users, {n_resources:,} resources in {time.perf_counter() - t0:.1f} s",
          flush=True)

    t0 = time.perf_counter()
    first = datetime(YEAR, 1, 1, tzinfo=SHANGHAI)
    n = len(bookable)
    batch: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for i in range(n_reservations):
        rid = bookable[i % n]
        day = (i // n) * 30 + rid % 30  # one booking per resource and day
        start = (first + timedelta(days=day % 365, hours=9 + i % 6)).astimezone(UTC)
        end = start + timedelta(hours=1 + i % 3)
        roll = rnd.random()
        status = ("completed" if roll < 0.8 else "no_show" if roll < 0.88 else "cancelled" if roll < 0.95
                  else "confirmed")
        fee = Decimal(100 * (1 + i % 3))
        row = {"resource_id": rid, "user_id": user_ids[rnd.randrange(len(user_ids))], "start": start, "end": end,
               "block_start": start, "block_end": end, "status": status, "purpose": "", "decision_reason": "",
               "created_at": start - timedelta(days=3), "updated_at": start, "rate_kind": "external",
               "fee_estimate": fee, "fee_actual": fee - 10 if status == "completed" else None,
               "voucher_amount": Decimal(50) if i % 20 == 0 and status == "completed" else Decimal(0),
               "checked_in_at": start + timedelta(minutes=5) if status == "completed" else None,
               "checked_out_at": end - timedelta(minutes=10) if status == "completed" and i % 4 else None}
        batch.append(row)
        if len(batch) == BATCH:
            insert(Reservation.__table__, batch)
            batch = []
    insert(Reservation.__table__, batch)
    db.session.commit()
    print(f"  {n_reservations:,} reservations in {time.perf_counter() - t0:.1f} s", flush=True)
    t0 = time.perf_counter()
    approved = db.session.execute(sa.select(Reservation.id, Reservation.created_at).where(Reservation.id % 10 == 0)).all()
    events = [{"reservation_id": rid, "kind": "approved", "at": at + timedelta(hours=1 + rid % 47), "payload": {}}
              for rid, at in approved]
    insert(BookingEvent.__table__, events)
    orders, steps = [], []
    for i in range(n_orders):
        rid = services[i % len(services)]
        received = (first + timedelta(days=i % 350, hours=10)).astimezone(UTC)
        orders.append({"resource_id": rid, "platform_id": resource_platform[rid],
                       "user_id": user_ids[rnd.randrange(len(user_ids))], "status": "completed" if i % 9 else "testing",
                       "samples": 1 + i % 5, "sample_description": "", "standard": "", "notes": "",
                       "price_amount": Decimal(500 + i % 7 * 100), "price_currency": "CNY",
                       "promised_date": (received + timedelta(days=7)).date(), "cancel_reason": "",
                       "created_at": received - timedelta(days=2), "updated_at": received})
    insert(Order.__table__, orders)
    for oid, created_at, status in db.session.execute(sa.select(Order.id, Order.created_at, Order.status)).all():
        received = created_at + timedelta(days=2)
        plan = [("received", received), ("testing", received + timedelta(hours=2))]
        if status == "completed":
            plan += [("reported", received + timedelta(days=3 + oid % 8)), ("completed", received + timedelta(days=4 + oid % 8))]
        previous = "accepted"
        for to_status, at in plan:
            steps.append({"order_id": oid, "action": to_status, "from_status": previous, "to_status": to_status,
                          "note": "", "at": at})
            previous = to_status
    insert(OrderEvent.__table__, steps)
    holidays = [(date(YEAR, 1, 1), 1), (date(YEAR, 2, 6), 7), (date(YEAR, 4, 5), 1), (date(YEAR, 5, 1), 5),
                (date(YEAR, 10, 1), 7)]
    insert(Closure.__table__, [
        {"platform_id": pid, "start": datetime.combine(d, datetime.min.time(), SHANGHAI).astimezone(UTC),
         "end": datetime.combine(d + timedelta(days=days), datetime.min.time(), SHANGHAI).astimezone(UTC),
         "title": "holiday", "source": "holidays:cn-2027", "created_at": created}
        for pid in platform_ids for d, days in holidays])
    insert(Maintenance.__table__, [
        {"resource_id": bookable[(i * 37) % n], "start": (first + timedelta(days=i % 360, hours=8)).astimezone(UTC),
         "end": (first + timedelta(days=i % 360, hours=12)).astimezone(UTC), "reason": "", "created_at": created}
        for i in range(2000)])
    insert(SearchLog.__table__, [
        {"created_at": (first + timedelta(days=i % 365)).astimezone(UTC), "week": date(YEAR, 1, 4),
         "source": "web", "query": "q", "query_key": "q", "filters": "", "platforms": f",B{i % 500:03d},",
         "total": i % 4, "page": 1, "lang": "zh", "clicks": 0} for i in range(20_000)])
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
    print(f"  approvals, {n_orders:,} orders with their steps, closures, maintenance, search log in "
          f"{time.perf_counter() - t0:.1f} s", flush=True)
    return {"big": "B000", "small": "B123"}


def timed(runs: int, work: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - t0)
    return best, result


def export_in_this_process(code: str, year: Any, runs: int) -> None:
    """Time the XLSX export of one platform by resource and print `seconds<TAB>instruments<TAB>note`
    with this process's peak memory (the parent runs this in a fresh child)."""
    from booking.reports.export import ReportFiles, write_xlsx
    from booking.reports.figures import usage_report
    from booking.reports.scope import report_scope

    scope = report_scope(None, code)

    def export() -> int:
        files = ReportFiles.build(usage_report(scope, year, "resource", now=NOW))
        buffer = BytesIO()
        write_xlsx(files, buffer)
        return len(files.instruments())

    seconds, count = timed(runs, export)
    tracemalloc.start()
    export()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rss = rlimit.getrusage(rlimit.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{seconds}\t{count}\tPython peak during export {peak / 2**20:.0f} MB; process peak RSS {rss:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="postgresql+psycopg://… (a temporary schema is used); default SQLite")
    parser.add_argument("--resources", type=int, default=100_000)
    parser.add_argument("--reservations", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3, help="each timing is the best of this many")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--keep", action="store_true", help="keep the database and print its URL (for --reuse)")
    parser.add_argument("--reuse", metavar="URL", help="time the figures on a database an earlier --keep left")
    parser.add_argument("--export-only", action="store_true", help=argparse.SUPPRESS)  # the child measuring RSS
    args = parser.parse_args()

    import flask_migrate

    from booking import create_app
    from booking.extensions import db
    from booking.reports.figures import usage_report
    from booking.reports.periods import Period
    from booking.reports.scope import report_scope

    if args.reuse:
        url, drop = args.reuse, lambda: None
    else:
        url, drop = prepare_database(args.database_url)
        if args.keep:
            print(f"keeping the database: --reuse '{url}'", flush=True)
            drop = lambda: None  # noqa: E731
    instance = Path(tempfile.mkdtemp(prefix="onestop-bench-instance-"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(instance), "SECRET_KEY": "bench",
                      "SERVER_NAME": "bench.test", "TESTING": True})
    year = Period.year(YEAR)
    try:
        with app.app_context():
            print(f"database: {db.engine.dialect.name}", flush=True)
            flask_migrate.upgrade(directory=str(ROOT / "migrations"))
            if args.reuse:
                data = {"big": "B000", "small": "B123"}
            else:
                data = seed(args.resources, args.reservations, args.orders, random.Random(args.seed))
            db.session.remove()
            results: list[tuple[str, float, str]] = []

            class Shown(list):  # print each figure as soon as it is measured
                def append(self, item: Any) -> None:
                    super().append(item)
                    print(f"  {item[0]}: {item[1]:.3f} s ({item[2]})", flush=True)

            results = Shown()
            if args.export_only:
                export_in_this_process(data["big"], year, args.runs)
                return
            province = report_scope(None)
            seconds, report = timed(args.runs, lambda: usage_report(province, year, "platform", now=NOW,
                                                                    with_total=False))
            results.append(("province, year, by platform (rows only)", seconds,
                            f"{len(report.rows)} rows, {sum(r.effective_hours for r in report.rows):,.0f} effective h"))
            seconds, report = timed(args.runs, lambda: usage_report(province, year, "platform", now=NOW))
            results.append(("province, year, by platform, with the service total", seconds,
                            f"{report.total.users_served:,} users served, "
                            f"{report.total.orders_completed:,} orders completed"))
            one = report_scope(None, data["small"])
            seconds, report = timed(args.runs, lambda: usage_report(one, year, "resource", now=NOW))
            results.append((f"one platform ({data['small']}), year, by resource", seconds, f"{len(report.rows)} rows"))
            # the export in a process of its own, so its peak memory is the export's, not this run's
            child = subprocess.run([sys.executable, __file__, "--reuse", url, "--export-only", "--runs", str(args.runs)],
                                   capture_output=True, text=True, check=True)
            seconds_text, count_text, note = child.stdout.strip().splitlines()[-1].split("\t")
            results.append((f"XLSX export of {data['big']} ({int(count_text):,} instruments)", float(seconds_text), note))
            db.session.remove()
    finally:
        with app.app_context():
            db.engine.dispose()
        drop()
    print()
    print(f"{'figure':<58} {'best (s)':>9}  note")
    for name, seconds, note in results:
        print(f"{name:<58} {seconds:>9.3f}  {note}")


if __name__ == "__main__":
    main()
