"""The schema the migrations build is the schema the models describe, on the backend under test: a model changed
without its migration (or the other way round) would pass every test that builds tables from the models, and fail
on a deployment that upgrades."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from careloop import db
from careloop.models import Base


def test_the_migrated_schema_matches_the_models() -> None:
    with db.engine().connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
