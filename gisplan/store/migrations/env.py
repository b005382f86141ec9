"""Alembic environment for gisplan's scenario store.

Run programmatically by :func:`gisplan.store.db.ensure_schema`, which passes an open
connection in ``config.attributes["connection"]``.  The whole upgrade runs in one transaction
(SQLite and PostgreSQL both have transactional DDL); on PostgreSQL an advisory lock makes
concurrent upgrades queue instead of racing.  Logging configuration is left to the application.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, text

from gisplan.store.models import Base

#: Arbitrary constant key of the PostgreSQL advisory lock held during migrations.
_PG_LOCK_KEY = 7_350_101_612

config = context.config
target_metadata = Base.metadata


def _run(connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        transactional_ddl=True,
        render_as_batch=sqlite,  # SQLite ALTER TABLE goes through table copies
        compare_type=True,
    )
    tx = None if connection.in_transaction() else connection.begin()
    try:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
        context.run_migrations()
        if tx is not None:
            tx.commit()
    except BaseException:
        if tx is not None:
            tx.rollback()
        raise


def run_migrations_offline() -> None:
    """Emit SQL to stdout (``alembic upgrade --sql``)."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on the caller's connection, or on one opened from the URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("alembic: no connection given and no sqlalchemy.url configured")
    engine = create_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
