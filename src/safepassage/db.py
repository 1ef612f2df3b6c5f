"""Database: the declarative base, column types shared by every model, the engine factory, and
plain rows written without the ORM (the bulk import, registration)."""

from __future__ import annotations

import datetime as dt
import enum
import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Connection,
    Date,
    DateTime,
    Engine,
    Enum,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    insert,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.orm import DeclarativeBase, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC in, timezone-aware UTC out, on SQLite (which has no zones) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: use an aware UTC datetime")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


# JSON on SQLite, JSONB on PostgreSQL.
JSONType = JSON().with_variant(postgresql.JSONB(), "postgresql")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``. SQLite gets WAL, foreign keys and a busy timeout; its folder is created."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Any]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


def code_column(enum_cls: type[enum.StrEnum]) -> Enum:
    """A string-enum code stored as its string value (VARCHAR, no database enum type), read back as
    the enum member."""
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=40,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


# ---------------------------------------------------------------------------------------------------
# Plain rows: many rows written without the ORM's unit of work


def dialect_of(name: str, driver: str) -> Dialect:
    """A dialect object (no connection) for the bind processing of ``name+driver``."""
    dialect: Dialect = make_url(f"{name}+{driver}://").get_dialect()()
    return dialect


class Columns:
    """One table's columns in order, with each column type's bind processing for ``dialect``: rows
    turned into the database's form once, by Python code cheaper than SQLAlchemy's per-statement
    parameter handling (enums become their values, UUIDs and times what the driver takes)."""

    def __init__(self, table: Table, dialect: Dialect) -> None:
        self.table = table
        self.names = [c.key for c in table.columns]
        self.index = {name: i for i, name in enumerate(self.names)}
        self.processors: list[Callable[[Any], Any] | None] = []
        for column in table.columns:
            process: Callable[[Any], Any] | None = column.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None and isinstance(column.type, String | Date | UTCDateTime):
                process = functools.lru_cache(maxsize=4096)(process)  # codes, dates: they repeat
            elif process is not None and isinstance(column.type, JSON):
                process = _list_cache(process)  # ["SY"], ["ara"]
            self.processors.append(process)
        self.pairs = list(zip(self.names, self.processors, strict=True))
        self._sql: dict[str, str] = {}

    def row(self, values: dict[str, Any]) -> tuple[Any, ...]:
        """The values in column order and in the database's form."""
        out = []
        for name, process in self.pairs:
            value = values[name]
            out.append(value if process is None or value is None else process(value))
        return tuple(out)

    def value(self, name: str, value: Any) -> Any:
        process = self.processors[self.index[name]]
        return value if process is None or value is None else process(value)

    def insert_sql(self, dialect: Dialect) -> tuple[str, bool]:
        """The INSERT of every column, compiled once: (SQL, whether it takes positional tuples)."""
        if dialect.name not in self._sql:
            compiled = insert(self.table).compile(dialect=dialect, column_keys=self.names)
            positional = bool(compiled.positional) and list(compiled.positiontup or []) == self.names
            self._sql[dialect.name] = ("P" if positional else "N") + compiled.string
        sql = self._sql[dialect.name]
        return sql[1:], sql[0] == "P"


def _list_cache(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """JSON values that are lists of strings (``["SY"]``, ``["ara"]``) repeat: cached; anything else
    (an object, a list of objects) is processed each time."""

    @functools.lru_cache(maxsize=4096)
    def cached(value: tuple[Any, ...]) -> Any:
        return process(list(value))

    def run(value: Any) -> Any:
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return cached(tuple(value))
        return process(value)

    return run


def insert_rows(conn: Connection, columns: Columns, rows: list[tuple[Any, ...]]) -> None:
    """Rows already in the database's form: ``COPY`` on PostgreSQL, ``executemany`` elsewhere."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        _copy(conn, columns.table.name, columns.names, rows)
        return
    _executemany(conn, columns, rows)


def insert_batches(conn: Connection, batches: Sequence[tuple[Columns, list[tuple[Any, ...]]]]) -> None:
    """A few rows into each of several tables, in one round trip on PostgreSQL (psycopg's pipeline:
    every statement sent, then one sync), ``executemany`` per table elsewhere. Parents first."""
    batches = [(columns, rows) for columns, rows in batches if rows]
    if conn.dialect.name != "postgresql":
        for columns, rows in batches:
            _executemany(conn, columns, rows)
        return
    raw: Any = conn.connection.dbapi_connection
    with raw.pipeline(), raw.cursor() as cursor:
        for columns, rows in batches:
            cursor.executemany(_pg_insert(columns), rows)


def _executemany(conn: Connection, columns: Columns, rows: list[tuple[Any, ...]]) -> None:
    sql, positional = columns.insert_sql(conn.dialect)
    if positional:
        conn.exec_driver_sql(sql, rows)
    else:  # a named paramstyle
        conn.exec_driver_sql(sql, [dict(zip(columns.names, r, strict=True)) for r in rows])


@functools.lru_cache(maxsize=128)
def _pg_insert(columns: Columns) -> Any:
    from psycopg import sql  # only on PostgreSQL

    return sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
        sql.Identifier(columns.table.name),
        sql.SQL(", ").join(map(sql.Identifier, columns.names)),
        sql.SQL(", ").join(sql.Placeholder() * len(columns.names)),
    )


def _copy(conn: Connection, table: str, names: list[str], rows: list[tuple[Any, ...]]) -> None:
    """PostgreSQL ``COPY ... FROM STDIN`` on the connection's own transaction."""
    from psycopg import sql  # only on PostgreSQL

    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, names))
    )
    raw: Any = conn.connection.dbapi_connection
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
