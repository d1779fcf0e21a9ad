"""Declarative base, the column types every model shares, and constraint naming for Alembic batch mode."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Enum, Integer, MetaData, TypeDecorator, Uuid
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from careloop.clock import utcnow
from careloop.public_ids import new_public_id

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite has no 64-bit autoincrement type of its own name; INTEGER PRIMARY KEY is already 64-bit there.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, on SQLite (which stores naive text) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use careloop.clock.utcnow()")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        """On SQLite, process_bind_param and SQLAlchemy's text formatting fused into one function giving the same
        text (YYYY-MM-DD HH:MM:SS.ffffff): the batch writers bind about twenty times a message of a hospital
        feed, and the two steps through SQLAlchemy's wrappers cost more than the rest of the row's values."""
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        def to_sqlite_text(value: datetime | None) -> str | None:
            return None if value is None else _sqlite_utc_text(value)

        return to_sqlite_text


@lru_cache(maxsize=4096)
def _sqlite_utc_text(value: datetime) -> str:
    """Kept for the values a batch binds again and again (its one `now`, an event's times): equal aware datetimes
    are the same instant, so they share one text; a naive one raises, and a raise is not kept."""
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column; use careloop.clock.utcnow()")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def str_enum(enum_class: type[StrEnum], length: int) -> Enum:
    """A StrEnum stored by value in a plain VARCHAR (no database enum type, no CHECK), read back as the enum."""
    return Enum(enum_class, native_enum=False, create_constraint=False, length=length,
                values_callable=lambda members: [m.value for m in members], validate_strings=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: dict[Any, Any] = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        datetime: UTCDateTime(),
        uuid.UUID: Uuid(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
    }


class IntPK:
    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)


class PublicId:
    """UUIDs outside, integers inside."""

    public_id: Mapped[uuid.UUID] = mapped_column(unique=True, default=new_public_id)


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
