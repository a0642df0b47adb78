"""watcher/place.py on the hard cases: homonyms, datelines, contractions, words that are also communes, France as
a whole, abroad. The expected codes are INSEE's (Code officiel géographique)."""

from __future__ import annotations

import pytest

from watcher.place import Place, gazetteer, place_of


def codes(place: Place) -> tuple[str | None, str | None, str | None, bool]:
    return place.code_insee, place.code_departement, place.code_region, place.national


@pytest.mark.parametrize(
    ("title", "lead", "expected"),
    [
        # Homonyms: Saint-Denis of La Réunion and of Seine-Saint-Denis, told apart by what is named beside them.
        ("Saint-Denis : un patient meurt après douze heures aux urgences", "Le CHU de La Réunion reconnaît un retard.",
         ("97411", "974", "04", False)),
        ("À Saint-Denis, les urgences saturées", "En Seine-Saint-Denis, les patients attendent des heures.",
         ("93066", "93", "11", False)),
        ("À Saint-Denis de La Réunion, l'hôpital sature", "", ("97411", "974", "04", False)),
        # Valence: the Drôme's unless another département is given.
        ("Valence : la maternité ferme l'été", "", ("26362", "26", "84", False)),
        ("Valence (Tarn-et-Garonne) : plus de médecin traitant", "", ("82186", "82", "76", False)),
        ("Plus de médecin à Die (26)", "", ("26113", "26", "84", False)),
        # Articles, contractions, elisions, care places before « de ».
        ("Fermeture des urgences du Mans", "", ("72181", "72", "52", False)),
        ("À l'hôpital de Dax, une patiente attend 14 heures", "", ("40088", "40", "75", False)),
        ("Des patients des Sables-d'Olonne transférés", "", ("85194", "85", "52", False)),
        ("Au CHU de Rennes, des opérations déprogrammées", "", ("35238", "35", "53", False)),
        ("Dans le Nord, la maternité de Maubeuge ferme", "", ("59392", "59", "32", False)),
        # A kicker naming the département whose small town bears its name, then a town of it: the town, not Mayenne.
        ("Mayenne : les urgences de Laval fermées la nuit faute de médecins", "", ("53130", "53", "52", False)),
        ("Mayenne : la maternité ferme ses portes", "", ("53147", "53", "52", False)),
        # « en » or « dans » names a territory: the département, even where a town bears its name.
        ("Fermetures nocturnes des services d'urgences en Mayenne", "", (None, "53", "52", False)),
        ("Dans la Vienne, plus de médecin de garde", "", (None, "86", "75", False)),
        # A département or a région alone fills its levels; a former région is today's.
        ("Urgences fermées en Isère", "", (None, "38", "84", False)),
        ("Aube : un médecin part, 2000 patients sans suivi", "", (None, "10", "44", False)),
        ("Bretagne : les délais pour un ophtalmologue explosent", "", (None, None, "53", False)),
        ("En Alsace, la pénurie de médecins s'aggrave", "", (None, None, "44", False)),
        # France as a whole.
        ("Pénurie d'amoxicilline : des traitements interrompus partout en France", "", (None, None, None, True)),
        ("Le ministre de la Santé annonce un plan pour les urgences", "", (None, None, None, True)),
        # Abroad, even with a « national » health service: nothing.
        ("Au Royaume-Uni, un patient meurt après 40 heures d'attente aux urgences",
         "Le service national de santé est débordé.", (None, None, None, False)),
        # Words and first names that are also small communes.
        ("Plus de patients, vers une crise", "Aube difficile pour les soignants.", (None, None, None, False)),
        ("Il a écrit à Marie Dupont", "", (None, None, None, False)),
        ("Orange lance une offre de téléconsultation", "", (None, None, None, False)),
        # Names of institutions that begin with a commune's name, seen in a day of the 2025 press feeds: the Red
        # Cross is not Croix (Nord), the European Union not L'Union (Haute-Garonne), Paris-Saclay is in the Essonne.
        ("Gaza : trois otages libérés", "Le Hamas a remis trois otages israéliens à la Croix-Rouge.",
         (None, None, None, False)),
        ("Face à l'inflation, appel au boycott des supermarchés en Roumanie",
         "La Roumanie est confrontée à l'inflation la plus élevée de l'Union européenne.", (None, None, None, False)),
        ("L'université Paris-Saclay ouvre une formation d'infirmiers", "", (None, None, None, False)),
        # The seats of power the press names for who sits there: the Prime minister's office, the Ségur talks on
        # health; the town only with its département given.
        ("Les syndicats de soignants reçus à Matignon", "", (None, None, None, False)),
        ("Au Ségur de la santé, les infirmiers obtiennent une hausse", "", (None, None, None, False)),
        ("À Matignon (Côtes-d'Armor), le cabinet médical ferme", "", ("22143", "22", "53", False)),
        # Still the town: Croix itself, and a commune whose own name is hyphenated.
        ("À Croix, la pharmacie de garde ferme", "", ("59163", "59", "32", False)),
        ("Urgences saturées au Kremlin-Bicêtre", "", ("94043", "94", "11", False)),
    ],
)  # fmt: skip
def test_hard_cases(title: str, lead: str, expected: tuple[str | None, str | None, str | None, bool]) -> None:
    assert codes(place_of(title, lead)) == expected


def test_saint_denis_without_context_is_left_unknown() -> None:
    """Saint-Denis of La Réunion and of Seine-Saint-Denis have no région in common: nothing is certain."""
    place = place_of("Saint-Denis : un patient meurt après douze heures aux urgences")
    assert place == Place()
    assert place.as_json() == {
        "commune": None,
        "departement": None,
        "region": None,
        "code_insee": None,
        "code_departement": None,
        "code_region": None,
        "national": False,
    }


def test_namesakes_in_one_region_keep_the_region() -> None:
    """Two homonymous communes of one région, neither ten times the other: the région is certain, not the town."""
    places = gazetteer()
    namesakes: dict[str, list[str]] = {}
    for commune in places.communes.values():
        namesakes.setdefault(commune.name, []).append(commune.code)
    pairs = [
        codes_
        for codes_ in namesakes.values()
        if len(codes_) == 2
        and len({places.departements[places.communes[c].departement].region for c in codes_}) == 1
        and len({places.communes[c].departement for c in codes_}) == 2
        and all(places.communes[c].population >= 2000 for c in codes_)
        and max(places.communes[c].population for c in codes_) < 10 * min(places.communes[c].population for c in codes_)
    ]
    assert pairs, "the gazetteer has such namesakes"
    first = places.communes[pairs[0][0]]
    place = place_of(f"Les urgences de {first.name} fermées la nuit")
    assert place.code_insee is None and place.code_departement is None
    assert place.code_region == places.departements[first.departement].region


def test_a_named_place_fills_every_level_with_names_and_codes() -> None:
    assert place_of("Au CHU de Rennes, des opérations déprogrammées").as_json() == {
        "commune": "Rennes",
        "departement": "Ille-et-Vilaine",
        "region": "Bretagne",
        "code_insee": "35238",
        "code_departement": "35",
        "code_region": "53",
        "national": False,
    }


def test_the_gazetteer_is_complete() -> None:
    places = gazetteer()
    assert len(places.regions) == 18 and len(places.departements) == 101
    assert len(places.communes) > 34_000
    assert all(d.region in places.regions for d in places.departements.values())
    assert all(c.departement in places.departements for c in places.communes.values())
