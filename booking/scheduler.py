"""The one process that runs periodic jobs (APScheduler). Web workers never start it."""
from __future__ import annotations

import logging

from flask import Flask

log = logging.getLogger(__name__)


def start_background_scheduler(app: Flask) -> None:
    log.info("scheduler: no jobs yet")


def run_blocking_scheduler(app: Flask) -> None:
    raise SystemExit("scheduler: no jobs yet")
