"""The transfer children read careloop's database URL without SQLAlchemy (adbc.py): they must reach the same
database SQLAlchemy does."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from careloop.population import adbc

SQLITE_URLS = ["sqlite:////work/popdata/pop1m.db", "sqlite:///relative/dir/careloop.db",
               "sqlite+pysqlite:////tmp/with%20space.db", "sqlite:////tmp/x.db?timeout=5"]
POSTGRES_URLS = ["postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dt_1_ab",
                 "postgresql://careloop:p%40ss%3Aword@db.example:6432/careloop", "postgresql+psycopg://localhost/x"]


@pytest.mark.parametrize("url", SQLITE_URLS)
def test_sqlite_file_is_the_one_sqlalchemy_opens(url: str) -> None:
    assert adbc.dialect_of(url) == "sqlite"
    assert adbc.sqlite_path(url) == make_url(url).database


@pytest.mark.parametrize("url", POSTGRES_URLS)
def test_libpq_uri_is_sqlalchemys_without_the_driver(url: str) -> None:
    assert adbc.dialect_of(url) == "postgresql"
    expected = make_url(url).set(drivername="postgresql")
    assert make_url(adbc.libpq_uri(url)) == expected


@pytest.mark.parametrize("url", ["mysql+pymysql://root@localhost/test", "not a url", "duckdb:///x.db"])
def test_other_databases_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="SQLite and PostgreSQL"):
        adbc.dialect_of(url)


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_in_memory_sqlite_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="SQLite file"):
        adbc.sqlite_path(url)
