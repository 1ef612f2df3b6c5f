"""``db.Columns``: rows in the database's form, made without a connection (import, registration,
the audit append). A JSON list of strings is cached; an object must come out as itself."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import JSON, Column, Integer, MetaData, String, Table

from safepassage.db import Columns, dialect_of

TABLE = Table(
    "things",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("name", String(20)),
    Column("data", JSON),
)


def test_a_json_object_is_not_taken_for_a_list_of_its_keys():
    columns = Columns(TABLE, dialect_of("sqlite", "pysqlite"))
    row = columns.row({"id": 1, "name": "a", "data": {"fields": ["x", "y"], "subject": "s"}})
    assert json.loads(row[2]) == {"fields": ["x", "y"], "subject": "s"}


def test_lists_of_strings_and_of_objects_round_trip():
    columns = Columns(TABLE, dialect_of("sqlite", "pysqlite"))
    assert json.loads(columns.row({"id": 1, "name": None, "data": ["SY", "RU"]})[2]) == ["SY", "RU"]
    again = columns.row({"id": 2, "name": None, "data": ["SY", "RU"]})  # from the cache
    assert json.loads(again[2]) == ["SY", "RU"]
    objects = [{"a": 1}, {"b": str(uuid.UUID(int=1))}]
    assert json.loads(columns.row({"id": 3, "name": None, "data": objects})[2]) == objects


def test_insert_sql_names_every_column_once():
    columns = Columns(TABLE, dialect_of("sqlite", "pysqlite"))
    sql, positional = columns.insert_sql(dialect_of("sqlite", "pysqlite"))
    assert positional
    assert sql.startswith("INSERT INTO things (id, name, data)")
