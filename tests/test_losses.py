"""The kind of loss of chance, from the title and lead of items written by the team (no press text)."""

from __future__ import annotations

import pytest

from watcher.losses import LOSS_KINDS, LOSS_PHRASES, item_loss_kinds, loss_kinds

ONE_PER_KIND = [
    (
        "retard_diagnostic",
        "Cancer du sein : huit mois d'attente pour une IRM à Guéret",
        "Faute de créneau, une patiente de 52 ans a vu sa tumeur grossir pendant qu'elle attendait son examen.",
    ),
    (
        "deprogrammation",
        "Au CHU de Rouen, des dizaines d'opérations reportées faute d'anesthésistes",
        "Les patients concernés attendent une nouvelle date ; certains depuis le printemps.",
    ),
    (
        "fermeture_transfert",
        "Les urgences de Carhaix fermées la nuit jusqu'à la fin du mois",
        "Les habitants devront se rendre à Brest ou à Quimper, à plus d'une heure de route.",
    ),
    (
        "deces_complication",
        "Une femme de 71 ans décède après douze heures dans le couloir des urgences de Mulhouse",
        "Sa famille a saisi l'ARS ; l'hôpital évoque un afflux exceptionnel de patients ce week-end-là.",
    ),
    (
        "refus_de_soins",
        "Bénéficiaire de la CSS, il est refoulé par trois cabinets de dentistes à Lyon",
        "Le Défenseur des droits rappelle que le refus de soins pour ce motif est interdit.",
    ),
    (
        "rupture_traitement",
        "Épilepsie : des familles privées de traitement par une rupture de stock",
        "Le médicament de leurs enfants est introuvable en pharmacie depuis trois semaines dans l'Aisne.",
    ),
    (
        "sans_medecin",
        "Dans la Nièvre, 4 000 patients sans médecin traitant après le départ de deux généralistes",
        "Les malades chroniques n'ont plus personne pour renouveler leurs ordonnances.",
    ),
]


@pytest.mark.parametrize(("kind", "title", "lead"), ONE_PER_KIND, ids=[kind for kind, _t, _l in ONE_PER_KIND])
def test_each_kind_is_told_by_its_own_item(kind: str, title: str, lead: str) -> None:
    assert kind in loss_kinds(title, lead)


def test_the_items_cover_every_kind_of_the_closed_list() -> None:
    assert [kind for kind, _t, _l in ONE_PER_KIND] == list(LOSS_KINDS)
    assert list(LOSS_PHRASES) == list(LOSS_KINDS)


def test_several_kinds_come_back_in_the_order_of_the_list_whatever_the_order_of_the_text() -> None:
    title = "Mort d'un nourrisson transféré à 80 km : la maternité de Guingamp fermée depuis juillet"
    lead = "Ses parents, sans médecin traitant, dénoncent une perte de chance."
    assert loss_kinds(title, lead) == ["fermeture_transfert", "deces_complication", "sans_medecin"]


def test_forms_accents_and_capitals_do_not_matter() -> None:
    assert loss_kinds("URGENCES FERMÉES À VALOGNES", "") == ["fermeture_transfert"]
    assert loss_kinds("Des chimiothérapies déprogrammées à Pau", "") == ["deprogrammation"]


@pytest.mark.parametrize(
    ("title", "lead"),
    [
        # the hospital crisis in general, with no patient harmed
        ("Le gouvernement présente son plan pour l'hôpital", "Le ministre promet des revalorisations aux soignants."),
        # a medical research item
        ("Un nouvel anticancéreux montre des résultats encourageants", "L'essai porte sur 400 patients en Europe."),
        # no text at all
        ("", ""),
    ],
)
def test_an_item_that_reports_no_loss_has_no_kind(title: str, lead: str) -> None:
    assert loss_kinds(title, lead) == []


def test_a_phrase_does_not_run_from_the_title_into_the_lead() -> None:
    # « sans » closes the title and « médecin » opens the lead: two texts, not one phrase.
    assert loss_kinds("Une consultation sans", "Médecin de garde à Vesoul, il raconte sa nuit.") == []


def test_a_phrase_needs_its_small_words() -> None:
    # « sans médecin » is a loss; « sans les médecins » is praise.
    assert loss_kinds("À Autun, 800 patients restent sans médecin", "") == ["sans_medecin"]
    assert loss_kinds("Rien ne se fait sans les médecins, dit le ministre", "") == []


def test_only_an_item_of_the_theme_has_kinds() -> None:
    title, lead = "Les urgences de Carhaix fermées la nuit", "Les patients transférés à Brest."
    assert item_loss_kinds(["hopital", "pertes_de_chance"], title, lead) == ["fermeture_transfert"]
    assert item_loss_kinds(["hopital"], title, lead) == []
