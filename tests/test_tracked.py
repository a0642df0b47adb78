"""The tracked-bill rule: an AME amendment on a tracked bill is an alert; texts and reports reach the digest."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.conftest import config_with_sources
from watcher.config import Config, DossierConfig
from watcher.normalize import Item
from watcher.parse.parliament import Chamber, ParliamentFields, ParliamentKind
from watcher.score import Judgement, Scorer
from watcher.tracked import TrackedBills

NOW = datetime(2026, 11, 23, 8, tzinfo=UTC)


def item(title: str, summary: str) -> Item:
    return Item("Test", "https://x.test/1", "g", title, summary, NOW, NOW, "h")


def tracked_config(real_config: Config) -> Config:
    config = config_with_sources(real_config)
    dossier = DossierConfig(label="PLFSS 2027", senat_dossier="plfss2027", an_textes=[1999])
    return config.model_copy(update={"dossiers": [dossier]})


def fields(kind: ParliamentKind, *refs: str) -> ParliamentFields:
    return ParliamentFields(kind, Chamber.AN, bill="texte n° 1999", number="12", bill_refs=refs)


def test_ame_amendment_on_a_tracked_bill_becomes_an_alert(real_config: Config) -> None:
    config = tracked_config(real_config)
    # The rule is judged on its own: an AME amendment the scorer left below the alert threshold.
    judgement = Judgement(["ame"], 55, "digest", ["ame : « AME » +45"], [], [], {"hopital": 0, "greve": 0, "ame": 55})
    raised = TrackedBills(config).apply(judgement, fields(ParliamentKind.AMENDEMENT, "an:texte:1999"), None)
    assert raised.decision == "alert"
    assert raised.why[0] == "texte suivi (PLFSS 2027) : amendement AME → alerte"
    assert "ame" in raised.topics


def test_other_bills_and_other_themes_are_left_alone(real_config: Config) -> None:
    config = tracked_config(real_config)
    rules = TrackedBills(config)
    ame = Scorer(config).judge(item("Amendement n° 12", "Recentrer l'AME sur l'essentiel."))
    assert rules.apply(ame, fields(ParliamentKind.AMENDEMENT, "an:texte:2000"), None) == ame
    other = Scorer(config).judge(item("Amendement n° 13", "Modifier le taux de la contribution."))
    assert rules.apply(other, fields(ParliamentKind.AMENDEMENT, "an:texte:1999"), None).decision == other.decision


def test_texts_and_reports_reach_the_digest_and_labels_follow_the_dossier(real_config: Config) -> None:
    config = tracked_config(real_config)
    rules = TrackedBills(config)
    judgement = Scorer(config).judge(item("Texte n° 98", "Texte transmis au Sénat."))
    assert judgement.decision == "drop"
    report = rules.apply(judgement, fields(ParliamentKind.RAPPORT, "senat:dossier:plfss2027"), None)
    assert report.decision == "digest" and report.why[0] == "texte suivi (PLFSS 2027) : rapport → synthèse"
    assert rules.label(fields(ParliamentKind.TEXTE, "an:texte:1999"), None).bill == "PLFSS 2027"
    assert rules.label(fields(ParliamentKind.TEXTE, "an:texte:7"), None).bill == "texte n° 1999"
