"""The kind of loss of chance an item of the `pertes_de_chance` theme reports, for the Observatoire.

`loss_kinds(title, lead)` is a pure function of the text: each kind of the closed list `LOSS_KINDS` has a table of
French phrases, matched word by word: a content word on its folded stem (« urgences fermées » finds « urgence fermée »,
« URGENCES FERMÉES »), a small word as written but for accents and case (« faute de médecins » is not « la faute des
médecins »). The kinds come
back in the order of `LOSS_KINDS`, each at most once, whatever the order of the text. An item can report several
losses at once: an emergency department closed at night, and a patient who died on the way to the next one.

The table says nothing of whether an item is of the theme: « mort » is a loss of chance after a refused admission,
not in a fait divers. `item_loss_kinds` asks it only for items of the theme (`LOSS_THEME`) and gives the others `[]`.
"""

from __future__ import annotations

from functools import cache

from watcher.text import Token, find_sequence, tokenize

# The theme whose items have a kind of loss; the others have none.
LOSS_THEME = "pertes_de_chance"
LOSS_KINDS = (
    "retard_diagnostic",
    "deprogrammation",
    "fermeture_transfert",
    "deces_complication",
    "refus_de_soins",
    "rupture_traitement",
    "sans_medecin",
)

# Each kind and the phrases that tell it. A phrase matches its words in a row, on stems: write one form of each word
# (« délai d'attente » also finds « délais d'attente »).
LOSS_PHRASES: dict[str, tuple[str, ...]] = {
    # A diagnosis or a treatment that comes late: waiting lists, months for an appointment, a cancer found too late.
    "retard_diagnostic": (
        "retard de diagnostic",
        "retard diagnostique",
        "diagnostic tardif",
        "diagnostiqué trop tard",
        "diagnostiquée trop tard",
        "errance diagnostique",
        "retard de prise en charge",
        "prise en charge tardive",
        "délai d'attente",
        "délais pour obtenir",
        "délais pour accéder",
        "ans d'attente",
        "mois un rendez-vous",
        "attendent des mois",
        "liste d'attente",
        "mois d'attente",
        "mois pour obtenir",
        "mois pour un rendez-vous",
        "attendre des mois",
        "attend depuis",
        "rendez-vous dans",
        "premier rendez-vous",
        "délai de rendez-vous",
        "obtenir un rendez-vous",
        "pas de rendez-vous",
        "heures d'attente",
        "attendu des heures",
        "attendu pendant",
        "attente aux urgences",
        "nuit sur un brancard",
        "trop tard",
        "renoncement aux soins",
        "renoncent à leur suivi",
    ),
    # Care planned, then put off or cancelled by the hospital.
    "deprogrammation": (
        "déprogrammation",
        "déprogrammé",
        "déprogrammer",
        "reports de soins",
        "report de soins",
        "opérations reportées",
        "opération reportée",
        "interventions reportées",
        "intervention reportée",
        "report des opérations",
        "reporter des opérations",
        "reporte des opérations",
        "reportent des opérations",
        "reporte des interventions",
        "opération a été reportée",
        "rendez-vous à l'hôpital a été annulé",
        "opérations annulées",
        "opération annulée",
        "interventions annulées",
        "chimiothérapie reportée",
        "greffe reportée",
    ),
    # An emergency department, a maternity or a SMUR closed, and what it costs: a longer journey, a transfer.
    "fermeture_transfert": (
        "urgences fermées",
        "urgence fermée",
        "fermées",
        "fermeture",
        "fermetures",
        "menacé de fermeture",
        "fermeture des urgences",
        "fermeture de la maternité",
        "fermeture des maternités",
        "maternité fermée",
        "fermeture du SMUR",
        "SMUR fermé",
        "fermeture de nuit",
        "fermeture nocturne",
        "fermées la nuit",
        "fermée la nuit",
        "ferment la nuit",
        "ferme la nuit",
        "ferment leurs portes",
        "ferme ses portes",
        "fermeture temporaire",
        "fermeture partielle",
        "régulation de l'accès",
        "accès régulé",
        "urgences régulées",
        "appeler le 15",
        "appelé le 15",
        "via le SAMU",
        "régulation par le SAMU",
        "filtrer les patients",
        "n'accueillent que les urgences vitales",
        "accueil des patients limité",
        "suspendu faute de",
        "suspend les accouchements",
        "suspension des accouchements",
        "accouchements suspendus",
        "transféré",
        "transférée",
        "transférés",
        "transfert",
        "kilomètres",
        "km",
        "accoucher sur le bord",
        "accouché sur le bord",
        "accouché dans la voiture",
        "accouche dans la voiture",
    ),
    # A death or a complication after waiting, after a refusal, on the way to a farther hospital.
    "deces_complication": (
        "mort",
        "meurt",
        "meurent",
        "mourir",
        "décès",
        "décédé",
        "décédée",
        "succombé",
        "perd la vie",
        "perdu la vie",
        "complication",
        "complications",
        "péritonite",
        "séquelles",
        "aggravation",
        "état s'est aggravé",
        "événement indésirable grave",
        "amputé",
        "amputation",
    ),
    # Care refused: a patient turned away, a doctor who refuses a patient (AME, CSS), an admission denied.
    "refus_de_soins": (
        "refus de soins",
        "refus de prise en charge",
        "refusé de le prendre en charge",
        "refusé de la prendre en charge",
        "refuse de le soigner",
        "refuse de la soigner",
        "refusé de le soigner",
        "refusé de la soigner",
        "refusé par",
        "refusée par",
        "refuse les patients",
        "refusent les patients",
        "refusent de nouveaux patients",
        "refuse de nouveaux patients",
        "refuse les nouveaux patients",
        "refoulé",
        "refoulée",
        "refoulés",
        "renvoyé chez lui",
        "renvoyée chez elle",
        "renvoyé chez elle",
        "renvoyée chez lui",
        "sans être examiné",
        "sans être examinée",
        "pas été pris en charge",
        "pas été prise en charge",
        "aucun secours",
        "tri",
        "trier",
        "la sélection",
        "critères d'admission",
    ),
    # A treatment interrupted or changed because a drug or a device is out of stock.
    "rupture_traitement": (
        "pénurie de médicaments",
        "pénurie de médicament",
        "pénuries de médicaments",
        "rupture",
        "ruptures",
        "rupture de stock",
        "ruptures de stock",
        "rupture d'approvisionnement",
        "tensions d'approvisionnement",
        "tension d'approvisionnement",
        "difficultés d'approvisionnement",
        "tensions sur l'approvisionnement",
        "ne trouvent plus leur traitement",
        "traitement interrompu",
        "interrompre son traitement",
        "interrompre leur traitement",
        "arrêter son traitement",
        "privés de traitement",
        "privé de traitement",
        "privée de traitement",
        "sans traitement",
        "introuvable en pharmacie",
        "introuvables en pharmacie",
        "manque de médicaments",
        "pénurie d'amoxicilline",
        "pénurie de vaccins",
        "pénurie d'insuline",
    ),
    # No doctor, so no follow-up: a practice closed without a successor, patients without a médecin traitant.
    "sans_medecin": (
        "sans médecin traitant",
        "sans médecin",
        "pas de médecin traitant",
        "plus de médecin traitant",
        "plus de médecin",
        "privés de médecin",
        "privé de médecin",
        "privée de médecin",
        "désert médical",
        "déserts médicaux",
        "désertification médicale",
        "départ à la retraite",
        "part à la retraite",
        "sans successeur",
        "pas de successeur",
        "aucun successeur",
        "sans suivi",
        "plus de suivi",
        "pas de suivi",
        "perdu de vue",
        "perdus de vue",
        "plus de gynécologue",
        "plus de pédiatre",
        "plus de dentiste",
        "plus de kiné",
    ),
}


def _words(text: str) -> list[str]:
    return [_word(token) for token in tokenize(text)]


def _word(token: Token) -> str:
    # « de » and « des » share a stem; the difference is the one between a lack and a blame.
    return token.folded if token.stop else token.stem


@cache
def _compiled() -> tuple[tuple[str, tuple[tuple[str, ...], ...]], ...]:
    # Phrases written in two forms of one word (« désert médical », « déserts médicaux ») are one phrase once stemmed.
    return tuple(
        (kind, tuple(dict.fromkeys(tuple(_words(phrase)) for phrase in LOSS_PHRASES[kind]))) for kind in LOSS_KINDS
    )


def loss_kinds(title: str, lead: str) -> list[str]:
    """The kinds of loss the title and lead report, in the order of `LOSS_KINDS`; [] when they report none."""
    # Title and lead apart: a phrase does not run from the end of the title into the lead.
    texts = [_words(text) for text in (title, lead)]
    words = {stem for stems in texts for stem in stems}
    return [kind for kind, phrases in _compiled() if any(_found(phrase, words, texts) for phrase in phrases)]


def _found(phrase: tuple[str, ...], words: set[str], texts: list[list[str]]) -> bool:
    return bool(phrase) and phrase[0] in words and any(find_sequence(stems, phrase) for stems in texts)


def item_loss_kinds(topics: list[str], title: str, lead: str) -> list[str]:
    """The kinds of loss of an item judged in `topics`: [] unless it is of the `pertes_de_chance` theme."""
    return loss_kinds(title, lead) if LOSS_THEME in topics else []
