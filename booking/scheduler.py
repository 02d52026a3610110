"""The one process that runs periodic jobs (APScheduler 3). Web workers never start it.

Jobs have fixed ids and are (re)added with replace_existing=True at every start; their state
lives in the database, so the job store itself is in memory and nothing needs unpickling.
"""
from __future__ import annotations

import logging
import signal
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from . import jobs

log = logging.getLogger(__name__)

# id, textual reference, seconds between runs
PERIODIC_JOBS: list[tuple[str, str, int]] = [
    ("index-outbox", "booking.jobs:apply_index_outbox", 3),
    ("expire-pending", "booking.jobs:expire_pending_bookings", 60),
    ("mail-dispatch", "booking.jobs:dispatch_mail", 2),
    ("mail-sweep", "booking.jobs:sweep_stuck_mail", 60),
    ("attendance", "booking.jobs:settle_attendance", 60),
    ("rating-invites", "booking.jobs:invite_ratings", 300),
]
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 30}


def configure(scheduler: BaseScheduler, app: Flask) -> BaseScheduler:
    jobs.bind(app)
    for job_id, func, seconds in PERIODIC_JOBS:
        # First run at once: work that piled up while no scheduler ran is done on start.
        scheduler.add_job(func, "interval", seconds=seconds, id=job_id, replace_existing=True,
                          next_run_time=datetime.now(UTC))
    return scheduler


def start_background_scheduler(app: Flask) -> BackgroundScheduler:
    """Run the jobs in a thread of this process (the development server)."""
    scheduler = BackgroundScheduler(timezone="UTC", job_defaults=JOB_DEFAULTS, daemon=True)
    configure(scheduler, app)
    scheduler.start()
    log.info("scheduler started in-process with %d jobs", len(scheduler.get_jobs()))
    return scheduler


def run_blocking_scheduler(app: Flask) -> None:
    """Run the jobs in the foreground until SIGTERM or SIGINT (`onestop scheduler`)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    scheduler = BlockingScheduler(timezone="UTC", job_defaults=JOB_DEFAULTS)

    def stop(signum: int, frame: Any) -> None:
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    configure(scheduler, app)
    log.info("scheduler running %d jobs; stop with Ctrl-C", len(scheduler.get_jobs()))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
