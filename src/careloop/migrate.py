"""Apply Alembic migrations programmatically (used by `careloop db upgrade`, the demo and the tests)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

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
