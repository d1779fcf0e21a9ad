"""Apply Alembic migrations programmatically (used by `careloop db upgrade`, the demo and the tests)."""

from __future__ import annotations

from functools import cache

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from careloop import db
from careloop.config import PROJECT_ROOT


def alembic_config() -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    return config


def upgrade(revision: str = "head") -> None:
    config = alembic_config()
    with db.engine().begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


@cache
def _heads() -> frozenset[str]:
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def at_head(connection: Connection) -> bool:
    """Whether the database is migrated to the latest revision, the schema the models describe."""
    return frozenset(MigrationContext.configure(connection).get_current_heads()) == _heads()
