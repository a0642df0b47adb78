"""Theme rules, mentions and the decision, each with the reasons shown to the group.

Rules come from the `topics`, `places` and `watchlist` sections of sources.yaml:
- a term matches on French stems (« hôpitaux » finds « hôpital »), a
  multi-word term matches as a phrase, and a term in CAPITALS (« AME »)
  matches only the acronym written in capitals, never « âme »;
- `exclude` phrases are masked before matching, so « urgence climatique »
  never counts as « urgence »;
- `requires` groups must match in the title or the lead (the summary), not
  only deep in the full text: a strike needs a health actor up front;
- an item set abroad (a foreign place in the title, or in the lead without a
  French one) gets the topic's `abroad` penalty; « comme en France » is masked
  first, so it never brings a foreign hospital home;
- a `dampen` rule keeps an item below the digest when one of its `when` terms
  is in the title or lead and none of its `unless` terms is anywhere: a
  stabbing in a CHU is a fait divers, not a story about the hospital system;
- a title match weighs 1.5×; each term counts once.

Mentions come from the `watchlist`: the collective's names, its spokespeople in their role, its works cited without
its name (« Christian Baudelot » on the 2022 survey: every group of phrases near the first), and its member
associations. A member's name or alias is found in any case and accents; an `ambiguous` one (« AFH », « Caire »)
only written as configured and with a context: the member's own field anywhere in the item (« hémophilie »), or an
association's word nearby (`member_context`) in an item not set abroad; never near an `exclude` phrase
(« Le Caire »). A member named in a list of signatories (three names or more after « signataires ») is not a mention.

A theme's score is built in one order, so that nothing added after a cap lifts an item over it:
1. evidence: the sum of the matched terms' weights (penalties included);
2. the evidence mapped smoothly onto 0–100, 100·(1 − e^(−evidence/EVIDENCE_SCALE)): twice the
   evidence is always a higher score, and a score near 100 needs overwhelming evidence;
3. the source's weight and the source's default-theme bonus, each closing that share (in %) of the
   distance to 100, so that a weighty source lifts its items without piling them up at 100;
4. the `abroad` penalty;
5. the caps (one weak clue, `dampen`), which hold the score just below the digest;
6. the result kept within 0–100 and rounded.

An alert is for what needs action today, not for a high score alone (see `_decide`): a mention of
the collective or of a member, an `alert_when` rule of a theme (a strike announced, an AME
decision…), or one of the few scores at `alert_threshold` or above. Tracked bills (`tracked.py`)
and the daily alert budget (`batch.py`) are applied after this module.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from watcher.config import Config, MemberAssociation, SourceConfig
from watcher.normalize import Item
from watcher.text import Token, find_sequence, fold, is_mostly_upper, stem, tokenize

TITLE_FACTOR = 1.5
DEFAULT_TOPIC_BONUS = 10
# The evidence at which a theme scores 63: one strong phrase in a title (60 × 1.5) scores 59, a title and a
# lead full of the theme's words (300) scores 95. A larger scale would leave the digest's floor lower.
EVIDENCE_SCALE = 100.0
SUMMARY_TERMS = 3  # terms named per theme in the digest's reasons
SUMMARY_MIN_POINTS = 10  # « patients » (+5) explains nothing to a reader
_DECISION_RANK = {"drop": 0, "digest": 1, "alert": 2}
# The words a reader sees for each decision, strongest first: the CLI, the desk and `why` all say these.
DECISION_LABELS = {"alert": "alerte", "digest": "synthèse", "drop": "écarté"}
# Words that turn « Action patients » into the name of an event or product, not the collective.
_EVENT_NOUNS = frozenset(
    fold(word)
    for word in "salon forum journée journées festival semaine prix opération campagne événement évènement "
    "édition rencontres trophées concours congrès colloque programme application appli label émission "
    "film livre podcast".split()
)
# How far (in words) a role or the collective may sit from a spokesperson's name, and a context from an ambiguous
# member name (« AFH »).
_CUE_DISTANCE = 12
_SPEECH_STEMS = frozenset(
    stem(word)
    for word in "déclare estime explique prévient affirme souligne dénonce réclame plaide regrette rappelle insiste "
    "ajoute indique selon assure juge alerte martèle confie témoigne interpelle demande".split()
)
_QUOTE_MARKS = ("«", "»", '"', "“", "”")
# How far (in words, stop words included) the phrases of a work of the collective may sit from its first one: a
# sentence or two, so that Christian Baudelot speaking of schools is not read with a survey named further on.
_WORK_DISTANCE = 40
# A list of signatories (« Parmi les signataires : AIDES, l'ANDAR, Renaloo et… »): a member signing a text beside
# dozens of others is not news about it. The list runs from the cue to the end of the sentence or paragraph.
_SIGNATORY_WORDS = frozenset(
    fold(word) for word in "signataire signataires cosignataire cosignataires signé signée signés signées".split()
)
_SIGNATORY_CUE_RE = re.compile(r"\b(?:co-?)?signataires?\b|\b(?:co-?)?sign[ée]e?s?\s+par\b", re.IGNORECASE)
_LIST_END_RE = re.compile(r"[.!?…]|\n\s*\n")
_LIST_SEPARATOR_RE = re.compile(r"[,;\n]|\bet\b")
_LEADING_ARTICLE_RE = re.compile(r"^(?:l['’]|la\s|le\s|les\s)\s*", re.IGNORECASE)
_SIGNATORY_LIST_MIN = 3  # names after the cue: fewer is a sentence that happens to follow « signée par »


@dataclass(frozen=True)
class Term:
    text: str
    weight: int
    stems: tuple[str, ...]
    acronym: bool

    @classmethod
    def compile(cls, text: str, weight: int) -> Term:
        tokens = tokenize(text)
        acronym = len(tokens) == 1 and tokens[0].is_acronym
        stems = tuple(token.stem for token in tokens if not token.stop) or tuple(t.stem for t in tokens)
        return cls(text, weight, stems, acronym)


@dataclass(frozen=True)
class Topic:
    key: str
    label: str
    terms: tuple[Term, ...]
    required: tuple[frozenset[str], ...]  # every group needs one of its terms in the title or lead
    exclusions: tuple[tuple[str, ...], ...]
    abroad: int
    corroboration: int
    # (name, terms that trigger up front, terms that lift the cap anywhere)
    dampeners: tuple[tuple[str, tuple[str, ...], frozenset[str]], ...] = ()
    # (name, (phrase, its folded words)): a phrase in the title or the lead of an item of the theme makes it an alert
    alert_rules: tuple[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], ...] = ()

    @cached_property
    def _terms_by_first_stem(self) -> dict[str, tuple[int, ...]]:
        positions: dict[str, list[int]] = {}
        for index, term in enumerate(self.terms):
            if not term.acronym and term.stems:
                positions.setdefault(term.stems[0], []).append(index)
        return {stem: tuple(indexes) for stem, indexes in positions.items()}

    @cached_property
    def first_excluded_words(self) -> frozenset[str]:
        """The first stem of each `exclude` phrase: a text without any of them masks nothing."""
        return frozenset(exclusion[0] for exclusion in self.exclusions if exclusion)

    @cached_property
    def first_alert_words(self) -> frozenset[str]:
        """The first word of each `alert_when` phrase: a text without any of them matches no rule."""
        return frozenset(words[0] for _name, phrases in self.alert_rules for _text, words in phrases if words)

    @cached_property
    def _acronym_terms(self) -> tuple[int, ...]:
        return tuple(index for index, term in enumerate(self.terms) if term.acronym)

    def candidates(self, words: frozenset[str]) -> list[Term]:
        """The terms that may match a text holding these words, in rule order: the others cannot."""
        by_stem = self._terms_by_first_stem
        indexes = set(self._acronym_terms)
        for word in words & by_stem.keys():
            indexes.update(by_stem[word])
        return [self.terms[index] for index in sorted(indexes)]


@dataclass(frozen=True)
class Name:
    """A name to find verbatim (case and accents folded, stop words kept)."""

    label: str
    words: tuple[str, ...]
    acronym: str | None  # the name itself when it must match in capitals only
    role: tuple[str, ...] = ()  # stems of a spokesperson's role


@dataclass(frozen=True)
class _Phrase:
    """A phrase matched on stems with its stop words (« Le Caire », « Moi Patient »); one word in CAPITALS (« SLA »)
    only as written."""

    text: str
    stems: tuple[str, ...]
    acronym: str | None

    @classmethod
    def compile(cls, text: str) -> _Phrase:
        tokens = tokenize(text)
        acronym = tokens[0].surface if len(tokens) == 1 and tokens[0].is_acronym else None
        return cls(text, tuple(token.stem for token in tokens), acronym)

    def positions(self, tokens: Sequence[Token], stems: list[str] | None = None) -> list[int]:
        if self.acronym:
            return [i for i, token in enumerate(tokens) if token.surface == self.acronym]
        return find_sequence(stems if stems is not None else [token.stem for token in tokens], self.stems)

    def in_segment(self, segment: _Segment) -> bool:
        if self.acronym:
            return not segment.shouting and any(surface == self.acronym for _i, surface in segment.acronyms)
        return self.stems[0] in segment.words and bool(find_sequence(segment.stems, self.stems))


@dataclass(frozen=True)
class _Member:
    label: str
    names: tuple[Name, ...]  # found in any case and accents (a name in CAPITALS in capitals only)
    ambiguous: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]  # (as configured, folded, as written)
    context: tuple[_Phrase, ...]
    exclude: tuple[_Phrase, ...]

    @cached_property
    def first_words(self) -> frozenset[str]:
        """The first word of each name, folded: a text without any of them cannot name the member."""
        return frozenset(name.words[0] for name in self.names if name.words) | {
            words[0] for _t, words, _w in self.ambiguous
        }


@dataclass(frozen=True)
class _Work:
    label: str
    groups: tuple[tuple[_Phrase, ...], ...]
    unless: tuple[_Phrase, ...]


def _as_written(text: str) -> str:
    """Accents removed, capitals kept: « Thyroide » is « Thyroïde », « caire » is not « Caire »."""
    if text.isascii():
        return text
    return "".join(char for char in unicodedata.normalize("NFD", text) if not unicodedata.combining(char))


@dataclass
class Judgement:
    topics: list[str]
    score: int
    decision: str
    why: list[str]  # the rules with their points, for preview and the desk
    mentions: list[str]
    member_mentions: list[str]
    topic_scores: dict[str, int] = field(default_factory=dict)
    summary: str = ""  # the reasons in words, for the digest and the alerts: « urgences fermées — dans le titre »
    # Why the item is an alert, in words; None for the digest. A mention of the collective is never held back
    # by the daily alert budget.
    alert_reason: str | None = None


@dataclass(frozen=True)
class _TermHit:
    text: str
    value: float
    where: str  # « titre », « chapô » or « texte »: the first place it was found


@dataclass
class _TopicResult:
    score: int = 0
    why: list[str] = field(default_factory=list)
    hits: list[_TermHit] = field(default_factory=list)  # positive terms, strongest first
    alert: str | None = None  # the alert rule that matched, in words
    capped: str | None = None  # the cap that held the score, in words
    abroad: str | None = None  # the foreign place that cost the penalty


@dataclass
class _Segment:
    """Title, lead or full text, analysed once and shared by every rule."""

    text: str
    tokens: list[Token]
    factor: float
    shouting: bool
    up_front: bool  # title or lead: where required context must appear
    where: str = "texte"  # as the digest names it
    stems: list[str] = field(init=False)
    folded: list[str] = field(init=False)
    content_tokens: list[Token] = field(init=False)
    content_stems: list[str] = field(init=False)  # stop words left out, what terms match on
    acronyms: list[tuple[int, str]] = field(init=False)  # (position, as written)
    words: frozenset[str] = field(init=False)  # every stem and folded word, to skip the rules that cannot match

    def __post_init__(self) -> None:
        self.stems = [token.stem for token in self.tokens]
        self.folded = [token.folded for token in self.tokens]
        self.content_tokens = [token for token in self.tokens if not token.stop]
        self.content_stems = [token.stem for token in self.content_tokens]
        self.acronyms = [(i, token.surface) for i, token in enumerate(self.tokens) if token.is_acronym]
        self.words = frozenset(self.stems) | frozenset(self.folded)


_Place = tuple[str, tuple[str, ...], bool]


class _Places:
    """(text, stems, capitalised) phrases, looked up by their first stem: of hundreds, a text holds a few."""

    def __init__(self, texts: list[str]) -> None:
        # A place written with a capital only matches a capitalised word (« Tours »).
        self.phrases: list[_Place] = []
        for text in texts:
            stems = tuple(token.stem for token in tokenize(text) if not token.stop)
            if stems:
                self.phrases.append((text, stems, text[:1].isupper()))
        self._by_first_stem: dict[str, list[int]] = {}
        for index, (_text, stems, _capitalised) in enumerate(self.phrases):
            self._by_first_stem.setdefault(stems[0], []).append(index)

    def __bool__(self) -> bool:
        return bool(self.phrases)

    def candidates(self, words: frozenset[str]) -> list[_Place]:
        """The phrases that may occur in a text holding these words, in configuration order."""
        indexes = sorted(i for word in words & self._by_first_stem.keys() for i in self._by_first_stem[word])
        return [self.phrases[index] for index in indexes]


class Scorer:
    """Compiled rules of one configuration; `judge` is a pure function of an item."""

    def __init__(self, config: Config):
        self.config = config
        self.topics = [
            Topic(
                key=key,
                label=topic.label,
                terms=tuple(Term.compile(text, weight) for text, weight in topic.terms.items()),
                required=tuple(frozenset(group) for group in topic.requires),
                # Exclusions keep their stop words: « en urgence » must not mask every « urgences ».
                exclusions=tuple(tuple(token.stem for token in tokenize(phrase)) for phrase in topic.exclude),
                abroad=topic.abroad,
                corroboration=topic.corroboration,
                dampeners=tuple(
                    (name, tuple(rule.when), frozenset(rule.unless)) for name, rule in topic.dampen.items()
                ),
                # Alert phrases match as written (accents and case aside), not on stems: « fermeront » says a
                # closure is coming, and its stem, « ferm », would say nothing of when.
                alert_rules=tuple(
                    (name, tuple((phrase, tuple(token.folded for token in tokenize(phrase))) for phrase in phrases))
                    for name, phrases in topic.alert_when.items()
                ),
            )
            for key, topic in config.topics.items()
        ]
        places = config.places
        self.abroad_places = _Places(places.abroad)
        self.france_places = _Places(places.france)
        self.ignored_places = [tuple(token.stem for token in tokenize(text)) for text in places.ignore]
        collective = config.watchlist.collective
        self.collective_names = [self._name(name, "Action Patients") for name in collective.names]
        self.spokespeople = [
            self._name(person.name, f"{person.name} ({person.role})", person.role) for person in collective.spokespeople
        ]
        self.works = [
            _Work(
                work.label,
                tuple(tuple(_Phrase.compile(text) for text in group) for group in work.requires),
                tuple(_Phrase.compile(text) for text in work.unless),
            )
            for work in collective.works
        ]
        self.members = [self._member(member) for member in config.watchlist.members]
        self.member_context = tuple(_Phrase.compile(text) for text in config.watchlist.member_context)

    @classmethod
    def _member(cls, member: MemberAssociation) -> _Member:
        ambiguous = []
        for text in member.ambiguous:
            tokens = tokenize(text)
            ambiguous.append((text, tuple(t.folded for t in tokens), tuple(_as_written(t.surface) for t in tokens)))
        return _Member(
            member.name,
            tuple(
                cls._name(text, member.name)
                for text in dict.fromkeys((member.name, *member.aliases))
                if text not in member.ambiguous
            ),
            tuple(ambiguous),
            tuple(_Phrase.compile(text) for text in member.context),
            tuple(_Phrase.compile(text) for text in member.exclude),
        )

    @staticmethod
    def _name(text: str, label: str, role: str = "") -> Name:
        tokens = tokenize(text)
        acronym = tokens[0].surface if len(tokens) == 1 and tokens[0].is_acronym else None
        role_stems = tuple(token.stem for token in tokenize(role) if not token.stop)
        return Name(label, tuple(token.folded for token in tokens), acronym, role_stems)

    def judge(self, item: Item, source: SourceConfig | None = None, context: frozenset[str] = frozenset()) -> Judgement:
        """`context`: themes whose required context is given by where the item comes from (a tracked bill)."""
        segments = [
            _Segment(item.title, tokenize(item.title), TITLE_FACTOR, is_mostly_upper(item.title), True, "titre"),
            _Segment(item.summary, tokenize(item.summary), 1.0, False, True, "chapô"),
        ]
        if item.content:
            segments.append(_Segment(item.content, tokenize(item.content), 1.0, False, False))
        abroad_reason = self._abroad(segments[0], segments[1])
        results = {
            topic.key: self._score_topic(topic, segments, source, abroad_reason, topic.key in context)
            for topic in self.topics
        }
        topic_scores = {key: result.score for key, result in results.items()}
        # Strongest theme first (ties: configuration order), in topics and in the reasons, so that the first
        # reasons explain the decision.
        ranked = sorted(topic_scores, key=lambda key: -topic_scores[key])
        why = [reason for key in ranked for reason in results[key].why]
        topics = [key for key in ranked if topic_scores[key] >= self.config.alerts.digest_threshold]
        score = max(topic_scores.values(), default=0)
        member_mentions, member_reasons = self._find_members(segments, abroad_reason)
        works = self._find_works(segments)
        mentions = self._find_collective(segments) + works + self._find_spokespeople(segments, member_mentions)
        mentions = list(dict.fromkeys(mentions))
        why += [f"mention du collectif : {work}" for work in works] + member_reasons
        decision, alert_reason = self._decide(
            score, [(key, results[key]) for key in topics], mentions, member_mentions, why
        )
        summary = self._summary([(key, results[key]) for key in ranked[:2]], topics, alert_reason)
        return Judgement(topics, score, decision, why, mentions, member_mentions, topic_scores, summary, alert_reason)

    # --- France versus abroad -------------------------------------------------

    def _places_in(self, segment: _Segment, places: _Places, mask: bool) -> list[str]:
        visible, kept = segment.content_stems, segment.content_tokens
        ignored = [phrase for phrase in self.ignored_places if phrase[0] in segment.words] if mask else []
        if ignored:
            stems = list(segment.stems)
            for phrase in ignored:
                for start in find_sequence(stems, phrase):
                    stems[start : start + len(phrase)] = ["\0"] * len(phrase)
            pairs = [(value, token) for value, token in zip(stems, segment.tokens, strict=True) if not token.stop]
            visible, kept = [value for value, _token in pairs], [token for _value, token in pairs]
        found = []
        for text, phrase, capitalised in places.candidates(segment.words):
            starts = find_sequence(visible, phrase)
            if any(not capitalised or kept[start].surface[:1].isupper() for start in starts):
                found.append(text)
        return found

    def _abroad(self, title: _Segment, lead: _Segment) -> str | None:
        """The foreign place an item is set in, or None when it is (or may be) in France."""
        if not self.abroad_places:
            return None
        for segment in (title, lead):
            foreign = self._places_in(segment, self.abroad_places, mask=False)
            home = self._places_in(segment, self.france_places, mask=True)
            if home:
                return None
            if foreign:
                return foreign[0]
        return None

    # --- themes -------------------------------------------------------------

    def _score_topic(
        self,
        topic: Topic,
        segments: list[_Segment],
        source: SourceConfig | None,
        abroad: str | None,
        context_given: bool = False,
    ) -> _TopicResult:
        contributions: dict[tuple[str, ...], _TermHit] = {}
        up_front: set[str] = set()
        matched: set[str] = set()
        alert: str | None = None
        for segment in segments:
            masked: set[int] = set()
            excluded = not topic.first_excluded_words.isdisjoint(segment.words)  # most texts: none of them
            for exclusion in topic.exclusions if excluded else ():
                if exclusion and exclusion[0] in segment.words:
                    for start in find_sequence(segment.stems, exclusion):
                        masked.update(range(start, start + len(exclusion)))
            visible = segment.content_stems
            if masked:
                # A masked word leaves a hole, so the words around it do not become a phrase.
                tokens = enumerate(segment.tokens)
                visible = ["\0" if i in masked else token.stem for i, token in tokens if not token.stop]
            acronyms = {surface for i, surface in segment.acronyms if i not in masked}
            for term in topic.candidates(segment.words):
                if term.acronym:
                    hit = not segment.shouting and term.text in acronyms
                elif len(term.stems) == 1:  # most terms: one word, found or not (where, and how often, is not asked)
                    hit = term.stems[0] in visible
                else:  # a candidate: its first stem is in the segment
                    hit = bool(find_sequence(visible, term.stems))
                if hit:
                    if segment.up_front:
                        up_front.add(term.text)
                    value = term.weight * (segment.factor if term.weight > 0 else 1.0)
                    # Terms that stem alike (« hôpital », « hôpitaux ») are one rule and count once.
                    previous = contributions.get(term.stems)
                    if previous is None or abs(value) > abs(previous.value):
                        contributions[term.stems] = _TermHit(term.text, value, segment.where)
                    matched.add(term.text)
            if segment.up_front and alert is None:
                alert = self._alert_rule(topic, segment)

        hits = sorted(contributions.values(), key=lambda hit: (-abs(hit.value), hit.text))
        if not any(hit.value > 0 for hit in hits):
            return _TopicResult()
        missing = [] if context_given else [group for group in topic.required if not group & up_front]
        if missing:
            example = sorted(missing[0])[0]
            missing_context = f"{topic.key} : contexte requis absent du titre et du chapô (ex. « {example} ») → 0"
            return _TopicResult(0, [missing_context])
        evidence = sum(hit.value for hit in hits)
        why = [f"{topic.key} : « {hit.text} » {round(hit.value):+d}" for hit in hits]
        score = evidence_score(evidence)
        why.append(f"{topic.key} : indices {round(evidence):+d} → note {round(score)}")
        # Weights, then penalties, then caps: nothing added after a cap lifts the item over it.
        if source is not None:
            # A weight of w points closes w % of the distance to 100: added flat, it would pile the best items
            # of a weighty source up at 100, where they could no longer be told apart.
            for bonus, reason in (
                (source.weight, f"source « {source.name} »"),
                (DEFAULT_TOPIC_BONUS if topic.key in source.topics else 0, "thème par défaut de la source"),
            ):
                if bonus:
                    gained = (100 - score) * bonus / 100
                    score += gained
                    why.append(f"{topic.key} : {reason} {bonus:+d} % de l'écart à 100 ({gained:+.0f})")
        result = _TopicResult(hits=[hit for hit in hits if hit.value > 0])
        if abroad is not None and topic.abroad:
            score += topic.abroad
            result.abroad = abroad
            why.append(f"{topic.key} : à l'étranger (« {abroad} ») {topic.abroad:+d}")
        cap = self.config.alerts.digest_threshold - 1
        positives = result.hits
        if len(positives) == 1 and topic.corroboration and positives[0].value < topic.corroboration and score > cap:
            # One weak clue (« hôpital » in passing) is not a hospital story: it stays below the digest.
            why.append(f"{topic.key} : un seul indice, note plafonnée à {cap}")
            score, result.capped = cap, "un seul indice"
        for name, triggers, lifts in topic.dampeners:
            if score > cap and not lifts & matched:
                trigger = next((term for term in triggers if term in up_front), None)
                if trigger is not None:
                    why.append(f"{topic.key} : {name} (« {trigger} »), note plafonnée à {cap}")
                    score, result.capped = cap, name
        result.score = max(0, min(100, round(score)))
        result.why = why
        result.alert = alert
        return result

    @staticmethod
    def _alert_rule(topic: Topic, segment: _Segment) -> str | None:
        """The first of the topic's `alert_when` rules with a phrase in this segment, in words."""
        if topic.first_alert_words.isdisjoint(segment.words):
            return None  # most texts: one set operation, not one test per phrase
        for name, phrases in topic.alert_rules:
            for text, words in phrases:
                if words and words[0] in segment.words and find_sequence(segment.folded, words):
                    return f"{name} (« {text} »)"
        return None

    # --- mentions -----------------------------------------------------------

    @staticmethod
    def _positions(name: Name, segment: _Segment) -> list[int]:
        if name.acronym:
            if segment.shouting:
                return []
            return [i for i, token in enumerate(segment.tokens) if token.surface == name.acronym]
        if not name.words or name.words[0] not in segment.words:
            return []
        return find_sequence(segment.folded, name.words)

    def _find_members(self, segments: list[_Segment], abroad: str | None) -> tuple[list[str], list[str]]:
        """The members named, in configuration order, and why each ambiguous name that counted did."""
        segments = [_without_signatories(segment) for segment in segments]
        present = frozenset().union(*(segment.words for segment in segments))
        found: list[str] = []
        reasons: list[str] = []
        for member in self.members:
            if not member.first_words & present:
                continue  # most items name no member: one set operation each
            if any(
                name.words and name.words[0] in present and any(self._positions(name, segment) for segment in segments)
                for name in member.names
            ):
                found.append(member.label)
                continue
            reason = self._ambiguous_member(member, segments, abroad)
            if reason is not None:
                found.append(member.label)
                reasons.append(f"association membre {member.label} : {reason}")
        return found, reasons

    def _ambiguous_member(self, member: _Member, segments: list[_Segment], abroad: str | None) -> str | None:
        """Why an ambiguous name of the member counts (« « AFH », et « hémophilie » dans l'article »), or None."""
        hits = [
            (index, start, start + len(folded), text)
            for index, segment in enumerate(segments)
            if not segment.shouting  # in a title in capitals, every word looks like an acronym
            for text, folded, written in member.ambiguous
            if folded[0] in segment.words
            for start in find_sequence(segment.folded, folded)
            if all(
                _as_written(token.surface) == word
                for token, word in zip(segment.tokens[start : start + len(folded)], written, strict=True)
            )
        ]
        if not hits:
            return None
        own = next((phrase.text for phrase in member.context for s in segments if phrase.in_segment(s)), None)
        for index, start, end, text in hits:
            segment = segments[index]
            before = segment.tokens[max(0, start - _CUE_DISTANCE) : start]
            after = segment.tokens[end : end + _CUE_DISTANCE]
            # A name in the title is explained by the lead, for better (« hémophilie ») or worse (« anticorruption »).
            nearby = [before, after, segments[1].tokens] if index == 0 else [before, after]
            inside = segment.tokens[max(0, start - _CUE_DISTANCE) : end + _CUE_DISTANCE]
            if any(phrase.positions(tokens) for phrase in member.exclude for tokens in [inside, *nearby[2:]]):
                continue  # « Le Caire »: the name means something else here
            if own is not None:
                return f"« {text} », et « {own} » dans l'article"
            if abroad is not None:
                continue  # an association's word near an acronym abroad names a foreign body
            cue = next((p.text for p in self.member_context for tokens in nearby if p.positions(tokens)), None)
            if cue is not None:
                return f"« {text} » près de « {cue} »"
        return None

    def _find_works(self, segments: list[_Segment]) -> list[str]:
        """The collective's works cited without its name: every group of a work near its first one."""
        present = frozenset().union(*(segment.words for segment in segments))
        works = [work for work in self.works if any(phrase.stems[0] in present for phrase in work.groups[0])]
        if not works:
            return []  # most items name no one of a work: skip building the passages
        # The title and the lead read as one passage: a title quotes, the lead says who and about what.
        passages = [segments[0].tokens + segments[1].tokens, *(segment.tokens for segment in segments[2:])]
        found: list[str] = []
        for work in works:
            for tokens in passages:
                stems = [token.stem for token in tokens]
                anchors = [position for phrase in work.groups[0] for position in phrase.positions(tokens, stems)]
                if any(self._work_at(work, tokens, anchor) for anchor in anchors):
                    found.append(work.label)
                    break
        return found

    @staticmethod
    def _work_at(work: _Work, tokens: list[Token], anchor: int) -> bool:
        window = tokens[max(0, anchor - _WORK_DISTANCE) : anchor + _WORK_DISTANCE]
        stems = [token.stem for token in window]
        if any(phrase.positions(window, stems) for phrase in work.unless):
            return False
        return all(any(phrase.positions(window, stems) for phrase in group) for group in work.groups[1:])

    def _collective_at(self, segment: _Segment) -> list[int]:
        """Where the collective is named, leaving out events or products called « Action patients »."""
        positions: list[int] = []
        for name in self.collective_names:
            for start in self._positions(name, segment):
                before = {token.folded for token in segment.tokens[max(0, start - 3) : start]}
                if not before & _EVENT_NOUNS:
                    positions.append(start)
        return sorted(set(positions))

    def _find_collective(self, segments: list[_Segment]) -> list[str]:
        return ["Action Patients"] if any(self._collective_at(segment) for segment in segments) else []

    def _find_spokespeople(self, segments: list[_Segment], members: list[str]) -> list[str]:
        """A spokesperson counts in that role only: role or collective nearby, or quoted in an item on the collective
        and not in another association's name."""
        collective_named = any(self._collective_at(segment) for segment in segments)
        found: list[str] = []
        for person in self.spokespeople:
            for segment in segments:
                for start in self._positions(person, segment):
                    window = segment.tokens[max(0, start - _CUE_DISTANCE) : start + len(person.words) + _CUE_DISTANCE]
                    stems = [token.stem for token in window if not token.stop]
                    collective_near = "collectif" in {token.folded for token in window} or bool(
                        self._collective_at(_Segment("", window, 1.0, False, False))
                    )
                    role_near = bool(person.role) and bool(find_sequence(stems, person.role))
                    quoted = any(mark in segment.text for mark in _QUOTE_MARKS) or bool(set(stems) & _SPEECH_STEMS)
                    if collective_near or (role_near and not members) or (quoted and (collective_named or not members)):
                        found.append(person.label)
                        break
                if person.label in found:
                    break
        return found

    def _decide(
        self,
        score: int,
        kept: list[tuple[str, _TopicResult]],
        mentions: list[str],
        member_mentions: list[str],
        why: list[str],
    ) -> tuple[str, str | None]:
        """The decision, and why it is an alert in words (None when it is not)."""
        alerts = self.config.alerts
        decision = "digest" if score >= alerts.digest_threshold else "drop"
        if mentions or member_mentions:
            if _DECISION_RANK[alerts.mention_decision] > _DECISION_RANK[decision]:
                decision = alerts.mention_decision
            named = "du collectif" if mentions else "d'une association membre"
            why.append(f"mention {named} ({', '.join(mentions or member_mentions)}) → {DECISION_LABELS[decision]}")
            if decision == "alert":
                return decision, f"mention {named}"  # the names are listed beside it (« Cite : … »)
        if decision != "digest":
            return decision, None
        ruled = next(((key, result.alert) for key, result in kept if result.alert), None)
        if ruled is not None:
            why.append(f"{ruled[0]} : alerte, {ruled[1]}")  # `watcher rules stats` counts it like a term
            return "alert", ruled[1]
        if score >= alerts.alert_threshold:
            reason = f"une des plus hautes notes ({score})"
            why.append(f"alerte : {reason}")
            return "alert", reason
        return decision, None

    def _summary(self, ranked: list[tuple[str, _TopicResult]], kept: list[str], alert_reason: str | None) -> str:
        """The reasons in words, without points: « Hôpital et accès aux soins : urgences fermées — dans le titre »."""
        labels = {topic.key: topic.label for topic in self.topics}
        parts = [f"alerte : {alert_reason}"] if alert_reason else []
        for key, result in ranked:
            if key not in kept and (kept or not result.hits):
                continue
            telling = [hit for hit in result.hits if hit.value >= SUMMARY_MIN_POINTS][:SUMMARY_TERMS]
            if not telling:
                continue
            places: dict[str, list[str]] = {}
            for hit in telling:
                places.setdefault(hit.where, []).append(hit.text)
            found = " ; ".join(f"{', '.join(texts)} — dans le {where}" for where, texts in places.items())
            part = f"{labels[key]} : {found}"
            if result.abroad:
                part += f" (à l'étranger : {result.abroad})"
            if result.capped:
                part += f" (tenu sous la synthèse : {result.capped})"
            parts.append(part)
        return " · ".join(parts)


def _without_signatories(segment: _Segment) -> _Segment:
    """The segment with its lists of signatories blanked out: three names or more after « signataires », « signée
    par »…, separated by commas, semicolons or « et », each starting with a capital after its article."""
    if not segment.words & _SIGNATORY_WORDS:
        return segment
    text = segment.text
    blanks: list[tuple[int, int]] = []
    for cue in _SIGNATORY_CUE_RE.finditer(text):
        end = _LIST_END_RE.search(text, cue.end())
        stop = end.start() if end else len(text)
        elements, start = [], cue.end()
        for separator in _LIST_SEPARATOR_RE.finditer(text, cue.end(), stop):
            elements.append((start, separator.start()))
            start = separator.end()
        elements.append((start, stop))
        named = [(a, b) for a, b in elements if _names_something(text[a:b])]
        if len(named) >= _SIGNATORY_LIST_MIN:
            blanks.extend(named)
    if not blanks:
        return segment
    chars = list(text)
    for a, b in blanks:
        chars[a:b] = " " * (b - a)
    masked = "".join(chars)
    return _Segment(masked, tokenize(masked), segment.factor, segment.shouting, segment.up_front, segment.where)


def _names_something(element: str) -> bool:
    words = _LEADING_ARTICLE_RE.sub("", element.strip(' \t\n\u00a0:«»"“”'))
    return bool(words) and words[0].isupper()


def evidence_score(evidence: float) -> float:
    """Evidence mapped onto 0–100 without a ceiling to bump against: the order of scores is the order of evidence."""
    return 100 * (1 - math.exp(-evidence / EVIDENCE_SCALE)) if evidence > 0 else 0.0
