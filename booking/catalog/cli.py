"""`onestop import`, `onestop import-platforms` and `onestop demo` (docs/contract.md §3)."""
from __future__ import annotations

import sys
from contextlib import ExitStack
from typing import Any, TextIO

import click
from sqlalchemy.exc import IntegrityError

from ..cli import with_appcontext
from ..errors import DomainError

SHOW_REJECTIONS = 20


def _progress_bar(stack: ExitStack) -> Any:
    """A progress callback drawing a bar on stderr, or None when stderr is not a terminal."""
    if not sys.stderr.isatty():
        return None
    state: dict[str, Any] = {"bar": None, "done": 0}

    def progress(done: int, total: int | None) -> None:
        if state["bar"] is None:
            state["bar"] = stack.enter_context(
                click.progressbar(length=total or 0, label="importing", file=sys.stderr, show_eta=True)
            )
        state["bar"].update(done - state["done"])
        state["done"] = done

    return progress


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--full", is_flag=True,
              help="FILE is the whole catalogue of the platforms it names: withdraw what it lacks")
@click.option("--errors", "errors_file", type=click.File("w", encoding="utf-8", lazy=True),
              help="write every rejected line (line: reason) to this file")
@click.option("--show", default=SHOW_REJECTIONS, show_default=True, type=click.IntRange(min=0),
              help="how many rejections to print")
@click.option("--no-index", is_flag=True, help="leave the search index to the scheduler")
@with_appcontext
def import_command(file: str, full: bool, errors_file: TextIO | None, show: int, no_index: bool) -> None:
    """Upsert resources from FILE (.jsonl, .jsonl.gz or .csv)."""
    from .importer import Rejection, import_feed

    def write_rejection(rejection: Rejection) -> None:
        assert errors_file is not None
        errors_file.write(f"{rejection}\n")

    with ExitStack() as stack:
        try:
            summary = import_feed(file, full=full, progress=_progress_bar(stack),
                                  on_reject=write_rejection if errors_file else None)
        except DomainError as exc:
            raise click.ClickException(exc.message) from None
        except IntegrityError:
            # Whole batches commit or roll back, so what this run kept is consistent: say so.
            raise click.ClickException(
                "another import wrote the same resources at the same moment; run this import again "
                "(it picks up where the other left off)") from None
    click.echo(f"imported {click.format_filename(file)}: {summary.describe()}")
    if summary.reactivated:
        click.echo(f"{summary.reactivated} withdrawn resources are active again")
    if summary.rejected:
        for rejection in summary.rejections[:show]:
            click.echo(str(rejection))
        more = summary.rejected - min(show, len(summary.rejections))
        if more > 0:
            hint = "" if errors_file else "; use --errors FILE to list them all"
            click.echo(f"… and {more} more rejected lines{hint}")
        click.echo(f"warning: {summary.rejected} lines were rejected and not imported", err=True)
    if not no_index and (summary.created or summary.updated or summary.withdrawn or summary.reactivated):
        _sync_search_index()


def _sync_search_index() -> None:
    """Index what the import changed at once: in bulk (a rebuild) when it changed a lot."""
    from ..searching.cli import index_progress
    from ..searching.service import SearchUnavailable, sync_index

    try:
        with index_progress() as progress:
            outcome = sync_index(progress=progress)
    except SearchUnavailable as exc:
        raise click.ClickException(f"imported, but the search index was not updated: {exc.detail}") from None
    click.echo(f"search index {outcome}")


@click.command("import-platforms")
@click.argument("file", type=click.Path(dir_okay=False))
@with_appcontext
def import_platforms_command(file: str) -> None:
    """Upsert platforms by code from FILE.json."""
    from .platforms import import_platforms

    try:
        summary = import_platforms(file)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(summary.describe())
    for index, reason in summary.rejections:
        click.echo(f"entry {index}: {reason}")
    if summary.rejected:
        click.echo(f"warning: {summary.rejected} entries were rejected", err=True)


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Seed the demo platforms, resources and accounts (idempotent)."""
    from .demo import DEMO_ACCOUNTS, seed_demo

    try:
        summary = seed_demo()
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(summary.platforms.describe())
    click.echo(f"resources: {summary.resources.describe()}")
    if summary.bookings_created:
        click.echo(f"demo bookings: {summary.bookings_created} in the coming week")
    click.echo("demo accounts:" + ("" if summary.accounts_created else " (already there)"))
    for email, password, role, platform in DEMO_ACCOUNTS:
        where = f" of {platform}" if platform else ""
        click.echo(f"  {role + where:<14} {email} / {password}")
