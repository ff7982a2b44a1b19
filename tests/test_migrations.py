"""Database migrations (store/migrate.py): a first-release database upgrades to the newest revision and keeps
its calls, on SQLite and on PostgreSQL, and the models never drift from the migrations."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy
from helpers import ROOT, postgres_schema, reachable_postgres

from audio_features.errors import ConfigError
from store.migrate import FIRST_REVISION, current_revision, head_revision, upgrade

DATA = Path(__file__).resolve().parent / "data"
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=pytest.mark.skipif(not reachable_postgres(), reason="no PostgreSQL at 127.0.0.1:5432"),
    ),
]


@contextlib.contextmanager
def _url(kind: str, tmp_path):
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'callscope.db'}"
    else:
        with postgres_schema("mig") as url:
            yield url


def _first_release_database(url: str, kind: str) -> None:
    """The tables the first release made (its create_all DDL, tests/data), with one finished call in them."""
    engine = sqlalchemy.create_engine(url)
    ddl = (DATA / f"schema-0.1-{kind}.sql").read_text()
    with engine.begin() as conn:
        for statement in ddl.split(";"):
            lines = [line for line in statement.splitlines() if not line.startswith("--")]
            if "".join(lines).strip():
                conn.exec_driver_sql("\n".join(lines))
        conn.execute(
            sqlalchemy.text(
                "INSERT INTO api_keys (id, name, key_hash, prefix, created_at, revoked) "
                "VALUES (1, 'qa', :hash, 'cs_x', :now, false)"
            ),
            {"hash": "a" * 64, "now": "2026-11-30 10:00:00+00:00"},
        )
        conn.execute(
            sqlalchemy.text(
                "INSERT INTO calls (id, key_id, status, progress, filename, size_bytes, attempts, callback_attempts, "
                "created_at, external_id, verdict_calm) VALUES ('c' || :id, 1, 'done', 1.0, 'call.wav', 1234, 1, 0, "
                ":now, 'CALL-1', 'passed')"
            ),
            {"id": "0" * 31, "now": "2026-11-30 10:00:00+00:00"},
        )
    engine.dispose()


@pytest.mark.parametrize("kind", BACKENDS)
def test_a_first_release_database_upgrades_to_the_newest_revision_and_keeps_its_calls(kind, tmp_path):
    from store.db import DEFAULT_TEAM_ID, ApiKey, Call, Database, Scope, Team

    with _url(kind, tmp_path) as url:
        _first_release_database(url, kind)
        engine = sqlalchemy.create_engine(url)
        assert current_revision(engine) == FIRST_REVISION
        # The API and the workers refuse it until it is migrated, and say how.
        with pytest.raises(ConfigError, match="run `callscope migrate`"):
            Database(url)
        assert upgrade(engine) == (FIRST_REVISION, head_revision())
        columns = {c["name"] for c in sqlalchemy.inspect(engine).get_columns("calls")}
        assert "recording_url" in columns
        engine.dispose()
        db = Database(url)
        with db.session() as s:
            call = s.get(Call, "c" + "0" * 31)
            summary = call.summary()
        assert summary["external_id"] == "CALL-1" and summary["status"] == "done"
        assert summary["verdicts"]["stayed_calm"] == "passed" and call.recording_url is None
        # Keys and calls made before teams join the team "default", and the keys keep working as admin.
        assert call.team_id == DEFAULT_TEAM_ID
        with db.session() as s:
            key = s.get(ApiKey, 1)
            assert s.get(Team, DEFAULT_TEAM_ID).name == "default"
        assert key.team_id == DEFAULT_TEAM_ID and key.scopes == "admin"
        assert all(key.allows(scope) for scope in Scope)
        # A team made after the upgrade gets a fresh id (PostgreSQL's sequence was moved past the default).
        from store.keys import create_team

        assert create_team(db, "blue") == DEFAULT_TEAM_ID + 1
        db.engine.dispose()


@pytest.mark.parametrize("kind", BACKENDS)
def test_the_models_are_what_the_migrations_make(kind, tmp_path):
    """A model changed without a migration fails here (Alembic's comparison of the two)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from store.db import Base

    with _url(kind, tmp_path) as url:
        engine = sqlalchemy.create_engine(url)
        upgrade(engine)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
        engine.dispose()
    assert diff == []


def test_callscope_migrate_reports_the_revisions(tmp_path):
    env = {**os.environ, "CALLSCOPE_DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    _first_release_database(env["DATABASE_URL"], "sqlite")
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "migrate"], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert f"from revision {FIRST_REVISION} to {head_revision()}" in done.stdout
    again = subprocess.run(
        [sys.executable, "-m", "cli.main", "migrate"], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert again.returncode == 0 and f"already at revision {head_revision()}" in again.stdout
