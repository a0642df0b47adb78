"""The collective's sources.yaml watches where the collective is cited (issue 16, part 3).

The outlets that cited it in 2022–2023, the regional press where closures of urgences are reported first,
and a Google News search for each spokesperson and each member association: the names come from the
collective's 2023 annual report, not from the watchlist, so that a wrong watchlist cannot hide a missing search.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from tests.conftest import REPO_ROOT
from watcher.config import Config, SourceCategory, SourceConfig, load_config

REAL = REPO_ROOT / "sources.yaml"

# « On parle de nous » in the 2023 annual report, with each outlet's domain.
OUTLETS_THAT_CITED_US = {
    "La Veille Acteurs de Santé": "veille-acteurs-sante.fr",
    "Allo Docteurs": "allodocteurs.fr",
    "Espaceinfirmier.fr": "espaceinfirmier.fr",
    "L'Express": "lexpress.fr",
    "Agence Presse Médicale (APM)": "apmnews.com",
    "CB News": "cbnews.fr",
    "Viva": "viva.presse.fr",
}
# The regional outlets the issue names.
REGIONAL_OUTLETS = {
    "La Dépêche": "ladepeche.fr",
    "Sud Ouest": "sudouest.fr",
    "La Voix du Nord": "lavoixdunord.fr",
    "Le Télégramme": "letelegramme.fr",
    "Le Progrès": "leprogres.fr",
    "DNA": "dna.fr",
    "La Montagne": "lamontagne.fr",
    "Nice-Matin": "nicematin.com",
    "France 3 régions": "france3-regions.franceinfo.fr",
    "ici (ex-France Bleu)": "ici.fr",
}
SPOKESPEOPLE = ["Danielle Vacher", "Damien Dubois", "Guy Bouguet", "Magali Leo"]
MEMBERS = [
    "AAAVAM",
    "Actions Traitements",
    "AFA Crohn-RCH",
    "AFH",
    "AFPric",
    "Association France Spondyloarthrites",
    "Aider à Aider",
    "Alliance du Cœur",
    "ANDAR",
    "ARSLA",
    "Cancer Contribution",
    "Diabète et méchant",
    "ELLyE",
    "Fédération Caire",
    "FFAAIR",
    "Patients en réseau",
    "Renaloo",
    "Vivre sans Thyroïde",
]
# Short names that are other things too (the issue): their search needs words of their field.
AMBIGUOUS = {"AAAVAM": "aaavam", "AFH": "afh", "AFPric": "afpric", "ANDAR": "andar", "ARSLA": "arsla"}
AMBIGUOUS |= {"ELLyE": "ellye", "Fédération Caire": "caire", "FFAAIR": "ffaair"}

GOOGLE_NEWS = "news.google.com"
QUOTED = re.compile(r'"([^"]+)"')


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(REAL)


def _fold(text: str) -> str:
    """Lower case, no accents, ligatures and punctuation as spaces: « Cœur » and « Coeur », « Crohn-RCH »."""
    text = unicodedata.normalize("NFKD", text.replace("œ", "oe").replace("Œ", "Oe"))
    text = "".join(char for char in text if not unicodedata.combining(char)).lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def _google_query(source: SourceConfig) -> str | None:
    parts = urlsplit(source.url)
    if parts.hostname != GOOGLE_NEWS:
        return None
    return parse_qs(parts.query)["q"][0]


def _watches(source: SourceConfig, domain: str) -> bool:
    """The source follows this outlet: its own feed, or a Google News search restricted to its site."""
    if not source.enabled:
        return False
    host = urlsplit(source.url).hostname or ""
    query = _google_query(source) or ""
    return host == domain or host.endswith("." + domain) or f"site:{domain}" in query.split()


def _searches(config: Config) -> list[tuple[SourceConfig, str]]:
    return [
        (source, query)
        for source in config.sources
        if source.enabled and (query := _google_query(source)) is not None and "site:" not in query
    ]


def _notes(text: str) -> dict[str, str]:
    """Each source's own comment block, the lines just above its « - name: »."""
    lines = text[: text.index("\n# Dossiers suivis")].splitlines()
    notes: dict[str, str] = {}
    for index, line in enumerate(lines):
        if line.startswith("  - name: "):
            above = []
            for previous in reversed(lines[:index]):
                if not previous.startswith("  #"):
                    break
                above.insert(0, previous.removeprefix("  #").strip())
            notes[yaml.safe_load(line.removeprefix("  - name: "))] = " ".join(above)
    return notes


@pytest.mark.parametrize("outlet", OUTLETS_THAT_CITED_US)
def test_every_outlet_that_cited_the_collective_is_watched(config: Config, outlet: str) -> None:
    domain = OUTLETS_THAT_CITED_US[outlet]
    assert any(_watches(source, domain) for source in config.sources), f"{outlet} ({domain}) n'est pas suivi"


def test_at_least_ten_regional_feeds_among_them_the_outlets_the_issue_names(config: Config) -> None:
    regional = [s for s in config.sources if s.enabled and s.category == SourceCategory.PRESSE_REGIONALE]
    assert len(regional) >= 10
    # Ten feeds of one site would not be ten outlets.
    assert len({urlsplit(source.url).hostname for source in regional}) >= 10
    for outlet, domain in REGIONAL_OUTLETS.items():
        assert any(_watches(source, domain) for source in config.sources), f"{outlet} ({domain}) n'est pas suivi"
    # An outlet followed through Google News instead of its feed says why its feed is not used.
    for outlet, domain in REGIONAL_OUTLETS.items():
        if not any(
            _watches(source, domain) and source.category == SourceCategory.PRESSE_REGIONALE for source in config.sources
        ):
            paused = [s for s in config.sources if domain in (urlsplit(s.url).hostname or "") and not s.enabled]
            assert paused, f"{outlet} : ni flux actif ni flux en pause"


@pytest.mark.parametrize("person", SPOKESPEOPLE)
def test_one_google_news_search_per_spokesperson_with_the_collectives_name(config: Config, person: str) -> None:
    found = [
        source.name for source, query in _searches(config) if {person, "Action Patients"} <= set(QUOTED.findall(query))
    ]
    assert len(found) == 1, found


@pytest.mark.parametrize("member", MEMBERS)
def test_one_google_news_search_per_member_with_its_name_quoted(config: Config, member: str) -> None:
    name = f" {_fold(member)} "
    found = [
        (source, query)
        for source, query in _searches(config)
        if any(f" {_fold(phrase)} " in name for phrase in QUOTED.findall(query) if len(_fold(phrase)) >= 3)
    ]
    assert len(found) == 1, [source.name for source, _ in found]
    source, query = found[0]
    assert source.category == SourceCategory.AGREGATEUR
    if member in AMBIGUOUS:
        # Context: a quoted phrase longer than the short name, or words of the field outside the quotes.
        phrases = [_fold(phrase) for phrase in QUOTED.findall(query)]
        outside = [word for word in QUOTED.sub(" ", query).replace("(", " ").replace(")", " ").split() if word != "OR"]
        assert outside or all(phrase != AMBIGUOUS[member] for phrase in phrases), query


def test_every_source_url_is_a_valid_address(config: Config) -> None:
    for source in config.sources:
        parts = urlsplit(source.url)
        assert parts.scheme == "https" and parts.hostname and "." in parts.hostname, source.name
        assert source.url.isascii() and not re.search(r'[\s"<>]', source.url), f"{source.name} : caractère à encoder"
        query = _google_query(source)
        if query is None:
            continue
        assert parts.path == "/rss/search", source.name
        assert {key: value[0] for key, value in parse_qs(parts.query).items() if key != "q"} == {
            "hl": "fr",
            "gl": "FR",
            "ceid": "FR:fr",
        }, source.name
        assert query.count('"') % 2 == 0 and query.count("(") == query.count(")"), f"{source.name} : {query}"
        # Be polite with Google: not more often than hourly.
        assert source.interval.total_seconds() >= 3600, source.name


def test_every_source_says_how_its_address_was_checked() -> None:
    text = REAL.read_text(encoding="utf-8")
    notes = _notes(text)
    assert len(notes) == len(load_config(REAL).sources)
    unchecked = [name for name, note in notes.items() if not re.search(r"\b(checked|unverified)\b", note)]
    assert unchecked == []


def test_a_search_shows_its_query_as_it_is_sent(config: Config) -> None:
    """The « Requête : » note above a search is the query the URL sends, so a volunteer can read it."""
    notes = _notes(REAL.read_text(encoding="utf-8"))
    shown = 0
    for source in config.sources:
        match = re.search(r"Requête : (.+)$", notes[source.name])
        if match:
            assert match.group(1) == _google_query(source), source.name
            shown += 1
    assert shown == len(SPOKESPEOPLE) + len(MEMBERS)
