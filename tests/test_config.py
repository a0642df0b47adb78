"""sources.yaml validation: the real file loads, and every mistake is reported in French with its line."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

import pytest
import yaml

from watcher.config import ConfigError, _mark_index, _YamlLoader, load_config, parse_config
from watcher.text import tokenize

REPO_ROOT = Path(__file__).resolve().parent.parent

MINIMAL = """\
sources:
  - name: Le Monde — Santé
    url: https://www.lemonde.fr/sante/rss_full.xml
    interval: 30m
    topics: [hopital]
topics:
  hopital:
    label: Hôpital et accès aux soins
    terms: {hôpital: 30, urgences: 25}
watchlist:
  collective:
    names: [Action Patients]
"""


def test_real_sources_yaml_meets_the_collectives_needs() -> None:
    config = load_config(REPO_ROOT / "sources.yaml")
    assert len(config.sources) >= 30
    assert {"hopital", "greve", "ame"} <= set(config.topics)
    assert len(config.watchlist.members) == 18
    assert {person.name for person in config.watchlist.collective.spokespeople} >= {
        "Danielle Vacher",
        "Damien Dubois",
        "Guy Bouguet",
        "Magali Leo",
    }
    urls = [source.url for source in config.sources]
    assert len(urls) == len(set(urls)), "a source is listed twice"
    google_news = [url for url in urls if "news.google.com" in url]
    assert len(google_news) >= 4 and all("hl=fr&gl=FR&ceid=FR:fr" in url for url in google_news)
    assert config.digest.zone.key == "Europe/Paris"


def test_one_libyaml_pass_reads_the_real_file_as_the_pure_python_loader_does() -> None:
    """The loader composes and constructs from a single libyaml parse: same data, same lines for the errors."""
    text = (REPO_ROOT / "sources.yaml").read_text(encoding="utf-8")
    loader = _YamlLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root)
    finally:
        loader.dispose()
    assert data == yaml.safe_load(text)
    assert root is not None
    assert dict(_mark_index(root)) == dict(_mark_index(yaml.compose(text, Loader=yaml.SafeLoader)))


def test_minimal_config_gets_defaults() -> None:
    config = parse_config(MINIMAL)
    source = config.sources[0]
    assert source.interval == timedelta(minutes=30)
    assert source.enabled and not source.full_text
    assert config.alerts.alert_threshold == 90 and config.alerts.daily_budget == 10 and config.digest.top == 12
    assert config.digest.time == time(7, 30)


@pytest.mark.parametrize(
    ("replace", "by", "expected"),
    [
        (
            "interval: 30m",
            "interval: 5 minutes",
            "sources.yaml, ligne 4, colonne 15, sources[0].interval : durée invalide « 5 minutes » "
            "(exemples valides : 15m, 1h)",
        ),
        (
            "interval: 30m",
            "interval: 1m",
            "sources.yaml, ligne 4, colonne 15, sources[0].interval : intervalle trop court",
        ),
        ("    topics: [hopital]", "    topics: [hopitaux]", "thème inconnu « hopitaux »"),
        (
            "    url: https://www",
            "    url: ftp://www",
            "sources.yaml, ligne 3, colonne 10, sources[0].url : adresse invalide",
        ),
        (
            "    interval: 30m",
            "    interval: 30m\n    colour: red",
            "ligne 5, colonne 5, sources[0].colour : champ inconnu",
        ),
        ("    terms: {hôpital: 30, urgences: 25}", "    terms: {hôpital: beaucoup}", "topics.hopital.terms.hôpital"),
        ("    names: [Action Patients]", "    names: []", "watchlist.collective.names : la liste ne peut pas"),
        (
            "    terms: {hôpital: 30, urgences: 25}",
            "    terms: {hôpital: 30, urgences: 25}\n    dampen:\n      fait divers: {when: [agression]}",
            "« dampen » « fait divers » cite « agression », qui n'est pas dans « terms »",
        ),
        (
            "    terms: {hôpital: 30, urgences: 25}",
            "    terms: {hôpital: 30, urgences: 25}\n    dampen:\n      fait divers: {when: []}",
            "topics.hopital.dampen.fait divers.when : la liste ne peut pas être vide",
        ),
    ],
)
def test_errors_name_file_line_and_field_in_french(replace: str, by: str, expected: str) -> None:
    text = MINIMAL.replace(replace, by)
    assert text != MINIMAL
    with pytest.raises(ConfigError) as raised:
        parse_config(text)
    assert expected in str(raised.value)


def test_missing_section_and_broken_yaml() -> None:
    with pytest.raises(ConfigError, match=r"sources\.yaml, ligne 1, colonne 1, watchlist : champ obligatoire manquant"):
        parse_config(MINIMAL.split("watchlist:")[0])
    with pytest.raises(ConfigError) as raised:
        parse_config("sources:\n  - name: a\n   url: [unclosed\n")
    assert str(raised.value) == (
        "sources.yaml, ligne 3, colonne 4 : YAML illisible, "
        "indentation incohérente : cette ligne n'est pas alignée sur les clés de son bloc"
    )
    with pytest.raises(ConfigError, match="doit contenir les sections"):
        parse_config("- juste une liste\n")


def test_thresholds_and_times_are_checked() -> None:
    bad_thresholds = MINIMAL + "alerts:\n  alert_threshold: 30\n  digest_threshold: 60\n"
    with pytest.raises(ConfigError, match="digest_threshold doit être inférieur"):
        parse_config(bad_thresholds)
    with pytest.raises(ConfigError, match=r"digest\.time : heure invalide « 7h30 »"):
        parse_config(MINIMAL + "digest:\n  time: 7h30\n")
    with pytest.raises(ConfigError, match="fuseau horaire inconnu « Paris »"):
        parse_config(MINIMAL + "digest:\n  timezone: Paris\n")
    unquoted = parse_config(MINIMAL + "digest:\n  time: 07:30\n")  # YAML 1.1 sexagesimal
    assert unquoted.digest.time == time(7, 30)


def test_missing_file_and_bad_encoding(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="fichier de configuration introuvable"):
        load_config(tmp_path / "absent.yaml")
    latin = tmp_path / "sources.yaml"
    latin.write_bytes(MINIMAL.replace("—", "-").encode("latin-1"))
    with pytest.raises(ConfigError, match="pas en UTF-8"):
        load_config(latin)


def test_config_path_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "ailleurs.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    monkeypatch.setenv("WATCHER_CONFIG", str(path))
    assert load_config().sources[0].name == "Le Monde — Santé"


def test_acronym_terms_are_written_in_capitals() -> None:
    config = load_config(REPO_ROOT / "sources.yaml")
    acronyms = [term for term in config.topics["ame"].terms if tokenize(term)[0].is_acronym]
    assert "AME" in acronyms


def test_digest_and_alert_delivery_settings() -> None:
    config = parse_config(
        MINIMAL
        + "alerts:\n  followup_interval: 1h\n"
        + "digest:\n  recipients: [veille@ap.example]\n  weekly_window: 14d\n  sender: bot@ap.example\n"
    )
    assert config.alerts.followup_interval == timedelta(hours=1)
    assert config.digest.weekly_window == timedelta(days=14) and config.digest.window == timedelta(days=1)
    assert config.digest.recipients == ["veille@ap.example"] and config.digest.sender == "bot@ap.example"
    with pytest.raises(ConfigError) as raised:
        parse_config(MINIMAL + "digest:\n  recipients:\n    - pas-une-adresse\n")
    assert "digest.recipients : adresse e-mail invalide « pas-une-adresse »" in str(raised.value)
    assert "ligne" in str(raised.value)


def _error(text: str) -> str:
    with pytest.raises(ConfigError) as raised:
        parse_config(text, "veille.yaml")
    return str(raised.value)


def _place(text: str, needle: str, occurrence: int = 1) -> str:
    """« ligne L, colonne C » of the given occurrence of `needle` in `text`, as an editor counts them."""
    start = -1
    for _ in range(occurrence):
        start = text.index(needle, start + 1)
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    return f"ligne {line}, colonne {column}"


SECOND_SOURCE = """\
  - name: Le Monde — Santé
    url: https://www.lemonde.fr/autre.xml
    topics: [hopital, greve]
"""


def test_a_fault_across_entries_points_at_the_entry_not_at_the_section() -> None:
    text = MINIMAL.replace("topics:\n  hopital:", SECOND_SOURCE + "topics:\n  hopital:")
    lines = _error(text).splitlines()
    # The second « name » and the unknown topic, each at its own place; the first name's line is recalled.
    assert lines == [
        f"veille.yaml, {_place(text, 'Le Monde — Santé', 2)}, sources[1].name : deux sources portent le même nom "
        f"« Le Monde — Santé » (déjà ligne 2)",
        f"veille.yaml, {_place(text, 'greve')}, sources[1].topics[1] : la source « Le Monde — Santé » cite un thème "
        "inconnu « greve » (thèmes définis : hopital)",
    ]


def test_duplicate_keys_are_an_error_with_line_and_column() -> None:
    text = MINIMAL.replace("    interval: 30m\n", "    interval: 30m\n    interval: 2h\n")
    assert _error(text) == (
        f"veille.yaml, {_place(text, 'interval', 2)}, sources[0].interval : clé « interval » en double "
        "(déjà ligne 4) ; gardez-en une seule"
    )
    # At any depth, and every one of them at once.
    text = MINIMAL.replace("terms: {hôpital: 30, urgences: 25}", "terms: {hôpital: 30, hôpital: 25}") + (
        "watchlist:\n  collective:\n    names: [Autre]\n"
    )
    assert _error(text).splitlines() == [
        f"veille.yaml, {_place(text, 'hôpital: 25')}, topics.hopital.terms.hôpital : clé « hôpital » en double "
        "(déjà ligne 9) ; gardez-en une seule",
        f"veille.yaml, {_place(text, 'watchlist', 2)}, watchlist : clé « watchlist » en double "
        "(déjà ligne 10) ; gardez-en une seule",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "sources:\n\t- name: a\n",
            "veille.yaml, ligne 2, colonne 1 : YAML illisible, tabulation : indentez avec des espaces",
        ),
        (
            "sources:\n  - name: Santé: le point\n",
            "veille.yaml, ligne 2, colonne 16 : YAML illisible, « : » inattendu (mettez entre guillemets une valeur "
            "qui contient « : », ou vérifiez l'indentation)",
        ),
        (
            'sources:\n  - name: "Le Monde\n',
            "veille.yaml, ligne 2, colonne 11 : YAML illisible, guillemet fermant manquant",
        ),
        (
            "topics: {hopital: {terms: [a, b}}\n",
            "veille.yaml, ligne 1, colonne 32 : YAML illisible, "
            "liste entre crochets mal fermée (« , » ou « ] » attendu)",
        ),
        (
            "sources: *ailleurs\n",
            "veille.yaml, ligne 1, colonne 10 : YAML illisible, alias « *ailleurs » inconnu "
            "(aucune ancre « &ailleurs »)",
        ),
        (
            "sources: []\n---\ntopics: {}\n",
            "veille.yaml, ligne 2, colonne 1 : YAML illisible, un seul document YAML "
            "attendu (retirez le second « --- »)",
        ),
        (
            "sources: !!python/name:os.system\n",
            "veille.yaml, ligne 1, colonne 10 : YAML illisible, étiquette YAML "
            "« tag:yaml.org,2002:python/name:os.system » inconnue",
        ),
        ("sources: a\x07b\n", "veille.yaml, ligne 1, colonne 11 : caractère invisible interdit (U+0007)"),
    ],
)
def test_yaml_syntax_errors_are_french_with_line_and_column(text: str, expected: str) -> None:
    assert _error(text) == expected


def test_a_folder_or_an_unreadable_file_as_configuration(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path)
    assert str(raised.value) == (
        f"{tmp_path} : c'est un dossier ; indiquez le fichier de configuration lui-même "
        f"(par exemple {tmp_path / 'sources.yaml'})"
    )
