"""Regenerate the map outlines shipped in watcher/data/france/ (read by watcher/observatory_pictures.py).

Source: Grégoire David's « france-geojson » (https://github.com/gregoiredavid/france-geojson), the outlines of
IGN's Admin Express COG 2018 with INSEE's codes and names, under the Licence Ouverte / Open Licence (Etalab).
Its files `regions-avec-outre-mer.geojson` and `departements-avec-outre-mer.geojson` are read from a checkout:

    git clone https://github.com/gregoiredavid/france-geojson /tmp/france-geojson
    pip install -e '.[outlines]'
    python tools/france_outlines.py /tmp/france-geojson

Metropolitan France comes from the checkout's « version simplifiée » files (simplified by mapshaper with the
topology kept, so that neighbours still touch); the five overseas régions, islands with no neighbour in the data,
are simplified here with shapely. Coordinates are rounded to 3 decimals (about 100 m): plenty for a map of France
a few hundred pixels wide, and the two files stay under 1 MB together.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from shapely.geometry import mapping, shape

OUT_DIR = Path(__file__).resolve().parent.parent / "watcher" / "data" / "france"
DECIMALS = 3
OVERSEAS_TOLERANCE = 0.004  # degrees (~400 m): the islands keep their shape at inset size
# Per level: the simplified metropolitan file, the file with the overseas territories, the INSEE codes of these five
# territories at that level (« 01 » is Guadeloupe among the régions, the Ain among the départements), and the count.
LEVELS = {
    "regions": (
        "regions-version-simplifiee.geojson",
        "regions-avec-outre-mer.geojson",
        {"01", "02", "03", "04", "06"},
        18,
    ),
    "departements": (
        "departements-version-simplifiee.geojson",
        "departements-avec-outre-mer.geojson",
        {"971", "972", "973", "974", "976"},
        101,
    ),
}


def _rounded(coordinates: Any) -> Any:
    if isinstance(coordinates[0], (int, float)):
        return [round(coordinates[0], DECIMALS), round(coordinates[1], DECIMALS)]
    return [_rounded(part) for part in coordinates]


def _feature(code: str, name: str, geometry: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"code": code, "nom": name},
        "geometry": {"type": geometry["type"], "coordinates": _rounded(geometry["coordinates"])},
    }


def outlines(checkout: Path, level: str) -> dict[str, Any]:
    metropolitan_file, overseas_file, overseas, expected = LEVELS[level]
    features = []
    for source in json.loads((checkout / metropolitan_file).read_text(encoding="utf-8"))["features"]:
        properties = source["properties"]
        features.append(_feature(properties["code"], properties["nom"], source["geometry"]))
    for source in json.loads((checkout / overseas_file).read_text(encoding="utf-8"))["features"]:
        properties = source["properties"]
        if properties["code"] in overseas:
            simplified = shape(source["geometry"]).simplify(OVERSEAS_TOLERANCE, preserve_topology=True)
            features.append(_feature(properties["code"], properties["nom"], mapping(simplified)))
    if len(features) != expected:
        sys.exit(f"{level}: {len(features)} outlines, {expected} expected; has the checkout changed?")
    features.sort(key=lambda feature: feature["properties"]["code"])
    return {"type": "FeatureCollection", "features": features}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkout", type=Path, help="a checkout of gregoiredavid/france-geojson")
    arguments = parser.parse_args()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for level in LEVELS:
        path = OUT_DIR / f"{level}.geojson"
        path.write_text(json.dumps(outlines(arguments.checkout, level), ensure_ascii=False, separators=(",", ":")))
        print(f"{path}: {path.stat().st_size // 1024} Ko")


if __name__ == "__main__":
    main()
