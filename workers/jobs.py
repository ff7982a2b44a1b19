"""RQ jobs: analyse one stored call and keep its record up to date.

``analyse_call(call_id)`` is idempotent: a call that is already ``done`` is
left alone, and a retried call starts again from its stored audio. Progress
(stage and percentage) goes both to ``job.meta`` and to the database, at
most once a second. Bad input (undecodable, empty, truncated, too long) ends
the call ``failed`` with the reason's code and message and is not retried;
anything else is raised, so that RQ retries it, and when the retries are
spent :func:`on_job_failure` records the failure.

Models load once per worker process: :mod:`workers.worker` preloads them in
the parent before it forks a work horse per job, so each horse inherits the
loaded models copy-on-write instead of loading them again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import time
import traceback

from redis.exceptions import RedisError
from rq import get_current_job

from audio_features.config import Settings, apply_offline_environment
from audio_features.errors import CallscopeError
from store.db import VERDICT_COLUMNS, Call, CallStatus, database, utcnow
from store.metrics import count, observe_stages, safely
from store.settings import ServiceSettings
from store.storage import ApiAudio, audio_source

log = logging.getLogger("callscope.jobs")

__all__ = ["analyse_call", "count_retry", "mark_failed", "notify", "on_job_failure", "update_call"]

#: Progress is written at most this often, s.
PROGRESS_EVERY_S = 1.0


def update_call(call_id: str, **fields) -> None:
    """Set columns of the call's row (a call deleted meanwhile is left alone)."""
    db = database(ServiceSettings.from_env().database_url)
    with db.session.begin() as s:
        call = s.get(Call, call_id)
        if call is not None:
            for k, v in fields.items():
                setattr(call, k, v)


def mark_failed(call_id: str, code: str, message: str) -> None:
    """End a call ``failed`` with a reason (used by the job, its failure hook and the worker)."""
    update_call(call_id, status=CallStatus.FAILED, error_code=code, error=message[:2000], finished_at=utcnow())
    safely(count, _db(), "callscope_calls_failed_total", f"code={code}")
    notify(call_id)


def count_retry() -> None:
    """An analysis goes back in the queue (store.metrics)."""
    safely(count, _db(), "callscope_job_retries_total")


def _db():
    return database(ServiceSettings.from_env().database_url)


def notify(call_id: str) -> None:
    """Queue the delivery of the call's callback, if it has one (:mod:`workers.callbacks`)."""
    service = ServiceSettings.from_env()
    with database(service.database_url).session() as s:
        call = s.get(Call, call_id)
        if call is None or not call.callback_url:
            return
    url = os.environ.get("REDIS_URL") or service.redis_url
    if url:
        from store.queue import connect, enqueue_callback

        try:
            enqueue_callback(connect(url), call_id, service)
        except RedisError:  # the call is recorded; the requeue sweep queues its callback (store.requeue)
            log.warning("could not queue the callback of call %s: Redis is unavailable", call_id)


def analyse_call(call_id: str) -> str:
    """Analyse the stored audio of ``call_id`` and store its report. Returns the final status."""
    apply_offline_environment()
    from analysis.pipeline import analyze_file
    from analysis.redact import redact_report
    from analysis.report import build_report

    service = ServiceSettings.from_env()
    db = database(service.database_url)
    with db.session.begin() as s:
        call = s.get(Call, call_id)
        if call is None:
            return "deleted"
        if call.status == CallStatus.DONE:
            return CallStatus.DONE
        call.status, call.stage, call.progress = CallStatus.PROCESSING, "decode", 0.0
        call.started_at, call.attempts = utcnow(), (call.attempts or 0) + 1
        call.worker = f"{socket.gethostname()}:{os.getpid()}"
        call.error_code = call.error = None
        audio_key, agent_channel, language, filename = call.audio_key, call.agent_channel, call.language, call.filename

    job = get_current_job()
    last = [0.0, ""]

    def progress(stage: str, fraction: float) -> None:
        now = time.monotonic()
        if stage == last[1] and now - last[0] < PROGRESS_EVERY_S:
            return
        last[0], last[1] = now, stage
        if job is not None:
            job.meta.update({"stage": stage, "progress": round(fraction, 3)})
            with contextlib.suppress(RedisError):  # Redis down: the database has the progress; go on
                job.save_meta()
        update_call(call_id, stage=stage, progress=fraction)

    settings = Settings.from_env(agent_channel=agent_channel or None, language=language or None)
    source = audio_source(service)
    try:
        with source.local(call_id, audio_key) as path:
            analysis = analyze_file(path, settings, name=filename, progress=progress)
            # Redaction before anything is stored: the report's texts, then the recording (analysis.redact).
            report = redact_report(build_report(analysis), settings.redaction)
            if report.redactions:
                progress("redact", 1.0)
                _redact_audio(db, source, call_id, path, report, settings.redaction)
    except CallscopeError as exc:  # the input's fault: retrying will not help
        mark_failed(call_id, exc.code, exc.message)
        return CallStatus.FAILED
    done = {
        "status": CallStatus.DONE,
        "stage": None,
        "progress": 1.0,
        "report": report.to_json(),
        "duration_s": report.call.duration_s,
        "finished_at": utcnow(),
        **{column: _result(report, name) for name, column in VERDICT_COLUMNS.items()},
    }

    def finish(session) -> None:
        call = session.get(Call, call_id)
        if call is not None:  # deleted meanwhile: nothing to finish
            for name, value in done.items():
                setattr(call, name, value)

    try:  # the call ends done in the same transaction as its counts (store.metrics)
        observe_stages(db, report.timings.model_dump(), finish)
    except Exception:
        log.exception("the counts of call %s were not recorded", call_id)
        update_call(call_id, **done)
    notify(call_id)
    return CallStatus.DONE


def _redact_audio(db, source, call_id: str, path, report, settings) -> None:
    """The stored recording with the report's redacted spans silenced (or toned), in place of the original."""
    import tempfile
    from pathlib import Path

    from audio_features.redact_audio import redact_recording
    from store.redacted import swap_audio

    spans = [(r.start, r.end) for r in report.redactions]
    fd, tmp = tempfile.mkstemp(prefix="callscope-redacted-", suffix=".flac", dir=Path(path).parent)
    os.close(fd)
    try:
        redact_recording(Path(path), Path(tmp), spans, mode=settings.redact_audio, pad_s=settings.redact_audio_pad_s)
        if isinstance(source, ApiAudio):
            source.put_redacted(call_id, Path(tmp), settings.redact_keep_original)
        else:
            with open(tmp, "rb") as f:
                swap_audio(db, source, call_id, f, settings.redact_keep_original, max_bytes=2**40)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _result(report, name: str):
    """A verdict's result, for its column (None when the verdict was not made: stayed_calm from a transcript)."""
    verdict = getattr(report.verdicts, name)
    return None if verdict is None else verdict.result


def on_job_failure(job, connection, exc_type, exc_value, tb) -> None:
    """RQ failure callback, run after every failed attempt (and for a job whose worker vanished)."""
    reason = "".join(traceback.format_exception_only(exc_type, exc_value)).strip() if exc_type else "job failed"
    if job.retries_left:
        update_call(
            job.id, status=CallStatus.QUEUED, stage=None, error_code="analysis_failed", error=f"{reason}; retrying"
        )
        count_retry()
    else:
        mark_failed(job.id, "analysis_failed", f"the analysis failed: {reason}. The call can be re-queued.")
