"""The public revue de presse: its content, its feed, its escaping, its stability, and the marks that feed it."""

from __future__ import annotations

import logging
import re
from datetime import date, timedelta
from pathlib import Path

import feedparser
import lxml.html
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from store import desk as store_desk
from store.db import session_scope
from store.models import MentionStatus, PressMention
from tests.clock import AT_NOW, NOW
from tests.conftest import REPO_ROOT
from tests.deskdata import HOSPITALS, LAVAL, MENTION, NOISE, collect, collect_by_cli
from tests.localserver import LocalServer
from watcher.cli import app
from watcher.config import Config, ConfigError, RevueConfig, parse_config
from watcher.desk import manual_entry
from watcher.digest_job import rebuild_revue
from watcher.revue import picks
from watcher.revue.site import EXCERPT_MAX_CHARS, build_revue, excerpt

ZONE = Config.model_fields["digest"].default.zone
HOSTILE_TITLE = '<script>alert("titre")</script>Urgences <img src=x onerror=alert(1)> « fermées »'
runner = CliRunner()
HOSTILE_QUOTE = "</blockquote><script>alert('citation')</script><a href=\"javascript:alert(2)\">cliquez</a>"


def _register(engine: Engine, **fields: object) -> int:
    defaults: dict[str, object] = {"day": date(2026, 10, 2), "outlet": "Viva", "title": "Interview", "who": "magali"}
    with session_scope(engine) as session:
        mention, _ = store_desk.add_mention(session, manual_entry(**{**defaults, **fields}, now=NOW))  # type: ignore[arg-type]
        return mention.id or 0


@pytest.fixture
def revue_store(engine: Engine, real_config: Config, server: LocalServer) -> dict[str, int]:
    """Collected items, one of them cited the collective; the register and the marks as a coordinator left them."""
    _, ids = collect(engine, real_config, server)
    with session_scope(engine) as session:
        cited = store_desk.mention_for_item(session, ids[MENTION["link"]])
        assert cited is not None and cited.status == MentionStatus.A_VALIDER  # found by the collection itself
        store_desk.set_mention_status(session, cited, MentionStatus.VALIDEE, "magali", now=NOW)
        picks.publish(session, ids[LAVAL["link"]], who="magali", now=NOW)
        picks.publish(session, ids[MENTION["link"]], who="magali", now=NOW)  # validated too: shown once
    ids["radio"] = _register(
        engine,
        day=date(2026, 10, 2),
        outlet="France Bleu Mayenne",
        title="Le collectif à l'antenne",
        medium_text="radio",
    )
    ids["old"] = _register(
        engine,
        day=date(2022, 11, 16),
        outlet="Libération",
        title="Hôpital à bout de souffle",
        url="https://www.liberation.example/tribune",
        quote="Rien pour nous, sans nous. " * 20,
    )
    pending = manual_entry(day=date(2026, 11, 1), outlet="Le Pendant", title="Encore à valider", who="x", now=NOW)
    pending.status = MentionStatus.A_VALIDER
    rejected = manual_entry(day=date(2026, 11, 2), outlet="Le Refus", title="Rejetée", who="x", now=NOW)
    rejected.status = MentionStatus.REJETEE
    with session_scope(engine) as session:
        store_desk.add_mention(session, pending)
        store_desk.add_mention(session, rejected)
    return ids


def _page(path: Path) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(path.read_bytes())


def test_the_revue_holds_what_was_validated_or_marked_and_nothing_else(
    engine: Engine, revue_store: dict[str, int], tmp_path: Path
) -> None:
    out = tmp_path / "revue"
    files = build_revue(engine, out, now=NOW, zone=ZONE)
    assert [path.name for path in files] == [
        "2022-11.html", "2026-10.html", "2026-11.html", "feed.xml", "index.html", "revue.css",
    ]  # fmt: skip
    index = _page(out / "index.html")
    titles = [" ".join(h3.text_content().split()) for h3 in index.iter("h3")]
    assert titles == [MENTION["title"], LAVAL["title"], "Le collectif à l'antenne", "Hôpital à bout de souffle"]
    text = index.text_content()
    for absent in (HOSPITALS["title"], NOISE["title"], "Encore à valider", "Rejetée"):
        assert absent not in text
    assert "Action Patients" in index.findtext(".//header//a") and "18 associations de patients" in text
    november = _page(out / "2026-11.html")
    assert november.findtext(".//h1") == "Revue de presse : novembre 2026"
    assert [h3.text_content() for h3 in november.iter("h3")] == [MENTION["title"], LAVAL["title"]]
    links = {a.text_content(): a.get("href") for a in index.iter("a")}
    assert links[LAVAL["title"]] == LAVAL["link"]
    assert "Le collectif à l'antenne" not in links  # a radio broadcast without an address is no link

    feed = feedparser.parse((out / "feed.xml").read_bytes())
    assert feed.bozo is False, feed.get("bozo_exception")
    assert feed.feed.title == "Revue de presse — Action Patients" and feed.feed.language == "fr"
    assert [entry.title for entry in feed.entries] == titles
    assert feed.entries[1].link == LAVAL["link"] and feed.entries[1].published.startswith("2026-11-23T")
    assert feed.entries[2].content[0].value == "France Bleu Mayenne, 2 octobre 2026 (radio)."


def test_an_excerpt_is_a_short_quotation_never_the_article(
    engine: Engine, revue_store: dict[str, int], tmp_path: Path
) -> None:
    build_revue(engine, tmp_path, now=NOW, zone=ZONE)
    quotes = [q.text_content() for q in _page(tmp_path / "index.html").iter("blockquote")]
    assert quotes and all(len(quote.strip()) <= EXCERPT_MAX_CHARS + len("«  »") for quote in quotes)
    assert any(quote.strip().endswith("…\u00a0»") for quote in quotes)  # the long tribune quotation was cut
    assert excerpt("Un mot " * 100) == ("Un mot " * 100)[: EXCERPT_MAX_CHARS - 1].rsplit(" ", 1)[0] + "…"
    assert excerpt("  ") is None and excerpt("<p>court</p>") == "court"


def test_hostile_titles_stay_inert(engine: Engine, tmp_path: Path) -> None:
    _register(engine, title=HOSTILE_TITLE, outlet='"><b onclick=x>Le Média</b>', quote=HOSTILE_QUOTE,
              url="https://example.test/?a=<script>")  # fmt: skip
    with session_scope(engine) as session:
        store_desk.add_mention(
            session,
            PressMention(
                day=date(2026, 10, 3),
                outlet="Lien piégé",
                title="Lien piégé",
                url="javascript:alert(3)",
                status=MentionStatus.VALIDEE,
                origin="manuel",
                created_at=NOW,
            ),
        )
    build_revue(engine, tmp_path, now=NOW, zone=ZONE)
    for name in ("index.html", "2026-10.html"):
        page = _page(tmp_path / name)
        assert not page.xpath("//script | //img | //b | //iframe"), name
        assert not [element for element in page.iter() if any(key.startswith("on") for key in element.attrib)]
        hrefs = [a.get("href") for a in page.iter("a")]
        assert not [href for href in hrefs if not re.match(r"^(https://|[\w-]+\.(html|xml)$|#)", href)], hrefs
        assert "Urgences « fermées »" in page.text_content()
    feed = feedparser.parse((tmp_path / "feed.xml").read_bytes())
    assert feed.bozo is False
    assert "<" not in "".join(entry.title for entry in feed.entries)


def test_the_same_store_gives_the_same_files_byte_for_byte(
    engine: Engine, revue_store: dict[str, int], tmp_path: Path
) -> None:
    first = build_revue(engine, tmp_path / "a", now=NOW, zone=ZONE)
    second = build_revue(engine, tmp_path / "b", now=NOW, zone=ZONE, site_url=None)
    assert [path.read_bytes() for path in first] == [path.read_bytes() for path in second]
    footer = _page(tmp_path / "a" / "index.html").findtext(".//footer/p")
    assert "Mise à jour le 23 novembre 2026" in " ".join(footer.split())  # the build's date is the given now


def test_since_and_stale_months(engine: Engine, revue_store: dict[str, int], tmp_path: Path) -> None:
    site = tmp_path / "site"
    build_revue(engine, site, now=NOW, zone=ZONE)
    files = build_revue(engine, site, now=NOW, zone=ZONE, since=date(2026, 11, 1))
    assert sorted(path.name for path in site.iterdir()) == [path.name for path in files]
    assert "2022-11.html" not in {path.name for path in files}  # a month page no longer built is removed


def test_a_site_address_gives_the_feed_its_links(engine: Engine, revue_store: dict[str, int], tmp_path: Path) -> None:
    build_revue(engine, tmp_path, now=NOW, zone=ZONE, site_url="https://actionpatients.example/revue")
    feed = feedparser.parse((tmp_path / "feed.xml").read_bytes())
    assert feed.bozo is False
    assert feed.feed.id == "https://actionpatients.example/revue/feed.xml"
    assert {link.rel: link.href for link in feed.feed.links}["self"] == "https://actionpatients.example/revue/feed.xml"
    assert feed.entries[0].id.startswith("https://actionpatients.example/revue/2026-11.html#mention-")


def test_marks_are_kept_once_and_taken_back(engine: Engine, real_config: Config, server: LocalServer) -> None:
    _, ids = collect(engine, real_config, server)
    laval = ids[LAVAL["link"]]
    with session_scope(engine) as session:
        assert picks.publish(session, laval, who="magali", now=NOW) is True
        assert picks.publish(session, laval, who="damien", now=NOW + timedelta(hours=1)) is False
        (kept,) = picks.picks(session)
        assert (kept.item.id, kept.pick.picked_by, kept.pick.picked_at) == (laval, "magali", NOW)
        assert picks.withdraw(session, laval) is True
        assert picks.withdraw(session, laval) is False
        assert picks.picks(session) == []
        with pytest.raises(picks.RevueError, match="article 999999 introuvable"):
            picks.publish(session, 999999, who="magali", now=NOW)


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(one: str, other: str) -> float:
    high, low = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_stylesheet_colours_meet_wcag_aa() -> None:
    css = (REPO_ROOT / "watcher" / "revue" / "templates" / "revue.css").read_text(encoding="utf-8")
    colours = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", css))
    pairs = [("texte", "fond"), ("lien", "fond"), ("discret", "fond"), ("bandeau-texte", "bandeau-fond"),
             ("texte", "citation-fond"), ("lien", "citation-fond")]  # fmt: skip
    for text, background in pairs:
        assert _contrast(colours[text], colours[background]) >= 4.5, (text, background)


def test_run_rebuilds_the_revue_after_a_digest_and_survives_a_failure(
    engine: Engine, revue_store: dict[str, int], real_config: Config, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert rebuild_revue(engine, real_config, now=NOW) == []  # no revue.output_dir: nothing built
    config = real_config.model_copy(update={"revue": RevueConfig(output_dir=tmp_path / "site")})
    assert [path.name for path in rebuild_revue(engine, config, now=NOW)][-3:] == [
        "feed.xml",
        "index.html",
        "revue.css",
    ]
    blocked = tmp_path / "un-fichier"
    blocked.write_text("pas un dossier", encoding="utf-8")
    config = real_config.model_copy(update={"revue": RevueConfig(output_dir=blocked / "site")})
    with caplog.at_level(logging.WARNING, logger="watcher.digest_job"):
        assert rebuild_revue(engine, config, now=NOW) == []
    assert [record.getMessage() for record in caplog.records] == [
        f"revue de presse non reconstruite dans {blocked / 'site'} : un élément du chemin n'est pas un dossier"
    ]


@pytest.fixture
def cli_store(tmp_path: Path, server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """The desk's items collected by `watcher collect`, with the real sources.yaml's themes."""
    return collect_by_cli(tmp_path, server, monkeypatch, revue={"output_dir": str(tmp_path / "site-du-service")})


def _cli(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, [*AT_NOW, *args])
    assert result.exit_code == code, result.output
    return result.output


def test_the_revue_commands(cli_store: dict[str, int], tmp_path: Path) -> None:
    laval = str(cli_store[LAVAL["link"]])
    assert _cli("revue", "add", laval) == f"Article {laval} ajouté à la revue de presse.\n"
    assert _cli("revue", "add", laval) == f"Article {laval} déjà dans la revue de presse.\n"
    assert "article 999 introuvable (voir « watcher items » ou « watcher search »)" in _cli(
        "revue", "add", "999", code=1
    )
    listing = _cli("revue", "list")
    assert "1 article choisi" in listing and LAVAL["title"] in listing and "magali, 23/11/2026" in listing
    output = _cli("revue", "build", "--since", "7j")  # revue.output_dir of sources.yaml
    assert output.startswith("Revue de presse écrite : 1 mois, 4 fichiers.\n")
    site = tmp_path / "site-du-service"
    assert f"  → {site / 'index.html'}" in output and LAVAL["title"] in (site / "index.html").read_text("utf-8")
    assert "0 mois, 3 fichiers" in _cli("revue", "build", "--out", str(tmp_path / "vide"), "--since", "2026-11-24")
    assert _cli("revue", "remove", laval) == f"Article {laval} retiré de la revue de presse.\n"
    assert _cli("revue", "remove", laval) == f"Article {laval} n'était pas dans la revue de presse.\n"
    assert "0 article choisi" in _cli("revue", "list")
    (tmp_path / "fichier").write_text("x", encoding="utf-8")
    assert f"--out : « {tmp_path / 'fichier'} » est un fichier, pas un dossier" in _cli(
        "revue", "build", "--out", str(tmp_path / "fichier"), code=1
    )
    below_a_file = tmp_path / "fichier" / "revue"
    assert (
        f"écriture de la revue impossible dans « {below_a_file} » : un élément du chemin n'est pas un dossier"
        in _cli("revue", "build", "--out", str(below_a_file), code=1)
    )


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ("revue:\n  site_url: www.actionpatients.fr\n", "revue.site_url : adresse invalide « www.actionpatients.fr »"),
        ("revue:\n  output_dir: [a, b]\n", "revue.output_dir : chemin attendu"),
        ("revue:\n  dossier: site\n", "revue.dossier : champ inconnu"),
        ("revue: oui\n", "revue : bloc clé: valeur attendu"),
    ],
)
def test_the_revue_section_is_checked_in_french(section: str, expected: str) -> None:
    text = (REPO_ROOT / "sources.yaml").read_text(encoding="utf-8") + "\n" + section
    with pytest.raises(ConfigError) as raised:
        parse_config(text)
    assert expected in str(raised.value) and "sources.yaml, ligne" in str(raised.value)


def test_the_revue_section_is_optional_and_typed() -> None:
    text = (REPO_ROOT / "sources.yaml").read_text(encoding="utf-8")
    assert parse_config(text).revue == RevueConfig()
    revue = parse_config(text + "\nrevue:\n  output_dir: data/revue\n  site_url: https://a.example/revue\n").revue
    assert revue.output_dir == Path("data/revue") and revue.site_url == "https://a.example/revue"
