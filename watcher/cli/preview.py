"""`watcher preview`: articles judged without being stored, or another configuration tried on the archive."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from watcher.cli import base
from watcher.cli.base import _engine_ready, app, console, counted, errors, fail
from watcher.config import ConfigError, load_config
from watcher.score import DECISION_LABELS

if TYPE_CHECKING:
    from watcher.preview import PreviewRow


@app.command("preview")
def preview_command(
    inputs: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="FICHIER_OU_URL",
            help="Flux RSS/Atom (fichier ou URL) ou fichier .jsonl d'articles (sans objet avec --archive).",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Une ligne JSON par article.")] = False,
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            help="Juger chaque article comme venu de cette source de sources.yaml (son poids et ses thèmes par "
            "défaut), comme le fait la collecte.",
        ),
    ] = None,
    archive: Annotated[
        bool,
        typer.Option(
            "--archive",
            help="Simulation sur les articles déjà collectés : lesquels changeraient de décision avec la "
            "configuration de --config (entrent, sortent, alerte ↔ synthèse) ; rien n'est enregistré.",
        ),
    ] = False,
    days: Annotated[
        int, typer.Option("--days", help="Avec --archive : les articles collectés ces N derniers jours.")
    ] = 30,
    other_config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="Avec --archive : l'AUTRE configuration, comparée à celle en service (l'option générale "
            "« watcher --config », placée avant « preview », reste celle en service).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Évaluer des articles sans rien enregistrer (pour tester les règles), ou simuler une autre configuration
    sur les archives (--archive)."""
    if archive:
        _preview_archive(inputs or [], as_json, source, days, other_config)
        return
    if other_config is not None:
        raise fail("--config après « preview » ne sert qu'avec --archive (la configuration à comparer)", code=2)
    if not inputs:
        raise fail("argument manquant : FICHIER_OU_URL", code=2)
    from watcher.preview import preview

    config = base.state.config()
    spec = None
    if source:
        try:
            spec = config.source(source)
        except ConfigError as exc:
            raise fail(str(exc)) from None
    run = preview(inputs, config, spec, now=base.state.fixed_now())
    rows = run.rows
    if as_json:
        for row in rows:
            sys.stdout.write(json.dumps(row.as_json(), ensure_ascii=False) + "\n")
    elif rows or not run.unreadable:
        console.print(_preview_table(rows))
    # After the results, where they are seen last; each one names its input.
    for problem in run.unreadable:
        errors.print(f"[bold red]Erreur[/] : {escape(problem)}", highlight=False, soft_wrap=True)
    if run.unreadable:
        raise fail(f"{counted(len(run.unreadable), 'entrée illisible', 'entrées illisibles')} sur {len(inputs)}")


def _preview_table(rows: list[PreviewRow]) -> Table:
    table = Table(title=f"Aperçu : {len(rows)} articles", show_lines=False)
    for column in ("Décision", "Score", "Thèmes", "Récit", "Titre", "Pourquoi"):
        table.add_column(column, overflow="fold")
    for row in rows:
        judgement = row.judgement
        why = judgement.why[:3] + ([f"… +{len(judgement.why) - 3}"] if len(judgement.why) > 3 else [])
        table.add_row(
            DECISION_LABELS[judgement.decision],
            str(judgement.score),
            ", ".join(judgement.topics) or "—",
            row.story,
            row.item.title,
            "\n".join(why) or "aucune règle",
        )
    return table


def _preview_archive(inputs: list[str], as_json: bool, source: str | None, days: int, other: Path | None) -> None:
    """`preview --archive`: the stored items another configuration would decide otherwise (watcher/whatif.py)."""
    from watcher.whatif import CHANGE_LABELS, MAX_DAYS, Change, what_if

    if inputs:
        raise fail(f"--archive rejuge les articles déjà collectés : retirez « {inputs[0]} »", code=2)
    if source is not None:
        raise fail("--source ne sert pas avec --archive : chaque article garde sa source", code=2)
    if other is None:
        raise fail("--archive demande --config AUTRE.yaml, la configuration à comparer à celle en service", code=2)
    if not 1 <= days <= MAX_DAYS:
        raise fail(f"--days : {days} jours, hors limites (de 1 à {MAX_DAYS})", code=2)
    running = base.state.config()
    candidate = load_config(other)  # a fault is worded with its line by FrenchGroup, as for the running one
    engine = _engine_ready()
    result = what_if(engine, running, candidate, now=base.state.now(), days=days)
    if as_json:
        for changed in result.changes:
            sys.stdout.write(json.dumps(changed.as_json(), ensure_ascii=False) + "\n")
        return
    zone = running.digest.zone

    def moment(instant: datetime) -> str:
        return instant.astimezone(zone).strftime("%d/%m/%Y %H:%M")

    counts = result.counts()
    lines = [
        f"Simulation : {escape(str(other))} comparé à la configuration en service, sur "
        f"{counted(result.examined, 'article collecté', 'articles collectés')} "
        f"du {moment(result.start)} au {moment(result.end)}.",
        "",
        *(f"  {counts[change]:>5} {CHANGE_LABELS[change]}" for change in Change),
        f"  {result.rescored:>5} changent de note sans changer de décision",
    ]
    for change in Change:
        changed_items = result.of(change)
        if not changed_items:
            continue
        lines += ["", f"[bold]{CHANGE_LABELS[change].capitalize()}[/]"]
        for changed in changed_items:
            before, after = changed.before, changed.after
            lines += [
                f"• {escape(changed.title)}",
                f"  {escape(changed.source)} · {moment(changed.published)} · n° {changed.item_id}",
                f"  {DECISION_LABELS[before.decision]} {before.score} → "
                f"[bold]{DECISION_LABELS[after.decision]} {after.score}[/]"
                + (f" ({escape(after.alert_reason)})" if after.alert_reason else "")
                + (" (quota d'alertes du jour atteint)" if after.held else ""),
            ]
    if not result.changes:
        lines += ["", "Aucun article ne changerait de décision."]
    console.print("\n".join(lines), highlight=False)
