"""The coordinator's commands: flag, tribunes, mentions.

Registered on the `watcher` application by watcher/cli/__init__.py; each command calls one library function.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from store import desk as store_desk
from store.db import session_scope
from store.models import MentionStatus
from watcher import desk, exports, register_import
from watcher.cli import base
from watcher.when import DAY_FORMATS

tribunes_app = typer.Typer(help="La liste des tribunes : idées, rédaction, publication.")
mentions_app = typer.Typer(help="Le registre « On parle de nous » : parutions qui citent le collectif.")
base.app.add_typer(tribunes_app, name="tribunes")
base.app.add_typer(mentions_app, name="mentions")


def _fr_date(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else "—"


# --- tribunes --------------------------------------------------------------


@base.app.command()
def flag(
    item: Annotated[
        int,
        typer.Argument(
            metavar="ARTICLE", help="Identifiant de l'article (voir « watcher items » ou « watcher search »)."
        ),
    ],
    tribune: Annotated[bool, typer.Option("--tribune", help="Proposer l'article pour une tribune.")] = False,
    note: Annotated[str | None, typer.Option("--note", help="Une note : angle, média visé…")] = None,
) -> None:
    """Signaler un article au bureau (pour l'instant : une idée de tribune)."""
    if not tribune:
        raise base.fail("précisez ce que vous signalez : --tribune")
    engine = base._engine_ready()
    try:
        with session_scope(engine) as session:
            row, created = desk.flag(session, item, note=note, who=desk.default_who(), now=base.state.now())
            status = desk.TRIBUNE_LABELS.get(row.status, row.status)  # type: ignore[call-overload]
    except desk.DeskError as exc:
        raise base.fail(str(exc)) from None
    if created:
        message = f"Article {item} ajouté aux tribunes (statut : {status})."
    else:
        message = f"Article {item} déjà dans les tribunes (statut : {status})" + (
            ", note mise à jour." if note else "."
        )
    base.console.print(message, highlight=False, soft_wrap=True)


@tribunes_app.callback(invoke_without_command=True)
def tribunes_list(
    ctx: typer.Context,
    status: Annotated[
        str | None, typer.Option("--status", help="« à étudier », « en rédaction », « publiée »…")
    ] = None,
) -> None:
    """Lister les tribunes (toutes, ou d'un statut)."""
    if ctx.invoked_subcommand is not None:
        return
    try:
        code = desk.tribune_status(status) if status else None
    except desk.DeskError as exc:
        raise base.fail(str(exc)) from None
    engine = base._engine_ready()
    with session_scope(engine) as session:
        rows = store_desk.tribunes(session, code)
    title = base.counted(len(rows), "tribune", "tribunes")
    table = Table(title=title + (f" « {desk.TRIBUNE_LABELS[code]} »" if code else ""))  # type: ignore[index]
    for column in ("Article", "Statut", "Média visé", "Échéance", "Note", "Titre", "Signalée par", "Publiée"):
        table.add_column(column, overflow="fold")
    for tribune, item in rows:
        table.add_row(
            str(item.id),
            desk.TRIBUNE_LABELS.get(tribune.status, tribune.status),  # type: ignore[call-overload]
            tribune.outlet or "—",
            _fr_date(tribune.deadline),
            tribune.note or "—",
            item.title,
            f"{tribune.flagged_by}, {tribune.flagged_at.astimezone(base.state.config().digest.zone):%d/%m/%Y}",
            tribune.published_url or "—",
        )
    base.console.print(table)


@tribunes_app.command("set")
def tribunes_set(
    item: Annotated[int, typer.Argument(metavar="ARTICLE", help="Identifiant de l'article signalé.")],
    status: Annotated[
        str | None, typer.Option("--status", help="à étudier, en rédaction, publiée, abandonnée.")
    ] = None,
    outlet: Annotated[str | None, typer.Option("--outlet", help="Média visé (ou qui a publié).")] = None,
    deadline: Annotated[str | None, typer.Option("--deadline", help=f"Échéance : {DAY_FORMATS}.")] = None,
    url: Annotated[str | None, typer.Option("--url", help="Adresse de la tribune publiée.")] = None,
    title: Annotated[str | None, typer.Option("--title", help="Titre de la tribune publiée (registre).")] = None,
    published: Annotated[
        str | None, typer.Option("--date", help=f"Jour de parution : {DAY_FORMATS} (par défaut aujourd'hui).")
    ] = None,
) -> None:
    """Faire avancer une tribune ; une tribune publiée entre au registre « On parle de nous »."""
    if not any((status, outlet, deadline, url, title, published)):
        raise base.fail("rien à changer : indiquez --status, --outlet, --deadline ou --url")
    due, published_on = base.day_option(deadline, "--deadline"), base.day_option(published, "--date")
    try:
        code = desk.tribune_status(status) if status else None
        engine = base._engine_ready()
        with session_scope(engine) as session:
            tribune, mention = desk.set_tribune(
                session,
                item,
                base.state.config(),
                who=desk.default_who(),
                now=base.state.now(),
                status=code,
                outlet=outlet,
                deadline=due,
                url=url,
                title=title,
                published_on=published_on,
            )
            label = desk.TRIBUNE_LABELS.get(tribune.status, tribune.status)  # type: ignore[call-overload]
            mention_id = mention.id if mention else None
    except desk.DeskError as exc:
        raise base.fail(str(exc)) from None
    base.console.print(f"Tribune de l'article {item} : {label}.", highlight=False, soft_wrap=True)
    if mention_id is not None:
        base.console.print(
            f"Inscrite au registre « On parle de nous » (n° {mention_id}).", highlight=False, soft_wrap=True
        )


# --- the press register ----------------------------------------------------


@mentions_app.callback(invoke_without_command=True)
def mentions_list(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option("--status", help="à valider, validée, rejetée.")] = None,
    year: Annotated[int | None, typer.Option("--year", help="Année de parution.")] = None,
) -> None:
    """Lister le registre (les parutions à valider d'abord si aucun filtre)."""
    if ctx.invoked_subcommand is not None:
        return
    try:
        code = desk.mention_status(status) if status else None
    except desk.DeskError as exc:
        raise base.fail(str(exc)) from None
    engine = base._engine_ready()
    with session_scope(engine) as session:
        rows = store_desk.mentions(session, status=code, year=year)
    table = Table(title=base.counted(len(rows), "parution", "parutions"))
    for column in ("N°", "Date", "Média", "Type", "Statut", "Titre", "Citation", "Porte-parole", "Note"):
        table.add_column(column, overflow="fold")
    for mention in rows:
        table.add_row(
            str(mention.id),
            exports.date_label(mention),
            mention.outlet,
            desk.MEDIUM_LABELS.get(mention.medium, mention.medium),
            desk.MENTION_LABELS.get(mention.status, mention.status),  # type: ignore[call-overload]
            mention.title or "—",
            mention.quote or "—",
            mention.spokesperson or "—",
            mention.note or "—",
        )
    base.console.print(table)


@mentions_app.command("add")
def mentions_add(
    outlet: Annotated[str, typer.Option("--outlet", help="Média : journal, radio, chaîne…")],
    day: Annotated[str, typer.Option("--date", help=f"Date de parution ou de diffusion : {DAY_FORMATS}.")],
    title: Annotated[str, typer.Option("--title", help="Titre de l'article ou de l'émission.")],
    url: Annotated[str | None, typer.Option("--url", help="Adresse, s'il y en a une.")] = None,
    medium: Annotated[str, typer.Option("--type", help="presse, radio, tv, web, tribune ou communiqué.")] = "presse",
    quote: Annotated[str | None, typer.Option("--quote", help="La phrase qui cite le collectif.")] = None,
    spokesperson: Annotated[str | None, typer.Option("--spokesperson", help="Le ou la porte-parole cité(e).")] = None,
) -> None:
    """Ajouter à la main une parution (presse papier, radio, télévision, interview…), validée d'office."""
    when = base.day_option(day, "--date")
    try:  # checked before the database is opened: a typing mistake is told first
        entry = desk.manual_entry(
            day=when,
            outlet=outlet,
            title=title,
            url=url,
            medium_text=medium,
            quote=quote,
            spokesperson=spokesperson,
            who=desk.default_who(),
            now=base.state.now(),
        )
    except desk.DeskError as exc:
        raise base.fail(str(exc)) from None
    engine = base._engine_ready()
    with session_scope(engine) as session:
        mention, _ = store_desk.add_mention(session, entry)
        number = mention.id
    base.console.print(
        f"Parution n° {number} ajoutée au registre : {outlet}, {_fr_date(when)}.", highlight=False, soft_wrap=True
    )


@mentions_app.command("import")
def mentions_import(
    file: Annotated[
        Path | None,
        typer.Argument(
            metavar="FICHIER",
            help="Fichier CSV (séparateur « ; » ou « , », UTF-8) ou YAML ; colonnes : date, outlet, type, title, "
            "url, spokesperson, note.",
            show_default=False,
        ),
    ] = None,
    history: Annotated[
        bool, typer.Option("--history", help="Importer l'historique 2022–2023 du collectif, livré avec la veille.")
    ] = False,
) -> None:
    """Ajouter au registre des parutions passées (validées d'office) ; relancer l'import n'ajoute rien."""
    if file is None and not history:
        raise base.fail("indiquez le fichier à importer, ou --history pour l'historique 2022–2023 du collectif")
    if file is not None and history:
        raise base.fail("un fichier ou --history, pas les deux")
    try:
        if file is None:
            name, data = register_import.HISTORY_FILE, register_import.history()
        else:
            name, data = file.name, register_import.read_file(file)
        engine = base._engine_ready()
        with session_scope(engine) as session:
            report = register_import.import_register(session, data, name, who=desk.default_who(), now=base.state.now())
    except register_import.RegisterImportError as exc:
        # Escaped: messages quote the file's own text, and a column « [auteur] » would read as a style.
        raise base.fail(escape(str(exc))) from None
    for error in report.errors:
        base.errors.print(f"[bold red]Erreur[/] : {escape(str(error))}", highlight=False, soft_wrap=True)
    base.console.print(report.summary(), highlight=False, soft_wrap=True)
    if report.errors:
        raise typer.Exit(1)


def _decide(mention_id: int, status: str) -> None:
    engine = base._engine_ready()
    with session_scope(engine) as session:
        mention = store_desk.get_mention(session, mention_id)
        if mention is None:
            raise base.fail(f"parution n° {mention_id} introuvable (voir « watcher mentions »)")
        changed = store_desk.set_mention_status(session, mention, status, desk.default_who(), now=base.state.now())
        title = mention.title
    label = desk.MENTION_LABELS[status]  # type: ignore[index]
    if changed:
        base.console.print(f"Parution n° {mention_id} {label} : {title}", highlight=False, soft_wrap=True)
    else:
        base.console.print(f"Parution n° {mention_id} déjà {label}.", highlight=False, soft_wrap=True)


@mentions_app.command("validate")
def mentions_validate(
    mention_id: Annotated[int, typer.Argument(metavar="PARUTION", help="N° de la parution.")],
) -> None:
    """Valider une parution détectée (elle entre au rapport annuel)."""
    _decide(mention_id, MentionStatus.VALIDEE)


@mentions_app.command("reject")
def mentions_reject(mention_id: Annotated[int, typer.Argument(metavar="PARUTION", help="N° de la parution.")]) -> None:
    """Rejeter une parution détectée à tort."""
    _decide(mention_id, MentionStatus.REJETEE)


@mentions_app.command("export")
def mentions_export(
    year: Annotated[int, typer.Option("--year", help="Année du rapport.")],
    fmt: Annotated[str, typer.Option("--format", help="md, csv ou xlsx.")] = "md",
    sep: Annotated[str, typer.Option("--sep", help="Séparateur CSV (« ; » pour Excel en français).")] = ";",
    out: Annotated[Path | None, typer.Option("--out", help="Fichier de sortie (sinon la sortie standard).")] = None,
    pending: Annotated[bool, typer.Option("--pending", help="Inclure les parutions encore à valider.")] = False,
) -> None:
    """Exporter le registre d'une année, mois par mois, pour le rapport annuel."""
    if len(sep) != 1:
        raise base.fail(f"--sep : un seul caractère attendu, reçu « {sep} »")
    engine = base._engine_ready()
    with session_scope(engine) as session:
        rows = [
            mention
            for mention in store_desk.mentions(session, year=year)
            if mention.status in store_desk.register_statuses(pending)
        ]
    try:
        path, content = exports.write_register(rows, year, fmt, out, sep)
    except exports.ExportError as exc:
        raise base.fail(str(exc)) from None
    if content is not None:
        sys.stdout.write(content)
        return
    base.console.print(
        f"Registre {year} : {base.counted(len(rows), 'parution', 'parutions')} → {path}",
        highlight=False,
        soft_wrap=True,
    )
