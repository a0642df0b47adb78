# veille: the collection and digest service of Action Patients.
FROM python:3.11-slim

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
