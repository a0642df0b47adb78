"""French text analysis: tokens, elisions, folding and stems.

Two views of the same text are needed downstream:
- `folded` words keep every word (stop words included) so that a name such as
  « Action Patients » is not confused with « l'action des patients »;
- `stems` drop stop words and reduce words to their Snowball stem so that
  « hôpitaux » matches « hôpital » and « grèves » matches « grève ».
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

_WORD_RE = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*", re.UNICODE)
_ELISION_RE = re.compile(r"^(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|quoiqu)['’]", re.IGNORECASE)
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "’": "'"})

STOP_WORDS = frozenset(
    """
    a à au aux avec ce ces cet cette d de des du elle elles en et eux il ils je la le les leur leurs
    lui ma mais me même mes moi mon ne nos notre nous on ou où par pas pour qu que qui sa se ses son
    sur ta te tes toi ton tu un une vos votre vous y l s c n t m j été être est sont était ont avait
    a été fait faire plus moins très tout tous toute toutes dans sans sous entre vers chez après avant
    depuis pendant selon comme si aussi ainsi donc car puis alors encore déjà lors dont cela ça ceci
    celui celle ceux celles quel quelle quels quelles
    """.split()
)

_stemmer = snowballstemmer.stemmer("french")
# snowballstemmer hands the work to PyStemmer (C) when it is installed; it is a declared dependency.
USES_PYSTEMMER = type(_stemmer).__module__ == "Stemmer"


@lru_cache(maxsize=200_000)
def _fold_word(word: str) -> str:
    return fold(word)


def fold(text: str) -> str:
    """Lower case, ligatures expanded, accents removed."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES).lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


# Words whose Snowball stem collides with an unrelated word: « urgentiste » would be « urgent ».
_WORD_STEMS = {
    "urgentiste": "urgentist",
    "urgentistes": "urgentist",
    "généraliste": "generalist",  # not « général »
    "généralistes": "generalist",
    "generaliste": "generalist",
    "generalistes": "generalist",
    # « soignants » (staff) would be « soign », like « soigner » (any care, « la boxe pour soigner »).
    "soignant": "soignant",
    "soignants": "soignant",
    "soignante": "soignant",
    "soignantes": "soignant",
    # « effectifs » (staff numbers) would be « effect », like the adverb « effectivement ».
    "effectivement": "effectiv",
    "effective": "effectiv",
    "effectives": "effectiv",
}
# Stems that differ between gender or number, or with and without accents (« infirmieres » typed
# without accents stems to « infirmier », « infirmières » to « infirmi »): one stem for all.
_STEM_ALIASES = {"etranger": "etrang", "etrangere": "etrang"}


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    lowered = word.lower().translate(_LIGATURES)
    if lowered in _WORD_STEMS:
        return _WORD_STEMS[lowered]
    # Stem before folding: the Snowball rules rely on accents (« hôpitaux » -> « hôpital »).
    stemmed = fold(_stemmer.stemWord(lowered))
    stemmed = _STEM_ALIASES.get(stemmed, stemmed)
    if stemmed.endswith("ier") and len(stemmed) > 5:
        stemmed = stemmed[:-2]  # infirmier/infirmi, hospitalier/hospitali, ambulancier/ambulanci
    return stemmed


@dataclass(frozen=True, slots=True)
class Token:
    surface: str  # as written, without the elided article
    folded: str
    stem: str
    stop: bool

    @property
    def is_acronym(self) -> bool:
        return len(self.surface) >= 2 and self.surface.isupper() and self.surface.isalpha()


def _split_words(text: str) -> list[str]:
    words: list[str] = []
    for raw in _WORD_RE.findall(text.translate(_LIGATURES)):
        # « l'hôpital » -> « hôpital »; « aujourd'hui » keeps its apostrophe.
        elided = _ELISION_RE.match(raw)
        if elided and len(raw) > elided.end():
            words.append(raw[: elided.end() - 1])
            raw = raw[elided.end() :]
        words.extend(part for part in raw.split("-") if part)
    return words


def tokenize(text: str) -> list[Token]:
    tokens = []
    for word in _split_words(text):
        folded = _fold_word(word)
        tokens.append(Token(word, folded, stem(word), folded in _FOLDED_STOP_WORDS))
    return tokens


_FOLDED_STOP_WORDS = frozenset(fold(word) for word in STOP_WORDS)


def content_stems(text: str) -> list[str]:
    """Stems of the meaningful words, in order."""
    return [token.stem for token in tokenize(text) if not token.stop]


def is_mostly_upper(text: str) -> bool:
    letters = [char for char in text if char.isalpha()]
    return len(letters) >= 8 and sum(char.isupper() for char in letters) / len(letters) > 0.6
