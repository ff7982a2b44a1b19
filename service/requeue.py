"""Re-enqueue every call the database says is not finished (after a Redis restart or loss).

The database is the source of truth: a call that is ``queued`` or
``processing`` there but has no live job in Redis (queued, scheduled for a
retry, or running) is put back in the queue. Calls with a live job are left
alone, so running it twice is harmless.
"""

from __future__ import annotations

from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer
from sqlalchemy import select

from service.db import Call, database
from service.queue import connect, enqueue_call
from service.settings import ServiceSettings

__all__ = ["requeue_unfinished"]

LIVE = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED}


def requeue_unfinished(settings: ServiceSettings, redis_url: str) -> int:
    """Enqueue unfinished calls without a live job. Returns how many were enqueued."""
    redis = connect(redis_url)
    db = database(settings.database_url)
    with db.session() as s:
        unfinished = s.scalars(select(Call).where(Call.status.in_(("queued", "processing")))).all()
    count = 0
    for call in unfinished:
        try:
            job = Job.fetch(call.id, connection=redis, serializer=JSONSerializer)
            if job.get_status() in LIVE:
                continue
            job.delete()
        except NoSuchJobError:
            pass
        with db.session.begin() as s:
            row = s.get(Call, call.id)
            if row is None:
                continue
            row.status, row.stage, row.progress = "queued", None, 0.0
        enqueue_call(redis, call.id, settings, call.duration_s)
        count += 1
    return count
