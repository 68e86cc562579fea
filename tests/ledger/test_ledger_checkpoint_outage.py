"""The checkpoint task stays quiet while the database cannot be reached: no ERROR and no traceback (the
database health monitor reports the outage once); it tries again at the next window."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import pytest

from cavra_recovery.server.operations.ledger import CheckpointTask
from cavra_recovery.server.storage.database import Database
from tests.conftest import free_port


async def test_checkpoint_task_logs_no_error_while_the_database_is_unreachable(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Nothing listens on this port: every connection attempt is refused, as in a database outage.
    database = Database(f"postgresql://cavra:unused@127.0.0.1:{free_port()}/cavra")
    attempts = 0
    original = database.run_sync

    def counted(work):  # type: ignore[no-untyped-def]
        nonlocal attempts
        attempts += 1
        return original(work)

    database.run_sync = counted  # type: ignore[method-assign]
    task = CheckpointTask(database, period_seconds=1, signer=None, clock=lambda: datetime.now(UTC))
    try:
        with caplog.at_level(logging.INFO, logger="cavra-recovery.ledger"):
            task.start()
            for _ in range(100):
                await asyncio.sleep(0.1)
                if attempts >= 2:
                    break
            await task.stop()
    finally:
        database.dispose()
    assert attempts >= 2, "the task did not try again at the next window"
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR] == []
