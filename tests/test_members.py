"""The real collective in the watchlist (issue 16, part 2): its 18 members with their names and spellings, the
ambiguous short names that need a context, its legal association, and its 2022 survey cited without its name."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tests.conftest import REPO_ROOT
from tests.previewing import preview_rows
from watcher.config import Config, ConfigError, parse_config
from watcher.normalize import Item
from watcher.score import Judgement, Scorer

NOW = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
MEMBERS_FILE = REPO_ROOT / "bench" / "hard-cases" / "members.jsonl"
SELF_WRITTEN = REPO_ROOT / "bench" / "devset" / "self-written.jsonl"
# The exact list of the collective's 2023 annual report, in its order.
THE_18 = [
    "AAAVAM", "Actions Traitements", "AFA Crohn-RCH", "AFH", "AFPric", "Association France Spondyloarthrites",
    "Aider à Aider", "Alliance du Cœur", "ANDAR", "ARSLA", "Cancer Contribution", "Diabète et méchant", "ELLyE",
    "Fédération Caire", "FFAAIR", "Patients en réseau", "Renaloo", "Vivre sans Thyroïde",
]  # fmt: skip


def _item(title: str, summary: str = "", content: str | None = None) -> Item:
    return Item(
        source="test", url="https://x.test/a", guid="a", title=title, summary=summary,
        published=NOW, collected_at=NOW, content_hash="h", content=content,
    )  # fmt: skip


@pytest.fixture(scope="module")
def judge(real_config: Config):
    scorer = Scorer(real_config)

    def run(title: str, summary: str = "", content: str | None = None) -> Judgement:
        return scorer.judge(_item(title, summary, content), None)

    return run


# --- the watchlist of sources.yaml ----------------------------------------------


def test_the_watchlist_lists_the_18_members_of_the_annual_report(real_config: Config) -> None:
    members = [member.name for member in real_config.watchlist.members]
    assert members == THE_18
    every_name = {name for member in real_config.watchlist.members for name in (member.name, *member.aliases)}
    for gone in ("AMADYS", "France Rein", "Vaincre la Mucoviscidose", "France Parkinson", "UNAFAM", "SOS Hépatites"):
        assert gone not in every_name
    spokespeople = {person.name: person.role for person in real_config.watchlist.collective.spokespeople}
    assert spokespeople == {
        "Danielle Vacher": "présidente",
        "Damien Dubois": "secrétaire général",
        "Guy Bouguet": "trésorier",
        "Magali Leo": "coordinatrice",
    }


def test_the_short_names_the_issue_calls_ambiguous_are_ambiguous(real_config: Config) -> None:
    ambiguous = {name for member in real_config.watchlist.members for name in member.ambiguous}
    assert {"AFH", "ANDAR", "ARSLA", "Caire", "ELLyE", "AFPric", "FFAAIR", "AAAVAM", "AFA"} <= ambiguous


# --- each member, by its name and by an alias or another spelling --------------------


@pytest.mark.parametrize(
    ("member", "title", "summary"),
    [
        ("AAAVAM", "L'AAAVAM saisit la justice", "Elle défend les familles touchées par un médicament."),
        ("AAAVAM", "L'Association d'aide aux victimes des accidents des médicaments saisit la justice", ""),
        ("Actions Traitements", "VIH : Actions Traitements publie un guide", ""),
        ("Actions Traitements", "VIH : ACTIONS TRAITEMENTS publie un guide", ""),
        ("AFA Crohn-RCH", "L'AFA Crohn-RCH réclame des toilettes accessibles", ""),
        ("AFA Crohn-RCH", "L'afa Crohn RCH France publie un livre blanc", ""),
        ("AFA Crohn-RCH", "L'Association François Aupetit publie un livre blanc", ""),
        ("AFA Crohn-RCH", "L'Afa lance une application", "Elle aide les jeunes atteints de rectocolite hémorragique."),
        ("AFH", "L'AFH s'inquiète d'une rupture", "Les patients atteints d'hémophilie craignent l'hiver."),
        ("AFH", "L'Association française des hémophiles fête ses 70 ans", ""),
        ("AFPric", "L'AFPric lance une enquête", "Elle interroge les malades de polyarthrite sur la fatigue."),
        ("AFPric", "L'Association française des polyarthritiques publie un guide", ""),
        ("Association France Spondyloarthrites", "L'Association France Spondyloarthrites lance une campagne", ""),
        ("Association France Spondyloarthrites", "France Spondylarthrites lance une campagne", ""),
        ("Aider à Aider", "Aider à Aider ouvre une ligne d'écoute", ""),
        ("Aider à Aider", "Aider a aider ouvre une ligne d'écoute", ""),
        ("Alliance du Cœur", "L'Alliance du Cœur lance une campagne de dépistage", ""),
        ("Alliance du Cœur", "L'Alliance du Coeur lance une campagne de dépistage", ""),
        ("ANDAR", "L'ANDAR alerte sur les ruptures", "Les malades de polyarthrite rhumatoïde manquent de traitement."),
        ("ANDAR", "L'Andar réclame l'accès aux biothérapies", "L'association défend les malades de polyarthrite."),
        ("ANDAR", "L'Association nationale de défense contre l'arthrite rhumatoïde alerte", ""),
        ("ARSLA", "L'ARSLA finance trois projets", "Des essais cliniques sur la SLA."),
        ("ARSLA", "L'Arsla ouvre une maison de répit", "Pour les malades de Charcot et leurs proches."),
        ("ARSLA", "L'Association pour la recherche sur la sclérose latérale amyotrophique alerte", ""),
        ("Cancer Contribution", "Cancer Contribution recueille 3 000 témoignages", ""),
        ("Cancer Contribution", "Cancer contribution recueille 3 000 témoignages", ""),
        ("Diabète et méchant", "Diabète et méchant dénonce la pénurie de capteurs", ""),
        ("Diabète et méchant", "Diabète & méchant publie un guide", ""),
        ("Diabète et méchant", "Diabete et mechant lance un podcast", ""),
        ("ELLyE", "ELLyE publie un guide", "Pour les malades atteints de lymphome."),
        ("ELLyE", "Ensemble Leucémie Lymphomes Espoir organise une journée", ""),
        ("Fédération Caire", "La Fédération Caire interpelle les députés", ""),
        ("Fédération Caire", "Caire, fédération d'associations de malades, interpelle les sénateurs", ""),
        ("FFAAIR", "La FFAAIR demande le remboursement", "Pour la réhabilitation respiratoire des malades de BPCO."),
        ("FFAAIR", "La Fédération française des associations et amicales d'insuffisants respiratoires alerte", ""),
        ("Patients en réseau", "L'association Patients en réseau ouvre une plateforme", ""),
        ("Patients en réseau", "Mon réseau cancer du sein : Patients en Réseau fête ses dix ans", ""),
        ("Renaloo", "Renaloo publie son baromètre de la greffe", ""),
        ("Renaloo", "RENALOO publie son baromètre", "L'association s'inquiète."),
        ("Vivre sans Thyroïde", "L'association Vivre sans Thyroïde demande une enquête", ""),
        ("Vivre sans Thyroïde", "Vivre sans thyroïde : sa présidente dénonce les ruptures", ""),
    ],
)  # fmt: skip
def test_each_member_is_found_by_its_name_and_its_aliases(judge, member: str, title: str, summary: str) -> None:
    result = judge(title, summary)
    assert result.member_mentions == [member]
    assert result.decision == "alert" and result.alert_reason == "mention d'une association membre"
    assert result.mentions == []


# --- ambiguous names: written so, with a context, never when it says something else ------


def test_an_ambiguous_acronym_alone_is_no_member(judge) -> None:
    assert judge("L'AFH publie son rapport annuel", "Le document compte quarante pages.").member_mentions == []
    assert judge("ANDAR : un nom qui fait parler", "Le mot circule sur les réseaux.").member_mentions == []
    assert judge("L'ARSLA publie son rapport", "Quarante pages.").member_mentions == []


def test_the_members_own_field_anywhere_in_the_item_is_a_context(judge) -> None:
    deep = judge("L'AFH publie son rapport annuel", "Il compte quarante pages.", content="Hémophilie : les chiffres.")
    assert deep.member_mentions == ["AFH"]
    assert "association membre AFH : « AFH », et « hémophilie » dans l'article" in deep.why


def test_an_associations_word_counts_only_near_the_name(judge) -> None:
    near = judge("L'AFH publie son rapport annuel", "L'association y détaille ses comptes.")
    assert near.member_mentions == ["AFH"]  # a name in the title is explained by the lead
    assert "association membre AFH : « AFH » près de « association »" in near.why
    far = judge(
        "Rapport",
        "L'AFH publie un document de quarante pages sur ses comptes, ses dépenses, ses salariés, ses locaux et ses "
        "projets pour les trois prochaines années, selon l'association.",
    )
    assert far.member_mentions == []


def test_ambiguous_names_count_only_written_as_configured(judge) -> None:
    # « AFH » in capitals only; « Caire » with its capital; a title in capitals has no acronyms to tell.
    assert judge("L'afh publie son rapport", "L'association des malades d'hémophilie.").member_mentions == []
    assert judge("Le mot caire dans une grille", "L'association des cruciverbistes joue.").member_mentions == []
    assert judge("L'AFH ALERTE SUR LES PÉNURIES DE FACTEUR", "").member_mentions == []
    assert judge("L'AFH alerte sur les pénuries de facteur", "L'hémophilie est concernée.").member_mentions == ["AFH"]


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        # A hospital federation abroad, by the place and by its own words.
        ("Liban : l'AFH menace de suspendre l'accueil", "L'association des hôpitaux privés réclame ses arriérés."),
        ("L'AFH, fédération hospitalière, élit son président", "L'association des cliniques change de tête."),
        # Cairo, as a city or a word.
        ("Au Caire, les associations de patients réclament de l'insuline", "Les malades font la queue."),
        ("Tourisme : Le Caire retrouve ses visiteurs", "L'association des agences de voyage se réjouit."),
        # Another AFA, even with an association nearby.
        ("L'AFA épingle la gestion d'une association sportive", "L'Agence française anticorruption relève des abus."),
        # A film, a car, a child.
        ("« Andar », un film sur la marche à travers le Portugal", "Le réalisateur suit trois randonneurs."),
        ("ANDAR : le nouveau SUV électrique arrive en concession", "Le constructeur promet 500 kilomètres."),
        ("Ellye, 6 ans, retrouvée saine et sauve dans le Var", "Ses parents remercient les gendarmes."),
        # Ordinary French that is also a member's name.
        ("Vivre sans thyroïde : le quotidien après l'ablation", "Les patients prennent un traitement à vie."),
        ("Patients en réseau : médecins et infirmiers partagent le suivi", "Une expérimentation en Bretagne."),
    ],
)  # fmt: skip
def test_acronym_clashes_and_ordinary_words_are_no_member(judge, title: str, summary: str) -> None:
    assert judge(title, summary).member_mentions == []


@pytest.mark.parametrize(
    "name",
    ["France Rein", "Vaincre la Mucoviscidose", "France Parkinson", "UNAFAM", "SOS Hépatites", "AMADYS",
     "Fédération française des diabétiques", "Transhépate", "France Psoriasis", "Europa Donna France"],
)  # fmt: skip
def test_associations_that_are_not_members_are_no_member(judge, name: str) -> None:
    result = judge(f"{name} alerte les pouvoirs publics", "L'association de patients demande un rendez-vous.")
    assert result.member_mentions == [] and result.mentions == []


# --- a list of signatories ------------------------------------------------------------


def test_a_member_in_a_list_of_signatories_is_no_member_mention(judge) -> None:
    listed = judge(
        "Fin de vie : quarante associations signent une tribune",
        "Parmi les signataires : AIDES, la Ligue contre le cancer, France Assos Santé, Renaloo et l'ANDAR.",
    )
    assert listed.member_mentions == []
    signed = judge("Tribune", "Ce texte est signé par l'UNAFAM, AIDES, Diabète et méchant et Unicef.")
    assert signed.member_mentions == []


def test_a_member_named_outside_the_list_still_counts(judge) -> None:
    both = judge(
        "Renaloo lance une tribune sur la greffe",
        "Parmi les signataires : AIDES, la Ligue contre le cancer, France Assos Santé et Renaloo.",
    )
    assert both.member_mentions == ["Renaloo"]
    # « signée par » followed by words that are no names is no list.
    own = judge("Hémophilie : l'AFH publie une tribune signée par quarante médecins", "Ils demandent un registre.")
    assert own.member_mentions == ["AFH"]


# --- the collective: its legal association, its spokespeople, its works -----------------


def test_the_collectives_legal_association_is_a_mention(judge) -> None:
    result = judge("Journal officiel : l'Association du Collectif Action Patients est déclarée", "Elle gère les dons.")
    assert result.mentions == ["Action Patients"] and result.decision == "alert"


def test_magali_leo_written_in_capitals_is_the_coordinator(judge) -> None:
    result = judge("Accès aux soins", "Pour Magali LEO, coordinatrice du collectif, les malades se perdent.")
    assert result.mentions == ["Magali Leo (coordinatrice)"]


def test_christian_baudelot_on_the_2022_survey_is_a_mention_with_its_reason(judge) -> None:
    result = judge(
        "Hôpital : « la qualité des soins se dégrade », selon une enquête",
        "Pour le sociologue Christian Baudelot, qui a analysé l'enquête menée en 2022 auprès de 1 700 patients, "
        "l'hôpital est à bout de souffle.",
    )
    assert result.mentions == ["enquête 2022 (Christian Baudelot)"] and result.decision == "alert"
    assert "mention du collectif : enquête 2022 (Christian Baudelot)" in result.why
    assert result.alert_reason == "mention du collectif"


@pytest.mark.parametrize(
    ("title", "summary", "content"),
    [
        # The sociologist on schools.
        ("Christian Baudelot : « L'école reproduit les inégalités »", "Il publie une enquête sur les élèves.", None),
        # Renaloo's kidney surveys, which he analyses too.
        ("Greffe : une enquête révèle des inégalités", "Christian Baudelot a analysé les réponses des dialysés.", None),
        # The person, then a survey and a hospital far away in the text.
        ("Portrait", "Christian Baudelot, sociologue.", "Il enseigne. " * 30 + "Une enquête sur l'hôpital paraît."),
    ],
)  # fmt: skip
def test_baudelot_on_something_else_is_no_mention(judge, title: str, summary: str, content: str | None) -> None:
    assert judge(title, summary, content).mentions == []


def test_moipatients_survey_for_the_collective_is_a_mention_and_its_other_surveys_are_not(judge) -> None:
    ours = judge(
        "Une enquête MoiPatient pour un collectif de trente associations",
        "Plus de 1 700 patients ont répondu sur la qualité de la prise en charge à l'hôpital.",
    )
    assert ours.mentions == ["enquête MoiPatient pour le collectif"]
    assert "mention du collectif : enquête MoiPatient pour le collectif" in ours.why
    other = judge("MoiPatient lance une enquête sur la vaccination des greffés", "Les patients répondent en ligne.")
    assert other.mentions == []


# --- the configuration: typed, checked, in French -----------------------------------------

WATCHLIST = """\
sources:
  - {name: Presse, url: "https://p.test/rss"}
topics:
  hopital:
    label: Hôpital
    terms: {hôpital: 40}
watchlist:
  collective:
    names: [Action Patients]
    works:
      - label: enquête
        requires: [[Christian Baudelot], [enquête]]
  member_context: [association]
  members:
    - name: AFH
      aliases: [Association française des hémophiles]
      ambiguous: [AFH]
      context: [hémophilie]
      exclude: [fédération hospitalière]
    - name: Renaloo
"""


def test_member_rules_are_read_into_typed_models() -> None:
    config = parse_config(WATCHLIST)
    afh = config.watchlist.members[0]
    assert (afh.name, afh.aliases, afh.ambiguous) == ("AFH", ["Association française des hémophiles"], ["AFH"])
    assert (afh.context, afh.exclude) == (["hémophilie"], ["fédération hospitalière"])
    assert config.watchlist.member_context == ["association"]
    assert config.watchlist.collective.works[0].requires == [["Christian Baudelot"], ["enquête"]]


@pytest.mark.parametrize(
    ("replace", "by", "expected"),
    [
        (
            "      ambiguous: [AFH]",
            "      ambiguous: [AHF]",
            "sources.yaml, ligne 15, colonne 7, watchlist.members[0] : « ambiguous » cite « AHF », "
            "qui n'est ni le nom « AFH » ni un de ses « aliases »",
        ),
        (
            "    - name: Renaloo",
            "    - name: Renaloo\n      context: [rein]",
            "watchlist.members[1] : « context » et « exclude » ne servent qu'aux noms « ambiguous »",
        ),
        (
            "    - name: Renaloo",
            "    - name: Renaloo\n      aliases: [Association Française des Hémophiles]",
            "le nom « Association Française des Hémophiles » de « Renaloo » est déjà celui de « AFH »",
        ),
        (
            "    - name: Renaloo",
            "    - name: «—»",
            "watchlist.members[1] : « name » : « «—» » ne contient aucun mot",
        ),
        (
            "        requires: [[Christian Baudelot], [enquête]]",
            "        requires: [Christian Baudelot]",
            "« enquête » : « requires » demande au moins deux groupes",
        ),
        ("    - name: Renaloo", "    - name: Renaloo\n      alias: [Renalo]", "members[1].alias : champ inconnu"),
    ],
)  # fmt: skip
def test_watchlist_mistakes_are_reported_in_french_with_their_place(replace: str, by: str, expected: str) -> None:
    text = WATCHLIST.replace(replace, by)
    assert text != WATCHLIST
    with pytest.raises(ConfigError) as raised:
        parse_config(text)
    assert expected in str(raised.value)


def test_an_ambiguous_name_without_any_context_is_refused() -> None:
    text = WATCHLIST.replace("  member_context: [association]\n", "").replace("      context: [hémophilie]\n", "")
    with pytest.raises(ConfigError) as raised:
        parse_config(text)
    assert str(raised.value) == (
        "sources.yaml, ligne 8, colonne 3, watchlist : le membre « AFH » a des noms ambigus mais aucun contexte "
        "pour les reconnaître (« context » du membre ou « member_context » de la watchlist)"
    )
    # Either context is enough.
    assert parse_config(WATCHLIST.replace("  member_context: [association]\n", "")).watchlist.member_context == []
    assert parse_config(WATCHLIST.replace("      context: [hémophilie]\n", "")).watchlist.members[0].context == []


# --- `watcher preview --json` on one item per member, the clashes and the guessed associations ------


def test_preview_names_each_of_the_18_and_no_member_on_clashes_or_guessed_associations() -> None:
    rows = preview_rows(MEMBERS_FILE)
    named = [row["member_mentions"] for key, row in rows.items() if key.startswith("member-")]
    assert all(len(members) == 1 for members in named)
    assert sorted(members[0] for members in named) == sorted(THE_18)
    others = {key: row["member_mentions"] for key, row in rows.items() if not key.startswith("member-")}
    assert any(key.startswith("clash-") for key in others) and any(key.startswith("guessed-") for key in others)
    assert others == {key: [] for key in others}


def test_the_devsets_member_labels_name_real_members_and_cover_the_18(real_config: Config) -> None:
    records = [json.loads(line) for line in SELF_WRITTEN.read_text(encoding="utf-8").splitlines()]
    labelled = [name for record in records for name in record["member"]]
    assert set(labelled) == set(THE_18) == {member.name for member in real_config.watchlist.members}
