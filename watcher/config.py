"""sources.yaml -> typed models.

Errors are reported in French with the file, the line and the dotted path of
the faulty field, because the people editing this file are volunteers, not
developers.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from watcher.text import tokenize

DEFAULT_CONFIG_PATH = Path("sources.yaml")
CONFIG_ENV_VAR = "WATCHER_CONFIG"

_DURATION_RE = re.compile(r"^\s*(\d+)\s*(s|m|h|d|j)\s*$")
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "j": 86400}
_WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


class ConfigError(Exception):
    """A configuration problem, already phrased in French for the user."""


@dataclass(frozen=True)
class Problem:
    """A fault found across entries: where it is (a path into the file), what it is, and where its twin is."""

    loc: tuple[str | int, ...]
    message: str
    also: tuple[str | int, ...] | None = None


def _first_or_twin(
    problems: list[Problem], first: dict[str, int], section: str, index: int, field: str, value: str, saying: str
) -> None:
    """Remember where `value` first stands in `section`; a second entry with it is a fault pointing at both."""
    if value in first:
        problems.append(Problem((section, index, field), f"{saying} « {value} »", also=(section, first[value], field)))
    first.setdefault(value, index)


class ConfigProblems(ValueError):
    """Raised by a validator that checks several entries at once, so that each fault points at its own entry."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(problem.message for problem in problems))
        self.problems = problems


def parse_duration(value: object) -> timedelta:
    if isinstance(value, timedelta):
        return value
    match = _DURATION_RE.match(str(value))
    if not match:
        raise ValueError(f"durée invalide « {value} » (exemples valides : 15m, 1h)")
    amount, unit = match.groups()
    return timedelta(seconds=int(amount) * _DURATION_UNITS[unit])


def parse_clock(value: object) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, int):  # YAML 1.1 reads an unquoted 07:30 as sexagesimal minutes
        return time(value // 60 % 24, value % 60)
    try:
        return time.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"heure invalide « {value} » (format attendu HH:MM, par exemple 07:30)") from None


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
ClockTime = Annotated[time, BeforeValidator(parse_clock)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceKind(StrEnum):
    RSS = "rss"
    PAGE = "page"
    # Parliament (watcher/parse/parliament): typed items with author, group, bill, number, outcome.
    PARLEMENT_RSS = "parlement_rss"  # AN or Sénat chamber-wide RSS (documents, comptes rendus, textes)
    SENAT_DOSSIER = "senat_dossier"  # a Sénat per-bill feed, dossier-legislatif/rss/dosleg<id>.xml
    SENAT_AMENDEMENTS_CSV = "senat_amendements_csv"  # amendements/<session>/<n>/jeu_complet_….csv
    AN_AMENDEMENTS = "an_amendements"  # the liste.xml of a text; each new amendment's XML is fetched
    AN_DOCUMENT = "an_document"  # one AN open-data document: dossier JSON, amendment or question XML
    AN_AGENDA_ICS = "an_agenda_ics"  # the AN agenda in iCalendar
    NOSDEPUTES = "nosdeputes"  # NosDéputés / NosSénateurs search, format=rss or json, with paging

    @property
    def is_parliamentary(self) -> bool:
        return self not in (SourceKind.RSS, SourceKind.PAGE)

    @property
    def follows_documents(self) -> bool:
        """A list of documents fetched one by one, a batch per cycle (see watcher/parliament.py)."""
        return self in (SourceKind.AN_AMENDEMENTS, SourceKind.NOSDEPUTES)


class SourceCategory(StrEnum):
    PRESSE = "presse"
    PRESSE_SANTE = "presse_sante"
    PRESSE_REGIONALE = "presse_regionale"  # regional dailies, France 3, ici: where local closures are reported first
    INSTITUTION = "institution"
    PARLEMENT = "parlement"
    AGREGATEUR = "agregateur"
    SOCIAL = "social"


class SourceConfig(_Strict):
    name: Annotated[str, Field(min_length=1)]
    kind: SourceKind = SourceKind.RSS
    url: str
    interval: Duration = timedelta(minutes=30)
    topics: list[str] = []
    enabled: bool = True
    full_text: bool = False
    weight: Annotated[int, Field(ge=0, le=20)] = 0
    category: SourceCategory = SourceCategory.PRESSE

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        if not re.match(r"^https?://[^\s/]+", url):
            raise ValueError(f"adresse invalide « {url} » (elle doit commencer par http:// ou https://)")
        return url

    @field_validator("interval")
    @classmethod
    def _sane_interval(cls, interval: timedelta) -> timedelta:
        if interval < timedelta(minutes=5):
            raise ValueError("intervalle trop court (minimum 5m, pour ne pas surcharger les sites)")
        return interval


def _requirement_groups(value: object) -> object:
    """`requires` is a list of groups (all needed), each a list of terms (one is enough); a flat list is one group."""
    if isinstance(value, list) and value and all(isinstance(entry, str) for entry in value):
        return [value]
    return value


class DampenerConfig(_Strict):
    """Words that make an item about something else (a fait divers, a strike) unless the topic itself is there.

    Both lists name terms of the topic: they are matched once with the score, so a cap costs no extra matching.
    """

    # One of these in the title or the lead caps the topic's score just below the digest...
    when: Annotated[list[str], Field(min_length=1)]
    # ...unless one of these is anywhere in the item.
    unless: list[str] = []


class TopicConfig(_Strict):
    label: Annotated[str, Field(min_length=1)]
    terms: dict[str, Annotated[int, Field(ge=-100, le=100)]]
    requires: Annotated[list[Annotated[list[str], Field(min_length=1)]], BeforeValidator(_requirement_groups)] = []
    exclude: list[str] = []
    # Added to the score when the item is set abroad (see `places`): -100 keeps it out.
    abroad: Annotated[int, Field(ge=-100, le=0)] = 0
    # A single matched term weighing less than this cannot carry an item to the digest on its own.
    corroboration: Annotated[int, Field(ge=0, le=100)] = 0
    # Named caps: a `when` term up front without any `unless` term keeps the item below the digest.
    dampen: dict[Annotated[str, Field(min_length=1)], DampenerConfig] = {}
    # Named alert rules: an item of the theme (at the digest or above) with one of these phrases in its title or
    # lead needs action today (« grève annoncée » : « préavis de grève », « appellent à »…). Phrases match like terms.
    alert_when: dict[Annotated[str, Field(min_length=1)], Annotated[list[str], Field(min_length=1)]] = {}

    @field_validator("terms")
    @classmethod
    def _has_terms(cls, terms: dict[str, int]) -> dict[str, int]:
        if not any(weight > 0 for weight in terms.values()):
            raise ValueError("un thème doit avoir au moins un terme de poids positif")
        return terms

    @model_validator(mode="after")
    def _required_terms_are_terms(self) -> TopicConfig:
        missing = [term for group in self.requires for term in group if term not in self.terms]
        if missing:
            raise ValueError(f"« requires » cite « {missing[0]} », qui n'est pas dans « terms »")
        for name, dampener in self.dampen.items():
            missing = [term for term in (*dampener.when, *dampener.unless) if term not in self.terms]
            if missing:
                raise ValueError(f"« dampen » « {name} » cite « {missing[0]} », qui n'est pas dans « terms »")
        return self


NonEmpty = Annotated[str, Field(min_length=1)]


def _has_words(texts: list[str], field: str) -> None:
    for text in texts:
        if not tokenize(text):
            raise ValueError(f"« {field} » : « {text} » ne contient aucun mot")


class Spokesperson(_Strict):
    name: str
    role: str


class CollectiveWork(_Strict):
    """The collective's work cited without its name (a survey, a study): a mention of the collective.

    Each group of `requires` needs one of its phrases within a few dozen words of a phrase of the first group (the
    title and lead read as one passage), and none of `unless` may be there: another survey of the same person.
    """

    label: NonEmpty  # as `why` and the alerts show it: « enquête 2022 (Christian Baudelot) »
    requires: Annotated[list[Annotated[list[NonEmpty], Field(min_length=1)]], BeforeValidator(_requirement_groups)]
    unless: list[NonEmpty] = []

    @model_validator(mode="after")
    def _words(self) -> CollectiveWork:
        if len(self.requires) < 2:
            # One group is a name, and a name alone says nothing of what the person speaks about.
            raise ValueError(
                f"« {self.label} » : « requires » demande au moins deux groupes, qui (« Christian Baudelot ») "
                "et de quoi il est question (« enquête »)"
            )
        _has_words([phrase for group in self.requires for phrase in group], "requires")
        _has_words(self.unless, "unless")
        return self


class CollectiveWatch(_Strict):
    names: Annotated[list[NonEmpty], Field(min_length=1)]
    spokespeople: list[Spokesperson] = []
    works: list[CollectiveWork] = []


class MemberAssociation(_Strict):
    """A member association: its name as the collective writes it and the names the press gives it."""

    name: NonEmpty
    aliases: list[NonEmpty] = []
    # Names (the name or aliases) that also mean something else (« AFH », « Caire »): they count only written exactly
    # so (capitals as here, accents aside) and with a context: a `context` phrase anywhere in the item, or a word of
    # the watchlist's `member_context` nearby in an item not set abroad; never near an `exclude` phrase (nor with
    # one in the lead, for a name in the title).
    ambiguous: list[NonEmpty] = []
    context: list[NonEmpty] = []  # the member's own field: « hémophilie »
    exclude: list[NonEmpty] = []  # what the name means otherwise: « Le Caire »

    @model_validator(mode="after")
    def _coherent(self) -> MemberAssociation:
        names = [self.name, *self.aliases]
        _has_words([self.name], "name")
        _has_words(self.aliases, "aliases")
        _has_words(self.context, "context")
        _has_words(self.exclude, "exclude")
        unknown = [name for name in self.ambiguous if name not in names]
        if unknown:
            raise ValueError(
                f"« ambiguous » cite « {unknown[0]} », qui n'est ni le nom « {self.name} » ni un de ses « aliases »"
            )
        if (self.context or self.exclude) and not self.ambiguous:
            raise ValueError(
                f"« context » et « exclude » ne servent qu'aux noms « ambiguous » : indiquez lequel des noms de "
                f"« {self.name} » est ambigu, ou retirez-les"
            )
        return self


class Watchlist(_Strict):
    collective: CollectiveWatch
    members: list[MemberAssociation] = []
    # Words that, near an ambiguous member name, say it is an association (« association », « présidente »).
    member_context: list[NonEmpty] = []

    @model_validator(mode="after")
    def _coherent(self) -> Watchlist:
        _has_words(self.member_context, "member_context")
        owners: dict[tuple[str, ...], str] = {}
        for member in self.members:
            if member.ambiguous and not (member.context or self.member_context):
                raise ValueError(
                    f"le membre « {member.name} » a des noms ambigus mais aucun contexte pour les reconnaître "
                    "(« context » du membre ou « member_context » de la watchlist)"
                )
            for name in dict.fromkeys([member.name, *member.aliases]):
                words = tuple(token.folded for token in tokenize(name))
                owner = owners.setdefault(words, member.name)
                if owner != member.name:
                    raise ValueError(f"le nom « {name} » de « {member.name} » est déjà celui de « {owner} »")
        return self


class QuietHours(_Strict):
    start: ClockTime
    end: ClockTime


class AlertsConfig(_Strict):
    # Scores on the 0–100 scale of watcher/score.py: only the few highest scores alert on the score alone.
    alert_threshold: Annotated[int, Field(ge=0, le=100)] = 90
    digest_threshold: Annotated[int, Field(ge=0, le=100)] = 33
    mention_decision: Literal["alert", "digest"] = "alert"
    # Alerts of one day (in the digest's time zone) at most; past it an item waits for the digest, except a mention
    # of the collective, which is never held back.
    daily_budget: Annotated[int, Field(ge=0)] = 10
    channels: dict[str, str] = {"default": "#veille"}
    quiet_hours: QuietHours | None = None
    # A story that gains outlets after its alert gets at most one thread reply per interval.
    followup_interval: Duration = timedelta(minutes=30)

    @model_validator(mode="after")
    def _coherent(self) -> AlertsConfig:
        if self.digest_threshold > self.alert_threshold:
            raise ValueError("digest_threshold doit être inférieur ou égal à alert_threshold")
        if "default" not in self.channels:
            raise ValueError("channels doit contenir une entrée « default »")
        return self

    def channel_for(self, topic: str) -> str:
        return self.channels.get(topic, self.channels["default"])


class DigestConfig(_Strict):
    time: ClockTime = time(7, 30)
    timezone: str = "Europe/Paris"
    weekly_day: str = "lundi"
    slack_channel: str | None = None
    recipients: list[str] = []
    output_dir: Path = Path("data/digests")
    window: Duration = timedelta(days=1)  # what the daily digest covers, ending at `time`
    weekly: bool = True  # also a weekly digest on `weekly_day`
    weekly_window: Duration = timedelta(days=7)
    sender: str = "veille@actionpatients.example"  # From: of the digest e-mails
    top: Annotated[int, Field(ge=1, le=50)] = 12  # stories in « À lire », the head of the digest

    @field_validator("recipients")
    @classmethod
    def _addresses(cls, recipients: list[str]) -> list[str]:
        for address in recipients:
            if not re.match(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$", address):
                raise ValueError(f"adresse e-mail invalide « {address} »")
        return recipients

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, zone: str) -> str:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"fuseau horaire inconnu « {zone} » (exemple : Europe/Paris)") from None
        return zone

    @field_validator("weekly_day")
    @classmethod
    def _french_weekday(cls, day: str) -> str:
        if day.lower() not in _WEEKDAYS:
            raise ValueError(f"jour inconnu « {day} » (attendu : {', '.join(_WEEKDAYS)})")
        return day.lower()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


_AN_DOSSIER_RE = re.compile(r"^(?:DLR5L\d+N)?\d+$")
_SENAT_DOSSIER_RE = re.compile(r"^[a-z][a-z0-9-]+$")
_SENAT_TEXT_RE = re.compile(r"^\d{4}-\d{4}/\d+$")


class DossierConfig(_Strict):
    """A tracked bill: every amendment, report and text on it is collected, scored and labelled with it."""

    label: Annotated[str, Field(min_length=1)]  # as the digest shows it: « PLFSS 2027 »
    an_dossier: str | None = None  # AN dossier: open-data uid (DLR5L17N51234) or its number (51234)
    an_textes: list[int] = []  # AN text numbers (numBibard) the amendments are tabled on
    senat_dossier: str | None = None  # Sénat dossier id as in its URL: plfss2027, pjl22-304
    senat_textes: list[str] = []  # Sénat texts as session/number: 2026-2027/120
    sources: list[str] = []  # sources whose every item is on this bill (per-bill feeds, amendment lists)
    # A tracked-bill amendment or report whose own text reaches the digest in one of these themes is an alert.
    alert_topics: list[str] = ["ame", "hopital"]

    @field_validator("an_dossier")
    @classmethod
    def _an_dossier(cls, value: str | None) -> str | None:
        if value is not None and not _AN_DOSSIER_RE.match(value):
            raise ValueError(f"identifiant de dossier AN invalide « {value} » (exemples : DLR5L15N36030, 36030)")
        return value

    @field_validator("senat_dossier")
    @classmethod
    def _senat_dossier(cls, value: str | None) -> str | None:
        if value is not None and not _SENAT_DOSSIER_RE.match(value):
            raise ValueError(f"identifiant de dossier Sénat invalide « {value} » (exemples : plfss2027, pjl22-304)")
        return value

    @field_validator("senat_textes")
    @classmethod
    def _senat_texts(cls, values: list[str]) -> list[str]:
        for value in values:
            if not _SENAT_TEXT_RE.match(value):
                raise ValueError(
                    f"texte du Sénat invalide « {value} » (format session/numéro, exemple : 2019-2020/139)"
                )
        return values

    @model_validator(mode="after")
    def _identified(self) -> DossierConfig:
        if not (self.an_dossier or self.an_textes or self.senat_dossier or self.senat_textes or self.sources):
            raise ValueError(
                f"le dossier « {self.label} » n'a aucun identifiant (an_dossier, an_textes, senat_dossier, "
                "senat_textes ou sources)"
            )
        return self

    def refs(self) -> set[str]:
        """The identifiers parsers attach to parliamentary items (`bill_refs`)."""
        refs = {f"an:texte:{number}" for number in self.an_textes}
        refs |= {f"senat:texte:{text}" for text in self.senat_textes}
        if self.an_dossier:
            refs.add(f"an:dossier:{self.an_dossier}")
            if match := re.search(r"(\d+)$", self.an_dossier):
                refs.add(f"an:dossier:{match.group(1)}")
        if self.senat_dossier:
            refs.add(f"senat:dossier:{self.senat_dossier}")
        return refs


class PlacesConfig(_Strict):
    """France-versus-abroad signals: names of places and peoples, matched on stems like terms."""

    abroad: list[str] = []
    france: list[str] = []
    # Phrases masked before looking for France: « comme en France » does not bring a story home.
    ignore: list[str] = []


class RevueConfig(_Strict):
    """The public revue de presse (`watcher revue build`); `watcher run` rebuilds it after each digest."""

    output_dir: Path | None = None  # unset: `watcher run` builds no revue
    site_url: str | None = None  # where the site is served: the feed's links and ids; unset, tag: ids

    @field_validator("site_url")
    @classmethod
    def _web_address(cls, url: str | None) -> str | None:
        if url is not None and not re.match(r"^https?://[^\s/]+(/\S*)?$", url):
            raise ValueError(f"adresse invalide « {url} » (elle doit commencer par http:// ou https://)")
        return url


class Config(_Strict):
    sources: list[SourceConfig]
    topics: dict[str, TopicConfig]
    watchlist: Watchlist
    places: PlacesConfig = PlacesConfig()
    alerts: AlertsConfig = AlertsConfig()
    digest: DigestConfig = DigestConfig()
    dossiers: list[DossierConfig] = []
    revue: RevueConfig = RevueConfig()

    @model_validator(mode="after")
    def _cross_references(self) -> Config:
        known = set(self.topics)
        problems: list[Problem] = []
        first_source: dict[str, int] = {}
        for index, source in enumerate(self.sources):
            _first_or_twin(
                problems, first_source, "sources", index, "name", source.name, "deux sources portent le même nom"
            )
            for position, topic in enumerate(source.topics):
                if topic not in known:
                    problems.append(
                        Problem(
                            ("sources", index, "topics", position),
                            f"la source « {source.name} » cite un thème inconnu « {topic} » "
                            f"(thèmes définis : {', '.join(sorted(known))})",
                        )
                    )
        first_dossier: dict[str, int] = {}
        for index, dossier in enumerate(self.dossiers):
            _first_or_twin(
                problems,
                first_dossier,
                "dossiers",
                index,
                "label",
                dossier.label,
                "deux dossiers portent le même libellé",
            )
            for position, name in enumerate(dossier.sources):
                if name not in first_source:
                    problems.append(
                        Problem(
                            ("dossiers", index, "sources", position),
                            f"le dossier « {dossier.label} » cite une source inconnue « {name} »",
                        )
                    )
            if "alert_topics" not in dossier.model_fields_set:
                # The default names the collective's themes; a configuration without some of them keeps the others.
                object.__setattr__(dossier, "alert_topics", [t for t in dossier.alert_topics if t in known])
            for position, topic in enumerate(dossier.alert_topics):
                if topic not in known:
                    problems.append(
                        Problem(
                            ("dossiers", index, "alert_topics", position),
                            f"le dossier « {dossier.label} » cite un thème inconnu « {topic} »",
                        )
                    )
        if problems:
            raise ConfigProblems(problems)
        return self

    def source(self, name: str) -> SourceConfig:
        for source in self.sources:
            if source.name == name:
                return source
        raise ConfigError(f"source inconnue « {name} » (voir « watcher sources list »)")


# --- loading ---------------------------------------------------------------

_PYDANTIC_FRENCH = {
    "missing": "champ obligatoire manquant",
    "extra_forbidden": "champ inconnu (vérifiez l'orthographe)",
    "int_parsing": "nombre entier attendu",
    "int_type": "nombre entier attendu",
    "int_from_float": "nombre entier attendu",
    "float_parsing": "nombre attendu",
    "float_type": "nombre attendu",
    "bool_parsing": "valeur attendue : true ou false",
    "bool_type": "valeur attendue : true ou false",
    "string_type": "texte attendu",
    "list_type": "liste attendue",
    "dict_type": "dictionnaire attendu (clé: valeur)",
    "model_type": "bloc clé: valeur attendu",
    "less_than_equal": "valeur trop grande",
    "less_than": "valeur trop grande",
    "greater_than_equal": "valeur trop petite",
    "greater_than": "valeur trop petite",
    "too_short": "la liste ne peut pas être vide",
    "string_too_short": "le texte ne peut pas être vide",
    "enum": "valeur non reconnue",
    "literal_error": "valeur non reconnue",
    "date_from_datetime_parsing": "date invalide",
    "date_parsing": "date invalide",
    "path_type": "chemin attendu",
}


def french_validation_error(error: Any) -> str:
    """One pydantic error (an item of `ValidationError.errors()`) in French; also used for command-line values."""
    kind = error["type"]
    if kind in ("value_error", "assertion_error"):
        return str(error["ctx"]["error"]) if "ctx" in error else error["msg"]
    message = _PYDANTIC_FRENCH.get(kind, "valeur invalide")
    context = error.get("ctx") or {}
    if kind in ("enum", "literal_error") and context:
        message += f" « {error.get('input')} » (attendu : {context.get('expected', '')})"
    elif kind in ("less_than_equal", "greater_than_equal", "less_than", "greater_than") and context:
        bound = next(context[key] for key in ("le", "ge", "lt", "gt") if key in context)
        message += f" « {error.get('input')} » (limite : {bound})"
    elif kind not in ("missing", "extra_forbidden", "too_short", "string_too_short"):
        message += f", reçu « {error.get('input')} »"
    return message


def _format_location(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


Mark = tuple[int, int]  # 1-based line and column, as an editor shows them


def _mark(node: yaml.Node) -> Mark:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _mark_index(node: yaml.Node, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Mark]]:
    """Yield (path, mark) for every node of a composed YAML document."""
    yield path, _mark(node)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            # A key's own place is where an "unknown field" error should point.
            yield (*path, key, "<key>"), _mark(key_node)
            yield from _mark_index(value_node, (*path, key))
    elif isinstance(node, yaml.SequenceNode):
        for index, child in enumerate(node.value):
            yield from _mark_index(child, (*path, index))


def _mark_for(marks: dict[tuple[Any, ...], Mark], loc: tuple[Any, ...], extra_field: bool = False) -> Mark | None:
    if extra_field and (*loc, "<key>") in marks:
        return marks[(*loc, "<key>")]
    probe = tuple(loc)
    while probe:
        if probe in marks:
            return marks[probe]
        probe = probe[:-1]
    return marks.get(())


def _where(filename: str, mark: Mark | None, field: str = "") -> str:
    where = f"{filename}, ligne {mark[0]}, colonne {mark[1]}" if mark else filename
    return f"{where}, {field}" if field else where


def _duplicate_keys(node: yaml.Node, path: tuple[Any, ...] = ()) -> Iterator[tuple[yaml.Node, yaml.Node, str]]:
    """(second key, first key, dotted path) for every key written twice in the same block."""
    if isinstance(node, yaml.MappingNode):
        first: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                if key_node.value in first:
                    yield key_node, first[key_node.value], _format_location((*path, key_node.value))
                first.setdefault(key_node.value, key_node)
            yield from _duplicate_keys(value_node, (*path, key_node.value))
    elif isinstance(node, yaml.SequenceNode):
        for index, child in enumerate(node.value):
            yield from _duplicate_keys(child, (*path, index))


# PyYAML's messages, matched on « context | problem », with the mark that shows the fault best.
_YAML_PROBLEMS: tuple[tuple[re.Pattern[str], str, str], ...] = tuple(
    (re.compile(pattern, re.DOTALL), which, french)
    for pattern, which, french in (
        (r"found character '\\t'|found a tab character", "problem", "tabulation : indentez avec des espaces"),
        (
            r"found character '(.*)' that cannot start any token",
            "problem",
            "caractère « {0} » interdit en début de valeur (mettez la valeur entre guillemets)",
        ),
        (
            r"mapping values are not allowed here",
            "problem",
            "« : » inattendu (mettez entre guillemets une valeur qui contient « : », ou vérifiez l'indentation)",
        ),
        (r"could not find expected ':'", "context", "« : » manquant après la clé, ou ligne mal indentée"),
        (r"quoted scalar \| found unexpected end of stream", "context", "guillemet fermant manquant"),
        (
            r"found unknown escape character",
            "problem",
            "« \\ » inconnu entre guillemets doubles (doublez-le, ou utilisez des guillemets simples)",
        ),
        (r"did not find expected '-' indicator", "problem", "indentation incohérente dans la liste (« - » attendu)"),
        (
            r"did not find expected key|expected <block end>",
            "problem",
            "indentation incohérente : cette ligne n'est pas alignée sur les clés de son bloc",
        ),
        (
            r"flow sequence \| expected ',' or '\]'",
            "problem",
            "liste entre crochets mal fermée (« , » ou « ] » attendu)",
        ),
        (
            r"flow mapping \| expected ',' or '\}'",
            "problem",
            "dictionnaire entre accolades mal fermé (« , » ou « } » attendu)",
        ),
        (r"did not find expected node content", "problem", "valeur attendue"),
        (r"sequence entries are not allowed here", "problem", "« - » inattendu ici (vérifiez l'indentation)"),
        (r"found undefined alias '?([^']*)'?", "problem", "alias « *{0} » inconnu (aucune ancre « &{0} »)"),
        (r"found duplicate anchor '?([^';]*)'?", "problem", "ancre « &{0} » définie deux fois"),
        (r"expected a single document", "problem", "un seul document YAML attendu (retirez le second « --- »)"),
        (r"could not determine a constructor for the tag '(.*)'", "problem", "étiquette YAML « {0} » inconnue"),
        (r"found unhashable key", "problem", "une liste ou un dictionnaire ne peut pas servir de clé"),
        (
            r"expected alphabetic or numeric character",
            "problem",
            "« & » ou « * » en début de valeur : mettez la valeur entre guillemets",
        ),
        (r"expected '<document start>'", "problem", "contenu inattendu (vérifiez l'indentation de cette ligne)"),
        (r"block scalar", "problem", "bloc de texte « | » ou « > » mal formé"),
        (r"directive|scanning a tag", "problem", "« % » ou « ! » en début de valeur : mettez-la entre guillemets"),
    )
)


def _yaml_error(exc: yaml.YAMLError, text: str, filename: str) -> ConfigError:
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        # A control character, invisible in most editors: its code is the only way to find it.
        return ConfigError(f"{_where(filename, (line, column))} : caractère invisible interdit (U+{exc.character:04X})")
    if not isinstance(exc, yaml.MarkedYAMLError):
        return ConfigError(f"{filename} : YAML illisible")
    said = f"{exc.context or ''} | {exc.problem or ''}"
    known = ((pattern.search(said), which, french) for pattern, which, french in _YAML_PROBLEMS)
    match, which, french = next((found for found in known if found[0]), (None, "problem", "syntaxe invalide"))
    mark = (exc.context_mark if which == "context" else None) or exc.problem_mark or exc.context_mark
    message = french.format(*(group or "" for group in match.groups())) if match else french
    place = (mark.line + 1, mark.column + 1) if mark else None
    return ConfigError(f"{_where(filename, place)} : YAML illisible, {message}")


def load_config(path: Path | str | None = None) -> Config:
    config_path = Path(path or os.environ.get(CONFIG_ENV_VAR) or DEFAULT_CONFIG_PATH)
    try:
        text = config_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{config_path} : fichier de configuration introuvable") from None
    except IsADirectoryError:
        raise ConfigError(
            f"{config_path} : c'est un dossier ; indiquez le fichier de configuration lui-même "
            f"(par exemple {config_path / DEFAULT_CONFIG_PATH})"
        ) from None
    except PermissionError:
        raise ConfigError(f"{config_path} : lecture refusée (vérifiez les droits du fichier)") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{config_path} : le fichier n'est pas en UTF-8 (octet {exc.start})") from None
    except OSError as exc:
        raise ConfigError(f"{config_path} : fichier illisible (erreur système {exc.errno})") from None
    return parse_config(text, str(config_path))


def _validation_problems(exc: ValidationError, marks: dict[tuple[Any, ...], Mark], filename: str) -> Iterator[str]:
    for error in exc.errors():
        loc = tuple(error["loc"])
        found = error.get("ctx", {}).get("error")
        if isinstance(found, ConfigProblems):
            for problem in found.problems:
                where = _where(filename, _mark_for(marks, (*loc, *problem.loc)), _format_location(problem.loc))
                twin = _mark_for(marks, (*loc, *problem.also)) if problem.also else None
                yield f"{where} : {problem.message}" + (f" (déjà ligne {twin[0]})" if twin else "")
            continue
        mark = _mark_for(marks, loc, error["type"] == "extra_forbidden")
        yield f"{_where(filename, mark, _format_location(loc))} : {french_validation_error(error)}"


# libyaml's parser when PyYAML was built with it: the pure-Python one takes most of `watcher sources check`'s load.
_YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _as_the_python_loader_says(exc: yaml.YAMLError, text: str) -> yaml.YAMLError:
    """The same fault as PyYAML's own parser words it: libyaml's wording is terser, and the French messages of
    `_yaml_error` translate PyYAML's. Only a broken file pays for this second parse."""
    if _YamlLoader is yaml.SafeLoader:
        return exc
    try:
        yaml.load(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as worded:
        return worded
    return exc


def parse_config(text: str, filename: str = "sources.yaml") -> Config:
    """The configuration in `text`; every fault is reported in French with its file, line and column."""
    try:
        loader = _YamlLoader(text)  # reads the whole text: a forbidden character fails here
    except yaml.YAMLError as exc:
        raise _yaml_error(_as_the_python_loader_says(exc, text), text, filename) from None
    try:
        root = loader.get_single_node()
        duplicates = list(_duplicate_keys(root)) if root is not None else []
        if duplicates:
            raise ConfigError(
                "\n".join(
                    f"{_where(filename, _mark(second), path)} : clé « {second.value} » en double "
                    f"(déjà ligne {_mark(first)[0]}) ; gardez-en une seule"
                    for second, first, path in duplicates
                )
            )
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        raise _yaml_error(_as_the_python_loader_says(exc, text), text, filename) from None
    finally:
        loader.dispose()
    if root is None or not isinstance(data, dict):
        raise ConfigError(f"{filename} : le fichier doit contenir les sections sources, topics et watchlist")
    marks = dict(_mark_index(root))
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError("\n".join(_validation_problems(exc, marks, filename))) from None
