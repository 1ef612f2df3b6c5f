"""`alembic upgrade head` on an empty database gives exactly the models' schema (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from safepassage.db import Base

pytestmark = pytest.mark.db


def test_upgrade_head_matches_the_models(database_url):
    # database_url is a fresh database brought to head by the session fixture
    engine = create_engine(database_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []
