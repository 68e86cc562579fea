"""Fault-injection fixtures: toxiproxy between the server and a fresh PostgreSQL database.

`proxied_postgres` yields a `ProxiedPostgres`: `url` reaches a fresh, empty database THROUGH a toxiproxy
proxy (give it to the server), `direct_url` reaches the same database around the proxy (for the test's
own table checks while the proxy is cut), and `proxy` injects the faults (cut, restore, latency, reset).
The database belongs to a role created for the test whose password is a canary: no error text or log
line may ever contain it. Without toxiproxy or PostgreSQL the tests skip locally and fail under CI=true.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from cavra_recovery.server.storage.database import normalize_database_url
from tests.conftest import fresh_postgres_database, postgres_admin_url
from tests.faults.toxiproxy_kit import ProxyControl, Toxiproxy, running_toxiproxy


@dataclass(frozen=True)
class ProxiedPostgres:
    url: str
    direct_url: str
    password: str
    proxy: ProxyControl


@pytest.fixture
def toxiproxy(tmp_path: Path) -> Iterator[Toxiproxy]:
    """A toxiproxy-server of this test's own on a free 127.0.0.1 port, stopped afterwards."""
    with running_toxiproxy(tmp_path / "toxiproxy.log") as server:
        yield server


@contextmanager
def canary_role() -> Iterator[tuple[str, str]]:
    """A login role with a canary password, dropped afterwards; yields (name, password)."""
    admin_url = postgres_admin_url()
    if admin_url is None:
        pytest.skip("CAVRA_TEST_POSTGRES_URL is not set")
    suffix = uuid.uuid4().hex[:12]
    name, password = f"cavra_fault_{suffix}", f"canary-pw-{suffix}"
    admin = create_engine(normalize_database_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE ROLE \"{name}\" LOGIN PASSWORD '{password}'"))
    try:
        yield name, password
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP ROLE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture
def proxied_postgres(toxiproxy: Toxiproxy) -> Iterator[ProxiedPostgres]:
    with canary_role() as (role, password), fresh_postgres_database() as admin_database_url:
        admin_database = make_url(admin_database_url)
        admin = create_engine(normalize_database_url(admin_database_url), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{admin_database.database}" OWNER TO "{role}"'))
        admin.dispose()
        direct = admin_database.set(username=role, password=password)
        proxy = toxiproxy.create_proxy("postgres", f"{direct.host}:{direct.port or 5432}")
        proxied = direct.set(host="127.0.0.1", port=proxy.port)
        yield ProxiedPostgres(
            url=proxied.render_as_string(hide_password=False),
            direct_url=direct.render_as_string(hide_password=False),
            password=password,
            proxy=proxy,
        )
