"""The stored articles: `watcher items`, `watcher verdict` and `watcher rules stats`, measured on the verdicts."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from store import queries, verdicts
from store.db import session_scope
from store.merges import merge_count
from store.splits import split_count
from watcher import when
from watcher.cli import base
from watcher.cli.base import _engine_ready, app, console, fail, since_option
from watcher.rules_stats import merges_line, rule_stats, splits_line
from watcher.score import DECISION_LABELS

rules_app = typer.Typer(help="Mesurer les règles de pertinence.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")


@app.command()
def items(
    since: Annotated[str | None, typer.Option("--since", help=f"Collectés depuis : {when.SINCE_HELP}.")] = None,
    topic: Annotated[str | None, typer.Option("--topic", help="Clé du thème (hopital, greve, ame…).")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Nombre maximum d'articles.")] = 50,
) -> None:
    """Lister les articles enregistrés, les mieux notés d'abord."""
    config = base.state.config()
    if topic is not None and topic not in config.topics:
        raise fail(f"thème inconnu « {topic} » (thèmes : {', '.join(config.topics)})")
    start = since_option(since, config.digest.zone)
    engine = _engine_ready()
    with session_scope(engine) as session:
        rows = queries.scored_items(session, collected_from=start, topic=topic, limit=limit)
    table = Table(title=f"{len(rows)} articles")
    for column in ("N°", "Publié", "Source", "Score", "Décision", "Thèmes", "Titre"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            str(row.item.id),  # what `watcher verdict` takes
            row.item.published_at.astimezone(config.digest.zone).strftime("%d/%m/%Y %H:%M"),
            row.item.publisher or row.source.name,
            str(row.score.score),
            DECISION_LABELS.get(row.score.decision, row.score.decision),
            ", ".join(row.score.topics) or "—",
            row.item.title,
        )
    console.print(table)


@app.command("verdict")
def verdict_command(
    item: Annotated[
        int, typer.Argument(metavar="ARTICLE", help="Numéro de l'article (voir « watcher items »).", show_default=False)
    ],
    topic: Annotated[str, typer.Option("--topic", help="Clé du thème (hopital, greve, ame…).", show_default=False)],
    yes: Annotated[bool, typer.Option("--yes", help="L'article est pertinent pour ce thème.")] = False,
    no: Annotated[bool, typer.Option("--no", help="L'article est hors sujet pour ce thème.")] = False,
    who: Annotated[str | None, typer.Option("--who", help="Votre nom (par défaut $USER).")] = None,
) -> None:
    """Donner son avis sur un article pour un thème : pertinent (--yes) ou hors sujet (--no)."""
    config = base.state.config()
    if topic not in config.topics:
        raise fail(f"thème inconnu « {topic} » (thèmes : {', '.join(config.topics)})")
    if yes == no:
        raise fail("indiquez soit --yes (pertinent), soit --no (hors sujet)")
    from watcher.desk import default_who

    author = who or default_who()  # as every desk command from the terminal names its author
    value = "pertinent" if yes else "hors_sujet"
    engine = _engine_ready()
    try:
        with session_scope(engine) as session:
            changed = verdicts.record_verdict(
                session, item_id=item, topic=topic, verdict=value, who=author, now=base.state.now()
            )
    except verdicts.UnknownItemError:
        raise fail(f"article n° {item} introuvable (voir « watcher items »)") from None
    label = "pertinent" if yes else "hors sujet"
    if changed:
        console.print(f"Avis enregistré : article n° {item}, thème {topic} → {label} (par {author}).", highlight=False)
    else:
        console.print(f"Avis inchangé : article n° {item}, thème {topic} → {label} (par {author}).", highlight=False)


@rules_app.command("stats")
def rules_stats_command() -> None:
    """Pour chaque règle : déclenchements, et précision mesurée sur les avis donnés."""
    engine = _engine_ready()
    with session_scope(engine) as session:
        stats = rule_stats(verdicts.reason_counts(session))
        splits = split_count(session)
        merged = merge_count(session)
    if not stats:
        console.print("Aucune règle déclenchée pour l'instant : lancez « watcher collect ».")
    else:
        table = Table(title="Règles : déclenchements et précision d'après les avis")
        for column in ("Thème", "Règle", "Déclenchements", "Avis", "Précision"):
            table.add_column(column, overflow="fold")
        for rule in stats:
            precision = "—" if rule.precision is None else f"{rule.precision:.0%}".replace("%", " %")
            table.add_row(rule.topic, rule.label, str(rule.hits), str(rule.judged), precision)
        console.print(table)
        console.print(
            "Précision : part des avis qui donnent raison à la règle (pertinent pour un terme, "
            "hors sujet pour une pénalité, un plafond ou un contexte requis absent).",
            highlight=False,
        )
    console.print(splits_line(splits), highlight=False)
    console.print(merges_line(merged), highlight=False)
