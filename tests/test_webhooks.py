"""Webhooks in over real HTTP: signatures, replays, the queued fetch, outbound URL checks and field limits."""

from __future__ import annotations

import time

import pytest
import requests
from service_harness import FIXTURE, TWILIO_TOKEN, Service, queued_ids, queued_jobs, run_fetch, signed_post


def test_signed_webhook_answers_at_once_and_a_job_fetches_once(service, recordings, monkeypatch):
    body = {"recording_id": "REC-1", "recording_url": f"{recordings}/{FIXTURE.name}", "agent_channel": "left"}
    first = signed_post(service, body)
    assert first.status_code == 202, first.text
    call = first.json()
    # Answered before anything was fetched: the fetch is a queued job, retried, out of the request.
    assert call["external_id"] == "REC-1" and call["size_bytes"] == 0 and call["stage"] == "fetch"
    assert queued_ids(service) == [f"fetch-{call['id']}"]
    # A second delivery of the same recording returns the same call and queues nothing.
    again = signed_post(service, body)
    assert again.status_code == 200 and again.json()["id"] == call["id"]
    assert len(queued_ids(service)) == 1
    # The fetch stores the recording and queues the analysis.
    assert run_fetch(service, monkeypatch, call["id"]) == "queued"
    fetched = service.get(f"/v1/calls/{call['id']}").json()
    assert fetched["size_bytes"] == FIXTURE.stat().st_size and fetched["stage"] is None
    assert call["id"] in queued_ids(service)
    # Stored as fetched; it is served once the analysis has redacted it (issue 17), not before.
    from store.db import Call, database

    with database(service.settings.database_url).session() as s:
        audio_key = s.get(Call, call["id"]).audio_key
    assert service.app.extensions["callscope"].storage.path(audio_key).read_bytes() == FIXTURE.read_bytes()
    assert service.get(f"/v1/calls/{call['id']}/audio").json()["code"] == "audio_not_redacted"
    # Replayed (old timestamp), forged (wrong secret) and unsigned requests are refused.
    old = signed_post(service, {**body, "recording_id": "REC-2"}, timestamp=int(time.time()) - 3600)
    assert old.status_code == 401 and "replayed" in old.json()["message"]
    forged = signed_post(service, {**body, "recording_id": "REC-3"}, secret="guess")
    assert forged.status_code == 401 and forged.json()["code"] == "bad_signature"
    unsigned = requests.post(f"{service.url}/v1/webhooks/recording", json=body, timeout=10)
    assert unsigned.status_code == 401
    # A recording that is not there: accepted, then the fetch ends the call failed, with the reason.
    missing = signed_post(service, {**body, "recording_id": "REC-4", "recording_url": f"{recordings}/nope.wav"})
    assert missing.status_code == 202
    assert run_fetch(service, monkeypatch, missing.json()["id"]) == "failed"
    failed = service.get(f"/v1/calls/{missing.json()['id']}").json()
    assert failed["status"] == "failed" and failed["error"]["code"] == "fetch_failed"
    assert "HTTP 404" in failed["error"]["message"]
    # Delivered again once it failed: fetched again.
    retried = signed_post(service, {**body, "recording_id": "REC-4", "recording_url": f"{recordings}/nope.wav"})
    assert retried.status_code == 202 and retried.json()["status"] == "queued"
    assert f"fetch-{missing.json()['id']}" in queued_ids(service)


def test_outbound_urls_inside_the_site_are_refused(service, recordings):
    """SSRF: callbacks and recording URLs that name an inside address get 400, and nothing is fetched."""
    from dataclasses import replace

    from test_outbound import INSIDE

    strict = Service(replace(service.settings, allowed_fetch_hosts=()), service.key)
    try:
        for n, url in enumerate(INSIDE):
            upload = strict.upload(callback_url=url)
            assert upload.status_code == 400 and upload.json()["code"] == "bad_callback_url", (url, upload.text)
            hook = signed_post(strict, {"recording_id": f"SSRF-{n}", "recording_url": url})
            assert hook.status_code == 400 and hook.json()["code"] == "bad_recording_url", (url, hook.text)
            hook = signed_post(
                strict, {"recording_id": f"SSRF-cb-{n}", "recording_url": "http://8.8.8.8/a.wav", "callback_url": url}
            )
            assert hook.status_code == 400 and hook.json()["code"] == "bad_callback_url", (url, hook.text)
        # The tests' own recording server is loopback too: refused without the allow list.
        hook = signed_post(strict, {"recording_id": "SSRF-local", "recording_url": f"{recordings}/{FIXTURE.name}"})
        assert hook.status_code == 400 and "127.0.0.1" in hook.json()["message"]
    finally:
        strict.close()
    assert queued_jobs(service) == 0
    assert service.get("/v1/calls").json()["items"] == []


@pytest.mark.parametrize(
    ("field", "where"),
    [
        ("external_id", "form"),
        ("agent_id", "form"),
        ("language", "form"),
        ("callback_url", "form"),
        ("idempotency_key", "header"),
        ("recording_id", "webhook"),
        ("agent_id", "webhook"),
        ("recording_url", "webhook"),
    ],
)
def test_every_text_field_is_checked_against_its_column(service, field, where):
    """A value one character over the limit gets 400 bad_<field> naming the limit; one at it is stored (on
    PostgreSQL too, which enforces the column's length where SQLite does not)."""
    from store.queries import FIELD_LIMITS

    limit = FIELD_LIMITS["external_id" if field == "recording_id" else field]

    def value(n: int) -> str:
        if field.endswith("_url"):
            return "http://8.8.8.8/" + "a" * (n - len("http://8.8.8.8/"))
        return ("x" * n) if field != "language" else "e" * n

    def send(text: str):
        if where == "header":
            return service.upload(headers={"Idempotency-Key": text})
        if where == "form":
            return service.upload(**{field: text})
        body = {"recording_id": "REC-LIMIT", "recording_url": "http://8.8.8.8/x.wav", field: text}
        return signed_post(service, body)

    long = send(value(limit + 1))
    assert long.status_code == 400, long.text
    assert long.json()["code"] == f"bad_{field}" and str(limit) in long.json()["message"]
    control = send(value(limit - 1) + "\x00")
    assert control.status_code == 400 and control.json()["code"] == f"bad_{field}"
    if where != "webhook" and field != "callback_url":  # stored as is, at the limit
        ok = send(value(limit))
        assert ok.status_code == 202, ok.text
        shown = ok.json() if field in ("external_id", "agent_id") else None
        assert shown is None or shown[field] == value(limit)
    assert queued_jobs(service) == (1 if where != "webhook" and field != "callback_url" else 0)


def test_twilio_recording_callback(service, recordings):
    from store.signing import twilio_signature

    url = f"{service.url}/v1/webhooks/recording"
    params = {"RecordingSid": "RE123", "RecordingUrl": f"{recordings}/{FIXTURE.name}", "RecordingStatus": "completed"}
    good = {"X-Twilio-Signature": twilio_signature(TWILIO_TOKEN, url, params)}
    response = requests.post(url, data=params, headers=good, timeout=60)
    assert response.status_code == 202, response.text
    assert response.json()["external_id"] == "RE123"
    bad = {"X-Twilio-Signature": twilio_signature("other", url, params)}
    assert requests.post(url, data=params, headers=bad, timeout=10).status_code == 401
