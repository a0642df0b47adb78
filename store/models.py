"""Tables of the veille. Alembic migrations in store/migrations mirror them."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import JSON, Column, DateTime, Index, LargeBinary, Text, TypeDecorator, UniqueConstraint
from sqlmodel import AutoString, Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


# What « now » is for whatever lives longer than a call (a collector, a service): `utcnow` in production,
# a fixed instant in tests and replays, so that no result depends on the day it is computed.
Clock = Callable[[], datetime]


def clock_at(now: datetime | None) -> Clock:
    """A clock stopped at `now` (a test, a replay), or the wall clock when there is none."""
    return utcnow if now is None else lambda: now


def clock_from(start: datetime | None, elapsed: Callable[[], float] = time.monotonic) -> Clock:
    """A clock that says `start` when made and runs on from it (the desk of a replayed day), or the wall clock.

    A desk people browse and act on needs time to pass: each action gets its own moment, and a sign-in lockout
    ends. `elapsed` counts seconds; the monotonic counter, which a change of the machine's date does not move.
    """
    if start is None:
        return utcnow
    origin = elapsed()
    return lambda: start + timedelta(seconds=elapsed() - origin)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes on every backend.

    SQLite drops the offset; storing UTC and re-attaching it on the way out keeps
    comparisons between stored and fresh values safe.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused by the store")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _time_column(*, nullable: bool = True, index: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable, index=index)


class Decision(StrEnum):
    ALERT = "alert"
    DIGEST = "digest"
    DROP = "drop"


class FetchOutcome(StrEnum):
    OK = "ok"
    NOT_MODIFIED = "not_modified"
    ERROR = "error"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a dispatcher; may or may not have reached Slack yet
    SENT = "sent"
    SKIPPED = "skipped"  # a follow-up with nothing new left to say
    FAILED = "failed"  # a permanent refusal (unknown channel, revoked token): needs a person


class Source(SQLModel, table=True):
    """A configured source and its collection state (due time, lease, HTTP validators)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True)
    kind: str
    url: str
    interval_seconds: int
    enabled: bool = True
    next_check_at: datetime | None = Field(default=None, sa_column=_time_column(index=True))
    lease_owner: str | None = None
    lease_until: datetime | None = Field(default=None, sa_column=_time_column())
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    last_success_at: datetime | None = Field(default=None, sa_column=_time_column())
    last_error: str | None = None
    last_error_at: datetime | None = Field(default=None, sa_column=_time_column())
    consecutive_errors: int = 0
    # Set when the site says the feed is gone (HTTP 410): the source is not collected
    # again until its URL changes or someone re-enables it (`watcher sources enable`).
    disabled_reason: str | None = None
    disabled_at: datetime | None = Field(default=None, sa_column=_time_column())
    # What the last fetch with content collected but had to leave out (links refused, feed repaired): the source
    # works, yet someone should look. Added by migration 0009.
    last_warning: str | None = None
    last_warning_at: datetime | None = Field(default=None, sa_column=_time_column())


class FetchAttempt(SQLModel, table=True):
    __tablename__ = "fetch_attempt"

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="source.id", index=True)
    started_at: datetime = Field(sa_column=_time_column(nullable=False))
    finished_at: datetime = Field(sa_column=_time_column(nullable=False))
    outcome: str
    http_status: int | None = None
    error: str | None = None
    new_items: int = 0
    updated_items: int = 0
    unchanged_items: int = 0


class CycleRun(SQLModel, table=True):
    """One collection cycle that had work, from its start to its end (NULL while it runs, or if it died)."""

    __tablename__ = "cycle_run"

    id: int | None = Field(default=None, primary_key=True)
    owner: str  # the worker, as in leases
    started_at: datetime = Field(sa_column=_time_column(nullable=False, index=True))
    finished_at: datetime | None = Field(default=None, sa_column=_time_column(index=True))
    sources: int = 0
    new_items: int = 0
    errors: int = 0


class OpsNotice(SQLModel, table=True):
    """A problem of the service told to the ops channel: one row per kind, so that it is told once, not every tick."""

    __tablename__ = "ops_notice"

    kind: str = Field(primary_key=True)  # cycles | alertes
    raised: bool = False
    since: datetime | None = Field(default=None, sa_column=_time_column())
    detail: str | None = None
    notified_at: datetime | None = Field(default=None, sa_column=_time_column())  # the message about `since`
    cleared_at: datetime | None = Field(default=None, sa_column=_time_column())
    claim_owner: str | None = None  # the worker posting the message now
    claimed_until: datetime | None = Field(default=None, sa_column=_time_column())


class Story(SQLModel, table=True):
    """One news event as the press tells it: the items of several outlets grouped."""

    id: int | None = Field(default=None, primary_key=True)
    title: str
    first_seen_at: datetime = Field(sa_column=_time_column(nullable=False, index=True))
    last_seen_at: datetime = Field(sa_column=_time_column(nullable=False))
    item_count: int = 1
    # Set when an item linked this story with another one, which took its items (`store.merges`): the id to follow.
    merged_into_id: int | None = Field(default=None, foreign_key="story.id")


class Item(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("source_id", "guid", name="uq_item_source_guid"),
        UniqueConstraint("url", name="uq_item_url"),
        UniqueConstraint("source_id", "title_date_key", name="uq_item_source_title_date"),
        # A source's items of a period (the desk filtered by source): migration 0018.
        Index("ix_item_source_collected", "source_id", "collected_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="source.id", index=True)
    story_id: int | None = Field(default=None, foreign_key="story.id", index=True)
    guid: str
    url: str
    title: str
    summary: str = ""
    content: str | None = None
    author: str | None = None
    publisher: str | None = None
    # The outlet's site as the aggregator names it (Google News <source url>): added by migration 0011.
    publisher_site: str | None = None
    published_at: datetime = Field(sa_column=_time_column(nullable=False, index=True))
    published_estimated: bool = False
    language: str | None = None
    collected_at: datetime = Field(sa_column=_time_column(nullable=False, index=True))
    updated_at: datetime | None = Field(default=None, sa_column=_time_column())
    title_date_key: str
    content_hash: str
    minhash: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))


class StoryMerge(SQLModel, table=True):
    """Two open stories one item linked, told apart until it came: `absorbed_story_id`'s items moved into `story_id`.

    The absorbed story's row stays, with its deliveries (an alert already sent keeps its thread); it points to the
    story that took its items (`Story.merged_into_id`). Collectors replay these rows in their story index, by id.
    """

    __tablename__ = "story_merge"

    id: int | None = Field(default=None, primary_key=True)
    story_id: int = Field(foreign_key="story.id", index=True)
    absorbed_story_id: int = Field(foreign_key="story.id", unique=True)  # a story is absorbed once: it has no items
    item_id: int = Field(foreign_key="item.id")  # the item that linked them
    moved: int  # how many items moved
    merged_at: datetime = Field(sa_column=_time_column(nullable=False))


class StorySplit(SQLModel, table=True):
    """A join a person contested: the item was moved out of `former_story_id` into `new_story_id`, its own.

    Stories are read back from `item.story_id`, so the item stays apart from its former story after any restart;
    these rows say who split what and when (`watcher rules stats` counts them).
    """

    __tablename__ = "story_split"

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    former_story_id: int = Field(foreign_key="story.id", index=True)
    new_story_id: int = Field(foreign_key="story.id")
    who: str
    split_at: datetime = Field(sa_column=_time_column(nullable=False))


class Sighting(SQLModel, table=True):
    """Another source listing a stored item (the same URL): when it first did. `watcher sources coverage` reads it.

    An item is stored once, under the source that listed it first; without these rows, an outlet's feed that
    delivers hours after Google News the article Google News linked to would leave no trace.
    """

    item_id: int = Field(foreign_key="item.id", primary_key=True)
    source_id: int = Field(foreign_key="source.id", primary_key=True, index=True)
    seen_at: datetime = Field(sa_column=_time_column(nullable=False, index=True))


class Score(SQLModel, table=True):
    """The judgement on an item; re-scoring replaces it."""

    item_id: int = Field(foreign_key="item.id", primary_key=True)
    score: int = Field(index=True)
    decision: str  # no index: three values never narrow a search (migration 0018)
    topics: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    why: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    mentions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    member_mentions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    scored_at: datetime = Field(sa_column=_time_column(nullable=False))
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))  # `why` in words


class SourceDay(SQLModel, table=True):
    """A source's items published on one UTC day (as counted: a date in the future is the collection time), kept by
    triggers on `item` in the transaction that stores them (migration 0019): the source health reads its window of
    days here, whatever the archive holds."""

    __tablename__ = "source_day"

    source_id: int = Field(foreign_key="source.id", primary_key=True)
    day: date = Field(primary_key=True)
    items: int
    first_at: datetime = Field(sa_column=_time_column(nullable=False))
    last_at: datetime = Field(sa_column=_time_column(nullable=False))


class ScoredDay(SQLModel, table=True):
    """How many scored items were collected on one UTC day; kept by triggers on `score` (migration 0019)."""

    __tablename__ = "scored_day"

    day: date = Field(primary_key=True)
    items: int


class ReasonDay(SQLModel, table=True):
    """How often a reason of `score.why` was given to the items collected on one UTC day; kept by triggers on `score`
    (migration 0019), a re-scored item's old reasons taken back. `watcher rules stats` and « Règles » add them up."""

    __tablename__ = "reason_day"

    day: date = Field(primary_key=True)
    reason: str = Field(primary_key=True)
    hits: int


class Delivery(SQLModel, table=True):
    """The outbox: one row per (story, channel, kind), written with the item that caused it."""

    __table_args__ = (UniqueConstraint("story_id", "channel", "kind", name="uq_delivery_story_channel"),)

    id: int | None = Field(default=None, primary_key=True)
    story_id: int = Field(foreign_key="story.id", index=True)
    item_id: int = Field(foreign_key="item.id")
    channel: str
    kind: str = "alert"
    status: str = Field(default=DeliveryStatus.PENDING, index=True)
    attempts: int = 0
    created_at: datetime = Field(sa_column=_time_column(nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=_time_column())
    external_id: str | None = None
    last_error: str | None = None
    # Added by migration 0004 (the dispatcher): retries, claims and threads.
    next_attempt_at: datetime | None = Field(default=None, sa_column=_time_column(index=True))
    claim_owner: str | None = None
    claimed_until: datetime | None = Field(default=None, sa_column=_time_column())
    channel_id: str | None = None  # Slack's id of `channel`, known after the first call
    outlets: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))  # outlets announced


class DigestRun(SQLModel, table=True):
    """One digest sent (or being sent) to one channel: the unique key makes « once a day » hold."""

    __tablename__ = "digest_run"
    __table_args__ = (UniqueConstraint("day", "kind", "channel", name="uq_digest_run_day_kind_channel"),)

    id: int | None = Field(default=None, primary_key=True)
    day: date
    kind: str  # daily | weekly
    channel: str  # "email" or a Slack channel
    status: str = DeliveryStatus.SENDING
    owner: str
    claimed_until: datetime = Field(sa_column=_time_column(nullable=False))
    parts_sent: int = 0  # Slack: messages already posted (the parent, then thread replies)
    external_id: str | None = None  # Slack ts of the parent message, or the e-mail Message-ID
    channel_id: str | None = None
    story_count: int = 0
    created_at: datetime = Field(sa_column=_time_column(nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=_time_column())
    last_error: str | None = None


class DigestStory(SQLModel, table=True):
    """Which stories a daily digest contained: a story seen in an earlier one is « suite »."""

    __tablename__ = "digest_story"

    day: date = Field(primary_key=True)
    story_id: int = Field(foreign_key="story.id", primary_key=True, index=True)


class VerdictValue(StrEnum):
    PERTINENT = "pertinent"
    HORS_SUJET = "hors_sujet"


class Verdict(SQLModel, table=True):
    """A person's judgement of an item for one theme; it measures the rules (`watcher rules stats`)."""

    __table_args__ = (UniqueConstraint("item_id", "topic", "who", name="uq_verdict_item_topic_who"),)

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    topic: str
    verdict: str
    who: str
    created_at: datetime = Field(sa_column=_time_column(nullable=False))


class TribuneStatus(StrEnum):
    A_ETUDIER = "a_etudier"
    EN_REDACTION = "en_redaction"
    PUBLIEE = "publiee"
    ABANDONNEE = "abandonnee"


class Tribune(SQLModel, table=True):
    """An item flagged as worth an op-ed, and the op-ed's progress."""

    # A status's latest flagged first, as « Tribunes » lists the closed ones, which only grow: read down the index
    # and stopped at the page, not sorted whole at each visit (migration 0019). It serves the counts per status too.
    __table_args__ = (Index("ix_tribune_status_flagged", "status", "flagged_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", unique=True)
    note: str | None = None
    status: str = Field(default=TribuneStatus.A_ETUDIER)
    outlet: str | None = None
    deadline: date | None = None
    published_url: str | None = None
    flagged_by: str
    flagged_at: datetime = Field(sa_column=_time_column(nullable=False))
    updated_at: datetime | None = Field(default=None, sa_column=_time_column())
    updated_by: str | None = None  # who made the change of `updated_at`; added by migration 0014


class MentionStatus(StrEnum):
    A_VALIDER = "a_valider"
    VALIDEE = "validee"
    REJETEE = "rejetee"


class DatePrecision(StrEnum):
    DAY = "day"
    MONTH = "month"  # only the month is known (an old entry): `day` is the 1st and is shown as « juin 2023 »


class PressMention(SQLModel, table=True):
    """« On parle de nous »: an article, broadcast or interview that cites the collective."""

    __tablename__ = "press_mention"

    id: int | None = Field(default=None, primary_key=True)
    item_id: int | None = Field(default=None, foreign_key="item.id", unique=True)
    day: date = Field(index=True)
    date_precision: str = Field(
        default=DatePrecision.DAY, sa_column=Column(AutoString(), nullable=False, server_default=DatePrecision.DAY)
    )
    outlet: str
    title: str  # may be empty: an old citation whose title nobody noted
    url: str | None = None
    medium: str = "web"  # presse | radio | tv | web | tribune | communique
    quote: str | None = None  # the sentence that cites the collective
    spokesperson: str | None = None
    status: str = Field(default=MentionStatus.A_VALIDER, index=True)
    origin: str = "auto"  # auto | manuel | tribune | import
    created_at: datetime = Field(sa_column=_time_column(nullable=False))
    tribune_id: int | None = Field(default=None, foreign_key="tribune.id", unique=True)  # origin « tribune »
    decided_by: str | None = None  # who added, validated or rejected it by hand
    decided_at: datetime | None = Field(default=None, sa_column=_time_column())
    note: str | None = None
    # Set by `watcher mentions import` only: the address, or the date, outlet and title folded. Unique, so that
    # importing a file again, even twice at once, adds nothing.
    import_key: str | None = Field(default=None, unique=True)


class RevuePick(SQLModel, table=True):
    """An item the coordinator marked « publier dans la revue »: it joins the public revue de presse."""

    __tablename__ = "revue_pick"

    item_id: int = Field(foreign_key="item.id", primary_key=True)
    picked_by: str
    picked_at: datetime = Field(sa_column=_time_column(nullable=False))


class DeskClick(SQLModel, table=True):
    """One Slack button click, kept once: Socket Mode may deliver the same envelope twice."""

    __tablename__ = "desk_click"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)  # who + action + Slack's action_ts: the same click always has the same key
    item_id: int = Field(foreign_key="item.id", index=True)
    action: str
    who: str
    clicked_at: datetime = Field(sa_column=_time_column(nullable=False))


class ParliamentItem(SQLModel, table=True):
    """The parliamentary fields of an item (question, amendment, report, text, compte rendu, agenda)."""

    __tablename__ = "parliament_item"

    item_id: int = Field(foreign_key="item.id", primary_key=True)
    kind: str | None = Field(default=None, index=True)
    chamber: str | None = None
    author: str | None = None
    group: str | None = None
    bill: str | None = Field(default=None, index=True)
    number: str | None = None
    outcome: str | None = None
    day: date | None = None
    bill_refs: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    tracked: str | None = Field(default=None, index=True)  # the label of the tracked dossier it belongs to


class Role(StrEnum):
    """Desk roles: `lecture` reads; `coordination` acts on items, tribunes and the register; `admin` also on sources."""

    LECTURE = "lecture"
    COORDINATION = "coordination"
    ADMIN = "admin"


class DeskUser(SQLModel, table=True):
    """A person who signs in to the web desk (`watcher users add`)."""

    __tablename__ = "desk_user"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True)
    role: str
    password_hash: str  # argon2id; never a default password
    active: bool = True
    # Bumped by a new password or a disabling: the sessions signed before it no longer open the desk.
    session_version: int = 1
    created_at: datetime = Field(sa_column=_time_column(nullable=False))
    updated_at: datetime | None = Field(default=None, sa_column=_time_column())


class LoginAttempt(SQLModel, table=True):
    """One sign-in attempt: the rate limit per account and per address counts them in the database."""

    __tablename__ = "login_attempt"

    id: int | None = Field(default=None, primary_key=True)
    account: str = Field(index=True)  # as typed, lower-cased: unknown names are limited too
    address: str = Field(index=True)
    succeeded: bool
    at: datetime = Field(sa_column=_time_column(nullable=False, index=True))


class ObservatoryCorrection(SQLModel, table=True):
    """The coordinator's word on an item of the Observatoire des pertes de chances: it wins over the automatic place
    and kinds of loss. A level left null is unknown; `loss_kinds` null means the kinds were not corrected."""

    __tablename__ = "observatory_correction"

    item_id: int = Field(foreign_key="item.id", primary_key=True)
    place_corrected: bool = False
    commune_code: str | None = None  # INSEE code
    departement_code: str | None = None
    region_code: str | None = None
    national: bool = False
    loss_kinds: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    who: str
    corrected_at: datetime = Field(sa_column=_time_column(nullable=False))
