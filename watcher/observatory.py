"""The Observatoire des pertes de chances: its items with their place and kinds of loss, the coordinator's
corrections, and the yearly counts that its files, map and chart show.

Which items: those published in the period that the rules put in the `pertes_de_chance` theme or that a person
judged « pertinent » for it, less those whose latest verdict for the theme is « hors sujet ». An item is
**validated** when its latest verdict for the theme is « pertinent » (`watcher verdict ITEM --topic
pertes_de_chance --yes`, the desk's buttons).

The place and the kinds come from the title and lead (watcher/place.py, watcher/losses.py) unless the coordinator
corrected them (`correct`): a correction is kept with who made it and when, and wins over the automatic value.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from store import observatory as store_observatory
from store.models import Item, ObservatoryCorrection, VerdictValue
from watcher.losses import LOSS_KINDS, LOSS_THEME, loss_kinds
from watcher.place import NOWHERE, Place, gazetteer, place_of
from watcher.text import fold
from watcher.when import start_of_day

KIND_LABELS = {
    "retard_diagnostic": "retard de diagnostic ou de soin",
    "deprogrammation": "déprogrammation",
    "fermeture_transfert": "fermeture, transfert",
    "deces_complication": "décès ou complication",
    "refus_de_soins": "refus de soins",
    "rupture_traitement": "rupture de traitement",
    "sans_medecin": "sans médecin",
}


class ObservatoryError(ValueError):
    """A correction that cannot be made, phrased in French."""


@dataclass(frozen=True)
class ObservatoryItem:
    id: int
    published: datetime
    outlet: str
    title: str
    link: str
    place: Place
    kind: list[str]
    story: int | None
    validated: bool
    place_corrected: bool = False
    kind_corrected: bool = False
    corrected_by: str | None = None  # who made the correction, when there is one
    corrected_at: datetime | None = None


def corrected_place(correction: ObservatoryCorrection) -> Place:
    """The place a stored correction names."""
    if correction.national:
        return Place(national=True)
    return corrected_place_of_codes(correction.commune_code, correction.departement_code, correction.region_code)


def corrected_place_of_codes(commune: str | None, departement: str | None, region: str | None) -> Place:
    """The place at the most precise level given by INSEE codes."""
    places = gazetteer()
    if commune:
        return places.commune_place(commune)
    if departement:
        return places.departement_place(departement)
    if region:
        return places.region_place(region)
    return NOWHERE


def _observatory_item(row: store_observatory.ThemeRow, zone: ZoneInfo) -> ObservatoryItem:
    item, correction = row.item, row.correction
    place_corrected = correction is not None and correction.place_corrected
    kind_corrected = correction is not None and correction.loss_kinds is not None
    place = corrected_place(correction) if correction and place_corrected else place_of(item.title, item.summary)
    kind = list(correction.loss_kinds or []) if correction and kind_corrected else loss_kinds(item.title, item.summary)
    return ObservatoryItem(
        id=item.id or 0,
        published=item.published_at.astimezone(zone),
        outlet=item.publisher or row.source.name,
        title=item.title,
        link=item.url,
        place=place,
        kind=kind,
        story=item.story_id,
        validated=row.verdict == VerdictValue.PERTINENT,
        place_corrected=place_corrected,
        kind_corrected=kind_corrected,
        corrected_by=correction.who if correction else None,
        corrected_at=correction.corrected_at if correction else None,
    )


def observatory_items(session: Session, first: date, last: date, zone: ZoneInfo) -> list[ObservatoryItem]:
    """The items of the theme published from `first` to `last` (both included, days in `zone`), oldest first."""
    rows = store_observatory.theme_rows(
        session, LOSS_THEME, start_of_day(first, zone), start_of_day(date.fromordinal(last.toordinal() + 1), zone)
    )
    return [_observatory_item(row, zone) for row in rows if row.verdict != VerdictValue.HORS_SUJET]


def observatory_item(session: Session, item_id: int, zone: ZoneInfo) -> ObservatoryItem | None:
    """The item as the observatoire holds it, whatever its date; None when it is not among the theme's items."""
    row = store_observatory.theme_row(session, LOSS_THEME, item_id)
    if row is None or row.verdict == VerdictValue.HORS_SUJET:
        return None
    return _observatory_item(row, zone)


# --- the year in counts ------------------------------------------------------


@dataclass(frozen=True)
class ObservatorySummary:
    """A year of the observatoire in counts; the map and the chart draw these.

    Régions and départements by INSEE code (watcher.place.gazetteer() names them); months 1–12, each present;
    kinds in the order of LOSS_KINDS, each present. An item with two kinds counts once in each.
    """

    year: int
    total: int
    validated: int
    national: int  # about France as a whole
    unplaced: int  # neither a place nor national
    by_region: dict[str, int]
    by_departement: dict[str, int]
    by_kind: dict[str, int]
    by_month: dict[int, int]
    by_month_region: dict[int, dict[str, int]] = field(default_factory=dict)
    by_month_kind: dict[int, dict[str, int]] = field(default_factory=dict)


def summarise(items: list[ObservatoryItem], year: int) -> ObservatorySummary:
    by_region: Counter[str] = Counter()
    by_departement: Counter[str] = Counter()
    by_kind: Counter[str] = Counter({kind: 0 for kind in LOSS_KINDS})
    by_month: Counter[int] = Counter({month: 0 for month in range(1, 13)})
    by_month_region: dict[int, Counter[str]] = defaultdict(Counter)
    by_month_kind: dict[int, Counter[str]] = {month: Counter({k: 0 for k in LOSS_KINDS}) for month in range(1, 13)}
    for item in items:
        month = item.published.month
        by_month[month] += 1
        if item.place.code_region:
            by_region[item.place.code_region] += 1
            by_month_region[month][item.place.code_region] += 1
        if item.place.code_departement:
            by_departement[item.place.code_departement] += 1
        for kind in item.kind:
            by_kind[kind] += 1
            by_month_kind[month][kind] += 1
    return ObservatorySummary(
        year=year,
        total=len(items),
        validated=sum(item.validated for item in items),
        national=sum(item.place.national for item in items),
        unplaced=sum(not item.place.known for item in items),
        by_region=dict(sorted(by_region.items())),
        by_departement=dict(sorted(by_departement.items())),
        by_kind={kind: by_kind[kind] for kind in LOSS_KINDS},
        by_month=dict(sorted(by_month.items())),
        by_month_region={month: dict(sorted(by_month_region[month].items())) for month in range(1, 13)},
        by_month_kind={month: {kind: by_month_kind[month][kind] for kind in LOSS_KINDS} for month in range(1, 13)},
    )


def summary(session: Session, year: int, zone: ZoneInfo, *, validated_only: bool = False) -> ObservatorySummary:
    """The counts of `year` (days in `zone`): by région, département, kind and month; only the validated items
    with `validated_only`."""
    items = observatory_items(session, date(year, 1, 1), date(year, 12, 31), zone)
    return summarise([item for item in items if item.validated or not validated_only], year)


# --- corrections -------------------------------------------------------------


def _commune_code(text: str, departement: str | None) -> str:
    places = gazetteer()
    found = places.find_communes(text.strip())
    if departement is not None:
        found = [commune for commune in found if commune.departement == departement] or found
    if not found:
        raise ObservatoryError(
            f"commune inconnue « {text} » (indiquez son nom ou son code INSEE, par exemple 35238 pour Rennes)"
        )
    if len(found) > 1:
        listed = ", ".join(f"{c.code} ({places.departements[c.departement].name})" for c in found[:6])
        more = "…" if len(found) > 6 else ""
        raise ObservatoryError(
            f"« {text} » désigne {len(found)} communes : {listed}{more} ; indiquez son code INSEE ou son département"
        )
    return found[0].code


def _place_codes(
    commune: str | None, departement: str | None, region: str | None
) -> tuple[str | None, str | None, str | None]:
    places = gazetteer()
    departement_code = region_code = None
    if departement is not None:
        found = places.find_departement(departement.strip())
        if found is None:
            raise ObservatoryError(f"département inconnu « {departement} » (indiquez son nom ou son numéro, ex. 35)")
        departement_code, region_code = found.code, found.region
    if region is not None:
        found_region = places.find_region(region.strip())
        if found_region is None:
            names = ", ".join(r.name for r in places.regions.values())
            raise ObservatoryError(f"région inconnue « {region} » (attendu : {names} ou son code INSEE)")
        if region_code is not None and region_code != found_region.code:
            raise ObservatoryError(f"le département « {departement} » n'est pas en région {found_region.name}")
        region_code = found_region.code
    commune_code = None
    if commune is not None:
        commune_code = _commune_code(commune, departement_code)
        commune_departement = places.communes[commune_code].departement
        if departement_code is not None and commune_departement != departement_code:
            raise ObservatoryError(f"la commune « {commune} » n'est pas dans le département « {departement} »")
        commune_region = places.departements[commune_departement].region
        if region_code is not None and commune_region != region_code:
            raise ObservatoryError(f"la commune « {commune} » n'est pas dans la région « {region} »")
        departement_code, region_code = commune_departement, commune_region
    return commune_code, departement_code, region_code


def kind_code(text: str) -> str:
    """« sans_medecin », « sans médecin » or « Sans-médecin » → sans_medecin; ObservatoryError otherwise."""
    wanted = _code(text)
    for code, label in KIND_LABELS.items():
        if wanted in (code, _code(label)):
            return code
    raise ObservatoryError(f"type de perte inconnu « {text} » (attendu : {', '.join(LOSS_KINDS)})")


def _code(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", fold(text)).strip("_")


@dataclass(frozen=True)
class Correction:
    """What the coordinator corrects, checked against the gazetteer and the closed list of kinds."""

    place: tuple[str | None, str | None, str | None] | None  # (commune, département, région) codes; None: unchanged
    national: bool
    kinds: list[str] | None  # None: unchanged


def plan_correction(
    *,
    commune: str | None = None,
    departement: str | None = None,
    region: str | None = None,
    national: bool = False,
    kinds: list[str] | None = None,
) -> Correction:
    """A commune by name or INSEE code, a département, a région, or France as a whole (`national`), and/or the kinds
    of loss; ObservatoryError (French) for what is unknown or contradictory. Pure: checked before any database."""
    placed = any(value is not None for value in (commune, departement, region))
    if not placed and not national and kinds is None:
        raise ObservatoryError(
            "rien à corriger : indiquez une commune, un département, une région, la France entière "
            "ou les types de perte"
        )
    if placed and national:
        raise ObservatoryError("un lieu ou la France entière, pas les deux")
    place = _place_codes(commune, departement, region) if placed else ((None, None, None) if national else None)
    kind_codes = None if kinds is None else [k for k in LOSS_KINDS if k in {kind_code(text) for text in kinds}]
    return Correction(place, national, kind_codes)


def correct(session: Session, item_id: int, correction: Correction, *, who: str, now: datetime) -> None:
    """Keep the correction of an item, stamped with `who` and `now`; what it leaves unchanged keeps its former
    correction, or the automatic value."""
    if session.get(Item, item_id) is None:
        raise ObservatoryError(f"article {item_id} introuvable (voir « watcher items » ou « watcher search »)")
    row = store_observatory.correction_for(session, item_id) or ObservatoryCorrection(
        item_id=item_id, who=who, corrected_at=now
    )
    if correction.place is not None:
        row.place_corrected = True
        row.commune_code, row.departement_code, row.region_code = correction.place
        row.national = correction.national
    if correction.kinds is not None:
        row.loss_kinds = correction.kinds
    row.who, row.corrected_at = who, now
    store_observatory.save_correction(session, row)
