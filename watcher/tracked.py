"""Tracked bills (`dossiers:` in sources.yaml): label items with their bill and apply the alert rule.

The rule is deliberately small and explicit, and writes its own `why` line:
- an amendment or a report on a tracked bill whose own text (exposé sommaire
  and dispositif) reaches the digest in one of the dossier's `alert_topics`
  (by default the AME and the hospital and access to care) is an alert:
  « amendement sur le texte suivi « PLFSS 2027 » (Aide médicale d'État (AME))
  → alerte ». A tax amendment to the same bill (TVS, IFI) is not: nothing in
  its text is ours;
- every other text, report or amendment on a tracked bill is at least in the
  digest, labelled with its bill, so that the Parlement section follows it.
It runs after the theme scoring and only ever raises a decision.
"""

from __future__ import annotations

from dataclasses import replace

from watcher.config import Config, DossierConfig, SourceConfig
from watcher.normalize import Item
from watcher.parse.parliament import ParliamentFields, ParliamentKind
from watcher.score import DECISION_LABELS, Judgement, Scorer

_RANK = {"drop": 0, "digest": 1, "alert": 2}
_KIND_WORDS = {
    ParliamentKind.AMENDEMENT: "amendement sur le texte suivi",
    ParliamentKind.RAPPORT: "rapport sur le texte suivi",
    ParliamentKind.TEXTE: "étape du texte suivi",
}


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

    def judge(
        self,
        scorer: Scorer,
        item: Item,
        source: SourceConfig | None,
        fields: ParliamentFields | None,
        source_name: str | None,
    ) -> Judgement:
        """The item judged by the themes and, when it is parliamentary (`fields`), in the light of the tracked bills:
        their context first, then their rule. Collection, preview and the what-if preview all judge so."""
        if fields is None:
            return scorer.judge(item, source)
        return self.apply(scorer.judge(item, source, self.context(fields, source_name)), fields, source_name)

    def apply(self, judgement: Judgement, fields: ParliamentFields, source_name: str | None) -> Judgement:
        dossier = self.dossier_for(fields, source_name)
        kind = _KIND_WORDS.get(fields.kind) if fields.kind else None
        if dossier is None or kind is None:
            return judgement
        if fields.kind in (ParliamentKind.AMENDEMENT, ParliamentKind.RAPPORT):
            floor = self.config.alerts.digest_threshold
            matched = [topic for topic in dossier.alert_topics if judgement.topic_scores.get(topic, 0) >= floor]
            if matched:
                labels = " et ".join(self.config.topics[topic].label for topic in matched)
                reason = f"{kind} « {dossier.label} » ({labels})"
                return _raise(judgement, "alert", reason, matched)
        return _raise(judgement, "digest", f"{kind} « {dossier.label} »", [])


def _raise(judgement: Judgement, decision: str, reason: str, topics: list[str]) -> Judgement:
    if _RANK[decision] <= _RANK[judgement.decision]:
        return judgement
    merged_topics = list(dict.fromkeys([*judgement.topics, *topics]))
    return replace(
        judgement,
        decision=decision,
        why=[f"{reason} → {DECISION_LABELS[decision]}", *judgement.why],
        topics=merged_topics,
        alert_reason=reason if decision == "alert" else judgement.alert_reason,
        summary=" · ".join(part for part in (reason, judgement.summary) if part),
    )
