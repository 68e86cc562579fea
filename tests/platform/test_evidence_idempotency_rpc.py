"""The same 1,000 distinct records of each kind, sent twice over the RPCs, leave exactly 1,000 rows each.

Runs against a real server on SQLite and on PostgreSQL, through BatchRecordEvidence and through the
single-record RPCs, and counts the rows with plain SQL rather than through the service's own storage code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta
from typing import Any

import grpc
import pytest
from sqlalchemy import create_engine, text

from cavra.recovery.v1 import common_pb2, evidence_pb2, evidence_pb2_grpc
from cavra_recovery.server.storage.database import Database
from tests.conftest import ServerProcess
from tests.platform import evidence_builders as build

COUNT = 1_000
# Single-record RPCs in flight at once: enough to overlap round trips without queueing for minutes.
IN_FLIGHT = 64
TABLES = ("retry_executions", "connector_recovery_playbooks", "playbook_providers", "recovery_closures")
PROVIDERS = ("slack", "jira", "splunk", "acme-hooks")


def executions() -> list[evidence_pb2.RetryExecution]:
    return [build.retry_execution(i) for i in range(COUNT)]


def playbooks() -> list[evidence_pb2.ConnectorRecoveryPlaybook]:
    return [
        build.playbook(
            f"pb-{i:05d}",
            (PROVIDERS[i % 4],),
            generated_at=build.stamp(build.BASE_TIME - timedelta(minutes=i)),
        )
        for i in range(COUNT)
    ]


def closures() -> list[evidence_pb2.RecoveryClosure]:
    return [
        build.closure(
            f"closure-{i:05d}",
            playbook_id=f"pb-{i:05d}",
            provider=PROVIDERS[i % 4],
            closure_state=(common_pb2.CLOSURE_STATE_RESOLVED, common_pb2.CLOSURE_STATE_DEFERRED)[i % 2],
            closed_at=build.stamp(build.BASE_TIME + timedelta(minutes=i)),
        )
        for i in range(COUNT)
    ]


def row_counts(database_url: str) -> dict[str, int]:
    engine = create_engine(Database(database_url).url)
    try:
        with engine.connect() as connection:
            return {
                table: int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
                for table in TABLES
            }
    finally:
        engine.dispose()


def listed_totals(stub: evidence_pb2_grpc.EvidenceServiceStub) -> tuple[int, int, int]:
    return (
        stub.ListRetryExecutions(evidence_pb2.ListRetryExecutionsRequest(page_size=1)).total_size,
        stub.ListConnectorRecoveryPlaybooks(
            evidence_pb2.ListConnectorRecoveryPlaybooksRequest(page_size=1)
        ).total_size,
        stub.ListRecoveryClosures(
            evidence_pb2.ListRecoveryClosuresRequest(playbook_id="-", page_size=1)
        ).total_size,
    )


def send_all(method: Any, requests: Sequence[Any]) -> list[Any]:
    """Call a unary RPC for every request, IN_FLIGHT at a time; responses in request order."""
    responses: list[Any] = []
    for start in range(0, len(requests), IN_FLIGHT):
        futures = [method.future(request, timeout=60) for request in requests[start : start + IN_FLIGHT]]
        responses.extend(future.result() for future in futures)
    return responses


def record_one_by_one(stub: evidence_pb2_grpc.EvidenceServiceStub) -> tuple[list[Any], list[Any], list[Any]]:
    execution_responses = send_all(
        stub.RecordRetryExecution,
        [evidence_pb2.RecordRetryExecutionRequest(retry_execution=e) for e in executions()],
    )
    playbook_responses = send_all(
        stub.RecordConnectorRecoveryPlaybook,
        [evidence_pb2.RecordConnectorRecoveryPlaybookRequest(playbook=p) for p in playbooks()],
    )
    closure_responses = send_all(
        stub.RecordRecoveryClosure,
        [evidence_pb2.RecordRecoveryClosureRequest(playbook_id=c.playbook_id, closure=c) for c in closures()],
    )
    return execution_responses, playbook_responses, closure_responses


def stored_record(response: Any) -> bytes:
    """The record of a Record* response, without its `created` flag."""
    copy = type(response)()
    copy.CopyFrom(response)
    copy.ClearField("created")
    return bytes(copy.SerializeToString(deterministic=True))


@pytest.fixture
def running(server_factory: Callable[..., ServerProcess], database_url: str) -> Iterator[tuple[Any, str]]:
    server = server_factory(database_url=database_url, http=False)
    with grpc.insecure_channel(server.grpc_address) as channel:
        yield evidence_pb2_grpc.EvidenceServiceStub(channel), database_url


def test_single_record_rpcs_sent_twice_leave_exactly_1000_rows_of_each_kind(
    running: tuple[evidence_pb2_grpc.EvidenceServiceStub, str],
) -> None:
    stub, database_url = running
    first = record_one_by_one(stub)
    second = record_one_by_one(stub)

    for kind_first, kind_second in zip(first, second, strict=True):
        assert len(kind_first) == len(kind_second) == COUNT
        assert all(response.created for response in kind_first)
        assert not any(response.created for response in kind_second)
        # The resend answers with the stored record, first recorded_at included.
        assert [stored_record(r) for r in kind_first] == [stored_record(r) for r in kind_second]

    assert row_counts(database_url) == dict.fromkeys(TABLES, COUNT)
    assert listed_totals(stub) == (COUNT, COUNT, COUNT)


def test_batches_sent_twice_leave_exactly_1000_rows_of_each_kind(
    running: tuple[evidence_pb2_grpc.EvidenceServiceStub, str],
) -> None:
    stub, database_url = running
    by_kind = [
        [evidence_pb2.EvidenceRecord(retry_execution=e) for e in executions()],
        [evidence_pb2.EvidenceRecord(playbook=p) for p in playbooks()],
        [evidence_pb2.EvidenceRecord(closure=c) for c in closures()],
    ]
    for records in by_kind:
        response = stub.BatchRecordEvidence(
            evidence_pb2.BatchRecordEvidenceRequest(records=records), timeout=120
        )
        assert (response.created_count, response.unchanged_count) == (COUNT, 0)
    assert row_counts(database_url) == dict.fromkeys(TABLES, COUNT)

    # The second time as one mixed batch, closures before their playbooks: every record is unchanged.
    mixed = [*by_kind[2], *by_kind[0], *by_kind[1]]
    again = stub.BatchRecordEvidence(evidence_pb2.BatchRecordEvidenceRequest(records=mixed), timeout=120)
    assert (again.created_count, again.unchanged_count) == (0, 3 * COUNT)

    assert row_counts(database_url) == dict.fromkeys(TABLES, COUNT)
    assert listed_totals(stub) == (COUNT, COUNT, COUNT)


def test_single_records_then_the_same_records_in_a_batch_change_nothing(
    running: tuple[evidence_pb2_grpc.EvidenceServiceStub, str],
) -> None:
    stub, database_url = running
    record_one_by_one(stub)
    records = [
        *(evidence_pb2.EvidenceRecord(playbook=p) for p in playbooks()),
        *(evidence_pb2.EvidenceRecord(closure=c) for c in closures()),
        *(evidence_pb2.EvidenceRecord(retry_execution=e) for e in executions()),
    ]
    again = stub.BatchRecordEvidence(evidence_pb2.BatchRecordEvidenceRequest(records=records), timeout=120)
    assert (again.created_count, again.unchanged_count) == (0, 3 * COUNT)
    assert row_counts(database_url) == dict.fromkeys(TABLES, COUNT)
