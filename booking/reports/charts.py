"""The report pages' charts: server-side SVG drawn by pygal, inlined in the page, no script.

pygal escapes every label it writes (titles, axis labels, resource names) when it serialises the
SVG tree; the tree is then stripped of the script pygal adds for its (unused) tooltips and of its
comments, so the SVG names no address but its own namespace and the page's Content-Security-Policy
has nothing to refuse. Each chart carries its numbers as a table (`Chart.headers`, `Chart.rows`)
for screen readers and printing.
"""
from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pygal
from flask_babel import gettext as _
from markupsafe import Markup
from pygal.style import Style

from .figures import FigureRow
from .trends import HeatMap, MonthPoint

# pygal puts an import hook for its map plugins (pygal.maps.*, unused here) on sys.meta_path that
# has no find_spec(): every later failed import would then warn (an error under the tests'
# filterwarnings). Without the hook nothing else changes.
sys.meta_path[:] = [finder for finder in sys.meta_path if type(finder).__name__ != "PluginImportFixer"]

BRAND = "#0b6bcb"
COLOURS = (BRAND, "#f08c00", "#1a7f4b", "#b42318", "#6941c6", "#0e6470", "#8a5a00")
FONT = '-apple-system, "Segoe UI", "PingFang SC", "Hiragino Sans GB", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif'
TOP = 10



def _style(colours: tuple[str, ...]) -> Style:
    return Style(
        background="transparent", plot_background="#ffffff", foreground="#1d2733", foreground_strong="#1d2733",
        foreground_subtle="#5f6b7a", opacity=".9", opacity_hover="1", colors=colours, font_family=FONT,
        title_font_family=FONT, label_font_family=FONT, major_label_font_family=FONT, legend_font_family=FONT,
        value_font_family=FONT, tooltip_font_family=FONT, no_data_font_family=FONT,
        title_font_size=18, label_font_size=13, major_label_font_size=13, legend_font_size=14,
        no_data_font_size=18, guide_stroke_color="#dde3ea", major_guide_stroke_color="#c9d1db",
    )


STYLE = _style(COLOURS)
HEAT_STYLE = _style((BRAND,) * 7)  # one colour: a dot's size, not its hue, tells the share


@dataclass
class Chart:
    """One chart: its SVG (safe to inline) and the same numbers as a table."""

    slug: str
    title: str
    svg: Markup
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


def _without_script(tree: Any) -> Any:
    """pygal's xml filter: drop <script> elements and comments (they name pygal's web site)."""
    for parent in list(tree.iter()):
        for child in list(parent):
            tag = child.tag
            if not isinstance(tag, str) or tag.rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    return tree


def _labelled(title: str) -> Callable[[Any], Any]:
    def filter_(tree: Any) -> Any:
        tree.set("role", "img")
        tree.set("aria-label", title)
        return tree

    return filter_


def _config(title: str, **options: Any) -> dict[str, Any]:
    settings: dict[str, Any] = dict(
        title=title, style=STYLE, js=[], css=["file://style.css", "file://graph.css"],
        disable_xml_declaration=True, no_prefix=False,
        no_data_text=_("No data for this period"), width=600, height=360, legend_at_bottom=True,
        truncate_legend=40, truncate_label=28, print_values=False,
        margin=12, spacing=10,
    )
    settings.update(options)
    return settings


def _new(kind: Any, title: str, **options: Any) -> Any:
    chart = kind(**_config(title, **options))
    chart.add_xml_filter(_without_script)
    chart.add_xml_filter(_labelled(title))
    return chart


def _render(chart: Any) -> Markup:
    # Safe: pygal built the SVG as an element tree and escaped every text and attribute it wrote.
    return Markup(chart.render(is_unicode=True, disable_xml_declaration=True))


def _hours(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def trend_chart(points: Sequence[MonthPoint]) -> Chart:
    """Effective and external hours, month by month."""
    title = _("Effective and external hours by month")
    chart = _new(pygal.Bar, title, x_title=_("Month"), y_title=_("Hours"),
                 value_formatter=lambda v: f"{v:,.1f}", x_label_rotation=40 if len(points) > 6 else 0)
    chart.x_labels = [p.label for p in points]
    if any(p.effective_hours for p in points):
        chart.add(_("Effective hours"), [p.effective_hours for p in points])
        chart.add(_("External service hours"), [p.external_hours for p in points])
    return Chart("trend", title, _render(chart), [_("Month"), _("Effective hours"), _("External service hours")],
                 [[p.label, _hours(p.effective_hours), _hours(p.external_hours)] for p in points])


def weekday_labels() -> list[str]:
    return [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]


def heat_chart(heat: HeatMap) -> Chart:
    """Utilisation by local weekday and hour: one row of dots per weekday, a dot's size its share."""
    title = _("Utilisation by weekday and hour")
    days = weekday_labels()
    chart = _new(pygal.Dot, title, x_title=_("Hour of day"), y_title=_("Weekday"), show_legend=False,
                 x_label_rotation=0, value_formatter=lambda v: f"{v:.1f}%", height=330, style=HEAT_STYLE)
    chart.x_labels = [str(h) for h in range(24)]
    cells = [[heat.utilisation(day, hour) for hour in range(24)] for day in range(7)]
    if any(heat.open[day][hour] > 0 or heat.effective[day][hour] > 0 for day in range(7) for hour in range(24)):
        for day in range(7):
            chart.add(days[day], [round(v * 100, 1) if v is not None else None for v in cells[day]])
    rows = [[days[day], *(_percent(v) for v in cells[day])] for day in range(7)]
    return Chart("heat", title, _render(chart), [_("Weekday"), *(f"{h}:00" for h in range(24))], rows)


def _name(row: FigureRow, lang: str) -> str:
    label = row.label.get("name_en") if lang == "en" else row.label.get("name_zh")
    return str(label or row.label.get("name_zh") or row.key)


def _ranking(title: str, rows: Sequence[FigureRow], lang: str, series: str,
             value: Callable[[FigureRow], float | None], y_title: str, slug: str) -> Chart:
    chart = _new(pygal.HorizontalBar, title, x_title=series, y_title=y_title, show_legend=False,
                 value_formatter=lambda v: f"{v:.1f}%", height=max(200, 90 + 32 * len(rows)))
    # pygal draws the first label at the bottom: reversed, the list reads from the top down
    ordered = list(reversed(rows))
    chart.x_labels = [_name(row, lang) for row in ordered]
    if rows:
        chart.add(series, [round((value(row) or 0.0) * 100, 1) for row in ordered])
    return Chart(slug, title, _render(chart), [y_title, series],
                 [[_name(row, lang), _percent(value(row))] for row in rows])


def utilisation_charts(rows: Sequence[FigureRow], lang: str) -> list[Chart]:
    """The ten instruments used most and the ten used least (of those with open hours)."""
    measured = [row for row in rows if row.label.get("kind") == "instrument" and row.utilisation is not None]
    busiest = sorted(measured, key=lambda r: (-(r.utilisation or 0.0), _name(r, lang)))[:TOP]
    idlest = sorted(measured, key=lambda r: (r.utilisation or 0.0, _name(r, lang)))[:TOP]
    return [
        _ranking(_("The 10 instruments used most"), busiest, lang, _("Utilisation"), lambda r: r.utilisation,
                 _("Instrument"), "top"),
        _ranking(_("The 10 instruments used least"), idlest, lang, _("Utilisation"), lambda r: r.utilisation,
                 _("Instrument"), "bottom"),
    ]


SHARE_BARS = 30  # a province has many platforms: the chart draws the first 30, its table lists all


def share_chart(rows: Sequence[FigureRow], lang: str) -> Chart:
    """Each platform's share rate (external / effective hours), highest first; platforms without
    effective hours have no rate and are left out."""
    ranked = [row for row in sorted(rows, key=lambda r: (-(r.share_rate or 0.0), _name(r, lang)))
              if row.effective_hours > 0]
    chart = _ranking(_("Share rate by platform"), ranked[:SHARE_BARS], lang, _("Share rate"),
                     lambda r: r.share_rate, _("Platform"), "share")
    chart.rows = [[_name(row, lang), _percent(row.share_rate)] for row in ranked]
    return chart


__all__ = ["Chart", "heat_chart", "share_chart", "trend_chart", "utilisation_charts"]
