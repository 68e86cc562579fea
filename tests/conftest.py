"""Shared fixtures: databases (SQLite file, PostgreSQL per test) and real servers on free loopback ports.

PostgreSQL tests use CAVRA_TEST_POSTGRES_URL (an admin URL; each test gets a fresh database). Without it
they skip locally, and fail under CI=true so CI can never silently skip them.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from cavra_recovery.server.storage.database import Database, normalize_database_url
from cavra_recovery.server.storage.migrate import migrate

REPO_ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
SERVER_COMMAND = [str(VENV_BIN / "cavra-recovery"), "serve"]
# [^\s"]: the address also ends at the closing quote of a `--log-format json` line.
READY_PATTERN = re.compile(r"(grpc|http) listening on ([^\s\"]+)")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def postgres_admin_url() -> str | None:
    url = os.environ.get("CAVRA_TEST_POSTGRES_URL")
    if not url:
        if in_ci():
            pytest.fail("CI=true but CAVRA_TEST_POSTGRES_URL is not set: the PostgreSQL suite must run in CI")
        return None
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cavra-recovery.db'}"


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """Create an empty database from CAVRA_TEST_POSTGRES_URL, yield its URL, drop it (skip without one)."""
    admin_url = postgres_admin_url()
    if admin_url is None:
        pytest.skip("CAVRA_TEST_POSTGRES_URL is not set")
    admin_url = normalize_database_url(admin_url)
    name = f"cavra_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """The same test on SQLite and on PostgreSQL."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(fixture))


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """A migrated database (SQLite and PostgreSQL)."""
    migrate(database_url)
    db = Database(database_url)
    yield db
    db.dispose()


@dataclass
class ServerProcess:
    """A real `cavra-recovery serve` process on free loopback ports."""

    process: subprocess.Popen[str]
    grpc_address: str
    http_address: str | None
    log_lines: list[str] = field(default_factory=list)
    # Drains stderr all along, so a chatty server never blocks on a full pipe.
    reader: threading.Thread | None = None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.reader is not None:
            self.reader.join(5)
        return self.process.returncode

    @property
    def log_text(self) -> str:
        return "\n".join(self.log_lines)


def start_server_process(
    *,
    database_url: str,
    extra_args: list[str] | None = None,
    env: dict[str, str] | None = None,
    http: bool = True,
    grpc_port: int = 0,
    timeout: float = 90,
) -> ServerProcess:
    """Start the real server, migrate, and wait for its 'listening on' lines (ports 0: free ports)."""
    http_port = free_port() if http else None
    command = [
        *SERVER_COMMAND,
        "--grpc-listen",
        f"127.0.0.1:{grpc_port}",
        "--http-listen",
        f"127.0.0.1:{http_port}" if http else "off",
        "--database-url",
        database_url,
        "--migrate",
        *(extra_args or []),
    ]
    process_env = {k: v for k, v in os.environ.items() if not k.startswith("CAVRA_")}
    process_env.update(env or {})
    process = subprocess.Popen(
        command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=process_env, cwd=REPO_ROOT
    )
    assert process.stderr is not None
    lines: list[str] = []
    found: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    wanted = {"grpc", "http"} if http else {"grpc"}
    while not wanted <= found.keys():
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            process.wait(10)
            rest = process.stderr.read()
            process.stderr.close()
            raise RuntimeError("server did not start:\n" + "\n".join(lines) + rest)
        line = process.stderr.readline()
        if not line:
            continue
        lines.append(line.rstrip("\n"))
        match = READY_PATTERN.search(line)
        if match:
            found[match.group(1)] = match.group(2)
    server = ServerProcess(
        process=process, grpc_address=found["grpc"], http_address=found.get("http"), log_lines=lines
    )
    stream = process.stderr

    def drain() -> None:
        for line in stream:
            lines.append(line.rstrip("\n"))
        stream.close()

    server.reader = threading.Thread(target=drain, name="server-stderr", daemon=True)
    server.reader.start()
    return server


@pytest.fixture
def server_factory() -> Iterator[Callable[..., ServerProcess]]:
    """Start as many real servers as a test needs; all are stopped (SIGTERM) afterwards."""
    started: list[ServerProcess] = []

    def factory(**kwargs: object) -> ServerProcess:
        server = start_server_process(**kwargs)  # type: ignore[arg-type]
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop()


@pytest.fixture
def server(server_factory: Callable[..., ServerProcess], sqlite_url: str) -> ServerProcess:
    """One real server on SQLite with the HTTP gateway."""
    return server_factory(database_url=sqlite_url)
