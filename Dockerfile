# veille: the collection and digest service of Action Patients.
# Python 3.12 rather than 3.11: `watcher run` and its forked workers take less memory there (`bench/rss.py`: 188 MB
# on 3.12, 199–201 on 3.11, 199–200 on 3.13). Most likely its immortal objects (PEP 683): reading an interned
# string writes no reference count, so a worker copies fewer of the pages it shares with the main process.
# `.ci/run` runs the suite on 3.12 too.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    WATCHER_CONFIG=/config/sources.yaml \
    WATCHER_DATABASE_URL=sqlite:////data/veille.db

WORKDIR /app
COPY pyproject.toml README.md ./
COPY watcher ./watcher
COPY store ./store
COPY alerts ./alerts
RUN pip install '.[postgres]'

RUN useradd --create-home --uid 10001 veille \
    && mkdir -p /config /data \
    && chown veille:veille /data
COPY --chown=veille:veille sources.yaml /config/sources.yaml

USER veille
WORKDIR /data
VOLUME ["/config", "/data"]

# Unhealthy when no collection cycle has finished in three intervals while sources wait, or alerts have
# waited more than 30 minutes; `watcher status` writes nothing. The first cycle may take a while.
HEALTHCHECK --interval=5m --timeout=60s --start-period=15m --retries=2 CMD ["watcher", "status"]

# Migrations run at start; SIGTERM stops it cleanly.
CMD ["watcher", "run"]
