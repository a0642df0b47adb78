"""Same-event evidence between two items, weighed by a small learned scorer.

What two items share is described by a few named features (`FEATURES`): the TF-IDF cosine of the items and of
their titles, the rarity of the names they share and whether a name is in both titles (its subject), shared
event words read through their synonyms (« quitte » and « départ », « nommé » and « nomination »), shared figures
and dates, and the hours between them. A logistic regression weighs them: its weights live in
`watcher/data/story-scorer.json`, a small file to read, rewritten by `python bench/story_ceiling.py --write`
(fitted on the development set, `bench/devset/stories.csv`, after cross-validation by month).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from watcher.text import fold

SCORER_FILE = Path(__file__).parent / "data" / "story-scorer.json"

# Words that tell what happened, by kind of event: two items that tell the same kind of happening in other words
# (« quitte ses fonctions », « après le départ ») share it; two titles that tell different happenings (« recourt au
# 49.3 », « définitivement adopté ») do not. Compared as written, accents and case aside, not as stems: « départ »
# and « département » share theirs.
EVENT_WORDS: dict[str, tuple[str, ...]] = {
    "départ": (
        "quitte",
        "quitter",
        "quittent",
        "départ",
        "démission",
        "démissionne",
        "démissionné",
        "limogé",
        "limogeage",
        "quitté",
        "démissionnaire",
        "successeur",
        "succède",
        "remplacé",
        "évincé",
    ),
    "nomination": ("nommé", "nommée", "nomination", "nommer", "désigné", "désignée", "désignation", "remaniement"),
    "grève": ("grève", "grèves", "grévistes", "gréviste", "préavis", "débrayage", "mobilisation", "mobilisés"),
    "fermeture": ("fermer", "fermé", "fermés", "fermées", "ferment", "fermeture", "fermetures", "fermera"),
    "cyberattaque": (
        "cyberattaque",
        "cyberattaques",
        "piratage",
        "piraté",
        "rançongiciel",
        "ransomware",
        "hackers",
        "informatique",
        "attaque",
    ),
    "agression": ("agression", "agressé", "agressée", "frappé", "frappée", "violences", "attaqué", "attaquée"),
    "adoption": ("adopté", "adoptée", "adoption", "définitivement", "vote", "voté", "votée", "adopte"),
    "49.3": ("recours", "recourt", "recourir"),
    "censure": ("censure", "motion"),
    "mort": ("mort", "morts", "décès", "décédé", "décédée", "meurt", "victime", "victimes"),
    "incendie": ("incendie", "feu", "flammes", "brûlé"),
}


# Who acts, by trade: two titles that name different trades (« chez les infirmiers libéraux », « les pharmaciens
# ferment leurs officines ») tell two events, even on one strike day and in the same words. One trade, several words.
TRADES: dict[str, tuple[str, ...]] = {
    "médecins": ("médecin", "médecins", "généraliste", "généralistes", "spécialistes", "praticiens"),
    "internes": ("internes", "carabins"),
    "urgentistes": ("urgentiste", "urgentistes"),
    "infirmiers": ("infirmier", "infirmiers", "infirmière", "infirmières", "idel"),
    "aides-soignants": ("aide-soignant", "aides-soignants", "aide-soignante", "aides-soignantes"),
    "kinés": ("kiné", "kinés", "kinésithérapeute", "kinésithérapeutes", "masseurs-kinésithérapeutes"),
    "pharmaciens": ("pharmacien", "pharmaciens", "pharmacie", "pharmacies", "officine", "officines"),
    "sages-femmes": ("sage-femme", "sages-femmes", "maïeuticiens"),
    "dentistes": ("dentiste", "dentistes", "chirurgiens-dentistes"),
    "biologistes": ("biologiste", "biologistes"),
    "ambulanciers": ("ambulancier", "ambulanciers"),
    "cheminots": ("cheminot", "cheminots", "sncf", "contrôleurs", "aiguilleurs", "ter", "tgv", "ratp", "rer"),
    "enseignants": ("enseignant", "enseignants", "professeurs", "instituteurs"),
    "éboueurs": ("éboueur", "éboueurs", "poubelles"),
    "pilotes": ("pilote", "pilotes", "hôtesses", "stewards", "navigants"),
    "taxis": ("taxi", "taxis"),
    "agriculteurs": ("agriculteur", "agriculteurs", "paysans", "éleveurs"),
}


# The stages of a bill, as a title names them (folded: no accents, lower case). Two titles that name different stages
# more than a day apart tell two events of one bill: « Budget de la Sécu : Borne recourt au 49.3 pour faire adopter
# définitivement le texte », then two days later « Le budget de la Sécurité sociale définitivement adopté » (the
# learned scorer joined them at 1.00: they share every name and most words). Within a day, a 49.3 and the motions
# of censure it calls for are one event.
BILL_STAGES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (stage, re.compile(pattern))
    for stage, pattern in (
        ("49.3", r"\b49[.,-]?3\b"),
        ("motion de censure", r"\bmotions? de censure\b"),
        ("commission mixte paritaire", r"\bcommission mixte paritaire\b|\bcmp\b"),
        ("première lecture", r"\bpremiere lecture\b"),
        ("nouvelle lecture", r"\bnouvelle lecture\b"),
        ("adoption définitive", r"\bdefinitivement\b|\b(?:adoption|lecture) definitive\b"),
        ("Conseil constitutionnel", r"\bconseil constitutionnel\b"),
        ("promulgation", r"\bpromulg"),
    )
)
BILL_STAGE_GAP_HOURS = 24
# Any of the stages: most titles name none, and one search tells so where there were one per stage.
_ANY_BILL_STAGE = re.compile("|".join(f"(?:{pattern.pattern})" for _stage, pattern in BILL_STAGES))


def bill_stages(folded_title: str) -> frozenset[str]:
    """The stages of a bill that a title (folded: `watcher.text.fold`) names."""
    if _ANY_BILL_STAGE.search(folded_title) is None:
        return frozenset()
    return frozenset(stage for stage, pattern in BILL_STAGES if pattern.search(folded_title))


@cache
def _trade_of_word() -> dict[str, str]:
    return {fold(word): trade for trade, words in TRADES.items() for word in words}


def trades(folded_words: Iterable[str]) -> frozenset[str]:
    """The trades that these words (folded) name."""
    table = _trade_of_word()
    return frozenset(table[word] for word in folded_words if word in table)


@cache
def _event_of_word() -> dict[str, frozenset[str]]:
    kinds: dict[str, set[str]] = {}
    for kind, words in EVENT_WORDS.items():
        for word in words:
            kinds.setdefault(fold(word), set()).add(kind)
    return {word: frozenset(found) for word, found in kinds.items()}


def event_kinds(folded_words: Iterable[str]) -> frozenset[str]:
    """The kinds of happening that these words (folded: `watcher.text.fold`) tell."""
    table = _event_of_word()
    found: set[str] = set()
    for word in folded_words:
        found |= table.get(word, frozenset())
    return frozenset(found)


FEATURES = (
    "cosinus",  # TF-IDF cosine of title (twice) and lead, with names, dates and figures
    "cosinus des titres",
    "noms rares partagés",  # summed IDF of the shared names, dates and figures
    "nom le plus rare",
    "nom sujet des deux titres",  # summed IDF of the names in both titles
    "noms d'un seul titre",  # the less of the two: summed IDF of a title's names that the other item lacks
    "mots des titres",  # summed IDF of the shared title stems
    "même événement",  # kinds of happening both tell
    "autre événement",  # both titles tell a happening, none in common
    "heures d'écart",
)


@dataclass(frozen=True)
class Evidence:
    values: tuple[float, ...]  # in the order of FEATURES

    def named(self) -> dict[str, float]:
        return dict(zip(FEATURES, self.values, strict=True))

    def in_words(self) -> str:
        return ", ".join(f"{name} {decimal(value)}" for name, value in self.named().items())


def decimal(value: float) -> str:
    """A figure as a French reader writes it: « 0,42 »."""
    return f"{value:.2f}".replace(".", ",")


@dataclass(frozen=True)
class Scorer:
    """A logistic regression over FEATURES: a pair is one event when its probability reaches `bar`."""

    weights: tuple[float, ...]
    intercept: float
    bar: float

    def probability(self, evidence: Evidence) -> float:
        logit = self.intercept + sum(w * v for w, v in zip(self.weights, evidence.values, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, logit))))

    def joins(self, evidence: Evidence) -> bool:
        return self.probability(evidence) >= self.bar

    def to_json(self, note: dict[str, object]) -> str:
        return (
            json.dumps(
                {
                    "bar": round(self.bar, 4),
                    "intercept": round(self.intercept, 6),
                    "weights": {name: round(w, 6) for name, w in zip(FEATURES, self.weights, strict=True)},
                    **note,
                },
                ensure_ascii=False,
                indent=2,
            )
            + "\n"
        )


def load_scorer(path: Path = SCORER_FILE) -> Scorer:
    data = json.loads(path.read_text(encoding="utf-8"))
    weights = data["weights"]
    if set(weights) != set(FEATURES):
        raise ValueError(f"{path}: weights for {sorted(weights)}, where {list(FEATURES)} are expected")
    return Scorer(tuple(float(weights[name]) for name in FEATURES), float(data["intercept"]), float(data["bar"]))


@cache
def shipped_scorer() -> Scorer:
    return load_scorer()
