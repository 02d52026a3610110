"""`onestop serve` and `onestop scheduler`."""
from __future__ import annotations

import os

import click

from .cli import make_app


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--no-scheduler", is_flag=True, help="do not run the reminder scheduler in this process")
@click.option("--debug", is_flag=True, help="reload on code changes")
def serve_command(host: str, port: int, no_scheduler: bool, debug: bool) -> None:
    """Serve the web application (development server; use gunicorn booking.wsgi:app in production)."""
    from .notify.settings import SERVED_URL, served_url

    # Mail links and invitation UIDs default to the address served here (ONESTOP_BASE_URL wins):
    # the environment carries it to the scheduler started below and to the reloader's child.
    os.environ[SERVED_URL] = served_url(host, port)
    app = make_app()
    # Under the reloader only the child process (WERKZEUG_RUN_MAIN) serves: start jobs there alone.
    if not no_scheduler and (not debug or os.environ.get("WERKZEUG_RUN_MAIN") == "true"):
        from .scheduler import start_background_scheduler

        start_background_scheduler(app)
    app.run(host=host, port=port, debug=debug, use_reloader=debug, threaded=True)


@click.command("scheduler")
def scheduler_command() -> None:
    """Run the reminder scheduler as its own process (production)."""
    from .scheduler import run_blocking_scheduler

    run_blocking_scheduler(make_app())
