"""Per-rule hits and precision against the group's verdicts (`watcher rules stats`).

Every rule of a theme that can fire leaves a reason in `why` (watcher/score.py): terms,
required context, caps (one weak clue, `dampen`), abroad signals and source priors. Each
kind is read back here, so that a rule that caps or zeroes items is measured like a term.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from store.verdicts import ReasonCounts

_TOPIC = r"^(?P<topic>[\w-]+) : "
# (pattern over a reason, kind of rule, whether it lowers the score when it fires)
_REASONS: tuple[tuple[re.Pattern[str], str, bool | None], ...] = (
    # « hopital : « urgences » +45 »: the sign says boost or penalty.
    (re.compile(_TOPIC + r"« (?P<rule>.+) » (?P<value>[+-]\d+)$"), "term", None),
    (re.compile(_TOPIC + r"contexte requis absent .* → 0$"), "context", True),
    (re.compile(_TOPIC + r"un seul indice, note plafonnée à \d+$"), "single_clue", True),
    # « hopital : fait divers ou justice… (« plainte »), note plafonnée à 39 »: one rule per name, whatever its trigger.
    (re.compile(_TOPIC + r"(?P<rule>.+) \(« .+ »\), note plafonnée à \d+$"), "dampen", True),
    (re.compile(_TOPIC + r"(?P<rule>à l'étranger \(« .+ »\)) (?P<value>[+-]\d+)$"), "abroad", None),
    # « hopital : source « X » +12 % de l'écart à 100 (+5) »; before the 0–100 curve, « … +12 ».
    (re.compile(_TOPIC + r"(?P<rule>source « .+ ») (?P<value>[+-]\d+)(?: %.*)?$"), "source", None),
    (re.compile(_TOPIC + r"(?P<rule>thème par défaut de la source) (?P<value>[+-]\d+)(?: %.*)?$"), "source", None),
    # « greve : alerte, grève annoncée (« préavis de grève ») »: one rule per name, whatever its phrase.
    (re.compile(_TOPIC + r"alerte, (?P<rule>.+) \(« .+ »\)$"), "alert", False),
)
_FIXED_NAMES = {"context": "contexte requis absent (note à 0)", "single_clue": "un seul indice (note plafonnée)"}


@dataclass
class RuleStats:
    topic: str
    rule: str  # the term itself for a term, else the rule's name as the digest's « why » gives it
    penalty: bool
    hits: int = 0
    pertinent: int = 0
    hors_sujet: int = 0
    kind: str = "term"

    @property
    def label(self) -> str:
        """As `watcher rules stats` shows it; caps and the required context say what they do in their name."""
        if self.kind == "dampen":
            return f"plafond : {self.rule}"
        if self.kind == "alert":
            return f"alerte : {self.rule}"
        name = f"« {self.rule} »" if self.kind == "term" else self.rule
        return name + " (pénalité)" if self.penalty and self.kind in ("term", "source") else name

    @property
    def judged(self) -> int:
        return self.pertinent + self.hors_sujet

    @property
    def precision(self) -> float | None:
        """Share of judged hits the rule got right: pertinent for a boost, hors sujet for a penalty or a cap."""
        if not self.judged:
            return None
        return (self.hors_sujet if self.penalty else self.pertinent) / self.judged


@cache  # an archive repeats a few hundred reasons over and over: each is read once
def _read(reason: str) -> tuple[str, str, str, bool] | None:
    """(topic, rule, kind, penalty) of one reason, or None for a reason that names no rule (a mention)."""
    for pattern, kind, penalty in _REASONS:
        match = pattern.match(reason)
        if match:
            groups = match.groupdict()
            rule = groups.get("rule") or _FIXED_NAMES[kind]
            lowers = penalty if penalty is not None else int(groups["value"]) < 0
            return match["topic"], rule, kind, lowers
    return None


def rule_stats(counts: ReasonCounts) -> list[RuleStats]:
    """Each rule's hits (its reasons' counts) and the verdicts on the items it fired on, for the verdict's theme."""
    stats: dict[tuple[str, str, str], RuleStats] = {}
    for reason, hits in counts.hits.items():
        read = _read(reason)
        if read is None:
            continue
        topic, name, kind, penalty = read
        stats.setdefault((topic, kind, name), RuleStats(topic, name, penalty, kind=kind)).hits += hits
    for (reason, verdict_topic, verdict), count in counts.judged.items():
        read = _read(reason)
        if read is None or read[0] != verdict_topic:
            continue
        topic, name, kind, _ = read
        rule = stats[(topic, kind, name)]
        if verdict == "pertinent":
            rule.pertinent += count
        else:
            rule.hors_sujet += count
    # The kind last: a rule named alike in two kinds keeps one order whatever order the reasons were read in.
    return sorted(stats.values(), key=lambda s: (s.topic, -s.hits, s.rule, s.kind))


def splits_line(count: int) -> str:
    """The joins of stories that people contested (« Pas le même sujet »): how often the grouping erred."""
    return f"Scissions de sujets (« Pas le même sujet ») : {count}"


def merges_line(count: int) -> str:
    """The stories an article linked and merged (`store.merges`): read beside the splits, which may undo them."""
    return f"Fusions de sujets (un article qui en relie deux) : {count}"
