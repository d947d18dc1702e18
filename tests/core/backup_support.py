"""Helpers of the backup tests: fresh databases, rows in every table, a snapshot to compare."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Engine, Table, select, text
from sqlalchemy import types as sqltypes
from sqlalchemy.exc import IntegrityError
from sqlalchemy.types import TypeDecorator

import hygie.models  # noqa: F401
from hygie.core.db import Base, EnumText, make_engine
from hygie.core.migrate import upgrade

_serial = count(1)
MakeEngine = Callable[[str, bool], Engine]


@pytest.fixture
def make_database(tmp_path: Path) -> Iterator[MakeEngine]:
    """``make_database(backend, migrated)``: a new, empty database of its own, dropped at the end."""
    made: list[tuple[Engine, str | None]] = []

    def make(backend: str, migrated: bool = True) -> Engine:
        if backend == "sqlite":
            engine = make_engine(f"sqlite:///{tmp_path / f'db{next(_serial)}' / 'hygie.db'}")
            made.append((engine, None))
        else:
            url = os.environ.get("HYGIE_TEST_POSTGRES_URL")
            if not url:
                if os.environ.get("HYGIE_TEST_SKIP_POSTGRES") == "1":
                    pytest.skip("PostgreSQL skipped by HYGIE_TEST_SKIP_POSTGRES=1")
                pytest.fail("HYGIE_TEST_POSTGRES_URL is not set: run the tests through `make test`")
            name = f"hygie_backup_{os.getpid()}_{next(_serial)}"
            base = make_engine(url)
            with base.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            base.dispose()
            engine = make_engine(base.url.set(database=name).render_as_string(hide_password=False))
            made.append((engine, name))
        if migrated:
            upgrade(engine)
        return engine

    yield make
    for engine, name in made:
        engine.dispose()
        if name is not None:
            base = make_engine(os.environ["HYGIE_TEST_POSTGRES_URL"])
            with base.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            base.dispose()


def _base(type_: Any) -> Any:
    while isinstance(type_, TypeDecorator):
        type_ = type_.impl_instance
    return type_


def _value(table: Table, column: Column[Any], i: int, ids: dict[str, list[Any]]) -> Any:
    """A value of the column's type, different for each row, awkward where it can be."""
    if column.foreign_keys:
        referred = next(iter(column.foreign_keys)).column
        pool = ids.get(referred.table.name, [])
        if referred.table is table:
            return pool[-1] if pool else None
        return pool[(i - 1) % len(pool)] if pool else None
    if isinstance(column.type, EnumText):  # the column refuses values outside its enum
        members = list(column.type.enum)
        return members[i % len(members)]
    t = _base(column.type)
    if isinstance(t, sqltypes.Enum):
        return t.enums[i % len(t.enums)]
    if isinstance(t, sqltypes.DateTime):
        moment = datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC) + timedelta(days=i, hours=i)
        return moment if t.timezone or isinstance(column.type, TypeDecorator) else moment.replace(tzinfo=None)
    if isinstance(t, sqltypes.Date):
        return date(2026, 2, 28) + timedelta(days=i)
    if isinstance(t, sqltypes.Time):
        return time(12, i, 30, 250000)
    if isinstance(t, sqltypes.JSON):
        return {"i": i, "list": [1, 'é "q"\n', None, 2.5], "nested": {"ok": True}}
    if isinstance(t, sqltypes._Binary):
        return bytes([0, 10, 255, i])
    if isinstance(t, sqltypes.Float):
        return i + 0.25
    if isinstance(t, sqltypes.Numeric):
        return Decimal(f"{i}.50")
    if isinstance(t, sqltypes.Uuid):
        return uuid.UUID(int=i)
    if isinstance(t, sqltypes.Boolean):
        return i % 2 == 0
    if isinstance(t, sqltypes.BigInteger):
        return 2**40 + i
    if isinstance(t, sqltypes.Integer):
        return i
    if isinstance(t, sqltypes.String):
        value = f"{i}-{column.name}-é\n\"ligne\" 'deux' ; \\"
        return value[: t.length] if t.length else value
    raise AssertionError(f"no test value for {table.name}.{column.name} of type {column.type!r}")


def fill_every_table(engine: Engine, rows: int = 3) -> dict[str, int]:
    """Inserts ``rows`` rows in every table that takes generic values; returns the counts.

    A table whose CHECK constraints refuse the values is retried with its nullable columns empty,
    then left empty: the round trip still compares it.
    """
    ids: dict[str, list[Any]] = {}
    counts: dict[str, int] = {}
    with engine.begin() as conn:
        for table in Base.metadata.sorted_tables:
            for nullables_empty in (False, True):
                made = []
                savepoint = conn.begin_nested()
                try:
                    for i in range(1, rows + 1):
                        values = {}
                        for column in table.columns:
                            empty = nullables_empty and column.nullable and not column.primary_key
                            values[column.name] = None if empty else _value(table, column, i, ids)
                        conn.execute(table.insert().values(**values))
                        made.append(values)
                    savepoint.commit()
                except IntegrityError:
                    savepoint.rollback()
                    continue
                pk = list(table.primary_key.columns)
                if len(pk) == 1:
                    ids[table.name] = [v[pk[0].name] for v in made]
                counts[table.name] = rows
                break
    return counts


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, through the models' types, ordered by primary key."""
    with engine.connect() as conn:
        return {
            table.name: [
                tuple(row)
                for row in conn.execute(select(table).order_by(*(table.primary_key.columns or table.columns)))
            ]
            for table in Base.metadata.sorted_tables
        }


def tree(home: Path) -> dict[str, bytes]:
    """The files under ``home`` and their content (empty when home does not exist)."""
    if not home.exists():
        return {}
    return {p.relative_to(home).as_posix(): p.read_bytes() for p in sorted(home.rglob("*")) if p.is_file()}
