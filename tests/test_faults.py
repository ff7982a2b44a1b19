"""Faults an operator meets: Redis dying (embedded or external), workers killed, the service restarted.

Real processes throughout: `callscope serve` with its embedded Redis and gunicorn, the system
`redis-server` on a spare port, real workers with real models. Runnable alone:
``python -m pytest tests/test_faults.py``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import redis
import requests
from helpers import CALLS, ROOT, free_port, http_ok, wait_for
from werkzeug.serving import make_server

from service.app import create_app
from store.db import database
from store.settings import ServiceSettings

SHORT_CALL = CALLS / "callback_call_8k_mulaw.wav"  # 24 s, stereo
UPLOADS = 50


def _redis_server(port: int, data_dir) -> subprocess.Popen:
    data_dir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [
            *("redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes"),
            *("--dir", str(data_dir), "--daemonize", "no"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(lambda: _ping(f"redis://127.0.0.1:{port}/0"), 20, "redis-server to start")
    return proc


def _ping(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


@pytest.mark.skipif(not shutil.which("redis-server"), reason="no redis-server here")
def test_an_external_redis_that_restarts_loses_no_call(tmp_path):
    """REDIS_URL names a server that is killed and started again: uploads in between are accepted, /healthz
    says degraded, and the requeue sweep queues what Redis never saw."""
    from store.requeue import requeue_unfinished

    port, data_dir = free_port(), tmp_path / "data"
    url = f"redis://127.0.0.1:{port}/0"
    server = _redis_server(port, tmp_path / "redis")
    settings = ServiceSettings(
        data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'db.sqlite'}", redis_url=url, job_retries=0
    )
    data_dir.mkdir(parents=True)
    key = database(settings.database_url).create_key("t")
    http = make_server("127.0.0.1", 0, create_app(settings), threaded=True)
    import threading

    threading.Thread(target=http.serve_forever, daemon=True).start()
    base, headers = f"http://127.0.0.1:{http.server_port}", {"Authorization": f"Bearer {key}"}

    def upload():
        with open(SHORT_CALL, "rb") as f:
            return requests.post(f"{base}/v1/calls", headers=headers, files={"audio": f}, timeout=30)

    try:
        before = upload()
        assert before.status_code == 202 and "warning" not in before.json()
        assert requests.get(f"{base}/healthz", timeout=10).json()["status"] == "ok"
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        health = requests.get(f"{base}/healthz", timeout=10)
        assert health.status_code == 503 and health.json()["status"] == "degraded"
        during = [upload() for _ in range(3)]
        assert [r.status_code for r in during] == [202] * 3, [r.text for r in during]
        assert all("queue is unavailable" in r.json()["warning"] for r in during)
        server = _redis_server(port, tmp_path / "redis")
        assert requests.get(f"{base}/healthz", timeout=10).json()["status"] == "ok"
        # The job queued before the kill came back from the append-only file; the three never reached Redis.
        assert requeue_unfinished(settings, url) == 3
        assert requeue_unfinished(settings, url) == 0  # nothing twice
        queued = redis.Redis.from_url(url).lrange("rq:queue:calls", 0, -1)
        assert {q.decode() for q in queued} == {r.json()["id"] for r in [before, *during]}
    finally:
        http.shutdown()
        server.kill()
        server.wait()


@pytest.mark.skipif(not shutil.which("redis-server"), reason="no redis-server here")
def test_a_job_redis_kept_as_started_after_its_worker_died_is_requeued(tmp_path):
    """The stranding the issue met: the database says queued (the supervisor handed the call on), Redis,
    restored from its append-only file, still holds the job as started. The sweep must not take it as live."""
    from rq.job import Job, JobStatus
    from rq.serializers import JSONSerializer
    from sqlalchemy import select

    from store.db import ApiKey, Call, utcnow
    from store.queue import enqueue_call
    from store.requeue import STRANDED_AFTER_S, requeue_unfinished

    port, data_dir = free_port(), tmp_path / "data"
    url = f"redis://127.0.0.1:{port}/0"
    server = _redis_server(port, tmp_path / "redis")
    try:
        settings = ServiceSettings(data_dir=data_dir, database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", redis_url=url)
        db = database(settings.database_url)
        db.create_key("t")
        with db.session() as s:
            key_id = s.scalar(select(ApiKey.id))
        with db.session.begin() as s:
            s.add(Call(id="a" * 32, key_id=key_id, status="queued", audio_key="x"))
            s.add(Call(id="b" * 32, key_id=key_id, status="queued", audio_key="y"))
        conn = redis.Redis.from_url(url)
        for call_id, ago in (("a" * 32, STRANDED_AFTER_S + 30), ("b" * 32, 1)):
            job = enqueue_call(conn, call_id, settings)
            job.set_status(JobStatus.STARTED)
            job.started_at = (utcnow() - timedelta(seconds=ago)).replace(tzinfo=None)
            job.save()
        conn.delete("rq:queue:calls")
        assert requeue_unfinished(settings, url) == 1  # the stale one; the fresh one may be just starting
        assert Job.fetch("a" * 32, connection=conn, serializer=JSONSerializer).get_status() == JobStatus.QUEUED
        assert Job.fetch("b" * 32, connection=conn, serializer=JSONSerializer).get_status() == JobStatus.STARTED
    finally:
        server.kill()
        server.wait()


def _pids(pattern: str, parent: int | None = None) -> list[int]:
    cmd = ["pgrep", "-f", pattern] + (["-P", str(parent)] if parent else [])
    return [int(p) for p in subprocess.run(cmd, capture_output=True, text=True).stdout.split()]


@pytest.mark.models
def test_serve_loses_no_call_through_killed_workers_a_killed_redis_and_a_restart(tmp_path):
    """50 concurrent uploads to `callscope serve`; its worker SIGKILLed twice mid-job; its embedded Redis
    SIGKILLed once, with uploads made straight after; serve stopped with SIGTERM and started again.
    Every accepted call must end done with three verdicts."""
    data_dir, port = tmp_path / "data", free_port()
    env = {**os.environ, "CALLSCOPE_DATA_DIR": str(data_dir), "PYTHONWARNINGS": "ignore"}
    env.pop("REDIS_URL", None)
    env.pop("DATABASE_URL", None)
    cli = [sys.executable, "-m", "cli.main"]
    key = subprocess.run(
        [*cli, "keys", "create", "--name", "t", "--scope", "admin"], env=env, cwd=ROOT, capture_output=True, text=True
    )
    base, headers = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {key.stdout.strip()}"}
    log = open(tmp_path / "serve.log", "w")

    def start():
        proc = subprocess.Popen([*cli, "serve", "--port", str(port)], env=env, cwd=ROOT, stderr=log)
        wait_for(lambda: http_ok(f"{base}/healthz"), 120, "the API")
        return proc

    def upload():
        with open(SHORT_CALL, "rb") as f:
            return requests.post(f"{base}/v1/calls", headers=headers, files={"audio": f}, timeout=60)

    def calls():
        out, offset = [], 0
        while offset is not None:
            page = requests.get(f"{base}/v1/calls?limit=200&offset={offset}", headers=headers, timeout=30).json()
            out += page["items"]
            offset = page["next_offset"]
        return out

    def processing() -> set[str]:
        return {c["id"] for c in calls() if c["status"] == "processing"}

    started = time.monotonic()
    serve = start()
    try:
        with ThreadPoolExecutor(UPLOADS) as pool:
            first = list(pool.map(lambda _: upload(), range(UPLOADS)))
        assert [r.status_code for r in first] == [202] * UPLOADS
        accepted = {r.json()["id"] for r in first}
        assert len(accepted) == UPLOADS

        killed: set[str] = set()
        for _ in range(2):  # the worker, killed twice, each time in the middle of a different call
            busy = wait_for(lambda k=frozenset(killed): processing() - k, 300, "a call in progress")
            time.sleep(2)  # into the analysis, not its first step
            [worker] = _pids("cli.main worker", serve.pid)
            os.kill(worker, signal.SIGKILL)
            killed |= busy
            wait_for(lambda w=worker: _pids("cli.main worker", serve.pid) not in ([], [w]), 60, "a new worker")

        [redis_pid] = _pids("redis-server", serve.pid)
        os.kill(redis_pid, signal.SIGKILL)
        during = [upload() for _ in range(5)]
        assert [r.status_code for r in during] == [202] * 5, [r.text for r in during]
        accepted |= {r.json()["id"] for r in during}
        wait_for(lambda: _pids("redis-server", serve.pid) not in ([], [redis_pid]), 30, "Redis back")
        [redis_pid] = _pids("redis-server", serve.pid)

        wait_for(lambda: sum(c["status"] == "done" for c in calls()) >= 10, 600, "ten calls done")
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=90) == 0
        assert not os.path.exists(f"/proc/{redis_pid}"), "serve left its Redis running"
        serve = start()

        def finished():
            rows = [c for c in calls() if c["id"] in accepted]
            return len(rows) == len(accepted) and all(c["status"] in ("done", "failed") for c in rows) and rows

        rows = wait_for(finished, 1800, "every accepted call to finish")
        metrics = requests.get(f"{base}/metrics", headers=headers, timeout=30).text
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=90)
        log.close()
    failed = [(c["id"], c["error"]) for c in rows if c["status"] != "done"]
    assert not failed, failed
    assert all(
        set(c["verdicts"]) == {"listened_without_interrupting", "stayed_calm", "acknowledged_feelings"} for c in rows
    )
    figures = {
        line.split()[0]: float(line.split()[1])
        for line in metrics.splitlines()
        if line.startswith(("callscope_worker_restarts_total", "callscope_job_retries_total", "callscope_calls_done"))
    }
    assert figures["callscope_worker_restarts_total"] >= 2 and figures["callscope_job_retries_total"] >= 2, figures
    print(
        f"fault test: {figures}; {len(accepted)} accepted ({UPLOADS} + 5 during the Redis outage), "
        f"all done with three verdicts, in {time.monotonic() - started:.0f} s; serve said:\n"
        + "\n".join(x for x in (tmp_path / "serve.log").read_text().splitlines() if x.startswith("callscope:"))
    )
