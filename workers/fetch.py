"""The fetch of a webhook call's recording: an RQ job, out of the webhook's request, retried with backoff.

``fetch_recording(call_id)`` GETs the call's ``recording_url`` through the outbound policy (the address
checked and pinned, every redirect checked: :mod:`store.outbound`), with the upload size cap and
``CALLSCOPE_FETCH_TIMEOUT_S``; stores it under a generated id; checks it is audio; and queues the
analysis. What cannot succeed on a retry ends the call ``failed`` at once: a refused address
(``bad_recording_url``), an HTTP 4xx other than 408 and 429 (``fetch_failed``), a file that is not audio
(``not_audio``) or too large (``too_large``). Anything else (a connection error, a timeout, a 5xx) is
raised, so that RQ tries again after :data:`store.queue.FETCH_RETRY_INTERVALS`; when the tries are spent,
:func:`on_fetch_failure` ends the call ``failed`` with ``fetch_failed`` and the last reason.
"""

from __future__ import annotations

import logging

from redis.exceptions import RedisError

from store.db import Call, CallStatus, database
from store.outbound import RefusedURL, session
from store.queue import connect, enqueue_call
from store.settings import ServiceSettings
from store.sniff import audio_container
from store.storage import TooLarge, open_storage
from workers.jobs import mark_failed, update_call

__all__ = ["FetchFailed", "fetch_recording", "on_fetch_failure"]

log = logging.getLogger("callscope.fetch")
#: HTTP statuses worth another try: the server may answer later.
TRANSIENT = {408, 429}


class FetchFailed(Exception):
    """A fetch that may succeed later (RQ retries it)."""


def fetch_recording(call_id: str) -> str:
    """Fetch, store and check the recording of ``call_id``, then queue its analysis. Returns the call's status."""
    import requests

    settings = ServiceSettings.from_env()
    db = database(settings.database_url)
    with db.session() as s:
        call = s.get(Call, call_id)
        if call is None:
            return "deleted"
        if call.audio_key or call.status != CallStatus.QUEUED:
            return call.status  # fetched already (a retry after a lost acknowledgement), or over
        url = call.recording_url
    try:
        response = session(settings.outbound).get(url, stream=True, timeout=(5, settings.fetch_timeout_s))
    except RefusedURL as exc:
        mark_failed(call_id, "bad_recording_url", f"recording_url refused: {exc}")
        return CallStatus.FAILED
    except requests.RequestException as exc:
        raise FetchFailed(f"could not fetch the recording: {type(exc).__name__}") from None
    with response:
        if response.status_code != 200:
            reason = f"fetching the recording gave HTTP {response.status_code}"
            if response.status_code >= 500 or response.status_code in TRANSIENT:
                raise FetchFailed(reason)
            mark_failed(call_id, "fetch_failed", reason)
            return CallStatus.FAILED
        response.raw.decode_content = True
        storage = open_storage(settings)
        try:
            key, size = storage.save(response.raw, max_bytes=int(settings.max_upload_mb * 1024 * 1024))
        except TooLarge:
            mark_failed(call_id, "too_large", f"the recording is larger than {settings.max_upload_mb:g} MB")
            return CallStatus.FAILED
        except requests.RequestException as exc:
            raise FetchFailed(f"the recording's download broke off: {type(exc).__name__}") from None
    if size == 0 or audio_container(storage.head(key)) is None:
        storage.delete(key)
        mark_failed(call_id, "not_audio", "the recording URL did not give WAV, MP3, FLAC, Ogg/Opus or M4A audio")
        return CallStatus.FAILED
    update_call(call_id, audio_key=key, size_bytes=size, stage=None)
    try:
        enqueue_call(connect(settings.redis_url), call_id, settings)
    except RedisError:  # the recording is stored: the requeue sweep queues the analysis (store.requeue)
        log.warning("call %s fetched but its analysis not queued: Redis is unavailable", call_id)
    return CallStatus.QUEUED


def on_fetch_failure(job, connection, exc_type, exc_value, tb) -> None:
    """RQ calls this after every failed try; with none left the fetch has failed for good."""
    if job.retries_left:
        return
    reason = str(exc_value) if exc_value is not None else "the recording could not be fetched"
    mark_failed(job.args[0], "fetch_failed", f"{reason}. Send the webhook again once the recording is reachable.")
