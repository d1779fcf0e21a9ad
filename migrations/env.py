"""Alembic environment: batch mode so every migration applies to SQLite and PostgreSQL alike."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from careloop import db
from careloop.models import Base

target_metadata = Base.metadata


def run_with(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_with(connection)
        return
    with db.engine().connect() as connection:
        run_with(connection)


if context.is_offline_mode():
    raise SystemExit("careloop migrations run online only: `careloop db upgrade`")
run_migrations_online()
