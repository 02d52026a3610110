"""Booking engine figures on SQLite and PostgreSQL (run by hand; never a timed test).

    nice .venv/bin/python bench/booking.py [--database-url URL] [--resources 100000]
                                           [--reservations 50000] [--runs 200]

Builds a fresh, migrated database (a temporary SQLite file, or a temporary schema in the
PostgreSQL database of --database-url, dropped afterwards), bulk-inserts synthetic platforms,
resources and reservations, then times:

* availability of one resource over 31 days (``find_free_slots``; and the HTTP endpoint)
* creating a reservation through the API (Flask test client, bearer token, one commit each)
* "which resources are free between A and B" (``free_resource_ids``) over every resource,
  and over 1,000 candidates, for random one-to-three-hour weekday windows

Goals (issue 4): availability p95 ≤ 5 ms; create p95 ≤ 30 ms; free-between p95 ≤ 100 ms.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOURS = [  # the shapes the feeds carry, as in docs/feed-format.md
    {d: [["08:30", "12:00"], ["13:30", "17:30"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat")},
    {d: [["08:00", "22:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    {d: [["00:00", "23:59"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    None,
]


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    return statistics.median(ms), p95, ms[-1]


def timed(runs: int, work: Callable[[int], Any]) -> list[float]:
    samples = []
    for i in range(runs):
        t0 = time.perf_counter()
        work(i)
        samples.append(time.perf_counter() - t0)
    return samples


def prepare_database(url: str | None) -> tuple[str, Callable[[], None]]:
    if url is None or url.startswith("sqlite"):
        folder = Path(tempfile.mkdtemp(prefix="onestop-bench-"))
        return f"sqlite:///{folder / 'bench.db'}", lambda: None
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public"))
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in url else "?"

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()

    return f"{url}{sep}options={quote(f'-csearch_path={schema},public')}", drop


def seed(n_resources: int, n_reservations: int, rnd: random.Random) -> dict[str, Any]:
    from booking.accounts.service import create_user
    from booking.extensions import db
    from booking.models import Platform, Reservation, Resource

    now = datetime.now(UTC)
    platforms = [{"code": f"B{i:02d}", "name_zh": f"平台{i}", "name_en": f"Platform {i}", "timezone": "Asia/Shanghai",
                  "kind": "university_lab", "booking_rules": {}, "approval_expiry_hours": 48, "created_at": now,
                  "city_zh": "南京", "city_en": "Nanjing", "address": "", "email": ""} for i in range(18)]
    db.session.execute(sa.insert(Platform), platforms)
    platform_ids = list(db.session.scalars(sa.select(Platform.id)))
    user = create_user("bench@example.com", "correct horse battery", name="Bench")
    db.session.commit()

    t0 = time.perf_counter()
    rows = []
    for i in range(n_resources):
        shape = rnd.randrange(len(HOURS))
        is_bookable = i < 3 or rnd.random() < 0.7
        rows.append({"platform_id": platform_ids[i % len(platform_ids)], "external_id": f"BENCH-{i:06d}",
                     "kind": "instrument" if is_bookable else "patent", "title": f"仪器 {i}", "title_en": f"Instrument {i}",
                     "keywords": [], "attributes": {}, "bookable": is_bookable, "orderable": False,
                     "opening_hours": HOURS[0] if i < 3 else HOURS[shape], "content_hash": "", "status": "active",
                     "created_at": now, "updated_at": now})
        if len(rows) == 5000:
            db.session.execute(sa.insert(Resource), rows)
            rows = []
    if rows:
        db.session.execute(sa.insert(Resource), rows)
    db.session.commit()
    ids = list(db.session.execute(sa.select(Resource.id, Resource.opening_hours).where(Resource.bookable.is_(True))
                                  .order_by(Resource.id)).tuples())
    print(f"  {n_resources:,} resources ({len(ids):,} bookable) in {time.perf_counter() - t0:.1f} s", flush=True)

    # Reservations: at most one per (resource, day), 1–3 hours inside 09:00–17:00 local, next 60 days.
    t0 = time.perf_counter()
    today = now.astimezone(SHANGHAI).date()
    taken: set[tuple[int, int]] = set()
    rows = []
    first_resource = ids[0][0]
    for day in range(1, 31):  # the availability resource gets one booking on each of its days
        taken.add((first_resource, day))
        rows.append(_reservation(first_resource, user.id, today, day, 10, 2, now))
    while len(taken) < n_reservations:
        rid = ids[rnd.randrange(3, len(ids))][0]
        day = rnd.randrange(1, 60)
        if (rid, day) in taken:
            continue
        taken.add((rid, day))
        rows.append(_reservation(rid, user.id, today, day, rnd.randrange(9, 14), rnd.randrange(1, 4), now))
        if len(rows) >= 5000:
            db.session.execute(sa.insert(Reservation), rows)
            rows = []
    if rows:
        db.session.execute(sa.insert(Reservation), rows)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
    print(f"  {len(taken):,} reservations in {time.perf_counter() - t0:.1f} s", flush=True)
    return {"availability_resource": first_resource, "create_resource": ids[1][0], "all_ids": [i for i, _ in ids],
            "user": user.email}


def _reservation(rid: int, user_id: int, today: Any, day: int, hour: int, length: int, now: datetime) -> dict[str, Any]:
    d = today + timedelta(days=day)
    start = datetime(d.year, d.month, d.day, hour, tzinfo=SHANGHAI).astimezone(UTC)
    end = start + timedelta(hours=length)
    return {"resource_id": rid, "user_id": user_id, "start": start, "end": end, "block_start": start,
            "block_end": end, "status": "confirmed", "purpose": "", "decision_reason": "", "created_at": now,
            "updated_at": now}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="postgresql+psycopg://… (a temporary schema is used); default SQLite")
    parser.add_argument("--resources", type=int, default=100_000)
    parser.add_argument("--reservations", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()

    import flask_migrate

    from booking import create_app
    from booking.engine import find_free_slots, free_resource_ids
    from booking.extensions import db
    from booking.models import Resource

    url, drop = prepare_database(args.database_url)
    instance = Path(tempfile.mkdtemp(prefix="onestop-bench-instance-"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(instance), "SECRET_KEY": "bench",
                      "SERVER_NAME": "bench.test", "TESTING": True})
    rnd = random.Random(args.seed)
    try:
        with app.app_context():
            print(f"database: {db.engine.dialect.name}", flush=True)
            flask_migrate.upgrade(directory=str(ROOT / "migrations"))
            data = seed(args.resources, args.reservations, rnd)
            db.session.remove()

            results: list[tuple[str, list[float], str]] = []
            resource = db.session.get(Resource, data["availability_resource"])
            now = datetime.now(UTC)
            find_free_slots(resource, now, now + timedelta(days=31))  # warm-up
            slots = find_free_slots(resource, now, now + timedelta(days=31))
            results.append(("availability, 1 resource, 31 days (engine)",
                            timed(args.runs, lambda i: find_free_slots(resource, now, now + timedelta(days=31))),
                            f"{len(slots)} free slots; goal p95 ≤ 5 ms"))
            client = app.test_client()
            path = f"/api/v1/resources/{resource.id}/availability"
            query = {"from": now.isoformat(), "to": (now + timedelta(days=31)).isoformat()}
            client.get(path, query_string=query)
            results.append(("availability, 1 resource, 31 days (HTTP GET)",
                            timed(args.runs, lambda i: client.get(path, query_string=query)), "test client"))

            token = client.post("/api/v1/tokens", json={"email": data["user"], "password": "correct horse battery"})
            headers = {"Authorization": f"Bearer {token.get_json()['token']}"}
            create_resource = data["create_resource"]
            base = datetime.now(SHANGHAI).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
            days_ahead = [base + timedelta(days=d) for d in range(0, 150)]
            weekday_mornings = [d.replace(hour=9) for d in days_ahead if d.weekday() < 5]
            codes: list[int] = []

            def create(i: int) -> None:
                start = weekday_mornings[i // 2] + timedelta(hours=(i % 2) * 4.5)  # 09:00 and 13:30
                body = {"resource_id": create_resource, "start": start.isoformat(),
                        "end": (start + timedelta(hours=1)).isoformat(), "purpose": "bench"}
                codes.append(client.post("/api/v1/reservations", json=body, headers=headers).status_code)

            runs = min(args.runs, len(weekday_mornings))  # each half of the slots once
            results.append(("create a reservation (HTTP POST, commit)", timed(runs, lambda i: create(2 * i)),
                            f"{codes.count(201)}/{len(codes)} answered 201; goal p95 ≤ 30 ms"))
            # The same without the notification hook (mails with an iCalendar invitation and
            # reminder rows, rendered in the booking's transaction), to show where the time goes.
            import booking.notify as notify

            hook = notify.on_booking_event
            notify.on_booking_event = lambda event: []
            try:
                codes.clear()
                results.append(("  the same, notification hook switched off", timed(runs, lambda i: create(2 * i + 1)),
                                f"{codes.count(201)}/{len(codes)} answered 201; booking alone"))
            finally:
                notify.on_booking_event = hook

            today = datetime.now(SHANGHAI).date()
            windows = []
            while len(windows) < 60:
                d = today + timedelta(days=rnd.randrange(1, 60))
                if d.weekday() >= 5:
                    continue
                start = datetime(d.year, d.month, d.day, rnd.randrange(9, 15), tzinfo=SHANGHAI)
                windows.append((start, start + timedelta(hours=rnd.randrange(1, 4))))
            free_resource_ids(*windows[0])  # warm-up
            found: list[int] = []
            results.append((f"free between A and B, all {args.resources:,} resources",
                            timed(len(windows), lambda i: found.append(len(free_resource_ids(*windows[i])))),
                            f"~{statistics.median(found) if found else 0:,.0f} free of {len(data['all_ids']):,} bookable; goal p95 ≤ 100 ms"))
            candidates = rnd.sample(data["all_ids"], 1000)
            results.append(("free between A and B, 1,000 candidates",
                            timed(len(windows), lambda i: free_resource_ids(*windows[i], candidate_ids=candidates)), ""))

            print(f"\n{'measure':48} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  notes")
            for name, samples, note in results:
                p50, p95, worst = percentiles(samples)
                print(f"{name:48} {p50:8.2f} {p95:8.2f} {worst:8.2f}  {note} (n={len(samples)})")
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()


if __name__ == "__main__":
    main()
