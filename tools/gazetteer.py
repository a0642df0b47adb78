"""Regenerate the gazetteer shipped in watcher/data/places/ (read by watcher/place.py).

Sources, both open and both fetched from package registries:
- Etalab's `@etalab/decoupage-administratif` (npm; INSEE's Code officiel géographique, communes with their
  département, région and legal population; data under the Licence Ouverte 2.0, code MIT);
- pycountry (PyPI; ISO 3166-1 and 3166-2 with their French translations): the ISO codes of the régions and
  départements, and the French names of the countries that tell an item is about a place abroad.

Usage (from the repository's root; `npm pack` fetches the tarball when none is given):

    pip install -e '.[gazetteer]'
    python tools/gazetteer.py [--tarball decoupage-administratif-6.0.0.tgz]

The script checks that every région and département of INSEE's list has its ISO 3166-2 subdivision in pycountry,
and stops otherwise: a new reform needs a look before it changes the observatoire's map.
"""

from __future__ import annotations

import argparse
import csv
import gettext
import gzip
import io
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import unicodedata
from pathlib import Path

import pycountry

PACKAGE = "@etalab/decoupage-administratif"
VERSION = "6.0.0"  # the 2026 vintage of the Code officiel géographique
OUT = Path(__file__).resolve().parent.parent / "watcher" / "data" / "places"

# The régions merged on 1 January 2016 (loi NOTRe): the press still names them. Each former name → its INSEE code.
FORMER_REGIONS = {
    "Alsace": "44",
    "Lorraine": "44",
    "Champagne-Ardenne": "44",
    "Picardie": "32",
    "Nord-Pas-de-Calais": "32",
    "Aquitaine": "75",
    "Limousin": "75",
    "Poitou-Charentes": "75",
    "Midi-Pyrénées": "76",
    "Languedoc-Roussillon": "76",
    "Rhône-Alpes": "84",
    "Auvergne": "84",
    "Bourgogne": "27",
    "Franche-Comté": "27",
    "Basse-Normandie": "28",
    "Haute-Normandie": "28",
    "PACA": "93",  # the usual acronym of Provence-Alpes-Côte d'Azur
}
# France itself and the overseas collectivities that are French: naming them does not put an item abroad.
FRENCH_COUNTRY_CODES = {"FR", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF", "NC", "PF", "WF", "TF"}


def _key(name: str) -> str:
    """A name without accents, case, punctuation or parenthesis: « Guyane (française) » → « guyane »."""
    name = re.sub(r"\(.*?\)", "", name)
    decomposed = unicodedata.normalize("NFKD", name.lower())
    letters = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(re.findall(r"[a-z0-9]+", letters))


def _tarball(given: Path | None, workdir: Path) -> Path:
    if given is not None:
        return given
    subprocess.run(["npm", "pack", f"{PACKAGE}@{VERSION}", "--silent"], cwd=workdir, check=True)
    return next(workdir.glob("*.tgz"))


def _read(tarball: Path, name: str) -> list[dict]:
    with tarfile.open(tarball) as archive:
        member = archive.extractfile(f"package/data/{name}.json")
        assert member is not None, name
        return json.load(member)


def _write_tsv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    if path.suffix == ".gz":
        # mtime 0: the same data give the same bytes, so a regeneration without change leaves git clean.
        path.write_bytes(gzip.compress(out.getvalue().encode("utf-8"), mtime=0))
    else:
        path.write_text(out.getvalue(), encoding="utf-8")


def _iso_subdivisions() -> tuple[dict[str, str], set[str]]:
    """The French names (folded) of France's ISO subdivisions → their codes, and every code."""
    french = gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=["fr"])
    by_name: dict[str, str] = {}
    codes: set[str] = set()
    for subdivision in pycountry.subdivisions.get(country_code="FR"):
        codes.add(subdivision.code)
        for name in (subdivision.name, french.gettext(subdivision.name)):
            by_name.setdefault(_key(name), subdivision.code)
    return by_name, codes


def build(tarball: Path) -> None:
    # The overseas collectivities (zone « com ») are neither régions nor départements: the observatoire leaves them out.
    regions = [region for region in _read(tarball, "regions") if region["zone"] != "com"]
    departements = [departement for departement in _read(tarball, "departements") if departement["zone"] != "com"]
    communes = _read(tarball, "communes")
    iso_by_name, iso_codes = _iso_subdivisions()

    missing = []
    region_rows = []
    for region in regions:
        iso = iso_by_name.get(_key(region["nom"]))
        if iso is None:
            missing.append(f"région {region['code']} {region['nom']}")
            continue
        aliases = [name for name, code in FORMER_REGIONS.items() if code == region["code"]]
        region_rows.append([region["code"], iso, region["nom"], "|".join(aliases)])
    known_regions = {row[0] for row in region_rows}
    departement_rows = []
    for departement in departements:
        # Paris is a collectivity with special status in ISO 3166-2 (FR-75C); the others keep their number.
        iso = "FR-75C" if departement["code"] == "75" else f"FR-{departement['code']}"
        if iso not in iso_codes or departement["region"] not in known_regions:
            missing.append(f"département {departement['code']} {departement['nom']}")
            continue
        departement_rows.append([departement["code"], iso, departement["nom"], departement["region"]])
    if missing:
        sys.exit("Sans subdivision ISO 3166-2 dans pycountry : " + ", ".join(missing))
    known_departements = {row[0] for row in departement_rows}
    commune_rows = [
        [commune["code"], commune["nom"], commune["departement"], str(commune.get("population") or 0)]
        for commune in communes
        if commune["type"] == "commune-actuelle" and commune.get("departement") in known_departements
    ]
    countries_fr = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"])
    country_rows = []
    for country in pycountry.countries:
        if country.alpha_2 in FRENCH_COUNTRY_CODES:
            continue
        names = {
            countries_fr.gettext(country.name),
            countries_fr.gettext(getattr(country, "common_name", country.name)),
        }
        # « Corée, République de » is not how a sentence names a country: keep the names a sentence can hold.
        names = {name for name in names if "," not in name and "(" not in name}
        if names:
            country_rows.append([country.alpha_2, "|".join(sorted(names))])

    OUT.mkdir(parents=True, exist_ok=True)
    _write_tsv(OUT / "regions.tsv", ["code", "iso", "nom", "anciens_noms"], region_rows)
    _write_tsv(OUT / "departements.tsv", ["code", "iso", "nom", "region"], departement_rows)
    _write_tsv(OUT / "communes.tsv.gz", ["code", "nom", "departement", "population"], commune_rows)
    _write_tsv(OUT / "pays.tsv", ["code", "noms"], country_rows)
    print(
        f"{len(region_rows)} régions, {len(departement_rows)} départements, {len(commune_rows)} communes, "
        f"{len(country_rows)} pays étrangers → {OUT}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tarball", type=Path, help=f"the npm tarball of {PACKAGE}@{VERSION}")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        build(_tarball(args.tarball, Path(workdir)))


if __name__ == "__main__":
    main()
