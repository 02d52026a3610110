"""`onestop report usage`: the sharing-performance figures on the command line, or as files."""
from __future__ import annotations

from io import BytesIO
from pathlib import Path

import click

from ..cli import with_appcontext
from ..errors import DomainError
from .figures import GROUPS, FigureRow, UsageReport


@click.group("report")
def report_group() -> None:
    """Sharing-performance reports (the figures platforms are judged by)."""


@report_group.command("usage")
@click.option("--from", "first", required=True, metavar="YYYY-MM-DD", help="first day (each platform's local day)")
@click.option("--to", "last", required=True, metavar="YYYY-MM-DD", help="last day, included")
@click.option("--platform", "code", default=None, metavar="CODE", help="one platform (default: all)")
@click.option("--group", default="platform", type=click.Choice(GROUPS), show_default=True)
@click.option("--xlsx", type=click.Path(dir_okay=False, path_type=Path), help="write the XLSX workbook here")
@click.option("--csv", "csv_dir", type=click.Path(file_okay=False, path_type=Path),
              help="write one CSV per table into this folder")
@with_appcontext
def usage_command(first: str, last: str, code: str | None, group: str, xlsx: Path | None,
                  csv_dir: Path | None) -> None:
    """Figures for the days FROM to TO: printed, or written as XLSX and/or CSV files."""
    from .export import ReportFiles, write_csv, write_xlsx
    from .figures import usage_report
    from .periods import period_between
    from .scope import report_scope

    if xlsx is not None and not xlsx.parent.is_dir():
        raise click.ClickException(f"cannot write {xlsx}: no folder {xlsx.parent}")
    try:
        report = usage_report(report_scope(None, code), period_between(first, last), group)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    if xlsx is None and csv_dir is None:
        _print(report)
        return
    files = ReportFiles.build(report)
    try:
        if xlsx is not None:
            buffer = BytesIO()  # written whole, so a failing disk leaves no half workbook
            write_xlsx(files, buffer)
            xlsx.write_bytes(buffer.getvalue())
            click.echo(f"wrote {xlsx}")
        if csv_dir is not None:
            for path in write_csv(files, csv_dir):
                click.echo(f"wrote {path}")
    except OSError as exc:
        raise click.ClickException(f"cannot write: {exc}") from None


def _print(report: UsageReport) -> None:
    click.echo(f"{report.period.first} – {report.period.last}, by {report.group}")
    click.echo(f"{'':<32} {'open h':>10} {'booked h':>10} {'effective h':>12} {'external h':>11} "
               f"{'util.':>6} {'share':>6} {'income':>12} {'users':>6} {'orders':>6}")
    for row in [*report.rows, report.total]:
        click.echo(_line(row))


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.0%}"


def _line(row: FigureRow) -> str:
    label = str(row.label.get("code") or row.label.get("name_zh") or row.key)[:32]
    open_hours = "" if row.open_hours is None else f"{row.open_hours:.1f}"
    return (f"{label:<32} {open_hours:>10} {row.booked_hours:>10.1f} {row.effective_hours:>12.1f} "
            f"{row.external_hours:>11.1f} {_percent(row.utilisation):>6} {_percent(row.share_rate):>6} "
            f"{row.income_total:>12} {row.users_served:>6} {row.orders_completed:>6}")
