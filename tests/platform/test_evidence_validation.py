"""Malformed evidence requests answer INVALID_ARGUMENT naming the bad field, over a real socket."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Any

import grpc
import pytest
from google.protobuf import timestamp_pb2

from cavra.recovery.v1 import common_pb2, evidence_pb2, evidence_pb2_grpc
from tests.conftest import fresh_postgres_database, start_server_process
from tests.platform import evidence_builders as build
from tests.platform.rpc_status import rich_error

Call = Callable[[evidence_pb2_grpc.EvidenceServiceStub], Any]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def stub(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[evidence_pb2_grpc.EvidenceServiceStub]:
    """One real server per database for the whole table: SQLite file and PostgreSQL."""
    with ExitStack() as stack:
        if request.param == "sqlite":
            database_url = f"sqlite:///{tmp_path_factory.mktemp('validation') / 'cavra.db'}"
        else:
            database_url = stack.enter_context(fresh_postgres_database())
        server = start_server_process(database_url=database_url, http=False)
        stack.callback(server.stop)
        channel = stack.enter_context(grpc.insecure_channel(server.grpc_address))
        stub = evidence_pb2_grpc.EvidenceServiceStub(channel)
        for playbook_id in ("playbook-0", "playbook-1"):
            stub.RecordConnectorRecoveryPlaybook(
                evidence_pb2.RecordConnectorRecoveryPlaybookRequest(playbook=build.playbook(playbook_id))
            )
        yield stub


def record_execution(**overrides: Any) -> Call:
    return lambda stub: stub.RecordRetryExecution(
        evidence_pb2.RecordRetryExecutionRequest(retry_execution=build.retry_execution(1, **overrides))
    )


def record_playbook(change: Callable[[evidence_pb2.ConnectorRecoveryPlaybook], None]) -> Call:
    message = build.playbook("playbook-2", ("slack", "jira", "webhook"))
    change(message)
    return lambda stub: stub.RecordConnectorRecoveryPlaybook(
        evidence_pb2.RecordConnectorRecoveryPlaybookRequest(playbook=message)
    )


def record_closure(**overrides: Any) -> Call:
    return lambda stub: stub.RecordRecoveryClosure(
        evidence_pb2.RecordRecoveryClosureRequest(
            playbook_id="playbook-1", closure=build.closure(**overrides)
        )
    )


def batch(records: list[evidence_pb2.EvidenceRecord]) -> Call:
    return lambda stub: stub.BatchRecordEvidence(evidence_pb2.BatchRecordEvidenceRequest(records=records))


def executions(count: int) -> list[evidence_pb2.EvidenceRecord]:
    return [evidence_pb2.EvidenceRecord(retry_execution=build.retry_execution(i)) for i in range(count)]


def list_executions(**fields: Any) -> Call:
    return lambda stub: stub.ListRetryExecutions(evidence_pb2.ListRetryExecutionsRequest(**fields))


def stamp(year: int) -> timestamp_pb2.Timestamp:
    return build.stamp(datetime(year, 1, 1, tzinfo=UTC))


def set_failure_count(message: evidence_pb2.ConnectorRecoveryPlaybook) -> None:
    message.providers[2].failure_count = -1


def duplicate_provider(message: evidence_pb2.ConnectorRecoveryPlaybook) -> None:
    message.providers[1].provider = "slack"


def bad_status_code(message: evidence_pb2.ConnectorRecoveryPlaybook) -> None:
    message.providers[0].status_codes.append(42)


def unknown_category(message: evidence_pb2.ConnectorRecoveryPlaybook) -> None:
    message.providers[0].category = 77  # type: ignore[assignment]


def siem_category_for_slack(message: evidence_pb2.ConnectorRecoveryPlaybook) -> None:
    message.providers[0].category = common_pb2.PROVIDER_CATEGORY_SIEM


def no_providers(message: evidence_pb2.ConnectorRecoveryPlaybook) -> None:
    del message.providers[:]


def negative_lookback(message: evidence_pb2.ConnectorRecoveryPlaybook) -> None:
    message.lookback_hours = -24


def closure_in_batch_without_time() -> list[evidence_pb2.EvidenceRecord]:
    records = executions(17)
    broken = build.closure()
    broken.ClearField("closed_at")
    records.append(evidence_pb2.EvidenceRecord(closure=broken))
    return records


def conflicting_ids_in_batch() -> list[evidence_pb2.EvidenceRecord]:
    first = build.retry_execution(5)
    second = build.retry_execution(5, run_id="another-run")
    return [
        evidence_pb2.EvidenceRecord(retry_execution=first),
        evidence_pb2.EvidenceRecord(retry_execution=second),
    ]


CASES: list[tuple[str, Call, str]] = [
    (
        "missing record",
        lambda s: s.RecordRetryExecution(evidence_pb2.RecordRetryExecutionRequest()),
        "retry_execution",
    ),
    ("empty id", record_execution(execution_id=""), "retry_execution.execution_id"),
    ("over-long id", record_execution(execution_id="x" * 129), "retry_execution.execution_id"),
    ("id with a slash", record_execution(execution_id="exec/1"), "retry_execution.execution_id"),
    ("upper-case provider", record_execution(provider="Slack"), "retry_execution.provider"),
    ("over-long provider", record_execution(provider="p" * 65), "retry_execution.provider"),
    ("unspecified status", record_execution(execution_status=0), "retry_execution.execution_status"),
    ("unknown status", record_execution(execution_status=99), "retry_execution.execution_status"),
    ("absent time", record_execution(executed_at=None), "retry_execution.executed_at"),
    ("time before 2000", record_execution(executed_at=stamp(1970)), "retry_execution.executed_at"),
    ("time after 2100", record_execution(executed_at=stamp(2150)), "retry_execution.executed_at"),
    (
        "nanos out of range",
        record_execution(executed_at=timestamp_pb2.Timestamp(seconds=1772366400, nanos=2_000_000_000)),
        "retry_execution.executed_at",
    ),
    ("over-long free text", record_execution(skipped_reason="r" * 4097), "retry_execution.skipped_reason"),
    ("malformed optional id", record_execution(run_id="run id with spaces"), "retry_execution.run_id"),
    (
        "over-long request id",
        lambda s: s.RecordRetryExecution(
            evidence_pb2.RecordRetryExecutionRequest(
                retry_execution=build.retry_execution(1), request_id="r" * 200
            )
        ),
        "request_id",
    ),
    ("no providers", record_playbook(no_providers), "playbook.providers"),
    ("negative failure count", record_playbook(set_failure_count), "playbook.providers[2].failure_count"),
    ("duplicate provider", record_playbook(duplicate_provider), "playbook.providers[1].provider"),
    ("negative lookback", record_playbook(negative_lookback), "playbook.lookback_hours"),
    ("bad status code", record_playbook(bad_status_code), "playbook.providers[0].status_codes[2]"),
    ("unknown category", record_playbook(unknown_category), "playbook.providers[0].category"),
    (
        "category other than the provider's",
        record_playbook(siem_category_for_slack),
        "playbook.providers[0].category",
    ),
    ("closure for another playbook", record_closure(playbook_id="playbook-9"), "closure.playbook_id"),
    ("unspecified closure state", record_closure(closure_state=0), "closure.closure_state"),
    (
        "too many verification refs",
        record_closure(verification_refs=[f"r{i}" for i in range(51)]),
        "closure.verification_refs",
    ),
    ("control character in notes", record_closure(notes="line\x00break"), "closure.notes"),
    ("over-long closed_by", record_closure(closed_by="n" * 129), "closure.closed_by"),
    ("batch closure without time", batch(closure_in_batch_without_time()), "records[17].closure.closed_at"),
    ("empty batch", batch([]), "records"),
    ("batch over 5,000", batch(executions(5001)), "records"),
    ("batch record of no kind", batch([*executions(1), evidence_pb2.EvidenceRecord()]), "records[1]"),
    ("batch id reused", batch(conflicting_ids_in_batch()), "records[1].retry_execution.execution_id"),
    ("negative page size", list_executions(page_size=-1), "page_size"),
    ("malformed page token", list_executions(page_token="not-a-token!"), "page_token"),
    ("empty window", list_executions(start_time=stamp(2026), end_time=stamp(2026)), "start_time"),
    ("unknown status filter", list_executions(execution_status=42), "execution_status"),
    ("filter provider malformed", list_executions(provider="SLACK"), "provider"),
    (
        "get without id",
        lambda s: s.GetRetryExecution(evidence_pb2.GetRetryExecutionRequest()),
        "execution_id",
    ),
    (
        "closures of no playbook",
        lambda s: s.ListRecoveryClosures(evidence_pb2.ListRecoveryClosuresRequest(playbook_id="")),
        "playbook_id",
    ),
]


@pytest.mark.parametrize(("call", "field"), [pytest.param(c, f, id=name) for name, c, f in CASES])
def test_malformed_input_is_invalid_argument_naming_the_field(
    stub: evidence_pb2_grpc.EvidenceServiceStub, call: Call, field: str
) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        call(stub)
    error = rich_error(caught.value)  # type: ignore[arg-type]
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT, error.message
    assert field in error.fields, error.fields
    assert len(error.error_infos) == 1
    assert error.error_infos[0].reason == "INVALID_ARGUMENT"


def test_every_bad_field_of_a_request_is_reported_at_once(
    stub: evidence_pb2_grpc.EvidenceServiceStub,
) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        record_execution(execution_id="", provider="BAD", execution_status=0, executed_at=None)(stub)
    assert rich_error(caught.value).fields == [  # type: ignore[arg-type]
        "retry_execution.execution_id",
        "retry_execution.provider",
        "retry_execution.execution_status",
        "retry_execution.executed_at",
    ]


def test_a_batch_of_5000_broken_records_still_answers_invalid_argument(
    stub: evidence_pb2_grpc.EvidenceServiceStub,
) -> None:
    records = [
        evidence_pb2.EvidenceRecord(
            retry_execution=build.retry_execution(i, provider="BAD", execution_status=0)
        )
        for i in range(5000)
    ]
    with pytest.raises(grpc.RpcError) as caught:
        batch(records)(stub)
    error = rich_error(caught.value)  # type: ignore[arg-type]
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert error.fields[:2] == [
        "records[0].retry_execution.provider",
        "records[0].retry_execution.execution_status",
    ]
    assert "9975 more" in error.field_violations[-1].description


def test_nothing_of_a_rejected_batch_is_stored(stub: evidence_pb2_grpc.EvidenceServiceStub) -> None:
    with pytest.raises(grpc.RpcError):
        batch(closure_in_batch_without_time())(stub)
    listed = stub.ListRetryExecutions(evidence_pb2.ListRetryExecutionsRequest())
    assert listed.total_size == 0


def test_unknown_enum_values_are_named_not_internal(stub: evidence_pb2_grpc.EvidenceServiceStub) -> None:
    request = evidence_pb2.ListRecoveryClosuresRequest(
        playbook_id="-", closure_state=common_pb2.ClosureState.Value("CLOSURE_STATE_RESOLVED") + 40
    )
    with pytest.raises(grpc.RpcError) as caught:
        stub.ListRecoveryClosures(request)
    assert rich_error(caught.value).fields == ["closure_state"]  # type: ignore[arg-type]


def test_the_providers_own_category_may_be_sent_explicitly(
    stub: evidence_pb2_grpc.EvidenceServiceStub,
) -> None:
    message = build.playbook("playbook-explicit", ("slack", "splunk", "acme-hooks"))
    for entry, category in zip(
        message.providers,
        (common_pb2.PROVIDER_CATEGORY_CHATOPS, common_pb2.PROVIDER_CATEGORY_SIEM, 0),
        strict=True,
    ):
        entry.category = category
    recorded = stub.RecordConnectorRecoveryPlaybook(
        evidence_pb2.RecordConnectorRecoveryPlaybookRequest(playbook=message)
    )
    assert {p.provider: p.category for p in recorded.playbook.providers} == {
        "slack": common_pb2.PROVIDER_CATEGORY_CHATOPS,
        "splunk": common_pb2.PROVIDER_CATEGORY_SIEM,
        "acme-hooks": common_pb2.PROVIDER_CATEGORY_WEBHOOK,
    }


def _forge(token: str, **changes: Any) -> str:
    document = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    document.update(changes)
    document = {key: value for key, value in document.items() if value is not _DROP}
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")


_DROP = object()


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"i": 10**30}, id="id-beyond-64-bits"),
        pytest.param({"i": 2**63}, id="id-2**63"),
        pytest.param({"i": -1}, id="negative-id"),
        pytest.param({"i": True}, id="boolean-id"),
        pytest.param({"i": 1.5}, id="fractional-id"),
        pytest.param({"i": "7"}, id="string-id"),
        pytest.param({"t": "0001-01-01T00:00:00+00:00"}, id="year-1"),
        pytest.param({"t": "9999-12-31T23:59:59+00:00"}, id="year-9999"),
        pytest.param({"t": "2026-03-01T12:00:00"}, id="naive-time"),
        pytest.param({"t": 12}, id="numeric-time"),
        pytest.param({"f": 12}, id="numeric-fingerprint"),
        pytest.param({"x": 1}, id="extra-key"),
        pytest.param({"i": _DROP}, id="missing-id"),
    ],
)
def test_forged_page_tokens_are_invalid_argument(
    stub: evidence_pb2_grpc.EvidenceServiceStub, changes: dict[str, Any]
) -> None:
    first = stub.ListConnectorRecoveryPlaybooks(
        evidence_pb2.ListConnectorRecoveryPlaybooksRequest(page_size=1)
    )
    assert first.next_page_token
    genuine = stub.ListConnectorRecoveryPlaybooks(
        evidence_pb2.ListConnectorRecoveryPlaybooksRequest(
            page_size=1, page_token=_forge(first.next_page_token)
        )
    )
    assert len(genuine.playbooks) == 1
    forged = _forge(first.next_page_token, **changes)
    with pytest.raises(grpc.RpcError) as caught:
        stub.ListConnectorRecoveryPlaybooks(
            evidence_pb2.ListConnectorRecoveryPlaybooksRequest(page_size=1, page_token=forged)
        )
    error = rich_error(caught.value)  # type: ignore[arg-type]
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT, error.message
    assert error.fields == ["page_token"]


def test_a_token_that_is_not_a_json_object_is_invalid_argument(
    stub: evidence_pb2_grpc.EvidenceServiceStub,
) -> None:
    for document in ([1, 2, 3], "text", 10**30, None):
        token = base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")
        with pytest.raises(grpc.RpcError) as caught:
            stub.ListRetryExecutions(evidence_pb2.ListRetryExecutionsRequest(page_token=token))
        assert rich_error(caught.value).fields == ["page_token"]  # type: ignore[arg-type]
