"""`watcher observatoire`: the Observatoire des pertes de chances' corrections, files and yearly counts.

Registered on the `watcher` application by watcher/cli/__init__.py; each command calls one library function
(watcher/observatory.py, watcher/observatory_files.py).
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from store.db import session_scope
from watcher import desk, observatory, observatory_files
from watcher.cli import base
from watcher.exports import ExportError
from watcher.failures import os_reason
from watcher.losses import LOSS_KINDS
from watcher.when import DAY_FORMATS

observatory_app = typer.Typer(
    help="L'Observatoire des pertes de chances : lieux et types de perte, fichiers, bilan de l'année.",
    no_args_is_help=True,
)
base.app.add_typer(observatory_app, name="observatoire")


@observatory_app.command("correct")
def observatory_correct(
    item: Annotated[
        int, typer.Argument(metavar="ARTICLE", help="Numéro de l'article (voir « watcher items »).", show_default=False)
    ],
    commune: Annotated[
        str | None, typer.Option("--commune", help="Commune : son nom ou son code INSEE (35238 pour Rennes).")
    ] = None,
    departement: Annotated[
        str | None, typer.Option("--departement", help="Département : son nom ou son numéro (35, 2A, 974).")
    ] = None,
    region: Annotated[str | None, typer.Option("--region", help="Région : son nom ou son code INSEE (53).")] = None,
    national: Annotated[bool, typer.Option("--national", help="L'article porte sur la France entière.")] = False,
    kinds: Annotated[
        list[str] | None,
        typer.Option("--loss-kind", help=f"Type de perte, répétable : {', '.join(LOSS_KINDS)}.", show_default=False),
    ] = None,
) -> None:
    """Corriger le lieu ou le type de perte d'un article ; la correction l'emporte sur la valeur automatique."""
    try:  # checked before the database is opened: a typing mistake is told first
        correction = observatory.plan_correction(
            commune=commune, departement=departement, region=region, national=national, kinds=kinds
        )
        engine = base._engine_ready()
        with session_scope(engine) as session:
            observatory.correct(session, item, correction, who=desk.default_who(), now=base.state.now())
    except observatory.ObservatoryError as exc:
        raise base.fail(escape(str(exc))) from None
    said = []
    if correction.place is not None:
        said.append(f"lieu : {_place_words(correction)}")
    if correction.kinds is not None:
        said.append("type de perte : " + (", ".join(correction.kinds) or "aucun"))
    base.console.print(f"Article {item} corrigé ({' ; '.join(said)}).", highlight=False, soft_wrap=True)


def _place_words(correction: observatory.Correction) -> str:
    if correction.national:
        return "France entière"
    assert correction.place is not None
    commune, departement, region = correction.place
    place = observatory.corrected_place_of_codes(commune, departement, region)
    return ", ".join(part for part in (place.commune, place.departement, place.region) if part)


def _period(first_text: str, last_text: str) -> tuple[date, date]:
    first, last = base.day_option(first_text, "--from"), base.day_option(last_text, "--to")
    assert first is not None and last is not None
    if last < first:
        raise base.fail(f"--to ({last:%d/%m/%Y}) est avant --from ({first:%d/%m/%Y})")
    return first, last


@observatory_app.command("export")
def observatory_export(
    first: Annotated[str, typer.Option("--from", help=f"Publiés à partir de ce jour : {DAY_FORMATS}.")],
    last: Annotated[str, typer.Option("--to", help=f"Jusqu'à ce jour inclus : {DAY_FORMATS}.")],
    fmt: Annotated[str, typer.Option("--format", help="csv, xlsx ou json.")] = "csv",
    out: Annotated[Path | None, typer.Option("--out", help="Fichier de sortie (sinon la sortie standard).")] = None,
) -> None:
    """Exporter les articles de l'observatoire d'une période : date, média, titre, lien, lieu, type, sujet, validé."""
    if fmt not in observatory_files.FORMATS:
        raise base.fail(f"--format : format inconnu « {fmt} » (attendu : csv, xlsx ou json)")
    start, end = _period(first, last)
    zone = base.state.config().digest.zone
    engine = base._engine_ready()
    with session_scope(engine) as session:
        items = observatory.observatory_items(session, start, end, zone)
    default_name = f"observatoire-{start.isoformat()}-{end.isoformat()}"
    try:
        content = observatory_files.write_items(items, fmt, out, default_name)
    except ExportError as exc:
        raise base.fail(str(exc)) from None
    if content is not None:
        sys.stdout.write(content)
        return
    target = out or Path(f"{default_name}.xlsx")
    base.console.print(f"{base.counted(len(items), 'article', 'articles')} → {target}", highlight=False, soft_wrap=True)


@observatory_app.command("summary")
def observatory_summary(
    year: Annotated[int, typer.Option("--year", help="Année (AAAA).", show_default=False)],
    validated: Annotated[bool, typer.Option("--validated", help="Ne compter que les articles validés.")] = False,
) -> None:
    """Le bilan d'une année : articles par région et par type de perte, mois par mois."""
    if not 1900 <= year <= 9999:
        raise base.fail(f"--year : année invalide « {year} » (attendu : AAAA, par exemple 2026)")
    zone = base.state.config().digest.zone
    engine = base._engine_ready()
    with session_scope(engine) as session:
        summary = observatory.summary(session, year, zone, validated_only=validated)
    which = "validés" if validated else "retenus"
    base.console.print(
        f"Observatoire des pertes de chances — {year} : {base.counted(summary.total, 'article', 'articles')} "
        f"{which if summary.total > 1 else which.rstrip('s')}, dont {summary.validated} validé"
        f"{'s' if summary.validated > 1 else ''}, {summary.national} sur la France entière, "
        f"{summary.unplaced} sans lieu connu.",
        highlight=False,
        soft_wrap=True,
    )
    for title, columns, rows in observatory_files.summary_tables(summary):
        table = Table(title=title, title_justify="left")
        for index, column in enumerate(columns):
            table.add_column(column, justify="left" if index == 0 else "right")
        for row in rows:
            table.add_row(*row)
        base.console.print(table)


@observatory_app.command("carte")
def observatory_pictures(
    year: Annotated[int, typer.Option("--year", help="Année (AAAA).", show_default=False)],
    out: Annotated[Path, typer.Option("--out", help="Dossier des images.", show_default=False)],
    departements: Annotated[
        bool, typer.Option("--departements", help="La carte par département plutôt que par région.")
    ] = False,
    validated: Annotated[bool, typer.Option("--validated", help="Ne compter que les articles validés.")] = False,
) -> None:
    """La carte de France (par région, ou par département) et le graphique mois par mois, en SVG et en PNG."""
    if not 1900 <= year <= 9999:
        raise base.fail(f"--year : année invalide « {year} » (attendu : AAAA, par exemple 2026)")
    if out.exists() and not out.is_dir():
        raise base.fail(f"--out : « {out} » est un fichier, pas un dossier")
    from watcher.observatory_pictures import summary_notes, write_pictures  # matplotlib is loaded by this command only

    zone = base.state.config().digest.zone
    engine = base._engine_ready()
    with session_scope(engine) as session:
        summary = observatory.summary(session, year, zone, validated_only=validated)
    notes = summary_notes(summary.total, summary.national, summary.unplaced)
    try:
        files = write_pictures(
            out,
            year=year,
            level="departement" if departements else "region",
            by_area=summary.by_departement if departements else summary.by_region,
            by_month_kind=summary.by_month_kind,
            by_month=summary.by_month,
            notes=notes,
        )
    except OSError as exc:
        raise base.fail(f"écriture des images impossible dans « {out} » : {os_reason(exc)}") from None
    base.console.print(f"Observatoire {year} : {', '.join(notes)}.", highlight=False, soft_wrap=True)
    for path in files:
        base.console.print(f"  → {path}", highlight=False)
