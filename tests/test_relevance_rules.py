"""The collective's definitions applied by the rules of sources.yaml: the hard cases of issue #3."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from watcher.config import Config
from watcher.normalize import Item
from watcher.score import Judgement, Scorer

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def judge(real_config: Config):
    scorer = Scorer(real_config)

    def run(title: str, summary: str = "", content: str | None = None) -> Judgement:
        item = Item(
            source="test", url="https://x.test/a", guid="a", title=title, summary=summary,
            published=NOW, collected_at=NOW, content_hash="h", content=content,
        )  # fmt: skip
        return scorer.judge(item, None)

    return run


def test_hospital_abroad_is_not_rescued_by_comme_en_france(judge) -> None:
    quebec = judge("Au Québec, les urgences débordent", "Comme en France, les hôpitaux de Montréal ferment des lits.")
    assert "hopital" not in quebec.topics
    assert "hopital : à l'étranger (« Québec ») -100" in quebec.why
    home = judge("Laval : les urgences fermées la nuit", "Le centre hospitalier réoriente les patients vers le Samu.")
    assert "hopital" in home.topics and not any("étranger" in reason for reason in home.why)


def test_foreign_place_in_the_lead_only_counts_without_a_french_one(judge) -> None:
    abroad = judge("Les urgences débordent", "A Madrid, les hôpitaux publics manquent de médecins.")
    assert "hopital" not in abroad.topics
    both = judge("Les urgences débordent", "A Lyon comme à Madrid, les hôpitaux manquent de médecins.")
    assert "hopital" in both.topics


def test_strike_needs_a_health_actor_in_title_or_lead(judge) -> None:
    deep = judge("Grève reconduite jeudi", "Le mouvement se poursuit.", content="Les infirmiers du CHU sont mobilisés.")
    assert "greve" not in deep.topics
    assert any(reason.startswith("greve : contexte requis absent") for reason in deep.why)
    lead = judge("Grève reconduite jeudi", "Les infirmiers du CHU de Rennes poursuivent le mouvement.")
    assert "greve" in lead.topics


def test_strike_in_another_sector_and_abroad(judge) -> None:
    railway = judge("Grève à la SNCF : les soignants en retard", "Les contrôleurs perturbent les trains régionaux.")
    assert "greve" not in railway.topics
    nhs = judge("Royaume-Uni : les infirmières du NHS en grève", "Le syndicat appelle à 48 heures d'arrêt.")
    assert "greve" not in nhs.topics


def test_one_passing_clue_stays_below_the_digest(judge, real_config: Config) -> None:
    passing = judge("Une chanteuse populaire est morte", "Elle s'est éteinte à l'hôpital samedi.")
    assert passing.topic_scores["hopital"] < real_config.alerts.digest_threshold
    artist = judge("Un artiste face aux impensés de l'hôpital")
    assert artist.topic_scores["hopital"] == real_config.alerts.digest_threshold - 1
    assert any("un seul indice" in reason for reason in artist.why)
    strong = judge("Déserts médicaux : la Creuse manque de généralistes")
    assert "hopital" in strong.topics


def test_terms_that_stem_alike_count_once(judge) -> None:
    result = judge("Hôpital : les hôpitaux débordés")
    assert len([reason for reason in result.why if "« hôpita" in reason]) == 1


def test_ame_other_acronyms_and_lookalikes(judge) -> None:
    mayors = judge("L'AME élit son nouveau président", "L'association des maires de l'Essonne (AME) a voté.")
    assert "ame" not in mayors.topics
    film = judge("« L'Âme sœur » : un amour impossible", "Ressortie du film de Fredi Murer.")
    assert film.topics == []
    dying = judge("Aide médicale à mourir : le débat reprend", "Les députés examinent le texte.")
    assert "ame" not in dying.topics
    reform = judge(
        "AME : le gouvernement veut une aide médicale d'urgence", "Un panier de soins réduit pour les sans-papiers."
    )
    # A plan, not yet a decision: the digest, where the group reads it; « le Sénat vote… » would alert.
    assert "ame" in reform.topics and reform.decision == "digest"


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        ("L'action des patients, un levier", "Des patients en action pour la recherche."),
        ("Le salon « Action patients » revient à Lyon", "La troisième édition de l'événement."),
        ("Un collectif de patients réclame la transparence", "Le collectif n'a pas souhaité être nommé."),
        ("France Assos Santé demande un débat", "L'union des associations d'usagers juge la mesure injuste."),
        ("Renaloo alerte sur les greffes", "L'association de patients s'inquiète."),
        ("Le milieu Damien Dubois prolonge à Guingamp", "Le joueur a signé jusqu'en 2029."),
        ("L'ANDAR lance une campagne", "Sa présidente, Danielle Vacher, veut alerter les médecins."),
    ],
)
def test_generic_phrases_events_and_other_roles_are_not_mentions(judge, title: str, summary: str) -> None:
    assert judge(title, summary).mentions == []


@pytest.mark.parametrize(
    ("title", "summary", "expected"),
    [
        ("LE COLLECTIF ACTION PATIENTS INTERPELLE", "", "Action Patients"),
        ("Franchises : le collectif action patients dénonce", "", "Action Patients"),
        ("Déserts médicaux", "« On ne peut plus attendre », estime Damien Dubois, secrétaire général du collectif.",
         "Damien Dubois (secrétaire général)"),
        ("Accès aux soins", "Pour Magali Leo, coordinatrice, les malades se perdent.", "Magali Leo (coordinatrice)"),
    ],
)  # fmt: skip
def test_the_collective_and_its_spokespeople_in_role_are_mentions(
    judge, title: str, summary: str, expected: str
) -> None:
    result = judge(title, summary)
    assert expected in result.mentions and result.decision == "alert"


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        ("Santé de l'enfant : les puéricultrices réclament des mesures d'urgence", "Elles dénoncent un mépris."),
        ("Prisons : « il y a urgence à réduire la population carcérale »", "Un collectif de médecins et d'avocats."),
        ("Le Sénat remplace l'AME par une aide médicale d'urgence", "Le panier de soins des sans-papiers est réduit."),
        ("Grève des libéraux : SAMU-Urgences de France désapprouve", "Le syndicat juge l'appel irresponsable."),
    ],
)  # fmt: skip
def test_generic_emergencies_and_names_are_not_emergency_departments(judge, title: str, summary: str) -> None:
    assert not any(reason.startswith("hopital : « urgences »") for reason in judge(title, summary).why)


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        ("Présidentielle : la candidate promet des médecins", "Elle veut lutter contre la désertification médicale."),
        ("A la campagne, des tiers-lieux de santé", "Ils attirent de jeunes médecins en zone sous-dotée."),
        ("Troubles alimentaires : patients et soignants alertent", "Les délais pour accéder à des soins s'allongent."),
        ("Bronchiolite : des enfants transférés", "La saturation des hôpitaux impose des reports de soins."),
        ("Hôpital : une mobilisation pour des hausses d'effectifs", "Des rassemblements dans cinquante villes."),
        ("Permanence des soins : l'obligation de garde revient", "Des sénateurs veulent y obliger les médecins."),
    ],
)  # fmt: skip
def test_the_definitions_other_words_for_access_and_strain(judge, title: str, summary: str) -> None:
    assert "hopital" in judge(title, summary).topics


def test_drugs_insurance_and_awareness_campaigns_are_not_the_hospital(judge) -> None:
    paxlovid = judge("Covid-19 : un antiviral", "Le médecin traitant pourra prescrire ce médicament.")
    insurance = judge("Protection sociale : une tribune", "Complémentaires santé, déserts médicaux, coût de la santé…")
    campaign = judge("Lymphomes : une association lance une campagne", "Vers les médecins généralistes.")
    for result in (paxlovid, insurance, campaign):
        assert "hopital" not in result.topics


@pytest.mark.parametrize(
    ("title", "summary", "cap"),
    [
        ("Attaque au CHU de Reims : deux soignantes blessées", "Le centre hospitalier sous le choc.", "fait divers"),
        ("Au CHU de Lille, un protocole avec le parquet", "Une convention signée par l'hôpital.", "fait divers"),
        ("Le Mans : un cycliste hospitalisé après une collision", "Au centre hospitalier, état grave.", "fait divers"),
        ("« Hôpital central » renouvelée", "La fiction sur les internes d'un CHU reprend son tournage.", "fiction"),
        ("Une clinique vétérinaire ouvre un service d'urgences", "Chiens et chats soignés la nuit.", "vétérinaires"),
        ("Les infirmiers anesthésistes en quête de reconnaissance",
         "En grève, ces infirmiers de réanimation réclament un statut ; les médecins hésitent.", "grève sans hôpital"),
    ],
)  # fmt: skip
def test_faits_divers_fiction_vets_and_strikes_without_hospital_stay_out(judge, title: str, summary: str, cap: str):
    result = judge(title, summary)
    assert "hopital" not in result.topics
    assert any(reason.startswith("hopital : ") and cap in reason and "plafonnée" in reason for reason in result.why)


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        ("Drames à l'hôpital Purpan : une plainte, un suicide", "Les syndicats dénoncent le manque de personnel."),
        ("Bordeaux : les soignants du CHU appelés à une grève", "Ils réclament des effectifs aux urgences."),
        ("Grève des médecins : la Mayenne, désert médical, inquiète", "Les généralistes ferment leurs cabinets."),
    ],
)  # fmt: skip
def test_the_hospital_system_lifts_the_caps(judge, title: str, summary: str) -> None:
    result = judge(title, summary)
    assert "hopital" in result.topics and not any("plafonnée" in reason for reason in result.why)
