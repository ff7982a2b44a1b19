"""The service's shared parts, bound to an app with ``init_app`` (Flask's extension pattern).

* :data:`callscope` (:class:`Callscope`): the settings, the database, the audio storage and the queue's
  Redis of one app; views reach them through :func:`current`.
* :data:`limiter`: Flask-Limiter, counting each API key's requests per clock minute
  (``CALLSCOPE_RATE_LIMIT_PER_MIN``) in Redis, so every API process shares the count. Without Redis
  the limit is not enforced, rather than every request refused (its errors are swallowed).
"""

from __future__ import annotations

from flask import Flask, current_app, g
from flask_limiter import Limiter

from audio_features.environment import read_environment
from audio_features.thresholds import RedactionSettings
from service.errors import ApiError
from store.db import Database, database
from store.queue import connect
from store.settings import ServiceSettings
from store.storage import FileStorage, S3Storage, open_storage

__all__ = ["Callscope", "callscope", "current", "limiter", "page"]


class Callscope:
    """Settings, database, storage and queue of one app."""

    settings: ServiceSettings
    redact: bool
    db: Database
    storage: FileStorage | S3Storage

    def init_app(self, app: Flask, settings: ServiceSettings) -> None:
        state = Callscope()
        state.settings, state.db, state.storage = settings, database(settings.database_url), open_storage(settings)
        # Whether workers redact recordings (CALLSCOPE_REDACT): then a recording is served only once redacted.
        state.redact = read_environment(RedactionSettings).redact
        app.extensions["callscope"] = state

    def redis(self):
        """The queue's Redis for this request; 503 ``queue_unavailable`` when none is configured."""
        if "redis" not in g:
            if not self.settings.redis_url:
                raise ApiError(
                    503, "queue_unavailable", "no queue is configured: set REDIS_URL or use `callscope serve`"
                )
            g.redis = connect(self.settings.redis_url)
        return g.redis


def current() -> Callscope:
    """The app's :class:`Callscope` (inside a request or an app context)."""
    return current_app.extensions["callscope"]


def page(query, limit: int, offset: int, most: int) -> tuple[list, int | None]:
    """One page of ``query``'s rows (``limit`` clamped to 1..``most``) and the offset of the next page, if any."""
    limit, offset = min(most, max(1, limit)), max(0, offset)
    with current().db.session() as s:
        rows = s.scalars(query.limit(limit + 1).offset(offset)).all()
    return rows[:limit], (offset + limit if len(rows) > limit else None)


def _key_tag() -> str:
    """The rate limit's bucket: the authenticated key (set by :func:`service.auth.api_key_required`)."""
    return g.get("key_tag", "anonymous")


def _limit() -> str:
    return f"{current().settings.rate_limit_per_min}/minute"


def limits_storage_uri(redis_url: str) -> str:
    """The ``limits`` storage URI of a Redis URL (its name for a unix socket is ``redis+unix://``)."""
    if not redis_url:
        return "memory://"
    return "redis+unix://" + redis_url.removeprefix("unix://") if redis_url.startswith("unix://") else redis_url


callscope = Callscope()
limiter = Limiter(key_func=_key_tag, strategy="fixed-window", headers_enabled=True, swallow_errors=True)
#: The per-key limit, applied by the auth decorator after the key is known (0 or less: no limit).
per_key_limit = limiter.limit(_limit, exempt_when=lambda: current().settings.rate_limit_per_min <= 0)
