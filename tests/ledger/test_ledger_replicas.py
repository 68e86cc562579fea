"""Two replicas on one PostgreSQL database ingest concurrently for 30 s, each sealing checkpoints: the
ledger verifies, with exactly one entry per stored record (none lost, none duplicated)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from sqlalchemy import create_engine, text

from cavra.recovery.v1 import common_pb2, evidence_pb2, evidence_pb2_grpc
from cavra_recovery.server.storage.database import normalize_database_url
from tests.conftest import ServerProcess
from tests.delivery.delivery_kit import timestamp
from tests.ledger.ledger_kit import cli

INGEST_SECONDS = 30
BATCH = 50


def _batch(ids: list[str], executed: datetime) -> evidence_pb2.BatchRecordEvidenceRequest:
    return evidence_pb2.BatchRecordEvidenceRequest(
        records=[
            evidence_pb2.EvidenceRecord(
                retry_execution=evidence_pb2.RetryExecution(
                    execution_id=execution_id,
                    provider="slack",
                    execution_status=common_pb2.EXECUTION_STATUS_FAILED,
                    executed_at=timestamp(executed),
                )
            )
            for execution_id in ids
        ]
    )


@pytest.mark.postgres
def test_two_replicas_ingesting_concurrently_leave_a_ledger_that_verifies_with_no_entry_lost_or_duplicated(
    server_factory: Callable[..., ServerProcess], postgres_url: str
) -> None:
    replicas = [
        server_factory(database_url=postgres_url, extra_args=["--ledger-checkpoint-seconds", "1"], http=False)
        for _ in range(2)
    ]
    executed = datetime.now(UTC) - timedelta(hours=1)
    sent: list[set[str]] = [set(), set()]
    errors: list[BaseException] = []
    deadline = time.monotonic() + INGEST_SECONDS

    def ingest(number: int, server: ServerProcess) -> None:
        try:
            with grpc.insecure_channel(server.grpc_address) as channel:
                stub = evidence_pb2_grpc.EvidenceServiceStub(channel)
                round_number = 0
                while time.monotonic() < deadline:
                    # Own ids, plus ids both replicas send in the same round (only one insert wins).
                    ids = [f"r{number}-{round_number}-{i}" for i in range(BATCH)]
                    ids += [f"shared-{round_number}-{i}" for i in range(5)]
                    stub.BatchRecordEvidence(_batch(ids, executed), timeout=30)
                    sent[number].update(ids)
                    round_number += 1
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=ingest, args=(n, server)) for n, server in enumerate(replicas)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    for server in replicas:
        assert server.stop() == 0
    expected = sent[0] | sent[1]
    assert len(sent[0]) > 500 and len(sent[1]) > 500

    assert cli("ledger", "checkpoint", "--database-url", postgres_url).returncode == 0
    verified = cli("ledger", "verify", "--database-url", postgres_url)
    assert verified.returncode == 0, verified.stdout
    engine = create_engine(normalize_database_url(postgres_url))
    try:
        with engine.connect() as connection:
            stored = {row[0] for row in connection.execute(text("SELECT execution_id FROM retry_executions"))}
            entries = [
                row[0]
                for row in connection.execute(
                    text("SELECT record_key FROM ledger_entries WHERE kind = 'retry_execution'")
                )
            ]
            leaves = connection.execute(
                text("SELECT count(*), min(leaf_index), max(leaf_index) FROM ledger_entries")
            ).one()
            total = connection.scalar(text("SELECT count(*) FROM ledger_entries"))
            windows = connection.execute(
                text("SELECT count(*), count(DISTINCT window_start) FROM ledger_checkpoints")
            ).one()
    finally:
        engine.dispose()
    assert stored == expected
    assert len(entries) == len(set(entries)) == len(expected)
    assert set(entries) == expected
    # Every entry sealed, with leaf indexes 0 … n-1.
    assert tuple(leaves) == (total, 0, total - 1)
    # Both replicas ran the checkpoint task: many windows, one checkpoint each.
    assert windows[0] == windows[1] and windows[0] >= 10
