"""A logical dump of the database, the same whatever the dialect, one JSON Lines file per table.

Rows are read and written through tables reflected from the database itself, so the values are the
stored ones (no model-level conversion), and encoded by column kind: datetimes in ISO 8601 (UTC with
its offset when the column is aware), dates and times in ISO 8601, decimals as strings, bytes in
base64, JSON as JSON. Which tables, and in what order, comes from ``Base.metadata``: nothing here names
a table, so the tables other domains add are saved without a change here.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, MetaData, Table, func, inspect, select, text
from sqlalchemy import types as sqltypes
from sqlalchemy.types import TypeDecorator, TypeEngine

from hygie.core.errors import HygieError

ALEMBIC_TABLE = "alembic_version"
BATCH = 1000


class UnsupportedColumnError(HygieError):
    """A column's type has no backup encoding yet; the backup is refused rather than lossy."""


def _base_type(type_: TypeEngine[Any]) -> TypeEngine[Any]:
    while isinstance(type_, TypeDecorator):
        type_ = type_.impl_instance
    return type_


def column_kind(type_: TypeEngine[Any]) -> str:
    """The encoding of a column, from its model type (or its reflected type when it has no model)."""
    base = _base_type(type_)
    if isinstance(base, sqltypes.DateTime):
        return "datetime_tz" if base.timezone else "datetime"
    kinds: list[tuple[type[TypeEngine[Any]], str]] = [
        (sqltypes.Date, "date"),
        (sqltypes.Time, "time"),
        (sqltypes.JSON, "json"),
        (sqltypes._Binary, "bytes"),
        (sqltypes.Float, "float"),
        (sqltypes.Numeric, "decimal"),
        (sqltypes.Uuid, "uuid"),
        (sqltypes.Boolean, "bool"),
        (sqltypes.Integer, "int"),
        (sqltypes.String, "str"),
        (sqltypes.NullType, "raw"),
    ]
    for cls, kind in kinds:
        if isinstance(base, cls):
            return kind
    raise UnsupportedColumnError(f"column type {type_!r} has no backup encoding")


def _aware_utc(value: datetime) -> datetime:
    # SQLite keeps no offset: an aware column's naive value is UTC (see hygie.core.db.UTCDateTime).
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)


_ENCODERS: dict[str, Callable[[Any], Any]] = {
    "datetime_tz": lambda v: _aware_utc(v).isoformat(),
    "datetime": lambda v: v.isoformat(),
    "date": lambda v: v.isoformat(),
    "time": lambda v: v.isoformat(),
    "decimal": str,
    "bytes": lambda v: base64.b64encode(bytes(v)).decode("ascii"),
    "uuid": str,
}

_DECODERS: dict[str, Callable[[Any], Any]] = {
    "datetime_tz": lambda v: datetime.fromisoformat(v).astimezone(UTC),
    "datetime": datetime.fromisoformat,
    "date": date.fromisoformat,
    "time": time.fromisoformat,
    "decimal": Decimal,
    "bytes": base64.b64decode,
    "uuid": uuid.UUID,
}


def encode_row(row: Iterable[Any], kinds: list[str]) -> str:
    values = [
        None if v is None else _ENCODERS[k](v) if k in _ENCODERS else v
        for v, k in zip(row, kinds, strict=True)
    ]
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))


def decode_row(line: str, kinds: list[str]) -> list[Any]:
    values = json.loads(line)
    if not isinstance(values, list) or len(values) != len(kinds):
        raise ValueError(f"expected a list of {len(kinds)} values")
    return [None if v is None else _DECODERS[k](v) if k in _DECODERS else v for v, k in zip(values, kinds)]  # noqa: B905


def current_revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table(ALEMBIC_TABLE):
        return None
    revisions = [r for (r,) in connection.execute(text(f"SELECT version_num FROM {ALEMBIC_TABLE}"))]  # noqa: S608
    if len(revisions) > 1:
        raise HygieError(f"the database has several migration heads: {', '.join(sorted(revisions))}")
    return revisions[0] if revisions else None


def database_tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {ALEMBIC_TABLE}


def reflect(connection: Connection, name: str) -> Table:
    return Table(name, MetaData(), autoload_with=connection)


def table_columns(model: Table | None, reflected: Table) -> list[tuple[str, str]]:
    """(name, kind) of every stored column, in the database's order."""
    columns = []
    for column in reflected.columns:
        typed = (
            model.columns[column.name].type if model is not None and column.name in model.columns else None
        )
        columns.append((column.name, column_kind(typed if typed is not None else column.type)))
    return columns


def dump_rows(connection: Connection, reflected: Table, kinds: list[str]) -> Iterator[str]:
    """The table's rows as JSON lines, ordered by primary key, streamed."""
    order = list(reflected.primary_key.columns) or list(reflected.columns)
    query = select(*reflected.columns).order_by(*order)
    result = connection.execution_options(yield_per=BATCH).execute(query)
    for row in result:
        yield encode_row(row, kinds) + "\n"


def load_rows(connection: Connection, target: Table, names: list[str], rows: Iterable[list[Any]]) -> int:
    """Inserts the rows in batches; returns how many."""
    statement = target.insert()
    batch: list[dict[str, Any]] = []
    total = 0
    for values in rows:
        batch.append(dict(zip(names, values, strict=True)))
        if len(batch) >= BATCH:
            connection.execute(statement, batch)
            total += len(batch)
            batch = []
    if batch:
        connection.execute(statement, batch)
        total += len(batch)
    return total


def count_rows(connection: Connection, table: Table) -> int:
    return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def reset_sequences(connection: Connection, table: Table) -> None:
    """After explicit ids were inserted, PostgreSQL's sequences must start past them."""
    if connection.dialect.name != "postgresql":
        return
    quote = connection.dialect.identifier_preparer.quote
    for column in table.primary_key.columns:
        if not isinstance(_base_type(column.type), sqltypes.Integer):
            continue
        sequence = connection.execute(
            text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": quote(table.name), "column": column.name},
        ).scalar_one()
        if sequence is None:
            continue
        connection.execute(
            text(
                f"SELECT setval(:sequence, COALESCE(MAX({quote(column.name)}), 1), "  # noqa: S608
                f"MAX({quote(column.name)}) IS NOT NULL) FROM {quote(table.name)}"
            ),
            {"sequence": sequence},
        )
