"""One entry of the revue de presse: what its pages and its feed show of a citation or a chosen article."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from watcher.exports import MONTHS


@dataclass(frozen=True)
class RevueEntry:
    key: str  # stable: « mention-12 », « article-40 »; the Atom entry's id and the HTML anchor
    title: str
    outlet: str
    day: date
    month_only: bool  # an old citation known by its month alone
    moment: datetime  # for the feed: the publication time, or the start of the day where the collective is
    url: str | None  # only http(s) addresses; anything else is not a link
    excerpt: str | None
    medium: str  # « presse écrite », « radio »…

    @property
    def month(self) -> str:
        return f"{self.day.year:04d}-{self.day.month:02d}"

    @property
    def date_label(self) -> str:
        if self.month_only:
            return f"{MONTHS[self.day.month - 1]} {self.day.year}"
        return f"{self.day.day if self.day.day > 1 else '1er'} {MONTHS[self.day.month - 1]} {self.day.year}"
