"""Backfill: 100,000 retry executions through BatchRecordEvidence, then visible to list and count."""

from __future__ import annotations

from collections.abc import Callable

import grpc

from cavra.recovery.v1 import common_pb2, evidence_pb2, evidence_pb2_grpc
from tests.conftest import ServerProcess
from tests.platform import evidence_builders as build

TOTAL = 100_000
BATCH = 5_000


def batch_request(start: int) -> evidence_pb2.BatchRecordEvidenceRequest:
    return evidence_pb2.BatchRecordEvidenceRequest(
        records=[
            evidence_pb2.EvidenceRecord(retry_execution=build.retry_execution(i))
            for i in range(start, start + BATCH)
        ],
        request_id=f"backfill-{start}",
    )


def test_a_backfill_of_100000_executions_is_listed_and_counted(
    server_factory: Callable[..., ServerProcess], sqlite_url: str
) -> None:
    server = server_factory(database_url=sqlite_url, http=False)
    with grpc.insecure_channel(server.grpc_address) as channel:
        stub = evidence_pb2_grpc.EvidenceServiceStub(channel)
        created = 0
        for start in range(0, TOTAL, BATCH):
            response = stub.BatchRecordEvidence(batch_request(start), timeout=120)
            assert response.unchanged_count == 0
            created += response.created_count
        assert created == TOTAL

        # Resending one batch in the middle changes nothing: under a new request_id every record is
        # unchanged; under its first request_id the call answers its first response (docs/idempotency.md).
        resent = batch_request(50_000)
        first_answer = stub.BatchRecordEvidence(resent, timeout=120)
        resent.request_id = "backfill-50000-resent"
        again = stub.BatchRecordEvidence(resent, timeout=120)
        assert (first_answer.created_count, first_answer.unchanged_count) == (BATCH, 0)
        assert (again.created_count, again.unchanged_count) == (0, BATCH)

        everything = stub.ListRetryExecutions(evidence_pb2.ListRetryExecutionsRequest(page_size=1000))
        assert everything.total_size == TOTAL
        assert everything.retry_executions[0].execution_id == f"exec-{TOTAL - 1:07d}"
        failed = stub.ListRetryExecutions(
            evidence_pb2.ListRetryExecutionsRequest(execution_status=common_pb2.EXECUTION_STATUS_FAILED)
        )
        assert failed.total_size == len(range(1, TOTAL, 3))
        slack = stub.ListRetryExecutions(
            evidence_pb2.ListRetryExecutionsRequest(provider="slack", page_size=1)
        )
        assert slack.total_size == TOTAL // 4

        request = evidence_pb2.ListRetryExecutionsRequest(page_size=1000)
        seen = 0
        while True:
            page = stub.ListRetryExecutions(request, timeout=60)
            seen += len(page.retry_executions)
            if not page.next_page_token:
                break
            request.page_token = page.next_page_token
        assert seen == TOTAL
