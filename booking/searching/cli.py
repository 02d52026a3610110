"""`onestop index rebuild|sync` and `onestop search`."""
from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click
from werkzeug.datastructures import MultiDict

from ..cli import with_appcontext
from ..errors import DomainError


@contextmanager
def index_progress() -> Iterator[Callable[[int], None] | None]:
    """A progress callback drawing a bar on a terminal's stderr; None when piped."""
    if not sys.stderr.isatty():
        yield None
        return
    from sqlalchemy import func, select

    from ..extensions import db
    from ..models import Resource

    total = db.session.scalar(select(func.count()).select_from(Resource).where(Resource.status == "active")) or 0
    with click.progressbar(length=total, label="indexing", file=sys.stderr) as bar:
        yield lambda done: bar.update(done - bar.pos)


@click.group("index")
def index_group() -> None:
    """The search index."""


@index_group.command("rebuild")
@with_appcontext
def rebuild() -> None:
    """Rebuild the search index from the database (into a new folder, then swapped in)."""
    from .service import SearchUnavailable, rebuild_index

    try:
        with index_progress() as progress:
            count = rebuild_index(progress=progress)
    except SearchUnavailable as exc:
        raise click.ClickException(exc.detail) from None
    click.echo(f"indexed {count} resources")


@index_group.command("sync")
@with_appcontext
def sync() -> None:
    """Apply pending changes; rebuild when the index is missing, damaged or outdated."""
    from .service import SearchUnavailable, sync_index

    try:
        with index_progress() as progress:
            outcome = sync_index(progress=progress)
    except SearchUnavailable as exc:
        raise click.ClickException(exc.detail) from None
    click.echo(f"search index {outcome}")


@click.command("search")
@click.argument("query")
@click.option("--kind")
@click.option("--platform")
@click.option("--city")
@click.option("--limit", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="print the result as JSON")
@with_appcontext
def search_command(query: str, kind: str | None, platform: str | None, city: str | None, limit: int,
                   as_json: bool) -> None:
    """Search from the shell."""
    from .params import parse_search_args
    from .service import SearchUnavailable, search_resources

    args = MultiDict({k: v for k, v in {"q": query, "kind": kind, "platform": platform, "city": city,
                                         "per_page": str(limit)}.items() if v})
    try:
        result = search_resources(parse_search_args(args))
    except SearchUnavailable as exc:
        raise click.ClickException(exc.detail) from None
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    if as_json:
        click.echo(json.dumps({"total": result.total, "hits": result.hits, "facets": result.facets,
                               "suggestion": result.suggestion}, ensure_ascii=False, default=str))
        return
    click.echo(f"{result.total} results" + (f" (did you mean: {result.suggestion}?)" if result.suggestion else ""))
    for hit in result.hits:
        title = hit.get("title") or hit.get("title_en")
        click.echo(f"{hit['id']:>7}  {hit['kind']:<16} {hit['platform']:<8} {title}")
