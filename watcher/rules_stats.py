"""Per-rule hits and precision against the group's verdicts (`watcher rules stats`)."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

# The reasons written by watcher/score.py: « hopital : « urgences » +45 ».
_TERM_REASON = re.compile(r"^(?P<topic>[\w-]+) : « (?P<term>.+) » (?P<value>[+-]\d+)$")


@dataclass
class RuleStats:
    topic: str
    rule: str
    penalty: bool
    hits: int = 0
    pertinent: int = 0
    hors_sujet: int = 0

    @property
    def judged(self) -> int:
        return self.pertinent + self.hors_sujet

    @property
    def precision(self) -> float | None:
        """Share of judged hits the rule got right: pertinent for a boost, hors sujet for a penalty."""
        if not self.judged:
            return None
        return (self.hors_sujet if self.penalty else self.pertinent) / self.judged


def rule_stats(reasons: list[tuple[int, list[str]]], verdicts: list[tuple[int, str, str]]) -> list[RuleStats]:
    by_item: dict[tuple[int, str], list[str]] = defaultdict(list)
    for item_id, topic, verdict in verdicts:
        by_item[(item_id, topic)].append(verdict)
    stats: dict[tuple[str, str], RuleStats] = {}
    for item_id, why in reasons:
        for reason in why:
            match = _TERM_REASON.match(reason)
            if not match:
                continue
            topic, term = match["topic"], match["term"]
            rule = stats.setdefault((topic, term), RuleStats(topic, term, int(match["value"]) < 0))
            rule.hits += 1
            for verdict in by_item.get((item_id, topic), []):
                if verdict == "pertinent":
                    rule.pertinent += 1
                else:
                    rule.hors_sujet += 1
    return sorted(stats.values(), key=lambda s: (s.topic, -s.hits, s.rule))
