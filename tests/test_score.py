"""Theme rules, mentions and decisions with the collective's own sources.yaml."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from watcher.config import Config, SourceConfig, parse_config
from watcher.normalize import Item
from watcher.score import Judgement, Scorer

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def _item(title: str, summary: str = "", content: str | None = None) -> Item:
    return Item(
        source="test", url="https://x.test/a", guid="a", title=title, summary=summary,
        published=NOW, collected_at=NOW, content_hash="h", content=content,
    )  # fmt: skip


@pytest.fixture(scope="module")
def judge(real_config: Config):
    scorer = Scorer(real_config)

    def run(title: str, summary: str = "", source: SourceConfig | None = None) -> Judgement:
        return scorer.judge(_item(title, summary), source)

    return run


def test_emergency_closure_is_a_hospital_alert(judge) -> None:
    result = judge("Laval : les urgences fermées la nuit faute de médecins")
    # hospital news first, and a loss of chance for the observatoire (issue 19)
    assert result.topics == ["hopital", "pertes_de_chance"] and result.decision == "alert"
    assert any("« urgences »" in reason for reason in result.why)


def test_exclusion_with_stop_words_masks_only_its_own_phrase(judge) -> None:
    # Regression: « en urgence » lost its stop word and masked every « urgences ».
    closing = judge("Les urgences de l'hôpital de Mayenne fermées")
    assert any("« urgences »" in reason for reason in closing.why)
    climate = judge("Urgence climatique : les maires en première ligne")
    assert not any("« urgences »" in reason for reason in climate.why)


def test_strike_needs_a_strike_word_and_other_sectors_are_penalised(judge) -> None:
    actors_only = judge("Les médecins urgentistes s'inquiètent", "Les médecins demandent des moyens.")
    assert "greve" not in actors_only.topics
    doctors = judge("Grève des médecins libéraux : les cabinets fermés le 5 décembre")
    assert "greve" in doctors.topics and doctors.decision == "alert"
    railway = judge("Grève à la SNCF : trafic perturbé ce week-end", "Les cheminots appellent à la grève.")
    assert "greve" not in railway.topics and railway.decision == "drop"
    hunger = judge("Grève de la faim d'un militant à Lyon")
    assert "greve" not in hunger.topics


def test_ame_acronym_is_case_aware(judge) -> None:
    film = judge("L'Ame sœur, une comédie tendre", "Le film raconte la quête de l'âme sœur.")
    assert film.topics == [] and film.decision == "drop"
    reform = judge("Le Sénat vote la suppression de l'AME", "L'aide médicale d'État serait remplacée.")
    assert "ame" in reform.topics and reform.decision == "alert"
    shouting = judge("L'AME SŒUR AU CINÉMA CETTE SEMAINE")
    assert "ame" not in shouting.topics


def test_hospital_abroad_is_penalised(judge) -> None:
    result = judge("Gaza : un hôpital bombardé, les urgences débordées")
    assert "hopital" not in result.topics


def test_mentions_of_the_collective_and_members(judge) -> None:
    named = judge("Budget : le collectif Action Patients interpelle la ministre")
    assert named.mentions == ["Action Patients"] and named.decision == "alert"
    assert any("mention du collectif" in reason for reason in named.why)
    spokesperson = judge("Tribune", "« Nous refusons ce recul », déclare Danielle Vacher.")
    assert spokesperson.mentions == ["Danielle Vacher (présidente)"]
    generic = judge("L'action des patients face à la maladie", "Des patients en action pour la recherche.")
    assert generic.mentions == []
    member = judge("Renaloo publie son baromètre de la greffe rénale")
    assert member.member_mentions == ["Renaloo"] and member.mentions == []


def test_source_weight_and_default_topics_close_part_of_the_distance_to_100(judge, real_config: Config) -> None:
    source = SourceConfig(name="Presse santé", url="https://s.test/rss", topics=["hopital"], weight=10)
    plain = judge("Fermeture de lits à l'hôpital de Guéret")
    weighted = judge("Fermeture de lits à l'hôpital de Guéret", source=source)
    # Each bonus closes its share of the distance to 100, so a weighty source never piles items up at 100.
    after_weight = plain.topic_scores["hopital"] + (100 - plain.topic_scores["hopital"]) * 0.10
    assert abs(weighted.score - (after_weight + (100 - after_weight) * 0.10)) <= 1
    assert plain.score < weighted.score < 100
    assert any(reason.startswith("hopital : source « Presse santé » +10 %") for reason in weighted.why)
    assert any(reason.startswith("hopital : thème par défaut de la source +10 %") for reason in weighted.why)


def test_score_grows_with_the_evidence_without_saturating() -> None:
    from watcher.score import evidence_score

    values = [evidence_score(points) for points in (10, 40, 90, 150, 250, 400, 600)]
    assert values == sorted(values) and len(set(round(value) for value in values)) == len(values)
    assert evidence_score(0) == 0 and evidence_score(-30) == 0 and values[-1] < 100


def test_a_score_at_the_alert_threshold_alone_alerts_and_below_it_goes_to_the_digest(
    judge, real_config: Config
) -> None:
    alerts = real_config.alerts
    for title in ("Fermeture de lits à l'hôpital de Guéret", "Les patients attendent", "Ligue 1 : Lorient gagne"):
        result = judge(title)
        assert result.alert_reason is None  # no alert rule, no mention: the score decides
        expected = "alert" if result.score >= alerts.alert_threshold else (
            "digest" if result.score >= alerts.digest_threshold else "drop")  # fmt: skip
        assert result.decision == expected


def test_an_alert_needs_action_today(judge) -> None:
    announced = judge("Médecins libéraux : un préavis de grève déposé pour le 12 janvier", "Les cabinets fermeront.")
    assert announced.decision == "alert" and announced.alert_reason is not None
    assert "grève annoncée" in announced.alert_reason
    # The same theme, told after the fact, waits for the digest.
    told = judge("Grève des médecins : le bilan des syndicats", "Les médecins libéraux ont repris le travail.")
    assert told.decision != "alert"
    closure = judge("Vierzon : les urgences fermées la nuit jusqu'au 3 janvier")
    assert closure.decision == "alert" and "fermeture annoncée" in (closure.alert_reason or "")


def test_foreign_stories_end_below_the_digest(judge, real_config: Config) -> None:
    # Regression: the abroad penalty came off a raw sum of about 270 before the 0–100 cap, so these scored 100.
    press = SourceConfig(name="Presse santé", url="https://s.test/rss", topics=["hopital", "greve"], weight=20)
    for title, summary in (
        (
            "Royaume-Uni : les urgences des hôpitaux du NHS saturées, des patients attendent douze heures",
            "Au Royaume-Uni, la crise des urgences s'aggrave : manque de soignants, lits fermés, hôpital public.",
        ),
        (
            "Québec : grève des infirmières dans les hôpitaux de Montréal",
            "Les infirmières des hôpitaux de Montréal appellent à la grève reconductible dès lundi.",
        ),
    ):
        for source in (None, press):
            result = judge(title, summary, source)
            assert result.score < real_config.alerts.digest_threshold, result.why
            assert result.decision == "drop" and result.topics == []
    # A French place up front brings the story home.
    home = judge("Grève au Royaume-Uni : les infirmières françaises de Lille solidaires", "À Lille, les hôpitaux…")
    assert home.topic_scores["hopital"] > 0


def test_caps_hold_after_the_source_weight(judge, real_config: Config) -> None:
    # Regression: the weight and the default-topic bonus were added after the caps, so a capped item reached
    # the digest when it came from a weighty source, and preview (no source) said « drop ».
    cap = real_config.alerts.digest_threshold - 1
    press = SourceConfig(name="Presse santé", url="https://s.test/rss", topics=["hopital"], weight=20)
    for title, summary in (
        ("Un vétérinaire de l'hôpital pour animaux de Maisons-Alfort primé", "La clinique vétérinaire ouvre."),
        ("Un cycliste blessé transporté à l'hôpital de Nantes", "Le cycliste a été transporté à l'hôpital."),
    ):
        result = judge(title, summary, press)
        assert result.topic_scores["hopital"] <= cap and result.decision == "drop", result.why


DAMPENED = """\
sources:
  - {name: Presse, url: "https://p.test/rss"}
topics:
  hopital:
    label: Hôpital
    terms: {CHU: 40, hôpital: 40, "manque de lits": 30, agression: -5, grève: -5}
    dampen:
      "fait divers": {when: [agression], unless: ["manque de lits"]}
      "grève sans hôpital": {when: [grève]}
watchlist:
  collective: {names: [Action Patients]}
"""


def test_dampen_caps_below_the_digest_unless_the_topic_itself_is_there() -> None:
    scorer = Scorer(parse_config(DAMPENED))
    cap = scorer.config.alerts.digest_threshold - 1

    def judge(title: str, summary: str = "", content: str | None = None) -> Judgement:
        return scorer.judge(_item(title, summary, content), None)

    stabbing = judge("Agression au CHU de Reims", "Un patient blesse deux soignantes à l'hôpital.")
    assert stabbing.topic_scores["hopital"] == cap and stabbing.decision == "drop"
    assert f"hopital : fait divers (« agression »), note plafonnée à {cap}" in stabbing.why
    # A term of `unless` anywhere, even deep in the full text, lifts the cap.
    system = judge("Agression au CHU de Reims", "L'hôpital débordé.", content="Le manque de lits est chronique.")
    assert system.topic_scores["hopital"] > cap and not any("plafonnée" in reason for reason in system.why)
    # The trigger counts only in the title or the lead: a word deep in the full text does not make a fait divers.
    deep = judge("Le CHU de Reims recrute", "L'hôpital ouvre des postes.", content="Après une agression en mai.")
    assert deep.topic_scores["hopital"] > cap
    # No `unless`: the trigger alone caps.
    strike = judge("Grève au CHU de Reims", "L'hôpital tourne au ralenti.")
    assert strike.topic_scores["hopital"] == cap
