"""Where an item happens: commune → département → région with their INSEE codes, or France as a whole, from its
title and lead. Pure: text in, a `Place` out.

The gazetteer is INSEE's Code officiel géographique as Etalab packages it, with the ISO 3166-2 codes and the French
country names of pycountry, reduced into watcher/data/places/ by tools/gazetteer.py (see LICENCE.md there).

How a name in the text becomes a place:
- Names are matched word by word, accents and case folded, hyphens, apostrophes and elisions as word breaks
  (« L'Haÿ-les-Roses », « St-Denis »), the longest name first (« Seine-Saint-Denis » is not « Saint-Denis »);
  « au Mans », « des Sables-d'Olonne » find « Le Mans », « Les Sables-d'Olonne ».
- A name must be written with its capitals, and a commune needs a reason to be one: a preposition of place before
  it (« à Dax », « au CHU de Rennes »), its département given beside it (« Valence (Drôme) », « Dax (40) »), a
  colon after it at the start of a sentence (« Valence : la maternité ferme », the press's dateline), or a town
  big enough that its capitalised name in the middle of a sentence is the town (20 000 inhabitants, 100 000 at
  the start of a sentence). A small commune named like a word or a first name (« Vers », « à Marie Dupont ») is
  thus left alone. A short département name (« Nord », « Var », « Aube ») needs its article or preposition
  (« dans le Nord », « en Isère », « du Var »), parentheses or a dateline.
- A name that goes on is another thing's: « la Croix-Rouge », « Paris-Saclay », « l'Union européenne » are not Croix,
  Paris or L'Union. « Matignon » and « Ségur » are the Prime minister's office and the health talks unless their
  département is given.
- Homonyms: a département or région named in the text picks the commune that lies there; otherwise a town ten
  times bigger than its namesakes is the one the press means (Valence is in the Drôme). Failing both, the place
  keeps only the levels its candidates share: the région if they are all in one région, nothing otherwise
  (Saint-Denis of La Réunion and of Seine-Saint-Denis).
- Several places: the first commune found wins (the title is read before the lead), then the first département,
  then the first région.
- `national`: no French place, and the text speaks of France as a whole (« en France », a ministry, « national »).
  An item that names a foreign country and not France is abroad: no place, not national.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from watcher.text import fold

# Words before a commune that say it is a place. « à » is folded to « a ».
_STRONG_PREPOSITIONS = frozenset({"a", "au", "aux"})
_WEAK_PREPOSITIONS = frozenset({"de", "d", "du", "des", "sur", "pres", "depuis", "entre", "et"})
# A care place named before « de »: « l'hôpital de Dax » is the town even when it is small.
_INSTITUTIONS = frozenset(
    """chu chr ch chi hopital hopitaux clinique polyclinique maternite urgences ehpad hospitalier smur samu mairie
    ville commune pharmacie cabinet sante medical medicale region departement agglomeration secteur""".split()
)
# Words before a département that say it is one: « dans le Nord », « en Isère », « de l'Ain », « du Var ».
_DEPARTEMENT_CONTEXT = frozenset({"en", "dans", "le", "la", "les", "l", "du", "de", "des", "d", "au", "aux"})
# « en Mayenne », « dans la Vienne »: a territory, never a town (a town takes « à »), even one named as its town.
_TERRITORY_PREPOSITIONS = frozenset({"en", "dans"})
_ARTICLE_CONTRACTIONS = {"le": frozenset({"au", "du"}), "les": frozenset({"aux", "des"})}
_WORD_ABBREVIATIONS = {"st": "saint", "ste": "sainte"}
_ARTICLES = frozenset({"le", "la", "les", "l"})
# The words a place name writes in lower case: « Seine-et-Marne », « Saint-Rémy-lès-Chevreuse ».
_NAME_SMALL_WORDS = _ARTICLES | {"de", "du", "des", "d", "en", "sur", "sous", "et", "au", "aux"}
_SENTENCE_BREAK = re.compile(r"[.!?:;«»\"()\n|—–]")
_WORD = re.compile(r"[^\W\d_]+")
_DATELINE = re.compile(r"\s*[:—–]")
_DEPARTEMENT_NUMBER = re.compile(r"\((\d{2,3}|2[ABab])\)")
TOWN_POPULATION = 20_000  # a capitalised name in mid-sentence is the town
CITY_POPULATION = 100_000  # ... even at the start of a sentence
SMALL_TOWN_POPULATION = 1_000  # « de X » is a place only from this size, or after a care place
NAMESAKE_RATIO = 10  # a town this many times bigger than its namesakes is the one meant
SHORT_DEPARTEMENT = 6  # letters: a département name this short needs its article or preposition
# Seats of power the national press names for who sits there (the Prime minister's office, the Ségur talks on
# health, the Socialist party's and the armed forces' seats), far more often than the small towns of those names:
# such a town is one only with its département given (« Matignon (Côtes-d'Armor) », « Matignon (22) »).
_SEATS_OF_POWER = frozenset({"matignon", "segur", "solferino", "brienne"})
# Institutions whose name begins with a commune's and goes on in lower case: « l'Union européenne » is not L'Union
# (Haute-Garonne). (A name that goes on after a hyphen, « la Croix-Rouge », is told by the hyphen itself.)
_INSTITUTIONS_NAMED_LIKE_TOWNS = frozenset({("union", "europeenne"), ("union", "africaine"), ("union", "sovietique")})

# France as a whole (folded words and phrases). « france » and « francais » also tell an item that names a foreign
# country that it is about France all the same.
_FRANCE_WORDS = re.compile(r"\b(?:france|francais|francaise|francaises|hexagone)\b")
_NATIONAL_WORDS = re.compile(
    r"\b(?:france|francais|francaise|francaises|hexagone|national|nationale|nationaux|nationales|gouvernement"
    r"|ministre de la sante|ministere de la sante|assurance maladie|haute autorite de sante|securite sociale"
    r"|plfss|tout le territoire|partout en france)\b"
)


@dataclass(frozen=True)
class Place:
    """A place at the levels that are known; every field None when unknown, `national` for France as a whole."""

    commune: str | None = None
    code_insee: str | None = None
    departement: str | None = None
    code_departement: str | None = None
    region: str | None = None
    code_region: str | None = None
    national: bool = False

    def as_json(self) -> dict[str, Any]:
        """The `place` object of `watcher preview --json` and of the observatoire's files."""
        return {
            "commune": self.commune,
            "departement": self.departement,
            "region": self.region,
            "code_insee": self.code_insee,
            "code_departement": self.code_departement,
            "code_region": self.code_region,
            "national": self.national,
        }

    @property
    def known(self) -> bool:
        return self.code_region is not None or self.national


NOWHERE = Place()


@dataclass(frozen=True)
class Commune:
    code: str
    name: str
    departement: str
    population: int


@dataclass(frozen=True)
class Departement:
    code: str
    iso: str
    name: str
    region: str


@dataclass(frozen=True)
class Region:
    code: str
    iso: str
    name: str


@dataclass(frozen=True)
class _Name:
    """What a run of folded words may name."""

    kind: str  # commune, departement, region, country
    codes: tuple[str, ...]  # the homonymous communes, or one code
    needs_before: frozenset[str] = frozenset()  # « Mans » alone is Le Mans only after « au » or « du »


@dataclass
class Gazetteer:
    communes: dict[str, Commune]
    departements: dict[str, Departement]
    regions: dict[str, Region]
    names: dict[tuple[str, ...], list[_Name]] = field(default_factory=dict)
    longest: int = 1

    def add(self, words: tuple[str, ...], name: _Name) -> None:
        self.names.setdefault(words, []).append(name)
        self.longest = max(self.longest, len(words))

    def commune_place(self, code: str) -> Place:
        commune = self.communes[code]
        return self.departement_place(commune.departement, commune=commune)

    def departement_place(self, code: str, commune: Commune | None = None) -> Place:
        departement = self.departements[code]
        region = self.regions[departement.region]
        return Place(
            commune=commune.name if commune else None,
            code_insee=commune.code if commune else None,
            departement=departement.name,
            code_departement=departement.code,
            region=region.name,
            code_region=region.code,
        )

    def region_place(self, code: str) -> Place:
        region = self.regions[code]
        return Place(region=region.name, code_region=region.code)

    def find_communes(self, text: str) -> list[Commune]:
        """The communes whose INSEE code is `text`, or whose name is `text` (accents and case aside)."""
        if text in self.communes:
            return [self.communes[text]]
        wanted = _words(text)
        return [
            self.communes[code]
            for name in self.names.get(wanted, [])
            if name.kind == "commune" and not name.needs_before
            for code in name.codes
        ]

    def find_departement(self, text: str) -> Departement | None:
        if text.upper() in self.departements:
            return self.departements[text.upper()]
        return next((d for d in self.departements.values() if _words(d.name) == _words(text)), None)

    def find_region(self, text: str) -> Region | None:
        if text in self.regions:
            return self.regions[text]
        wanted = _words(text)
        for region in self.regions.values():
            if wanted == _words(region.name) or text.upper() == region.iso:
                return region
        return None


def _words(text: str) -> tuple[str, ...]:
    return tuple(_WORD_ABBREVIATIONS.get(word, word) for word in _WORD.findall(fold(text)))


def _read_tsv(name: str) -> list[dict[str, str]]:
    data = resources.files("watcher") / "data" / "places" / name
    raw = data.read_bytes()
    text = gzip.decompress(raw).decode("utf-8") if name.endswith(".gz") else raw.decode("utf-8")
    return list(csv.DictReader(io.StringIO(text), delimiter="\t"))


@cache
def gazetteer() -> Gazetteer:
    """The shipped gazetteer, read once per process."""
    region_rows = _read_tsv("regions.tsv")
    regions = {row["code"]: Region(row["code"], row["iso"], row["nom"]) for row in region_rows}
    departements = {
        row["code"]: Departement(row["code"], row["iso"], row["nom"], row["region"])
        for row in _read_tsv("departements.tsv")
    }
    communes = {
        row["code"]: Commune(row["code"], row["nom"], row["departement"], int(row["population"]))
        for row in _read_tsv("communes.tsv.gz")
    }
    found = Gazetteer(communes, departements, regions)
    homonyms: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for commune in communes.values():
        homonyms[_words(commune.name)].append(commune.code)
    for words, codes in homonyms.items():
        found.add(words, _Name("commune", tuple(codes)))
        if words[0] in _ARTICLE_CONTRACTIONS and len(words) > 1:
            found.add(words[1:], _Name("commune", tuple(codes), _ARTICLE_CONTRACTIONS[words[0]]))
    for departement in departements.values():
        words = _words(departement.name)
        found.add(words, _Name("departement", (departement.code,)))
        if words[0] in ("la", "le", "les") and len(words) > 1:  # « à la Réunion », « dans le Nord »
            found.add(words[1:], _Name("departement", (departement.code,)))
    overseas = {d.region for d in departements.values() if d.code.startswith("97")}
    for region in regions.values():
        if region.code in overseas:
            continue  # an overseas région is its own département, which fills both levels
        found.add(_words(region.name), _Name("region", (region.code,)))
    for row in region_rows:
        for former in filter(None, row["anciens_noms"].split("|")):
            found.add(_words(former), _Name("region", (row["code"],)))
    for row in _read_tsv("pays.tsv"):
        for name in row["noms"].split("|"):
            found.add(_words(name), _Name("country", (row["code"],)))
    return found


@dataclass(frozen=True)
class _Token:
    folded: str
    capitalised: bool
    sentence_start: bool  # first word of the text or after a sentence break
    joined: bool  # only spaces, hyphens or apostrophes since the previous word: it can continue a name
    hyphenated: bool  # a hyphen, and nothing else, since the previous word: « Croix-Rouge »
    parenthesised: bool  # right after « ( »
    dateline: bool  # followed by a colon or a dash: « Valence : la maternité ferme », the press's way to say where


def _tokens(text: str) -> list[_Token]:
    tokens = []
    last_end = 0
    for match in _WORD.finditer(text):
        gap = text[last_end : match.start()]
        word = match.group()
        tokens.append(
            _Token(
                folded=_WORD_ABBREVIATIONS.get(fold(word), fold(word)),
                capitalised=word[0].isupper(),
                sentence_start=not tokens or _SENTENCE_BREAK.search(gap) is not None,
                joined=bool(tokens) and re.fullmatch(r"[\s\-'’]*", gap) is not None,
                hyphenated=bool(tokens) and gap == "-",
                parenthesised=gap.rstrip().endswith("("),
                dateline=_DATELINE.match(text, match.end()) is not None,
            )
        )
        last_end = match.end()
    return tokens


@dataclass(frozen=True)
class _Found:
    kind: str
    codes: tuple[str, ...]


def _before(tokens: list[_Token], start: int, back: int = 1) -> str:
    return tokens[start - back].folded if start - back >= 0 else ""


def _accept_commune(
    gazetteer_: Gazetteer, tokens: list[_Token], start: int, end: int, codes: tuple[str, ...], given_departement: bool
) -> bool:
    population = max(gazetteer_.communes[code].population for code in codes)
    first = tokens[start]
    if first.folded in _ARTICLES and end - start > 1:
        first = tokens[start + 1]  # « Le Mans » at the start of a sentence is still a name
    before = _before(tokens, start)
    # A first name: « à Marie Dupont ». A town's name is seldom followed by another capitalised word.
    followed_by_name = end < len(tokens) and tokens[end].joined and tokens[end].capitalised and end - start == 1
    if followed_by_name and population < TOWN_POPULATION:
        return False
    # A longer name that begins with the town's: « la Croix-Rouge », « l'université Paris-Saclay », whatever the
    # town's size.
    if end < len(tokens) and tokens[end].hyphenated and tokens[end].capitalised:
        return False
    if end < len(tokens) and (tokens[end - 1].folded, tokens[end].folded) in _INSTITUTIONS_NAMED_LIKE_TOWNS:
        return False
    if end - start == 1 and first.folded in _SEATS_OF_POWER:
        return given_departement
    if given_departement or before in _STRONG_PREPOSITIONS:
        return True
    if before in _WEAK_PREPOSITIONS:
        return population >= SMALL_TOWN_POPULATION or _before(tokens, start, 2) in _INSTITUTIONS
    if first.sentence_start:
        dateline = tokens[end - 1].dateline and population >= SMALL_TOWN_POPULATION
        return dateline or population >= CITY_POPULATION
    return population >= TOWN_POPULATION


def _accept_departement(tokens: list[_Token], start: int, end: int) -> bool:
    long_name = end - start > 1 or len(tokens[start].folded) > SHORT_DEPARTEMENT
    if long_name and not tokens[start].sentence_start:
        return True
    if tokens[start].parenthesised or tokens[end - 1].dateline:
        return True
    return _before(tokens, start) in _DEPARTEMENT_CONTEXT


def _scan(gazetteer_: Gazetteer, text: str) -> list[_Found]:
    """Every place name of `text`, in order, the longest name first at each word."""
    tokens = _tokens(text)
    numbers = {number.upper() for number in _DEPARTEMENT_NUMBER.findall(text)}
    found: list[_Found] = []
    start = 0
    while start < len(tokens):
        step = 1
        for length in range(min(gazetteer_.longest, len(tokens) - start), 0, -1):
            span = tokens[start : start + length]
            if any(not token.joined for token in span[1:]) or not _written_as_name(span):
                continue
            names = gazetteer_.names.get(tuple(token.folded for token in span))
            match = _pick(gazetteer_, tokens, start, start + length, names, numbers) if names else None
            if match is not None:
                found.append(match)
                step = length
                break
        start += step
    return found


def _written_as_name(span: list[_Token]) -> bool:
    """Capitalised as a name is: « Seine-et-Marne », « Les Sables-d'Olonne », not « aube » or « vers »."""
    head = span[1] if span[0].folded in _ARTICLES and len(span) > 1 else span[0]
    return head.capitalised and all(token.capitalised or token.folded in _NAME_SMALL_WORDS for token in span)


def _given_departement(tokens: list[_Token], end: int, gazetteer_: Gazetteer, codes: tuple[str, ...]) -> bool:
    """« Valence (Drôme) », « Dax (40) »: the département in parentheses right after the name."""
    if end >= len(tokens) or not tokens[end].parenthesised:
        return False
    departements = {gazetteer_.communes[code].departement for code in codes}
    following = tuple(token.folded for token in tokens[end : end + 6])
    for code in departements:
        name = _words(gazetteer_.departements[code].name)
        if following[: len(name)] == name:
            return True
    return False


def _pick(
    gazetteer_: Gazetteer,
    tokens: list[_Token],
    start: int,
    end: int,
    names: list[_Name],
    numbers: set[str],
) -> _Found | None:
    """Which of the things named by the words tokens[start:end] the text means, if any."""
    before = _before(tokens, start)
    by_kind = {name.kind: name for name in names if not name.needs_before or before in name.needs_before}
    commune = by_kind.get("commune")
    departement = by_kind.get("departement")
    if departement is not None:
        communes_there = commune and any(
            gazetteer_.communes[code].departement == departement.codes[0] for code in commune.codes
        )
        territory = before in _TERRITORY_PREPOSITIONS or (
            before in _ARTICLES and _before(tokens, start, 2) in _TERRITORY_PREPOSITIONS
        )
        if (territory or not communes_there) and _accept_departement(tokens, start, end):
            return _Found("departement", departement.codes)
    if commune is not None:
        given = _given_departement(tokens, end, gazetteer_, commune.codes) or any(
            gazetteer_.communes[code].departement in numbers for code in commune.codes
        )
        if _accept_commune(gazetteer_, tokens, start, end, commune.codes, given):
            return _Found("commune", commune.codes)
    for kind in ("region", "country"):
        if kind in by_kind:
            return _Found(kind, by_kind[kind].codes)
    return None


def _namesake_of_its_departement(gazetteer_: Gazetteer, item: _Found) -> str | None:
    """The département of a commune named as its département is (« Mayenne », in the Mayenne), else None."""
    if item.kind != "commune":
        return None
    for code in item.codes:
        commune = gazetteer_.communes[code]
        if _words(gazetteer_.departements[commune.departement].name) == _words(commune.name):
            return commune.departement
    return None


def _as_departements(gazetteer_: Gazetteer, found: list[_Found]) -> list[_Found]:
    """« Mayenne : les urgences de Laval fermées » names the département, then the town: when another commune of
    that département is named too, the namesake is read as the département, not as its small town."""
    result = []
    for index, item in enumerate(found):
        departement = _namesake_of_its_departement(gazetteer_, item)
        elsewhere = [other for other in found[:index] + found[index + 1 :] if other.kind == "commune"]
        if departement is not None and any(
            gazetteer_.communes[code].departement == departement for other in elsewhere for code in other.codes
        ):
            result.append(_Found("departement", (departement,)))
        else:
            result.append(item)
    return result


def _resolve(gazetteer_: Gazetteer, found: list[_Found]) -> Place:
    """The place the names found say, homonyms resolved by the départements and régions named beside them."""
    found = _as_departements(gazetteer_, found)
    named_departements = [code for item in found if item.kind == "departement" for code in item.codes]
    named_regions = [code for item in found if item.kind == "region" for code in item.codes]
    context_regions = set(named_regions) | {gazetteer_.departements[code].region for code in named_departements}
    partial: list[Place] = []
    for item in found:
        if item.kind != "commune":
            continue
        candidates = [gazetteer_.communes[code] for code in item.codes]
        for narrowed in (
            [c for c in candidates if c.departement in named_departements],
            [c for c in candidates if gazetteer_.departements[c.departement].region in context_regions],
        ):
            if narrowed:
                candidates = narrowed
                break
        candidates.sort(key=lambda c: -c.population)
        if len(candidates) == 1 or candidates[0].population >= NAMESAKE_RATIO * candidates[1].population:
            return gazetteer_.commune_place(candidates[0].code)
        departements = {c.departement for c in candidates}
        regions = {gazetteer_.departements[code].region for code in departements}
        if len(departements) == 1:
            partial.append(gazetteer_.departement_place(departements.pop()))
        elif len(regions) == 1:
            partial.append(gazetteer_.region_place(regions.pop()))
    if named_departements:
        return gazetteer_.departement_place(named_departements[0])
    if partial:
        return partial[0]
    if named_regions:
        return gazetteer_.region_place(named_regions[0])
    return NOWHERE


def place_of(title: str, lead: str = "") -> Place:
    """Where the item told by `title` and `lead` happens (see the module's docstring)."""
    gazetteer_ = gazetteer()
    text = f"{title}\n{lead}"
    found = _scan(gazetteer_, text)
    place = _resolve(gazetteer_, found)
    if place is not NOWHERE:
        return place
    folded = " ".join(_WORD.findall(fold(text)))
    abroad = any(item.kind == "country" for item in found) and not _FRANCE_WORDS.search(folded)
    if not abroad and _NATIONAL_WORDS.search(folded):
        return Place(national=True)
    return NOWHERE
