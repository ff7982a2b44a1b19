"""The database schema, versioned with Alembic: ``callscope migrate``, ``callscope serve`` and docker compose
bring a database to the newest revision (``store/migrations/versions``).

* A new, empty database is created at the newest revision.
* A database made by the first release (its tables, no ``alembic_version``: ``create_all`` made it) is
  stamped at revision ``0001``, its schema, and upgraded from there.
* Otherwise the pending revisions run in order, each in a transaction where the database has
  transactional DDL (PostgreSQL).

A process that only uses the database (the API, a worker) checks the revision instead
(:func:`check`): a database behind the code is refused with a message to run ``callscope migrate``,
rather than failing later on a missing column.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from audio_features.errors import ConfigError

__all__ = ["FIRST_REVISION", "check", "current_revision", "head_revision", "upgrade"]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: The revision whose schema the first release made without migrations.
FIRST_REVISION = "0001"


def _config(engine: Engine, connection=None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The database's revision; ``0001`` for a first-release database, None for an empty one."""
    with engine.connect() as conn:
        revision = MigrationContext.configure(conn).get_current_revision()
        if revision is None and inspect(conn).has_table("calls"):
            return FIRST_REVISION
    return revision


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """Bring the database to ``revision``. Returns (revision before, revision after)."""
    before = current_revision(engine)
    with engine.begin() as conn:
        cfg = _config(engine, conn)
        if before == FIRST_REVISION and MigrationContext.configure(conn).get_current_revision() is None:
            command.stamp(cfg, FIRST_REVISION)
        command.upgrade(cfg, revision)
    return before, current_revision(engine)


def check(engine: Engine) -> None:
    """Create an empty database at the newest revision; refuse one that is behind the code.

    Raises:
        ConfigError: the database needs ``callscope migrate`` (exit 2, ``bad_setting``).
    """
    revision, head = current_revision(engine), head_revision()
    if revision is None:
        upgrade(engine)
    elif revision != head:
        raise ConfigError(
            f"the database ({engine.url.render_as_string(hide_password=True)}) is at schema revision {revision} and "
            f"this version of callscope needs {head}: run `callscope migrate` (it keeps every call)"
        )
