"""The RQ worker that runs :func:`workers.jobs.analyse_call`.

**Models and RQ's fork-per-job model.** RQ's default ``Worker`` forks a
fresh *work horse* for every job, so whatever a job loads dies with it, and a
model loaded in the parent cannot be handed down: CTranslate2 (Whisper) and
torch start thread pools when they load, and a forked child that uses them
deadlocks (measured here: a horse forked after loading Whisper alone hung
until its timeout). So callscope's default worker runs jobs in its own
process (RQ's ``SimpleWorker``): each model loads on the first job and is
reused by every later job of that process (the loaders are cached per
process). The isolation that forking gave is kept by supervision instead:
``callscope serve`` restarts a worker that dies, and the call it was
analysing is re-queued (retries left) or failed with the reason
``worker_died`` (:func:`reap_dead_worker`). ``--fork`` restores RQ's
fork-per-job worker, which pays the model loading on every job (about 10 s)
in exchange for a crash costing one job only.

**Standalone workers** (``callscope worker`` on other machines) have no
supervisor. A worker that starts first looks for calls left ``processing``
by workers of its own host that are gone (:func:`reap_predecessors`): a
worker killed by the OOM killer and restarted by systemd or docker hands its
call on at once. A call whose worker vanished with its host is found by RQ's
abandoned-job cleanup, run by any live worker, once the job's lease in the
started registry lapses; its failure callback re-queues it (retries left) or
ends it ``failed``, and ``callscope requeue`` puts a failed call back. Every
worker also runs the requeue sweep (:mod:`store.requeue`) every
``SWEEP_EVERY_S``, so a call that Redis lost or stranded is queued again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket

from rq import Queue, SimpleWorker, Worker
from rq.serializers import JSONSerializer
from sqlalchemy import select

from audio_features.config import Settings, apply_offline_environment
from store.db import Call, CallStatus, database
from store.queue import QUEUE_NAME, connect
from store.settings import ServiceSettings
from workers.jobs import count_retry, mark_failed, update_call

__all__ = ["count_worker_restart", "preload_models", "reap_dead_worker", "reap_predecessors", "run_worker"]

log = logging.getLogger("callscope.worker")


def preload_models(settings: Settings) -> None:
    """Load every model the pipeline uses into this process, so that the first job does not wait."""
    from audio_features.diarization import load_pipeline
    from audio_features.sentence_model import load_empathy_model
    from audio_features.transcription import load_whisper

    load_whisper(settings.models)
    load_pipeline(settings)
    load_empathy_model(settings.models)


def _died(call_id: str, why: str, retry: bool) -> None:
    if retry:
        update_call(call_id, status=CallStatus.QUEUED, stage=None, error_code="worker_died", error=f"{why}; retrying")
        count_retry()
    else:
        mark_failed(call_id, "worker_died", f"{why}. Re-queue it with `callscope requeue`.")


def _horse_killed(job, retpid, ret_val, rusage) -> None:
    signal = os.WTERMSIG(ret_val) if ret_val and os.WIFSIGNALED(ret_val) else None
    why = f"the worker process analysing this call died (signal {signal})" if signal else "the worker process died"
    _died(job.id, why, bool(job.retries_left))


def reap_dead_worker(pid: int, exit_signal: int | None, redis_url: str) -> list[str]:
    """After a worker process died mid-job: re-queue or fail the calls it was analysing. Returns their ids."""
    from store.queue import connect, enqueue_call

    service = ServiceSettings.from_env()
    db = database(service.database_url)
    with db.session() as s:
        rows = s.scalars(select(Call).where(Call.status == CallStatus.PROCESSING, Call.worker == worker_tag(pid))).all()
    why = (
        f"the worker process analysing this call died (signal {exit_signal})"
        if exit_signal
        else "the worker process analysing this call is gone (killed or crashed)"
    )
    for call in rows:
        retry = (call.attempts or 0) <= service.job_retries
        _died(call.id, why, retry)
        if retry:
            from rq.job import Job
            from rq.serializers import JSONSerializer

            redis = connect(redis_url)
            with contextlib.suppress(Exception):
                Job.fetch(call.id, connection=redis, serializer=JSONSerializer).delete()
            enqueue_call(redis, call.id, service, call.duration_s)
    return [c.id for c in rows]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def reap_predecessors(redis_url: str) -> list[str]:
    """Re-queue or fail the calls left ``processing`` by workers of this host that no longer run.

    Called as a worker starts, before its first job, so a call carrying this
    very process's tag is stale too (a container restarted under the same pid).
    Returns the ids of the calls handed on.
    """
    host, me = socket.gethostname(), worker_tag()
    db = database(ServiceSettings.from_env().database_url)
    with db.session() as s:
        tags = s.scalars(
            select(Call.worker).where(Call.status == CallStatus.PROCESSING, Call.worker.like(f"{host}:%")).distinct()
        ).all()
    reaped: list[str] = []
    for tag in tags:
        pid = int(tag.rsplit(":", 1)[1])
        if tag != me and _alive(pid):
            continue
        reaped += reap_dead_worker(pid, None, redis_url)
        count_worker_restart()
    if reaped:
        log.warning("handed on %d call(s) left by a worker of this host that is gone: %s", len(reaped), reaped)
    return reaped


def _start_sweeps(redis_url: str) -> None:
    """Run the requeue sweep (store.requeue) every SWEEP_EVERY_S in a daemon thread of this worker, so
    that deployments without `callscope serve` (compose, systemd) also finish calls stranded by Redis."""
    import threading
    import time

    from store.requeue import SWEEP_EVERY_S, requeue_unfinished

    def loop() -> None:
        while True:
            time.sleep(SWEEP_EVERY_S)
            try:
                if n := requeue_unfinished(ServiceSettings.from_env(), redis_url):
                    log.warning("re-queued %d unfinished call(s) that had no live job", n)
            except Exception as exc:  # Redis down: the next sweep does it
                log.warning("requeue sweep skipped: %s", exc)

    threading.Thread(target=loop, name="callscope-requeue-sweep", daemon=True).start()


def count_worker_restart() -> None:
    """A worker was found dead and replaced (store.metrics)."""
    from store.metrics import count, safely

    safely(count, database(ServiceSettings.from_env().database_url), "callscope_worker_restarts_total")


def worker_tag(pid: int | None = None) -> str:
    """Identifies a worker process: host and pid."""
    return f"{socket.gethostname()}:{pid or os.getpid()}"


def run_worker(redis_url: str, *, burst: bool = False, fork: bool = False, preload: bool = True) -> bool:
    """Work the ``calls`` queue until stopped (or until it is empty, with ``burst``).

    Args:
        fork: RQ's fork-per-job worker (models load in every job) instead of
            the default, which keeps its models across jobs.
        preload: Load the models before the first job (not with ``fork``).
    """
    apply_offline_environment()
    if preload and not fork:
        preload_models(Settings.from_env())
    reap_predecessors(redis_url)
    _start_sweeps(redis_url)
    redis = connect(redis_url)
    queues = [Queue(name, connection=redis, serializer=JSONSerializer) for name in (QUEUE_NAME, "callbacks")]
    cls = Worker if fork else SimpleWorker
    kwargs = {"work_horse_killed_handler": _horse_killed} if fork else {}
    worker = cls(queues, connection=redis, serializer=JSONSerializer, **kwargs)
    return worker.work(burst=burst, with_scheduler=True, logging_level="WARNING")
