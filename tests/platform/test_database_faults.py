"""How the storage layer answers database faults, against real databases: an unreachable or read-only
database is `Unavailable` naming the cause (never the URL or password), a serialization failure on
PostgreSQL is rerun until it commits, and the health monitor turns NOT_SERVING after N failed checks,
logs one line per outage transition, and turns SERVING on the first success."""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path

import pytest
from google.rpc import code_pb2, error_details_pb2
from sqlalchemy import text
from sqlalchemy.orm import Session

from cavra_recovery.server.database_health import DatabaseHealth
from cavra_recovery.server.domain.errors import Unavailable
from cavra_recovery.server.domain.reasons import Reason
from cavra_recovery.server.rpc_status import status_for
from cavra_recovery.server.storage.database import Database
from tests.conftest import free_port

PASSWORD = "canary-db-password-7f3a"


def test_an_unreachable_postgresql_is_unavailable_naming_the_cause_not_the_url() -> None:
    database = Database(f"postgresql://cavra:{PASSWORD}@127.0.0.1:{free_port()}/cavra")
    try:
        with pytest.raises(Unavailable) as raised:
            database.ping_sync()
    finally:
        database.dispose()
    error = raised.value
    assert error.reason == "DATABASE_UNAVAILABLE"
    assert error.metadata == {"cause": "connection refused"}
    assert PASSWORD not in error.message and "127.0.0.1" not in error.message


def test_unavailable_maps_to_grpc_unavailable_with_retry_info() -> None:
    status = status_for(Unavailable("database unavailable: disk full", reason=Reason.DATABASE_UNAVAILABLE))
    assert status.code == code_pb2.UNAVAILABLE
    retry = error_details_pb2.RetryInfo()
    assert any(detail.Unpack(retry) for detail in status.details if detail.Is(retry.DESCRIPTOR))
    assert retry.retry_delay.seconds == 1


def test_a_read_only_sqlite_database_is_unavailable(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'ro.db'}")
    database.run_sync(lambda session: session.execute(text("CREATE TABLE t (x INTEGER)")))

    def write_read_only(session: Session) -> None:
        session.execute(text("PRAGMA query_only = 1"))
        session.execute(text("INSERT INTO t VALUES (1)"))

    try:
        with pytest.raises(Unavailable) as raised:
            database.run_sync(write_read_only)
    finally:
        database.dispose()
    assert raised.value.metadata == {"cause": "read-only database"}


def test_a_bug_is_not_mistaken_for_an_outage(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'bug.db'}")
    try:
        with pytest.raises(Exception) as raised:
            database.run_sync(lambda session: session.execute(text("SELECT * FROM no_such_table")))
    finally:
        database.dispose()
    assert not isinstance(raised.value, Unavailable)


@pytest.mark.postgres
def test_serialization_failures_are_rerun_until_both_transactions_commit(postgres_url: str) -> None:
    database = Database(postgres_url, isolation="serializable")
    database.run_sync(lambda session: session.execute(text("CREATE TABLE counter (n INTEGER)")))
    database.run_sync(lambda session: session.execute(text("INSERT INTO counter VALUES (0)")))
    both_read = threading.Barrier(2, timeout=10)
    attempts: list[int] = []

    def increment(session: Session) -> None:
        attempts.append(1)
        value = session.execute(text("SELECT n FROM counter")).scalar_one()
        if len(attempts) <= 2:
            both_read.wait()  # the first two attempts overlap, so one of them must fail to serialize
        session.execute(text("UPDATE counter SET n = :n"), {"n": value + 1})

    threads = [threading.Thread(target=database.run_sync, args=(increment,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    try:
        final = database.run_sync(lambda session: session.execute(text("SELECT n FROM counter")).scalar_one())
    finally:
        database.dispose()
    assert final == 2
    assert len(attempts) >= 3  # at least one rerun


async def test_health_turns_not_serving_after_n_failures_and_logs_one_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    database = Database(f"postgresql://cavra:{PASSWORD}@127.0.0.1:{free_port()}/cavra")
    changes: list[bool] = []

    async def set_serving(serving: bool) -> None:
        changes.append(serving)

    monitor = DatabaseHealth(database, interval_seconds=0.05, failures_to_fail=2, set_serving=set_serving)
    caplog.set_level(logging.INFO, logger="cavra-recovery.database")
    try:
        assert await monitor.check_once() is False
        assert changes == [] and monitor.serving
        assert await monitor.check_once() is False
        assert await monitor.check_once() is False
    finally:
        database.dispose()
    await asyncio.sleep(0)
    assert changes == [False] and not monitor.serving
    lines = [record for record in caplog.records if record.name == "cavra-recovery.database"]
    assert [record.levelname for record in lines] == ["WARNING"]
    assert "connection refused" in lines[0].getMessage() and PASSWORD not in lines[0].getMessage()
    assert all(record.exc_info is None for record in lines)


async def test_health_turns_serving_again_on_the_first_success(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A SQLite file in a folder that does not exist yet cannot be opened: a real outage that ends
    # when the folder appears.
    folder = tmp_path / "not-yet"
    database = Database(f"sqlite:///{folder / 'up.db'}")
    changes: list[bool] = []

    async def set_serving(serving: bool) -> None:
        changes.append(serving)

    monitor = DatabaseHealth(database, interval_seconds=0.05, failures_to_fail=1, set_serving=set_serving)
    caplog.set_level(logging.INFO, logger="cavra-recovery.database")
    try:
        assert await monitor.check_once() is False
        folder.mkdir()
        assert await monitor.check_once() is True
    finally:
        database.dispose()
    assert changes == [False, True]
    messages = [record.getMessage() for record in caplog.records if record.name == "cavra-recovery.database"]
    assert len(messages) == 2
    assert "unavailable: cannot open the database file" in messages[0]
    assert "available again" in messages[1]


async def test_a_long_outage_logs_one_summary_line_per_30_seconds(caplog: pytest.LogCaptureFixture) -> None:
    database = Database(f"postgresql://cavra:{PASSWORD}@127.0.0.1:{free_port()}/cavra")
    now = [0.0]

    async def set_serving(serving: bool) -> None:
        pass

    monitor = DatabaseHealth(
        database, interval_seconds=1, failures_to_fail=2, set_serving=set_serving, clock=lambda: now[0]
    )
    caplog.set_level(logging.INFO, logger="cavra-recovery.database")
    try:
        for second in range(0, 95, 5):  # checks every 5 s of an outage of 95 s (clock driven by the test)
            now[0] = float(second)
            await monitor.check_once()
    finally:
        database.dispose()
    messages = [record.getMessage() for record in caplog.records if record.name == "cavra-recovery.database"]
    assert len(messages) == 4  # the first line, then summaries at 30, 60 and 90 s
    assert messages[0].startswith("database unavailable: connection refused")
    assert all(line.startswith("database still unavailable (connection refused)") for line in messages[1:])
