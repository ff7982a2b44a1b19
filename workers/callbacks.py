"""Webhooks out: when a call is done or failed, POST a signed summary to its ``callback_url``.

The body is JSON ``{"event": "call.done" | "call.failed", "call": <the call as GET /v1/calls/<id> shows
it>}``, signed like incoming webhooks (:mod:`service.webhooks`): ``X-Callscope-Timestamp`` and
``X-Callscope-Signature: sha256=<HMAC-SHA256 of "<timestamp>.<body>">`` with
``CALLSCOPE_WEBHOOK_SECRET`` (unsigned when it is unset). Delivery is its own RQ job, retried with
backoff (``RETRY_INTERVALS``); every attempt is recorded on the call (``callback.status``,
``attempts``, ``error``), so a failed delivery is visible, never silent. Any 2xx counts as delivered;
a redirect is not followed (a 3xx is a failed attempt), and the receiver's address is checked and
pinned as :mod:`service.outbound` says.
"""

from __future__ import annotations

import json
import time

from rq import Callback, Queue, Retry
from rq.serializers import JSONSerializer

from service.db import Call, database
from service.outbound import RefusedURL, session
from service.settings import ServiceSettings
from service.webhooks import sign

__all__ = ["RETRY_INTERVALS", "callback_job_id", "deliver_callback", "enqueue_callback"]

#: Waits between delivery attempts, s: 6 attempts over about 35 minutes.
RETRY_INTERVALS = [10, 30, 120, 600, 1200]
#: Seconds to wait for the receiver.
TIMEOUT_S = 10


def callback_job_id(call_id: str) -> str:
    """The delivery job of a call's callback (one per call, so the requeue sweep can find it)."""
    return f"callback-{call_id}"


def enqueue_callback(redis, call_id: str, settings: ServiceSettings) -> None:
    queue = Queue("callbacks", connection=redis, serializer=JSONSerializer)
    intervals = settings.callback_retry_intervals or RETRY_INTERVALS
    queue.enqueue(
        "workers.callbacks.deliver_callback",
        call_id,
        job_id=callback_job_id(call_id),
        retry=Retry(max=len(intervals), interval=intervals),
        job_timeout=60,
        on_failure=Callback("workers.callbacks.on_callback_failure"),
        failure_ttl=7 * 86400,
    )


def deliver_callback(call_id: str) -> str:
    """POST the call's summary to its callback URL; raise on failure so that RQ retries."""
    import requests

    settings = ServiceSettings.from_env()
    db = database(settings.database_url)
    with db.session() as s:
        call = s.get(Call, call_id)
        if call is None or not call.callback_url:
            return "nothing to send"
        summary = call.summary()
        url = call.callback_url
    event = "call.done" if summary["status"] == "done" else "call.failed"
    body = json.dumps({"event": event, "call": summary}).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "callscope"}
    if settings.webhook_secret:
        ts = str(int(time.time()))
        headers |= {"X-Callscope-Timestamp": ts, "X-Callscope-Signature": sign(settings.webhook_secret, ts, body)}
    error = None
    try:
        # Not followed: a receiver answers a delivery, it does not send it elsewhere.
        response = session(settings.outbound).post(
            url, data=body, headers=headers, timeout=TIMEOUT_S, allow_redirects=False
        )
        if not 200 <= response.status_code < 300:
            error = f"HTTP {response.status_code}"
    except RefusedURL as exc:
        error = f"refused: {exc}"
    except requests.RequestException as exc:
        error = type(exc).__name__
    with db.session.begin() as s:
        row = s.get(Call, call_id)
        if row is not None:
            row.callback_attempts = (row.callback_attempts or 0) + 1
            row.callback_status = "delivered" if error is None else "failing"
            row.callback_error = error
    if error is not None:
        raise RuntimeError(f"callback to {url} failed: {error}")
    return "delivered"


def on_callback_failure(job, connection, exc_type, exc_value, tb) -> None:
    """RQ calls this after every failed attempt; with no retries left the delivery has failed for good."""
    if job.retries_left:
        return
    db = database(ServiceSettings.from_env().database_url)
    with db.session.begin() as s:
        row = s.get(Call, job.args[0])
        if row is not None:
            row.callback_status = "failed"
