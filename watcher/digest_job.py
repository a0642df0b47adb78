"""Glue between the configuration and alerts.digest: which window, which labels, where to write."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Engine

from alerts.digest import Digest, build_digest, digest_window, write_digest
from store.db import session_scope
from watcher.config import Config


def produce_digest(
    engine: Engine,
    config: Config,
    *,
    day: date | None = None,
    window: tuple[datetime, datetime] | None = None,
    out_dir: Path | None = None,
) -> tuple[Digest, list[Path]]:
    """Build the digest of `day` (its default window) or of an explicit window, and write its files."""
    settings = config.digest
    if window is None:
        if day is None:
            raise ValueError("a day or a window is required")
        window = digest_window(day, settings.time, settings.zone)
    labels = {key: topic.label for key, topic in config.topics.items()}
    with session_scope(engine) as session:
        digest = build_digest(session, window[0], window[1], labels, settings.zone)
    return digest, write_digest(digest, out_dir or settings.output_dir)
