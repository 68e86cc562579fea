"""EvidenceService end to end: the real server over a real socket, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import grpc
import pytest

from cavra.recovery.v1 import common_pb2, evidence_pb2, evidence_pb2_grpc
from tests.conftest import ServerProcess
from tests.platform import evidence_builders as build
from tests.platform.rpc_status import rich_error


@pytest.fixture
def stub(
    server_factory: Callable[..., ServerProcess], database_url: str
) -> Iterator[evidence_pb2_grpc.EvidenceServiceStub]:
    server = server_factory(database_url=database_url, http=False)
    with grpc.insecure_channel(server.grpc_address) as channel:
        yield evidence_pb2_grpc.EvidenceServiceStub(channel)


def test_each_kind_is_recorded_once_and_read_back(stub: evidence_pb2_grpc.EvidenceServiceStub) -> None:
    execution = build.retry_execution(4)
    first = stub.RecordRetryExecution(evidence_pb2.RecordRetryExecutionRequest(retry_execution=execution))
    again = stub.RecordRetryExecution(evidence_pb2.RecordRetryExecutionRequest(retry_execution=execution))
    assert (first.created, again.created) == (True, False)
    assert again.retry_execution == first.retry_execution
    assert first.retry_execution.HasField("recorded_at")

    playbook = stub.RecordConnectorRecoveryPlaybook(
        evidence_pb2.RecordConnectorRecoveryPlaybookRequest(
            playbook=build.playbook("pb-1", ("splunk", "email"))
        )
    )
    categories = {p.provider: p.category for p in playbook.playbook.providers}
    assert categories == {
        "email": common_pb2.PROVIDER_CATEGORY_CHATOPS,
        "splunk": common_pb2.PROVIDER_CATEGORY_SIEM,
    }

    closure = build.closure("c-1", playbook_id="", provider="splunk")
    recorded = stub.RecordRecoveryClosure(
        evidence_pb2.RecordRecoveryClosureRequest(playbook_id="pb-1", closure=closure)
    )
    assert recorded.created and recorded.closure.playbook_id == "pb-1"

    got = stub.GetRetryExecution(evidence_pb2.GetRetryExecutionRequest(execution_id=execution.execution_id))
    assert got.retry_execution == first.retry_execution
    got_playbook = stub.GetConnectorRecoveryPlaybook(
        evidence_pb2.GetConnectorRecoveryPlaybookRequest(playbook_id="pb-1")
    )
    assert got_playbook.playbook == playbook.playbook
    closures = stub.ListRecoveryClosures(evidence_pb2.ListRecoveryClosuresRequest(playbook_id="pb-1"))
    assert [c.closure_id for c in closures.closures] == ["c-1"]
    assert closures.closures[0].notes == "webhook secret rotated"


def test_conflicts_and_missing_records_answer_their_codes(
    stub: evidence_pb2_grpc.EvidenceServiceStub,
) -> None:
    stub.RecordRetryExecution(
        evidence_pb2.RecordRetryExecutionRequest(retry_execution=build.retry_execution(1))
    )
    changed = build.retry_execution(1, delivery_success=True, skipped_reason="changed")
    with pytest.raises(grpc.RpcError) as conflict:
        stub.RecordRetryExecution(evidence_pb2.RecordRetryExecutionRequest(retry_execution=changed))
    error = rich_error(conflict.value)  # type: ignore[arg-type]
    assert error.code == grpc.StatusCode.ALREADY_EXISTS
    assert error.error_infos[0].metadata["execution_id"] == "exec-0000001"

    with pytest.raises(grpc.RpcError) as unknown_playbook:
        stub.RecordRecoveryClosure(
            evidence_pb2.RecordRecoveryClosureRequest(
                playbook_id="pb-404", closure=build.closure(playbook_id="")
            )
        )
    assert rich_error(unknown_playbook.value).code == grpc.StatusCode.NOT_FOUND  # type: ignore[arg-type]

    with pytest.raises(grpc.RpcError) as missing:
        stub.GetRetryExecution(evidence_pb2.GetRetryExecutionRequest(execution_id="exec-404"))
    assert rich_error(missing.value).error_infos[0].reason == "RETRY_EXECUTION_NOT_FOUND"  # type: ignore[arg-type]


def test_list_pages_through_filtered_records_with_total_size(
    stub: evidence_pb2_grpc.EvidenceServiceStub,
) -> None:
    records = [evidence_pb2.EvidenceRecord(retry_execution=build.retry_execution(i)) for i in range(250)]
    response = stub.BatchRecordEvidence(evidence_pb2.BatchRecordEvidenceRequest(records=records))
    assert (response.created_count, response.unchanged_count) == (250, 0)

    request = evidence_pb2.ListRetryExecutionsRequest(
        page_size=40,
        provider="slack",
        start_time=build.stamp(build.BASE_TIME + timedelta(seconds=20)),
        end_time=build.stamp(build.BASE_TIME + timedelta(seconds=220)),
    )
    ids: list[str] = []
    pages = 0
    while True:
        page = stub.ListRetryExecutions(request)
        pages += 1
        assert page.total_size == 50
        ids.extend(e.execution_id for e in page.retry_executions)
        if not page.next_page_token:
            break
        request.page_token = page.next_page_token
    assert pages == 2
    assert ids == [f"exec-{i:07d}" for i in range(216, 19, -4)]

    request.provider = "jira"
    with pytest.raises(grpc.RpcError) as reused:
        stub.ListRetryExecutions(request)
    assert rich_error(reused.value).fields == ["page_token"]  # type: ignore[arg-type]

    failed = stub.ListRetryExecutions(
        evidence_pb2.ListRetryExecutionsRequest(
            execution_status=common_pb2.EXECUTION_STATUS_FAILED, page_size=1
        )
    )
    assert failed.total_size == 83 and len(failed.retry_executions) == 1


def test_playbooks_list_by_provider_and_closures_across_playbooks(
    stub: evidence_pb2_grpc.EvidenceServiceStub,
) -> None:
    records = [
        evidence_pb2.EvidenceRecord(playbook=build.playbook("pb-a", ("slack", "jira"))),
        evidence_pb2.EvidenceRecord(playbook=build.playbook("pb-b", ("webhook",))),
        evidence_pb2.EvidenceRecord(closure=build.closure("c-a", "pb-a", "jira")),
        evidence_pb2.EvidenceRecord(closure=build.closure("c-b", "pb-b", "webhook")),
    ]
    stub.BatchRecordEvidence(evidence_pb2.BatchRecordEvidenceRequest(records=records))
    again = stub.BatchRecordEvidence(evidence_pb2.BatchRecordEvidenceRequest(records=records))
    assert (again.created_count, again.unchanged_count) == (0, 4)

    with_jira = stub.ListConnectorRecoveryPlaybooks(
        evidence_pb2.ListConnectorRecoveryPlaybooksRequest(provider="jira")
    )
    assert [p.playbook_id for p in with_jira.playbooks] == ["pb-a"] and with_jira.total_size == 1
    every = stub.ListRecoveryClosures(
        evidence_pb2.ListRecoveryClosuresRequest(playbook_id="-", provider="webhook")
    )
    assert [c.closure_id for c in every.closures] == ["c-b"]


def test_a_page_size_above_the_maximum_is_clamped_to_1000(
    stub: evidence_pb2_grpc.EvidenceServiceStub,
) -> None:
    records = [evidence_pb2.EvidenceRecord(retry_execution=build.retry_execution(i)) for i in range(1001)]
    stub.BatchRecordEvidence(evidence_pb2.BatchRecordEvidenceRequest(records=records))
    first = stub.ListRetryExecutions(evidence_pb2.ListRetryExecutionsRequest(page_size=5000))
    assert len(first.retry_executions) == 1000 and first.total_size == 1001
    rest = stub.ListRetryExecutions(
        evidence_pb2.ListRetryExecutionsRequest(page_size=2**31 - 1, page_token=first.next_page_token)
    )
    assert [e.execution_id for e in rest.retry_executions] == ["exec-0000000"] and not rest.next_page_token
