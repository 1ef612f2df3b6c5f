"""Alembic environment: the URL comes from the settings object, or from a connection handed over
by ``safepassage.migrate`` (``config.attributes["connection"]``)."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection

import safepassage.models  # noqa: F401
from safepassage.config import Settings
from safepassage.db import Base, make_engine

config = context.config
target_metadata = Base.metadata


# Autogenerate only: tables whose name starts with one of these prefixes are left to their own
# revision (scripts/regen-migration.sh regenerates 0002 without the tables of later revisions).
_EXCLUDED = tuple(p for p in os.environ.get("SAFEPASSAGE_AUTOGEN_EXCLUDE", "").split(",") if p)


def _include(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return not (_EXCLUDED and table and table.startswith(_EXCLUDED))


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=_include,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or Settings().database_url
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    context.configure(url=Settings().database_url, target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
