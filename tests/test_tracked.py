"""The tracked-bill rule: an amendment whose own text is ours is an alert; the rest of the bill reaches the digest."""

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
    assert raised.why[0] == "amendement sur le texte suivi « PLFSS 2027 » (Aide médicale d'État (AME)) → alerte"
    assert "ame" in raised.topics and raised.alert_reason is not None


def _judged_as_tracked_amendment(config: Config, title: str, expose: str, dispositif: str) -> Judgement:
    """As the batch judges an amendment: the bill's themes as context, then the tracked-bill rule."""
    rules = TrackedBills(config)
    amendment = fields(ParliamentKind.AMENDEMENT, "an:texte:1999")
    text = Item("Test", "https://x.test/1", "g", title, expose, NOW, NOW, "h", content=dispositif)
    return rules.apply(Scorer(config).judge(text, None, rules.context(amendment, None)), amendment, None)


def test_a_tax_amendment_on_a_tracked_bill_is_kept_without_an_alert(real_config: Config) -> None:
    # Regression: « amendement » was an AME term and any AME score above 0 made an alert, so a car-tax amendment
    # to the PLFSS was an AME alert.
    config = tracked_config(real_config)
    tvs = _judged_as_tracked_amendment(
        config,
        "Amendement n° 1234 - Projet de loi de financement de la sécurité sociale pour 2027",
        "Cet amendement exonère de taxe sur les véhicules de société (TVS) les véhicules hybrides des entreprises.",
        "Après l'article 12, insérer un article ainsi rédigé : « Le 3° de l'article 1010 du code général des impôts "
        "est complété par les mots : « et les véhicules hybrides rechargeables ». »",
    )
    assert tvs.decision == "digest" and tvs.alert_reason is None
    assert tvs.why[0] == "amendement sur le texte suivi « PLFSS 2027 » → synthèse"
    ame = _judged_as_tracked_amendment(
        config,
        "Amendement n° 1235 - Projet de loi de financement de la sécurité sociale pour 2027",
        "Cet amendement supprime l'aide médicale d'État et la remplace par une aide médicale d'urgence.",
        "Supprimer l'article L. 251-1 du code de l'action sociale et des familles.",
    )
    assert ame.decision == "alert" and ame.alert_reason is not None
    staff = _judged_as_tracked_amendment(
        config,
        "Amendement n° 1236 - Projet de loi de financement de la sécurité sociale pour 2027",
        "Cet amendement fixe des ratios minimaux de soignants par patient dans les services d'urgences de l'hôpital "
        "public, pour mettre fin aux fermetures de lits faute de personnel.",
        "Après l'article 30, insérer un article ainsi rédigé : « Les établissements de santé respectent… »",
    )
    assert staff.decision == "alert" and staff.alert_reason is not None


def test_other_bills_and_other_themes_are_left_alone(real_config: Config) -> None:
    config = tracked_config(real_config)
    rules = TrackedBills(config)
    ame = Scorer(config).judge(item("Amendement n° 12", "Recentrer l'AME sur l'essentiel."))
    assert rules.apply(ame, fields(ParliamentKind.AMENDEMENT, "an:texte:2000"), None) == ame
    other = Scorer(config).judge(item("Amendement n° 13", "Modifier le taux de la contribution."))
    kept = rules.apply(other, fields(ParliamentKind.AMENDEMENT, "an:texte:1999"), None)
    assert other.decision == "drop" and kept.decision == "digest"  # kept for the Parlement section, no alert


def test_texts_and_reports_reach_the_digest_and_labels_follow_the_dossier(real_config: Config) -> None:
    config = tracked_config(real_config)
    rules = TrackedBills(config)
    judgement = Scorer(config).judge(item("Texte n° 98", "Texte transmis au Sénat."))
    assert judgement.decision == "drop"
    report = rules.apply(judgement, fields(ParliamentKind.RAPPORT, "senat:dossier:plfss2027"), None)
    assert report.decision == "digest" and report.why[0] == "rapport sur le texte suivi « PLFSS 2027 » → synthèse"
    assert rules.label(fields(ParliamentKind.TEXTE, "an:texte:1999"), None).bill == "PLFSS 2027"
    assert rules.label(fields(ParliamentKind.TEXTE, "an:texte:7"), None).bill == "texte n° 1999"
