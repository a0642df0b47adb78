"""Theme rules, mentions and the decision, each with the reasons shown to the group.

Rules come from the `topics` and `watchlist` sections of sources.yaml:
- a term matches on French stems (« hôpitaux » finds « hôpital »), a
  multi-word term matches as a phrase, and a term in CAPITALS (« AME »)
  matches only the acronym written in capitals, never « âme »;
- `exclude` phrases are masked before matching, so « urgence climatique »
  never counts as « urgence »;
- a title match weighs 1.5×; each term counts once; a topic scores at most 100.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from watcher.config import Config, SourceConfig
from watcher.normalize import Item
from watcher.text import Token, is_mostly_upper, tokenize

TITLE_FACTOR = 1.5
DEFAULT_TOPIC_BONUS = 10
_DECISION_RANK = {"drop": 0, "digest": 1, "alert": 2}


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
    required: tuple[frozenset[str], ...]  # every group needs one of its terms to match
    exclusions: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Name:
    """A name to find verbatim (case and accents folded, stop words kept)."""

    label: str
    words: tuple[str, ...]
    acronym: str | None  # the name itself when it must match in capitals only


@dataclass
class Judgement:
    topics: list[str]
    score: int
    decision: str
    why: list[str]
    mentions: list[str]
    member_mentions: list[str]
    topic_scores: dict[str, int] = field(default_factory=dict)


@dataclass
class _Segment:
    """Title or body, analysed once and shared by every rule."""

    tokens: list[Token]
    factor: float
    shouting: bool


def _find_sequence(haystack: list[str], needle: tuple[str, ...]) -> list[int]:
    size = len(needle)
    if not size:
        return []
    first = needle[0]
    return [
        index
        for index, value in enumerate(haystack[: len(haystack) - size + 1])
        if value == first and tuple(haystack[index : index + size]) == needle
    ]


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
            )
            for key, topic in config.topics.items()
        ]
        collective = config.watchlist.collective
        self.collective_names = [self._name(name, "Action Patients") for name in collective.names]
        self.spokespeople = [
            self._name(person.name, f"{person.name} ({person.role})") for person in collective.spokespeople
        ]
        self.members = [
            self._name(alias, member.name)
            for member in config.watchlist.members
            for alias in (member.name, *member.aliases)
        ]

    @staticmethod
    def _name(text: str, label: str) -> Name:
        tokens = tokenize(text)
        acronym = tokens[0].surface if len(tokens) == 1 and tokens[0].is_acronym else None
        return Name(label, tuple(token.folded for token in tokens), acronym)

    def judge(self, item: Item, source: SourceConfig | None = None) -> Judgement:
        segments = [
            _Segment(tokenize(item.title), TITLE_FACTOR, is_mostly_upper(item.title)),
            _Segment(tokenize(f"{item.summary} {item.content or ''}"), 1.0, False),
        ]
        topic_scores: dict[str, int] = {}
        reasons_by_topic: dict[str, list[str]] = {}
        for topic in self.topics:
            topic_scores[topic.key], reasons_by_topic[topic.key] = self._score_topic(topic, segments, source)
        # Strongest theme first, in topics and in the reasons, so the first reasons explain the decision.
        ranked = sorted(topic_scores, key=lambda key: -topic_scores[key])
        why = [reason for key in ranked for reason in reasons_by_topic[key]]
        topics = [key for key in ranked if topic_scores[key] >= self.config.alerts.digest_threshold]
        score = max(topic_scores.values(), default=0)
        mentions = self._find_names(self.collective_names + self.spokespeople, segments)
        member_mentions = self._find_names(self.members, segments)
        decision = self._decide(score, mentions, why)
        return Judgement(topics, score, decision, why, mentions, member_mentions, topic_scores)

    def _score_topic(
        self, topic: Topic, segments: list[_Segment], source: SourceConfig | None
    ) -> tuple[int, list[str]]:
        contributions: dict[str, float] = {}
        for segment in segments:
            all_stems = [token.stem for token in segment.tokens]
            masked: set[int] = set()
            for exclusion in topic.exclusions:
                for start in _find_sequence(all_stems, exclusion):
                    masked.update(range(start, start + len(exclusion)))
            # A masked word leaves a hole, so the words around it do not become a phrase.
            visible = ["\0" if i in masked else token.stem for i, token in enumerate(segment.tokens) if not token.stop]
            acronyms = {token.surface for i, token in enumerate(segment.tokens) if i not in masked and token.is_acronym}
            for term in topic.terms:
                if term.acronym:
                    hit = not segment.shouting and term.text in acronyms
                else:
                    hit = bool(_find_sequence(visible, term.stems))
                if hit:
                    value = term.weight * (segment.factor if term.weight > 0 else 1.0)
                    previous = contributions.get(term.text)
                    if previous is None or abs(value) > abs(previous):
                        contributions[term.text] = value

        positive = sum(value for value in contributions.values() if value > 0)
        matched = {text for text, value in contributions.items() if value > 0}
        if positive <= 0 or not all(group & matched for group in topic.required):
            return 0, []
        reasons = [
            f"{topic.key} : « {text} » {round(value):+d}"
            for text, value in sorted(contributions.items(), key=lambda pair: -abs(pair[1]))
        ]
        raw = sum(contributions.values())
        if source is not None:
            if source.weight:
                raw += source.weight
                reasons.append(f"{topic.key} : source « {source.name} » {source.weight:+d}")
            if topic.key in source.topics:
                raw += DEFAULT_TOPIC_BONUS
                reasons.append(f"{topic.key} : thème par défaut de la source {DEFAULT_TOPIC_BONUS:+d}")
        return max(0, min(100, round(raw))), reasons

    @staticmethod
    def _find_names(names: list[Name], segments: list[_Segment]) -> list[str]:
        found: list[str] = []
        for name in names:
            if name.label in found:
                continue
            for segment in segments:
                if name.acronym:
                    hit = not segment.shouting and any(t.surface == name.acronym for t in segment.tokens)
                else:
                    hit = bool(_find_sequence([token.folded for token in segment.tokens], name.words))
                if hit:
                    found.append(name.label)
                    break
        return found

    def _decide(self, score: int, mentions: list[str], why: list[str]) -> str:
        alerts = self.config.alerts
        decision = "drop"
        if score >= alerts.alert_threshold:
            decision = "alert"
        elif score >= alerts.digest_threshold:
            decision = "digest"
        if mentions and _DECISION_RANK[alerts.mention_decision] > _DECISION_RANK[decision]:
            decision = alerts.mention_decision
            why.append(f"mention du collectif ({', '.join(mentions)}) → {decision}")
        return decision
