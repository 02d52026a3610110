"""Many people booking the same slot at once: exactly one wins, the others hear 409.

Threads each with their own application context (their own session and connection), and
separate processes on the same database URL, on SQLite and on PostgreSQL.
"""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from booking.engine import SlotTaken, create_reservation
from booking.extensions import db
from booking.models import Reservation, Resource, User

SHANGHAI = ZoneInfo("Asia/Shanghai")
THREADS = 40
ROOT = Path(__file__).resolve().parent.parent


def tomorrow_at(hour: int) -> datetime:
    day = datetime.now(SHANGHAI).date() + timedelta(days=2)
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def active_count(resource_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Reservation).where(
        Reservation.resource_id == resource_id, Reservation.status.in_(("pending", "confirmed"))))


def test_forty_threads_through_the_engine(app, make_resource, make_user):
    resource = make_resource(opening_hours=None)
    users = [make_user() for _ in range(8)]
    resource_id, user_ids = resource.id, [u.id for u in users]
    base = tomorrow_at(10)
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(i: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=60)  # all start together; the pool (15) queues the rest
                user = db.session.get(User, user_ids[i % len(user_ids)])
                res = db.session.get(Resource, resource_id)
                start = base + timedelta(minutes=i)  # every attempt overlaps every other
                create_reservation(user, res, start, start + timedelta(hours=1), f"attempt {i}")
                db.session.commit()
                outcome = "won"
            except SlotTaken as exc:
                db.session.rollback()
                assert exc.status == 409 and exc.details["conflict"]["start"]
                outcome = "taken"
            except Exception as exc:  # anything else is a failure of the test
                db.session.rollback()
                outcome = f"error: {exc!r}"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    assert sorted(outcomes) == ["taken"] * (THREADS - 1) + ["won"], outcomes
    assert active_count(resource_id) == 1


def test_forty_threads_through_the_api(app, client, auth, make_resource, make_user):
    resource_id = make_resource(opening_hours=None).id
    emails = [make_user().email for _ in range(5)]
    headers = [auth.token(e) for e in emails]
    base = tomorrow_at(14)
    barrier = threading.Barrier(THREADS)
    answers: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def attempt(i: int) -> None:
        own_client = app.test_client()  # each request gets its own app context and session
        start = base + timedelta(minutes=i)
        body = {"resource_id": resource_id, "start": start.isoformat(),
                "end": (start + timedelta(minutes=45)).isoformat(), "purpose": f"attempt {i}"}
        barrier.wait(timeout=60)
        response = own_client.post("/api/v1/reservations", json=body, headers=headers[i % len(headers)])
        with lock:
            answers.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    codes = sorted(code for code, _ in answers)
    assert codes == [201] + [409] * (THREADS - 1), answers
    winner = next(body for code, body in answers if code == 201)
    for code, body in answers:
        if code == 409:
            assert body["error"] == "conflict"
            assert body["conflict"] == {"start": winner["start"], "end": winner["end"]}
    assert active_count(resource_id) == 1


WORKER = r"""
import json, sys, time
from datetime import datetime
from pathlib import Path
from booking import create_app
from booking.engine import SlotTaken, create_reservation
from booking.extensions import db
from booking.models import Resource, User

config, resource_id, user_id, start, end, go = json.loads(sys.argv[1])
app = create_app(config)
with app.app_context():
    user = db.session.get(User, user_id)
    resource = db.session.get(Resource, resource_id)
    db.session.execute(db.select(User.id)).all()  # connect before the start signal
    deadline = time.monotonic() + 60
    while not Path(go).exists() and time.monotonic() < deadline:
        time.sleep(0.005)
    try:
        create_reservation(user, resource, datetime.fromisoformat(start), datetime.fromisoformat(end), "process")
        db.session.commit()
        print("won")
    except SlotTaken:
        db.session.rollback()
        print("taken")
    db.engine.dispose()
"""


def test_several_processes_on_one_database(app, database_url, make_resource, make_user, tmp_path):
    resource = make_resource(opening_hours=None)
    user = make_user()
    go = tmp_path / "go"
    config = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_PATH": str(tmp_path / "proc"),
              "SECRET_KEY": "test-secret", "SERVER_NAME": "onestop.test"}
    base = tomorrow_at(16)
    processes = []
    for i in range(6):
        start = base + timedelta(minutes=5 * i)
        args = [config, resource.id, user.id, start.isoformat(), (start + timedelta(hours=1)).isoformat(), str(go)]
        processes.append(subprocess.Popen([sys.executable, "-c", WORKER, json.dumps(args)], cwd=ROOT,
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    try:
        time.sleep(0.5)  # let them start; they wait for the signal either way
        go.touch()
        results = [p.communicate(timeout=180) for p in processes]
    finally:
        for p in processes:
            if p.poll() is None:
                p.kill()
    outcomes = sorted(out.strip() for out, err in results)
    assert outcomes == ["taken"] * 5 + ["won"], [err[-2000:] for out, err in results]
    db.session.expire_all()
    assert active_count(resource.id) == 1
