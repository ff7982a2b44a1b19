"""Webhooks out: when a call is done or failed, POST a signed summary to its ``callback_url``.

The body is JSON ``{"event": "call.done" | "call.failed", "call": <the call as GET /v1/calls/<id> shows
it>}``, signed like incoming webhooks (:mod:`store.signing`): ``X-Callscope-Timestamp`` and
``X-Callscope-Signature: sha256=<HMAC-SHA256 of "<timestamp>.<body>">`` with
``CALLSCOPE_WEBHOOK_SECRET`` (unsigned when it is unset). Delivery is its own RQ job, retried with
backoff (:data:`store.queue.CALLBACK_RETRY_INTERVALS`); every attempt is recorded on the call (``callback.status``,
``attempts``, ``error``), so a failed delivery is visible, never silent. Any 2xx counts as delivered;
a redirect is not followed (a 3xx is a failed attempt), and the receiver's address is checked and
pinned as :mod:`store.outbound` says.
"""

from __future__ import annotations

import json
import time

from store.db import Call, CallStatus, database
from store.outbound import RefusedURL, session
from store.settings import ServiceSettings
from store.signing import sign

__all__ = ["deliver_callback", "on_callback_failure"]

#: Seconds to wait for the receiver.
TIMEOUT_S = 10


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
    event = "call.done" if summary["status"] == CallStatus.DONE else "call.failed"
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
