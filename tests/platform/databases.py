"""A fresh PostgreSQL database that outlives one test, for module-scoped servers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from server.storage.database import Database
from tests.conftest import postgres_admin_url


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """Create an empty database from CAVRA_TEST_POSTGRES_URL, yield its URL, drop it (skip without one)."""
    admin_url = postgres_admin_url()
    if admin_url is None:
        pytest.skip("CAVRA_TEST_POSTGRES_URL is not set")
    name = f"cavra_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(Database(admin_url).url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(Database(admin_url).url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
