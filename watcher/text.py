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
_LIGATURES = (("œ", "oe"), ("Œ", "OE"), ("æ", "ae"), ("Æ", "AE"), ("’", "'"))

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


def _expand_ligatures(text: str) -> str:
    # str.replace, not str.translate: a translation dict is looked up for every character (80 ns each),
    # which made folding a lead cost 75 µs.
    if text.isascii():
        return text  # the ligatures and the apostrophe are not ASCII; most words are
    for ligature, expanded in _LIGATURES:
        text = text.replace(ligature, expanded)
    return text


def _code_ranges(codes: list[int]) -> str:
    ranges: list[list[int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "".join(f"\\u{low:04x}" if low == high else f"\\u{low:04x}-\\u{high:04x}" for low, high in ranges)


# Every combining mark of the Basic Multilingual Plane, as one character class.
_COMBINING_MARKS_RE = re.compile(
    f"[{_code_ranges([code for code in range(0x10000) if unicodedata.combining(chr(code))])}]+"
)
_BEYOND_BMP_RE = re.compile("[\U00010000-\U0010ffff]")


def fold(text: str) -> str:
    """Lower case, ligatures expanded, accents removed."""
    lowered = _expand_ligatures(text).lower()
    if lowered.isascii():
        return lowered  # nothing to decompose
    decomposed = _COMBINING_MARKS_RE.sub("", unicodedata.normalize("NFKD", lowered))
    if _BEYOND_BMP_RE.search(decomposed) is None:
        return decomposed
    return "".join(char for char in decomposed if not unicodedata.combining(char))  # marks beyond the BMP


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


def snowball(word: str) -> str:
    """Snowball's French stem of a word, folded after stemming (the rules read accents)."""
    return fold(_stemmer.stemWord(word))


def unaccented(word: str) -> bool:
    return fold(word) == word


def stem(word: str) -> str:
    lowered = _expand_ligatures(word.lower())
    if lowered in _WORD_STEMS:
        return _WORD_STEMS[lowered]
    # Stem before folding: the Snowball rules rely on accents (« hôpitaux » -> « hôpital »).
    stemmed = snowball(lowered)
    stemmed = _STEM_ALIASES.get(stemmed, stemmed)
    if stemmed.endswith("ier") and len(stemmed) > 5:
        stemmed = stemmed[:-2]  # infirmier/infirmi, hospitalier/hospitali, ambulancier/ambulanci
    return stemmed


# Endings written with an accent in French, whatever the word: « journee », « premiere », « fermees ».
CERTAIN_ACCENTS = (("erement", "èrement"), ("eres", "ères"), ("ere", "ère"), ("ees", "ées"), ("ee", "ée"))


def with_accents(word: str, endings: tuple[tuple[str, str], ...]) -> list[str]:
    """`word` with each of these endings given back its accent: (« ees », « ées ») makes « fermees » « fermées »."""
    return [word[: -len(plain)] + accented for plain, accented in endings if word.endswith(plain) and word != plain]


def index_stem(word: str) -> str:
    """The stem a word is indexed under by `watcher search` (see `watcher/search.py`): stemmed as written, then
    folded; a word written without accents first gets back those its ending always takes (CERTAIN_ACCENTS)."""
    lowered = word.lower()
    if unaccented(lowered):
        lowered = next(iter(with_accents(lowered, CERTAIN_ACCENTS)), lowered)
    return snowball(lowered)


@dataclass(frozen=True, slots=True)
class Token:
    surface: str  # as written, without the elided article
    folded: str
    stem: str
    stop: bool
    is_acronym: bool  # « AME », « CHU »: two capitals or more, letters only
    # The search index's stem (`index_stem`), kept with the token: one cache per word serves the stories, the themes
    # and the search index, where a second cache by word for the index held 3.4 MB more after one 300-source cycle.
    index_stem: str


_SENTENCE_MARKS = frozenset('.!?:;«»"()[]')
_DASHES = frozenset("-–—")


def _split_words(text: str) -> tuple[list[str], list[bool]]:
    """The words of a text, and for each whether it opens a sentence, a quote or a parenthesis."""
    words: list[str] = []
    openers: list[bool] = []
    text = _expand_ligatures(text)
    end = 0  # where the previous word ended; the first word opens the text
    for match in _WORD_RE.finditer(text):
        raw = match.group()
        opens = not end or _gap_opens(text, end, match.start())
        end = match.end()
        if "'" in raw:
            # « l'hôpital » -> « hôpital »; « aujourd'hui » keeps its apostrophe.
            elided = _ELISION_RE.match(raw)
            if elided and len(raw) > elided.end():
                words.append(raw[: elided.end() - 1])
                openers.append(opens)
                raw, opens = raw[elided.end() :], False
        if "-" in raw:
            for part in raw.split("-"):
                if part:
                    words.append(part)
                    openers.append(opens)
                    opens = False
        else:
            words.append(raw)
            openers.append(opens)
    return words, openers


def _gap_opens(text: str, end: int, start: int) -> bool:
    """Whether what stands between two words, `text[end:start]`, opens a sentence: a full stop, a colon, a quote, a
    bracket or a spaced dash. It holds no letter or digit (a word takes them all), so the previous word ends it."""
    if start - end == 1 and text[end] == " ":
        return False  # most words: one space after the previous word
    for index in range(end, start):
        char = text[index]
        if char in _SENTENCE_MARKS:
            return True
        # A word follows the gap and another precedes it: both neighbours exist.
        if char in _DASHES and text[index + 1].isspace() and text[index - 1].isspace():
            return True
    return False


def tokenize(text: str) -> list[Token]:
    return list(_analysed(text)[0])


def sentence_openers(text: str) -> tuple[bool, ...]:
    """For each token of `tokenize(text)`, whether it opens a sentence: a capital there names nothing."""
    return _analysed(text)[1]


@lru_cache(maxsize=256)
def _analysed(text: str) -> tuple[tuple[Token, ...], tuple[bool, ...]]:
    # An item's title and lead are read by the scorer, the story index and the search index in turn.
    words, openers = _split_words(text)
    return tuple(map(_token, words)), tuple(openers)


_FOLDED_STOP_WORDS = frozenset(fold(word) for word in STOP_WORDS)


# The per-word caches (tokens here, with their stems and index stems; MinHash word hashes in `watcher.stories`) live
# as long as the service, and a service that runs for years keeps meeting new words (names, places, figures): they
# are bounded by a number of words. A year of Le Monde's titles and leads holds 62,700 distinct words, the 300-source
# cycle of `bench/rss.py` 25,000. At 40,000 the token cache still answers 95 % of a year's lookups (96 % unbounded),
# and the memory they take stops growing at about 22 MB a process (`bench/vocabulary.py`).
WORD_CACHE_SIZE = 40_000


@lru_cache(maxsize=WORD_CACHE_SIZE)
def _token(word: str) -> Token:
    # Tokens are immutable, so one per distinct word serves every text: the press repeats its vocabulary.
    # This cache is the only one per word: folding and stemming run once per distinct word through it.
    folded = fold(word)
    acronym = len(word) >= 2 and word.isupper() and word.isalpha()
    stemmed, indexed = stem(word), index_stem(word)
    # Most words have one stem for both: one string then serves the two.
    return Token(
        word, folded, stemmed, folded in _FOLDED_STOP_WORDS, acronym, stemmed if indexed == stemmed else indexed
    )


def content_stems(text: str) -> list[str]:
    """Stems of the meaningful words, in order."""
    return [token.stem for token in tokenize(text) if not token.stop]


def is_mostly_upper(text: str) -> bool:
    letters = list(filter(str.isalpha, text))  # filter and map, not generators: every title of a cycle is read
    return len(letters) >= 8 and sum(map(str.isupper, letters)) / len(letters) > 0.6


def find_sequence(haystack: list[str], needle: tuple[str, ...]) -> list[int]:
    """Where `needle` (a phrase's words) starts in `haystack` (a text's), each place."""
    size = len(needle)
    if not size:
        return []
    first, starts, index = needle[0], [], -1
    stop = len(haystack) - size + 1
    while True:
        try:
            index = haystack.index(first, index + 1, stop)  # the scan runs in C: most rules match nowhere
        except ValueError:
            return starts
        if size == 1 or tuple(haystack[index : index + size]) == needle:
            starts.append(index)
