"""Alembic's environment for callscope's database (run through :mod:`store.migrate`, not the alembic CLI).

The URL comes from the config's ``sqlalchemy.url`` main option, set by :func:`store.migrate.upgrade`;
the target metadata is the models of :mod:`store.db`.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from store.db import Base

config = context.config


def run() -> None:
    url = config.get_main_option("sqlalchemy.url")
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    engine = create_engine(url)
    with engine.connect() as conn:
        _migrate(conn)
        conn.commit()
    engine.dispose()


def _migrate(connection) -> None:
    # SQLite cannot ALTER most things in place: batch mode copies the table (render_as_batch).
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
