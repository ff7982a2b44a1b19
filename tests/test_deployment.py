"""The production shape: docker compose's services, volumes and order of start."""

from __future__ import annotations

import os
import subprocess

from helpers import ROOT


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
    # The schema is migrated once, before the API and the workers start (store/migrate.py).
    assert services["migrate"]["command"] == ["callscope", "migrate"]
    for name in ("api", "worker", "purge"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    # Retention is enforced hourly, on the audio volume the API keeps (store/retention.py).
    assert services["purge"]["command"] == ["callscope", "purge", "--every", "3600"]
    assert services["purge"]["volumes"] == ["audio:/data"]
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        done = subprocess.run(
            ["docker", "compose", "config", "-q"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={**os.environ, "CALLSCOPE_WORKER_TOKEN": "t"},
        )
        assert done.returncode == 0, done.stderr
