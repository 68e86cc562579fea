"""Every RPC that looks a resource up by id answers an unknown id with NOT_FOUND and ErrorInfo
`<RESOURCE>_NOT_FOUND` (domain recovery.cavra.dev, the id under its metadata key), on SQLite and
PostgreSQL, against a real server with a connectors config (the deliver RPCs refuse to run without one).

The RPCs come from the service descriptors: every Get RPC and every RPC with an `*_id` request field
must appear in one of the tables below, so a new one cannot go unchecked.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
import yaml
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass

from cavra.recovery.v1 import (
    common_pb2,
    escalation_pb2,
    evidence_pb2,
    ledger_pb2,
    policy_pb2,
    report_pb2,
    trail_pb2,
)
from tests.conftest import ServerProcess, free_port, fresh_postgres_database, start_server_process
from tests.platform import evidence_builders as build
from tests.platform.rpc_status import rich_error

UNKNOWN_ID = "no-such-id-404"
WEBHOOK_SECRET_ENV = "NOT_FOUND_WEBHOOK_SECRET"
SERVICES: tuple[ServiceDescriptor, ...] = tuple(
    service
    for module in (evidence_pb2, escalation_pb2, report_pb2, ledger_pb2)
    for service in module.DESCRIPTOR.services_by_name.values()
)
METHODS: dict[str, MethodDescriptor] = {method.name: method for s in SERVICES for method in s.methods}


@dataclass(frozen=True)
class Lookup:
    """`method` called with UNKNOWN_ID answers NOT_FOUND with `reason` and the id under `id_key`."""

    method: str
    request: Message
    reason: str
    id_key: str


ACKNOWLEDGED = common_pb2.ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED
LOOKUPS = [
    Lookup(
        "GetRetryExecution",
        evidence_pb2.GetRetryExecutionRequest(execution_id=UNKNOWN_ID),
        "RETRY_EXECUTION_NOT_FOUND",
        "execution_id",
    ),
    Lookup(
        "GetConnectorRecoveryPlaybook",
        evidence_pb2.GetConnectorRecoveryPlaybookRequest(playbook_id=UNKNOWN_ID),
        "PLAYBOOK_NOT_FOUND",
        "playbook_id",
    ),
    Lookup(
        "RecordRecoveryClosure",
        evidence_pb2.RecordRecoveryClosureRequest(
            playbook_id=UNKNOWN_ID, closure=build.closure(playbook_id="")
        ),
        "PLAYBOOK_NOT_FOUND",
        "playbook_id",
    ),
    Lookup(
        "ListRecoveryClosures",
        evidence_pb2.ListRecoveryClosuresRequest(playbook_id=UNKNOWN_ID),
        "PLAYBOOK_NOT_FOUND",
        "playbook_id",
    ),
    Lookup(
        "BatchRecordEvidence",
        evidence_pb2.BatchRecordEvidenceRequest(
            records=[evidence_pb2.EvidenceRecord(closure=build.closure(playbook_id=UNKNOWN_ID))]
        ),
        "PLAYBOOK_NOT_FOUND",
        "playbook_id",
    ),
    Lookup(
        "GetRecoveryEscalationPlan",
        escalation_pb2.GetRecoveryEscalationPlanRequest(plan_id=UNKNOWN_ID),
        "ESCALATION_PLAN_NOT_FOUND",
        "plan_id",
    ),
    Lookup(
        "ListRecoveryEscalationRoutes",
        escalation_pb2.ListRecoveryEscalationRoutesRequest(plan_id=UNKNOWN_ID),
        "ESCALATION_PLAN_NOT_FOUND",
        "plan_id",
    ),
    Lookup(
        "DeliverRecoveryEscalation",
        escalation_pb2.DeliverRecoveryEscalationRequest(plan_id=UNKNOWN_ID, dry_run=True),
        "ESCALATION_PLAN_NOT_FOUND",
        "plan_id",
    ),
    Lookup(
        "AcknowledgeRecoveryEscalation",
        escalation_pb2.AcknowledgeRecoveryEscalationRequest(
            plan_id=UNKNOWN_ID, provider="slack", state=ACKNOWLEDGED, acknowledged_by="release-manager"
        ),
        "ESCALATION_PLAN_NOT_FOUND",
        "plan_id",
    ),
    Lookup(
        "GetRecoveryEvidenceTrail",
        trail_pb2.GetRecoveryEvidenceTrailRequest(plan_id=UNKNOWN_ID),
        "ESCALATION_PLAN_NOT_FOUND",
        "plan_id",
    ),
    Lookup(
        "GetRecoveryEscalationDelivery",
        escalation_pb2.GetRecoveryEscalationDeliveryRequest(delivery_id=UNKNOWN_ID),
        "DELIVERY_NOT_FOUND",
        "delivery_id",
    ),
    Lookup(
        "ReplayRecoveryEscalationDelivery",
        escalation_pb2.ReplayRecoveryEscalationDeliveryRequest(delivery_id=UNKNOWN_ID),
        "DELIVERY_NOT_FOUND",
        "delivery_id",
    ),
    Lookup(
        "ExpireRecoveryEscalationSilence",
        policy_pb2.ExpireRecoveryEscalationSilenceRequest(silence_id=UNKNOWN_ID),
        "SILENCE_NOT_FOUND",
        "silence_id",
    ),
    Lookup(
        "GetRecoveryEscalationState",
        policy_pb2.GetRecoveryEscalationStateRequest(plan_id=UNKNOWN_ID),
        "ESCALATION_PLAN_NOT_FOUND",
        "plan_id",
    ),
    Lookup(
        "GetRetryRecoveryReport",
        report_pb2.GetRetryRecoveryReportRequest(report_id=UNKNOWN_ID),
        "RETRY_RECOVERY_REPORT_NOT_FOUND",
        "report_id",
    ),
    Lookup(
        "GetRecoveryExecutiveReport",
        report_pb2.GetRecoveryExecutiveReportRequest(report_id=UNKNOWN_ID),
        "EXECUTIVE_REPORT_NOT_FOUND",
        "report_id",
    ),
    Lookup(
        "RenderRecoveryExecutiveReport",
        report_pb2.RenderRecoveryExecutiveReportRequest(
            report_id=UNKNOWN_ID, format=common_pb2.REPORT_FORMAT_MARKDOWN
        ),
        "EXECUTIVE_REPORT_NOT_FOUND",
        "report_id",
    ),
    Lookup(
        "DeliverExecutiveReportScheduleRun",
        report_pb2.DeliverExecutiveReportScheduleRunRequest(run_id=UNKNOWN_ID, dry_run=True),
        "SCHEDULE_RUN_NOT_FOUND",
        "run_id",
    ),
    Lookup(
        "GetLedgerInclusionProof",
        ledger_pb2.GetLedgerInclusionProofRequest(kind="escalation_plan", record_id=UNKNOWN_ID),
        "LEDGER_ENTRY_NOT_FOUND",
        "record_id",
    ),
]
# Here the plan id only filters which deliveries are listed or evaluated: an unknown one matches none,
# so the call answers OK with the named repeated field empty.
FILTERS: list[tuple[Message, str]] = [
    (escalation_pb2.PlanRecoveryEscalationRetriesRequest(plan_id=UNKNOWN_ID), "decisions"),
    (escalation_pb2.RunRecoveryEscalationRetryWorkerRequest(plan_id=UNKNOWN_ID), "decisions"),
    (escalation_pb2.ListRecoveryEscalationDeliveriesRequest(plan_id=UNKNOWN_ID), "deliveries"),
    (trail_pb2.ListRecoveryEscalationAcknowledgementsRequest(plan_id=UNKNOWN_ID), "acknowledgements"),
    (trail_pb2.ListRetryRecoveryReportsRequest(plan_id=UNKNOWN_ID), "reports"),
    (trail_pb2.ListRecoveryExecutiveReportsRequest(plan_id=UNKNOWN_ID), "reports"),
]
# Get RPCs that take no id at all (the ledger's take tree sizes: tests/ledger/test_ledger_proofs.py).
GETS_WITHOUT_ID = {"GetRollbackDrillDashboard", "GetLedgerCheckpoint", "GetLedgerConsistencyProof"}


def _id_fields(method: MethodDescriptor) -> set[str]:
    return {f.name for f in method.input_type.fields if f.name.endswith("_id") and f.name != "request_id"}


def _method_of(request: Message) -> MethodDescriptor:
    (method,) = [m for m in METHODS.values() if m.input_type is request.DESCRIPTOR]
    return method


def _call(channel: grpc.Channel, method: MethodDescriptor, request: Message) -> Message:
    invoke = channel.unary_unary(
        f"/{method.containing_service.full_name}/{method.name}",
        request_serializer=lambda message: message.SerializeToString(),
        response_deserializer=GetMessageClass(method.output_type).FromString,
    )
    response: Message = invoke(request, timeout=30)
    return response


def test_every_get_rpc_has_a_not_found_row() -> None:
    gets = {name for name in METHODS if name.startswith("Get")}
    assert gets - GETS_WITHOUT_ID <= {row.method for row in LOOKUPS}
    assert all(not _id_fields(METHODS[name]) for name in GETS_WITHOUT_ID)


def test_every_rpc_with_an_id_field_is_in_a_table() -> None:
    with_ids = {name for name, method in METHODS.items() if _id_fields(method)}
    tabled = {row.method for row in LOOKUPS} | {_method_of(request).name for request, _ in FILTERS}
    assert with_ids <= tabled, f"add a row for: {sorted(with_ids - tabled)}"
    for row in LOOKUPS:
        assert METHODS[row.method].input_type is row.request.DESCRIPTOR, row.method


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def channel(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[grpc.Channel]:
    """A real server (with connectors, so the deliver RPCs get as far as their lookup) per database."""
    directory = tmp_path_factory.mktemp(f"not-found-{request.param}")
    connectors = directory / "connectors.yaml"
    receiver = {
        "name": "probe1",
        "provider": "webhook",
        # Nothing listens here and nothing is ever sent: every lookup fails first.
        "url": f"http://127.0.0.1:{free_port()}/hook",
        "secret_env": WEBHOOK_SECRET_ENV,
        "allow_networks": ["127.0.0.0/8", "::1/128"],
    }
    connectors.write_text(yaml.safe_dump({"receivers": [receiver], "routing": {"default": "probe1"}}))
    if request.param == "sqlite":
        yield from _serve(f"sqlite:///{directory / 'cavra-recovery.db'}", connectors)
    else:
        with fresh_postgres_database() as url:
            yield from _serve(url, connectors)


def _serve(database_url: str, connectors: Path) -> Iterator[grpc.Channel]:
    server: ServerProcess = start_server_process(
        database_url=database_url,
        extra_args=["--connectors", str(connectors)],
        env={WEBHOOK_SECRET_ENV: "whsec_" + "c2VjcmV0LXNlY3JldC1zZWNyZXQ="},
        http=False,
    )
    try:
        with grpc.insecure_channel(server.grpc_address) as channel:
            yield channel
    finally:
        server.stop()


@pytest.mark.parametrize("row", [pytest.param(row, id=row.method) for row in LOOKUPS])
def test_an_unknown_id_is_not_found_with_the_resource_reason(channel: grpc.Channel, row: Lookup) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        _call(channel, METHODS[row.method], row.request)
    error = rich_error(raised.value)  # type: ignore[arg-type]
    assert error.code == grpc.StatusCode.NOT_FOUND, error.message
    assert [(info.reason, info.domain) for info in error.error_infos] == [(row.reason, "recovery.cavra.dev")]
    assert error.error_infos[0].metadata[row.id_key] == UNKNOWN_ID
    assert UNKNOWN_ID in error.message


@pytest.mark.parametrize(
    ("request_message", "listed"), [pytest.param(*row, id=_method_of(row[0]).name) for row in FILTERS]
)
def test_an_unknown_id_used_as_a_filter_matches_nothing(
    channel: grpc.Channel, request_message: Message, listed: str
) -> None:
    response = _call(channel, _method_of(request_message), request_message)
    assert list(getattr(response, listed)) == []
