"""The `dossiers:` section and the parliamentary source kinds of sources.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from watcher.config import ConfigError, SourceKind, load_config, parse_config

REPO_ROOT = Path(__file__).resolve().parent.parent

BASE = """\
sources:
  - name: Sénat — dossier PLFSS 2027
    kind: senat_dossier
    url: https://www.senat.fr/dossier-legislatif/rss/doslegplfss2027.xml
topics:
  ame:
    label: AME
    terms: {AME: 40}
watchlist:
  collective:
    names: [Action Patients]
dossiers:
  - label: PLFSS 2027
"""


def test_real_file_tracks_bills_with_parliamentary_sources() -> None:
    config = load_config(REPO_ROOT / "sources.yaml")
    assert {dossier.label for dossier in config.dossiers} >= {"PLFSS 2027"}
    plfss = next(dossier for dossier in config.dossiers if dossier.label == "PLFSS 2027")
    assert "senat:dossier:plfss2027" in plfss.refs() and plfss.alert_topics == ["ame", "hopital"]
    kinds = {source.kind for source in config.sources}
    assert {SourceKind.PARLEMENT_RSS, SourceKind.NOSDEPUTES, SourceKind.SENAT_DOSSIER} <= kinds


def test_dossier_refs_cover_both_ways_of_writing_an_ids() -> None:
    config = parse_config(BASE + "    an_dossier: DLR5L17N51234\n    senat_textes: [2026-2027/120]\n")
    assert config.dossiers[0].refs() == {"an:dossier:DLR5L17N51234", "an:dossier:51234", "senat:texte:2026-2027/120"}


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("", "sources.yaml, ligne 13, colonne 5, dossiers[0] : le dossier « PLFSS 2027 » n'a aucun identifiant"),
        (
            "    senat_dossier: PLFSS 2027\n",
            "ligne 14, colonne 20, dossiers[0].senat_dossier : identifiant de dossier Sénat invalide",
        ),
        (
            "    an_dossier: plfss\n",
            "ligne 14, colonne 17, dossiers[0].an_dossier : identifiant de dossier AN invalide « plfss »",
        ),
        (
            "    senat_textes: [2019/139]\n",
            "ligne 14, colonne 19, dossiers[0].senat_textes : texte du Sénat invalide « 2019/139 »",
        ),
        ("    senat_dossier: plfss2027\n    sources: [Inconnue]\n", "cite une source inconnue « Inconnue »"),
        ("    senat_dossier: plfss2027\n    alert_topics: [amee]\n", "cite un thème inconnu « amee »"),
        ("    senat_dossier: plfss2027\n    labell: x\n", "ligne 15, colonne 5, dossiers[0].labell : champ inconnu"),
    ],
)
def test_dossier_mistakes_are_reported_in_french(extra: str, expected: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config(BASE + extra)
    assert expected in str(error.value)


def test_unknown_source_kind_lists_the_parliamentary_ones() -> None:
    with pytest.raises(ConfigError) as error:
        parse_config(BASE.replace("kind: senat_dossier", "kind: senat") + "    senat_dossier: plfss2027\n")
    assert "sources[0].kind : valeur non reconnue « senat »" in str(error.value)
    assert "nosdeputes" in str(error.value)
