"""The observatoire's pictures: a choropleth map of France (régions or départements) and a monthly chart by kind.

Pure rendering: counts in, SVG and PNG files out, drawn by matplotlib without pyplot (no global state, no
window). The outlines are shipped in watcher/data/france/ (see its LICENCE.md, and tools/france_outlines.py to
regenerate them). In the SVG, each territory is a group `region-<INSEE code>` or `departement-<code>`, and each
bar `mois-<MM>-<kind>`, with a <title> that names it and its count: a screen reader or a hover tells them.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path
from xml.sax.saxutils import escape

import matplotlib as mpl
import numpy as np
from matplotlib.colors import BoundaryNorm
from matplotlib.figure import Figure
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path as MplPath
from matplotlib.patheffects import withStroke

from watcher.exports import MONTH_ABBREVIATIONS, MONTHS
from watcher.losses import LOSS_KINDS
from watcher.observatory import KIND_LABELS
from watcher.wording import counted

OUTLINES_DIR = Path(__file__).parent / "data" / "france"
LEVELS = ("region", "departement")
# The INSEE codes of the five overseas territories at each level, drawn in insets beside metropolitan France
# (« 01 » is Guadeloupe among the régions, the Ain among the départements).
OVERSEAS = {"region": {"01", "02", "03", "04", "06"}, "departement": {"971", "972", "973", "974", "976"}}
NO_ARTICLE_COLOUR = "#e6e6e6"
OUTLINE_COLOUR = "#ffffff"
COLOURS = "YlOrRd"  # sequential, readable in grey and by most colour-blind readers
KIND_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")
DPI = 100
HALO = withStroke(linewidth=3, foreground="white")
# Same counts, same files: no date in the SVG, and its ids drawn from a fixed salt rather than at random.
_STABLE = {"svg.hashsalt": "veille-observatoire", "svg.fonttype": "none", "font.family": "DejaVu Sans"}


@dataclass(frozen=True)
class Outline:
    code: str  # INSEE
    name: str
    rings: tuple[np.ndarray, ...]  # the exterior ring of each polygon, longitude and latitude
    overseas: bool


@cache
def outlines(level: str) -> tuple[Outline, ...]:
    """The outlines of the régions or départements, by INSEE code."""
    document = json.loads((OUTLINES_DIR / f"{level}s.geojson").read_text(encoding="utf-8"))
    result = []
    for feature in document["features"]:
        geometry = feature["geometry"]
        polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        rings = tuple(np.asarray(polygon[0], dtype=float) for polygon in polygons)
        code = feature["properties"]["code"]
        result.append(Outline(code, feature["properties"]["nom"], rings, code in OVERSEAS[level]))
    return tuple(result)


def _class_bounds(highest: int) -> list[int]:
    """At most six classes of whole counts from 1, all as wide; the class [a, b) holds the counts a to b - 1."""
    step = max(1, math.ceil(highest / 6))
    return list(range(1, max(highest, 1) + step + 1, step))[: math.ceil(max(highest, 1) / step) + 1]


def _draw(axes: object, outline: Outline, count: int, norm: BoundaryNorm, level: str) -> None:
    colour = mpl.colormaps[COLOURS](norm(count)) if count > 0 else NO_ARTICLE_COLOUR
    latitude = float(np.mean(np.concatenate(outline.rings)[:, 1]))
    squeeze = math.cos(math.radians(latitude))  # an equirectangular projection true at the territory's latitude
    # One patch a territory, its islands included: one group in the SVG, under one id.
    path = MplPath.make_compound_path(
        *(MplPath(np.column_stack([ring[:, 0] * squeeze, ring[:, 1]]), closed=True) for ring in outline.rings)
    )
    patch = PathPatch(
        path, facecolor=colour, edgecolor=OUTLINE_COLOUR, linewidth=0.4 if level == "departement" else 0.8
    )
    patch.set_gid(f"{level}-{outline.code}")
    axes.add_patch(patch)  # type: ignore[attr-defined]


def _label_spot(outline: Outline) -> tuple[float, float]:
    largest = max(outline.rings, key=len)
    squeeze = math.cos(math.radians(float(np.mean(largest[:, 1]))))
    return float(np.mean(largest[:, 0])) * squeeze, float(np.mean(largest[:, 1]))


def france_map(counts: Mapping[str, int], *, level: str = "region", title: str = "") -> Figure:
    """The choropleth of `counts` (INSEE code → articles); a territory absent from `counts` has none."""
    if level not in LEVELS:
        raise ValueError(f"level: {level!r} is not one of {LEVELS}")
    shapes = outlines(level)
    bounds = _class_bounds(max(counts.values(), default=0))
    norm = BoundaryNorm(bounds, mpl.colormaps[COLOURS].N)
    figure = Figure(figsize=(8.4, 8.0), dpi=DPI)
    if title:
        figure.suptitle(title, fontsize=13, y=0.975)
    main = figure.add_axes((0.25, 0.14, 0.73, 0.78))
    for outline in shapes:
        if not outline.overseas:
            _draw(main, outline, counts.get(outline.code, 0), norm, level)
            if level == "region" and counts.get(outline.code, 0):
                # Dark figures with a white halo: readable on the palest and on the darkest class alike.
                main.annotate(
                    str(counts[outline.code]),
                    _label_spot(outline),
                    ha="center",
                    va="center",
                    fontsize=11,
                    fontweight="bold",
                    color="#1b1b1b",
                    path_effects=[HALO],
                )
    main.autoscale_view()
    main.set_aspect("equal")
    main.set_axis_off()
    overseas = [outline for outline in shapes if outline.overseas]
    for index, outline in enumerate(overseas):
        inset = figure.add_axes((0.02, 0.77 - index * 0.155, 0.19, 0.13))
        _draw(inset, outline, counts.get(outline.code, 0), norm, level)
        inset.autoscale_view()
        inset.set_aspect("equal")
        inset.set_axis_off()
        inset.set_title(f"{outline.name} ({counts.get(outline.code, 0)})", fontsize=8.5, pad=2)
    scale = figure.add_axes((0.32, 0.075, 0.55, 0.025))
    colour_bar = figure.colorbar(mpl.cm.ScalarMappable(norm=norm, cmap=COLOURS), cax=scale, orientation="horizontal")
    classes = list(pairwise(bounds))
    colour_bar.set_ticks(
        [(low + high) / 2 for low, high in classes],
        labels=[str(low) if high - low == 1 else f"{low} à {high - 1}" for low, high in classes],
    )
    colour_bar.set_label("Articles", fontsize=9)
    figure.legend(
        handles=[Patch(facecolor=NO_ARTICLE_COLOUR, label="aucun article")],
        loc="lower left",
        bbox_to_anchor=(0.02, 0.03),
        frameon=False,
        fontsize=9,
    )
    return figure


def monthly_chart(
    by_month_kind: Mapping[int, Mapping[str, int]], by_month: Mapping[int, int] | None = None, *, title: str = ""
) -> Figure:
    """Stacked bars: the articles of each month by kind of loss (an article of two kinds counts in each); dots: all
    the month's articles, when `by_month` is given."""
    figure = Figure(figsize=(9.6, 5.4), dpi=DPI)
    axes = figure.add_axes((0.08, 0.27, 0.9, 0.63))
    if title:
        figure.suptitle(title, fontsize=13, y=0.97)
    months = np.arange(1, 13)
    base = np.zeros(12)
    for kind, colour in zip(LOSS_KINDS, KIND_COLOURS, strict=True):
        heights = np.array([by_month_kind.get(month, {}).get(kind, 0) for month in months], dtype=float)
        bars = axes.bar(months, heights, bottom=base, color=colour, label=KIND_LABELS[kind], width=0.7)
        for month, bar in zip(months, bars, strict=True):
            bar.set_gid(f"mois-{month:02d}-{kind}")
        base += heights
    if by_month is not None:
        active = [month for month in months if by_month.get(month, 0)]
        totals = [by_month[month] for month in active]
        axes.plot(active, totals, "o", color="#1b1b1b", markersize=5, label="tous les articles du mois", gid="total")
    axes.set_xticks(months, MONTH_ABBREVIATIONS)
    axes.set_ylabel("Articles")
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.set_ylim(bottom=0, top=max(1.0, float(base.max()), *(by_month or {0: 0}).values()) * 1.12)
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="y", color="#d0d0d0", linewidth=0.6)
    axes.set_axisbelow(True)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3, frameon=False, fontsize=9)
    return figure


def _titled_svg(svg: str, titles: Mapping[str, str]) -> str:
    """Each group whose id names a territory or a bar gets its <title>: the name and the count, in words."""
    for gid, text in titles.items():
        svg = svg.replace(f'<g id="{gid}">', f'<g id="{gid}">\n   <title>{escape(text)}</title>', 1)
    return svg


def svg_text(figure: Figure, titles: Mapping[str, str]) -> str:
    """The figure as SVG, each territory or bar titled; the same counts give the same text."""
    out = io.StringIO()
    with mpl.rc_context(_STABLE):
        figure.savefig(out, format="svg", metadata={"Date": None})
    return _titled_svg(out.getvalue(), titles)


def save(figure: Figure, stem: Path, titles: Mapping[str, str]) -> list[Path]:
    """`stem`.svg and `stem`.png, the same counts giving the same bytes."""
    svg_path, png_path = stem.with_suffix(".svg"), stem.with_suffix(".png")
    svg_path.write_text(svg_text(figure, titles), encoding="utf-8")
    with mpl.rc_context(_STABLE):
        figure.savefig(png_path, format="png", dpi=DPI, metadata={"Software": None})
    return [svg_path, png_path]


def map_titles(counts: Mapping[str, int], level: str) -> dict[str, str]:
    return {
        f"{level}-{outline.code}": f"{outline.name} : {counted(counts.get(outline.code, 0), 'article', 'articles')}"
        for outline in outlines(level)
    }


def chart_titles(by_month_kind: Mapping[int, Mapping[str, int]]) -> dict[str, str]:
    return {
        f"mois-{month:02d}-{kind}": f"{MONTHS[month - 1]} : "
        f"{counted(by_month_kind.get(month, {}).get(kind, 0), 'article', 'articles')} « {KIND_LABELS[kind]} »"
        for month in range(1, 13)
        for kind in LOSS_KINDS
    }


def write_pictures(
    out_dir: Path,
    *,
    year: int,
    by_area: Mapping[str, int],
    by_month_kind: Mapping[int, Mapping[str, int]],
    by_month: Mapping[int, int],
    level: str = "region",
    notes: Sequence[str] = (),
) -> list[Path]:
    """map.svg/.png (by région, or by département) and chart.svg/.png of `year` into `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = save(year_map(year, by_area, level, notes), out_dir / "map", map_titles(by_area, level))
    return files + save(year_chart(year, by_month_kind, by_month), out_dir / "chart", chart_titles(by_month_kind))


def summary_notes(total: int, national: int, unplaced: int) -> list[str]:
    """What the map's title says beneath the year: what the map cannot place."""
    return [counted(total, "article", "articles"), f"{national} sur la France entière", f"{unplaced} sans lieu connu"]


def year_map(year: int, by_area: Mapping[str, int], level: str = "region", notes: Sequence[str] = ()) -> Figure:
    """The map of `year` as `watcher observatoire carte` and the desk draw it."""
    where = "par région" if level == "region" else "par département"
    title = f"Pertes de chances rapportées par la presse, {year}, {where}"
    if notes:
        title += "\n" + " ; ".join(notes)
    return france_map(by_area, level=level, title=title)


def year_chart(year: int, by_month_kind: Mapping[int, Mapping[str, int]], by_month: Mapping[int, int]) -> Figure:
    """The monthly chart of `year` as `watcher observatoire carte` and the desk draw it."""
    return monthly_chart(by_month_kind, by_month, title=f"Pertes de chances rapportées par la presse, {year}, par mois")
