"""Webhooks out: a finished call's callback, signed, retried until delivered, and recorded when it never is."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from helpers import ROOT, wait_for
from service_harness import WEBHOOK_SECRET

from store.db import database
from store.queue import QUEUE_NAME


@pytest.mark.models
def test_callback_is_signed_and_retried_until_delivered(service, receiver):
    from store.signing import verify

    url, received = receiver
    call = service.upload(callback_url=url).json()
    assert call["callback"] == {"url": url, "status": "pending", "attempts": 0, "error": None}
    env = {**service.env, "CALLSCOPE_CALLBACK_RETRY_INTERVALS": "1,1,1", "CALLSCOPE_WEBHOOK_SECRET": WEBHOOK_SECRET}
    worker = subprocess.Popen([sys.executable, "-m", "cli.main", "worker"], env=env, cwd=ROOT)
    try:
        status = wait_for(
            lambda: (s := service.get(f"/v1/calls/{call['id']}").json())["callback"]["status"] == "delivered" and s,
            300,
            "the callback to be delivered",
        )
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    assert status["status"] == "done" and status["callback"]["attempts"] == 2
    assert len(received) == 2
    headers, body = received[-1]
    assert not verify(WEBHOOK_SECRET, headers["X-Callscope-Timestamp"], headers["X-Callscope-Signature"], body)
    sent = json.loads(body)
    assert sent["event"] == "call.done" and sent["call"]["id"] == call["id"]
    assert sent["call"]["verdicts"]["listened_without_interrupting"] == "passed"


def test_a_callback_that_never_succeeds_is_recorded_as_failed(service):
    from store.db import Call
    from store.queue import enqueue_callback

    call = service.upload(callback_url="http://127.0.0.1:9/nothing-listens-here").json()
    service.redis.delete(f"rq:queue:{QUEUE_NAME}")  # this test is about the callback only
    db = database(service.settings.database_url)
    with db.session.begin() as s:
        s.get(Call, call["id"]).status = "failed"
    from dataclasses import replace

    enqueue_callback(service.redis, call["id"], replace(service.settings, callback_retry_intervals=(1, 1)))
    worker = subprocess.Popen([sys.executable, "-m", "cli.main", "worker", "--no-preload"], env=service.env, cwd=ROOT)
    try:
        status = wait_for(
            lambda: (s := service.get(f"/v1/calls/{call['id']}").json())["callback"]["status"] == "failed" and s,
            120,
            "the delivery to give up",
        )
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    assert status["callback"]["attempts"] == 3 and status["callback"]["error"] == "ConnectionError"
