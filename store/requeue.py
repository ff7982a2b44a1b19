"""Re-enqueue every call the database says is not finished and that no job will finish (the requeue sweep).

The database is the source of truth; Redis may lose jobs (an embedded server killed between its
once-a-second appends, an external one restarted without persistence) or keep jobs that nobody runs
(restored from its append-only file as ``started`` after its worker died with it). So a call that is
``queued`` or ``processing`` in the database is put back in the queue unless it has a **live** job:

* ``queued``, ``scheduled`` (a retry waiting) or ``deferred``: live.
* ``started``: live, unless it is *stranded*: the database says ``queued`` although the job has been
  started for more than :data:`STRANDED_AFTER_S` (a running job marks its call ``processing`` as its
  first step), or the database names a worker of this host whose process is gone.
* anything else (finished, failed, stopped, missing): not live.

A webhook's call whose recording is not yet stored gets its fetch queued instead of its analysis
(:mod:`workers.fetch`). A finished call whose callback was never handed to the queue (Redis was down
when the call ended) gets its delivery queued too. Running the sweep twice at once is harmless but
wasteful, so each run takes a short Redis lock. ``callscope serve`` runs it at start and every
:data:`SWEEP_EVERY_S`; standalone workers run it too (:func:`workers.worker.run_worker`);
``callscope requeue`` runs it once.
"""

from __future__ import annotations

import os
import socket
from datetime import timedelta

from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer
from sqlalchemy import or_, select

from store.db import FINISHED, UNFINISHED, Call, CallStatus, database, utcnow
from store.queue import connect, enqueue_call, enqueue_fetch, fetch_job_id
from store.settings import ServiceSettings

__all__ = ["STRANDED_AFTER_S", "SWEEP_EVERY_S", "requeue_unfinished"]

LIVE = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED}
#: A job ``started`` this long ago whose call the database still calls ``queued`` has no runner, s.
#: A job marks its call ``processing`` within a second of starting (workers.jobs.analyse_call).
STRANDED_AFTER_S = 60.0
#: How often `callscope serve` and each worker run the sweep, s.
SWEEP_EVERY_S = 15.0
#: Callbacks still pending this long after their call ended were never queued, s.
CALLBACK_GRACE_S = 60.0


def _pid_gone(tag: str | None) -> bool:
    """True when ``tag`` (``host:pid``) names a process of this host that no longer runs."""
    if not tag or ":" not in tag:
        return False
    host, pid = tag.rsplit(":", 1)
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _live(job: Job, call: Call) -> bool:
    status = job.get_status()
    if status not in LIVE:
        return False
    if status != JobStatus.STARTED:
        return True
    if call.status == CallStatus.PROCESSING:
        return not _pid_gone(call.worker)
    started = job.started_at
    if started is None:
        return False
    return (utcnow().replace(tzinfo=None) - started.replace(tzinfo=None)) < timedelta(seconds=STRANDED_AFTER_S)


def requeue_unfinished(settings: ServiceSettings, redis_url: str) -> int:
    """Enqueue unfinished calls without a live job. Returns how many were enqueued.

    Raises redis's errors when Redis is unreachable (the caller retries at its next sweep).
    """
    redis = connect(redis_url)
    lock = redis.lock("callscope:requeue-sweep", timeout=120, blocking=False)
    if not lock.acquire():
        return 0
    try:
        count = _sweep_calls(settings, redis)
        _sweep_callbacks(settings, redis)
        return count
    finally:
        lock.release()


def _sweep_calls(settings: ServiceSettings, redis) -> int:
    db = database(settings.database_url)
    with db.session() as s:
        unfinished = s.scalars(select(Call).where(Call.status.in_(UNFINISHED))).all()
    count = 0
    for call in unfinished:
        # A webhook's call whose recording is not stored yet waits for its fetch, not its analysis.
        fetching = call.audio_key is None and call.recording_url is not None
        try:
            job = Job.fetch(fetch_job_id(call.id) if fetching else call.id, connection=redis, serializer=JSONSerializer)
            if _live(job, call):
                continue
            job.delete()
        except NoSuchJobError:
            pass
        with db.session.begin() as s:
            row = s.get(Call, call.id)
            if row is None or row.status not in UNFINISHED:
                continue
            row.status, row.stage, row.progress = CallStatus.QUEUED, "fetch" if fetching else None, 0.0
        if fetching:
            enqueue_fetch(redis, call.id, settings)
        else:
            enqueue_call(redis, call.id, settings, call.duration_s)
        count += 1
    return count


def _sweep_callbacks(settings: ServiceSettings, redis) -> None:
    from store.queue import callback_job_id, enqueue_callback

    db = database(settings.database_url)
    cutoff = utcnow() - timedelta(seconds=CALLBACK_GRACE_S)
    with db.session() as s:
        ids = s.scalars(
            select(Call.id).where(
                Call.status.in_(FINISHED),
                Call.callback_url.is_not(None),
                or_(Call.callback_status.is_(None), Call.callback_status.in_(("pending", "failing"))),
                Call.finished_at < cutoff,
            )
        ).all()
    for call_id in ids:
        try:
            if Job.fetch(callback_job_id(call_id), connection=redis, serializer=JSONSerializer).get_status() in LIVE:
                continue
        except NoSuchJobError:
            pass
        enqueue_callback(redis, call_id, settings)
