"""Tracked bills (`dossiers:` in sources.yaml): label items with their bill and apply the alert rule.

The rule is deliberately small and explicit, and writes its own `why` line:
- an amendment on a tracked bill that matches one of the dossier's
  `alert_topics` (by default `ame`) is an alert: « texte suivi (PLFSS 2027) :
  amendement AME → alerte »;
- a text or report on a tracked bill is at least in the digest, so the
  Parlement section follows the bill's progress.
It runs after the theme scoring and only ever raises a decision.
"""

from __future__ import annotations

from dataclasses import replace

from watcher.config import Config, DossierConfig
from watcher.parse.parliament import ParliamentFields, ParliamentKind
from watcher.score import Judgement

_RANK = {"drop": 0, "digest": 1, "alert": 2}
_DECISION_WORDS = {"alert": "alerte", "digest": "synthèse"}
_PROGRESS_KINDS = (ParliamentKind.TEXTE, ParliamentKind.RAPPORT)


class TrackedBills:
    def __init__(self, config: Config):
        self.config = config
        self._refs = [(dossier, dossier.refs()) for dossier in config.dossiers]

    def dossier_for(self, fields: ParliamentFields, source_name: str | None) -> DossierConfig | None:
        refs = set(fields.bill_refs)
        for dossier, dossier_refs in self._refs:
            if refs & dossier_refs or (source_name is not None and source_name in dossier.sources):
                return dossier
        return None

    def label(self, fields: ParliamentFields, source_name: str | None) -> ParliamentFields:
        """The fields with the bill named as the collective names it (« PLFSS 2027 »)."""
        dossier = self.dossier_for(fields, source_name)
        return fields.with_bill(dossier.label) if dossier else fields

    def context(self, fields: ParliamentFields, source_name: str | None) -> frozenset[str]:
        """Themes a tracked bill's amendment is about by nature: « AME » in a PLFSS amendment needs no other context."""
        dossier = self.dossier_for(fields, source_name)
        if dossier is None or fields.kind != ParliamentKind.AMENDEMENT:
            return frozenset()
        return frozenset(dossier.alert_topics)

    def apply(self, judgement: Judgement, fields: ParliamentFields, source_name: str | None) -> Judgement:
        dossier = self.dossier_for(fields, source_name)
        if dossier is None:
            return judgement
        if fields.kind == ParliamentKind.AMENDEMENT:
            matched = [topic for topic in dossier.alert_topics if judgement.topic_scores.get(topic, 0) > 0]
            if matched:
                names = ", ".join(topic.upper() if len(topic) <= 4 else topic for topic in matched)
                return _raise(
                    judgement, "alert", f"texte suivi ({dossier.label}) : amendement {names} → alerte", matched
                )
        if fields.kind in _PROGRESS_KINDS:
            kind = "texte" if fields.kind == ParliamentKind.TEXTE else "rapport"
            return _raise(judgement, "digest", f"texte suivi ({dossier.label}) : {kind} → synthèse", [])
        return judgement


def _raise(judgement: Judgement, decision: str, why: str, topics: list[str]) -> Judgement:
    if _RANK[decision] <= _RANK[judgement.decision]:
        return judgement
    merged_topics = list(dict.fromkeys([*judgement.topics, *topics]))
    return replace(judgement, decision=decision, why=[why, *judgement.why], topics=merged_topics)
