"""Property-based checks of the API against its own /openapi.json (schemathesis), over real HTTP.

Every operation gets generated requests (valid and not); every response must
be documented (status code, content type, body schema) and none may be a
server error. Uses an embedded Redis, and SQLite and the system PostgreSQL (which enforces the column
lengths SQLite ignores); no worker runs.
"""

from __future__ import annotations

import contextlib
import threading

import pytest
import schemathesis
from helpers import postgres_schema, reachable_postgres
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance
from werkzeug.serving import make_server

from service.app import create_app
from service.openapi import SPEC
from store.db import database
from store.queue import embedded_redis
from store.settings import ServiceSettings

schema = schemathesis.openapi.from_dict(SPEC)


@pytest.fixture(
    scope="module",
    params=[
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.skipif(not reachable_postgres(), reason="no PostgreSQL here")),
    ],
)
def live(request, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("openapi") / "data"
    with contextlib.ExitStack() as stack:
        if request.param == "postgres":
            database_url = stack.enter_context(postgres_schema("fuzz"))
        else:
            database_url = f"sqlite:///{data_dir / 'db.sqlite'}"
        yield from _serve(data_dir, database_url)


def _serve(data_dir, database_url):
    with embedded_redis(data_dir / "redis") as url:
        svc = ServiceSettings(
            data_dir=data_dir,
            database_url=database_url,
            redis_url=url,
            max_upload_mb=1,
            rate_limit_per_min=100000,
            webhook_secret="fuzz",
        )
        key = database(svc.database_url).create_key("fuzz")
        server = make_server("127.0.0.1", 0, create_app(svc), threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        yield f"http://127.0.0.1:{server.server_port}", key
        server.shutdown()


@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case, live):
    base_url, key = live
    # Schema-valid random bytes are still not audio (415 is documented): that check cannot apply to uploads.
    case.call_and_validate(
        base_url=base_url,
        headers={"Authorization": f"Bearer {key}"},
        excluded_checks=[positive_data_acceptance],
    )
