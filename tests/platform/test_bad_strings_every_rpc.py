"""Every string field of every RPC, filled with a NUL byte, 10,000 characters or a control character,
never answers INTERNAL or UNKNOWN on a real PostgreSQL-backed server (PostgreSQL rejects NUL in text).

The RPCs and their fields come from the service descriptors, so a new RPC or field is covered without
touching this file. Each request is otherwise plausible (required fields set, real plan and schedule-run
ids), so that the bad string gets as deep into the handler as it can; the string fields are bad one at a
time, then all at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
import pytest
import yaml
from google.api import field_behavior_pb2
from google.protobuf import timestamp_pb2
from google.protobuf.descriptor import FieldDescriptor, MethodDescriptor, ServiceDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass

from cavra.recovery.v1 import (
    escalation_pb2,
    escalation_pb2_grpc,
    evidence_pb2,
    ledger_pb2,
    report_pb2,
    report_pb2_grpc,
)
from tests.conftest import ServerProcess, free_port, fresh_postgres_database, start_server_process

pytestmark = pytest.mark.postgres

SERVICES: tuple[ServiceDescriptor, ...] = tuple(
    service
    for module in (evidence_pb2, escalation_pb2, report_pb2, ledger_pb2)
    for service in module.DESCRIPTOR.services_by_name.values()
)
BAD_STRINGS = {
    "nul": "probe\x00one",
    "10000-chars": "a" * 10_000,
    "control-char": "probe\x1b[31mone",
}
ALLOWED = {grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION}
ALL_FIELDS = "*"
REQUIRED = field_behavior_pb2.REQUIRED
OUTPUT_ONLY = field_behavior_pb2.OUTPUT_ONLY
SOME_TIME = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
WEBHOOK_SECRET_ENV = "BAD_STRINGS_WEBHOOK_SECRET"


def _behaviors(field: Any) -> list[int]:
    return list(field.GetOptions().Extensions[field_behavior_pb2.field_behavior])


@dataclass
class RequestBuilder:
    """Builds a plausible request, with the string field at `target` (or every one) set to `bad`."""

    benign: dict[str, str]
    target: str | None = None
    bad: str = ""

    def __post_init__(self) -> None:
        self.string_paths: list[str] = []

    def build(self, method: MethodDescriptor) -> Message:
        message: Message = GetMessageClass(method.input_type)()
        self._fill(message, "", choice=0)
        return message

    def _string(self, field: Any, path: str) -> str:
        self.string_paths.append(path)
        if self.target in (path, ALL_FIELDS):
            return self.bad
        return self.benign.get(field.name, "probe1")

    def _fill(self, message: Message, prefix: str, *, choice: int) -> None:
        descriptor_fields: list[Any] = list(message.DESCRIPTOR.fields)
        for field in descriptor_fields:
            behaviors = _behaviors(field)
            if OUTPUT_ONLY in behaviors:
                continue
            oneof = field.containing_oneof
            if oneof is not None and oneof.fields[choice % len(oneof.fields)] is not field:
                continue
            path = prefix + field.name
            if field.type == FieldDescriptor.TYPE_STRING:
                if field.is_repeated:
                    getattr(message, field.name).append(self._string(field, f"{path}[0]"))
                else:
                    setattr(message, field.name, self._string(field, path))
            elif field.type == FieldDescriptor.TYPE_MESSAGE:
                if field.message_type.full_name == "google.protobuf.Timestamp":
                    if REQUIRED in behaviors:
                        stamp = timestamp_pb2.Timestamp()
                        stamp.FromDatetime(SOME_TIME)
                        getattr(message, field.name).CopyFrom(stamp)
                elif field.is_repeated:
                    # One element per member of the element's oneof, so every member is exercised.
                    choices = max([len(o.fields) for o in field.message_type.oneofs] or [1])
                    for index in range(choices):
                        element = getattr(message, field.name).add()
                        self._fill(element, f"{path}[{index}].", choice=index)
                else:
                    child = getattr(message, field.name)
                    child.SetInParent()
                    self._fill(child, f"{path}.", choice=choice)
            elif field.type == FieldDescriptor.TYPE_ENUM and REQUIRED in behaviors and not field.is_repeated:
                setattr(message, field.name, field.enum_type.values[1].number)


def string_paths(method: MethodDescriptor) -> list[str]:
    builder = RequestBuilder(benign={})
    builder.build(method)
    return builder.string_paths


@dataclass
class ProbeServer:
    server: ServerProcess
    channel: grpc.Channel
    benign: dict[str, str]

    def call(self, method: MethodDescriptor, request: Message) -> grpc.StatusCode:
        invoke = self.channel.unary_unary(
            f"/{method.containing_service.full_name}/{method.name}",
            request_serializer=lambda message: message.SerializeToString(),
            response_deserializer=lambda raw: raw,
        )
        try:
            invoke(request, timeout=60)
        except grpc.RpcError as error:
            code: grpc.StatusCode = error.code()
            return code
        return grpc.StatusCode.OK


@pytest.fixture(scope="module")
def postgres_database() -> Iterator[str]:
    """One fresh PostgreSQL database for the whole module (the server is shared by every case)."""
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(scope="module")
def probe(postgres_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProbeServer]:
    connectors = Path(tmp_path_factory.mktemp("bad-strings")) / "connectors.yaml"
    receiver = {
        "name": "probe1",
        "provider": "webhook",
        # Nothing listens here; the probe plan has no routes, so nothing is ever sent.
        "url": f"http://127.0.0.1:{free_port()}/hook",
        "secret_env": WEBHOOK_SECRET_ENV,
        "allow_networks": ["127.0.0.0/8", "::1/128"],
    }
    connectors.write_text(yaml.safe_dump({"receivers": [receiver], "routing": {"default": "probe1"}}))
    server = start_server_process(
        database_url=postgres_database,
        extra_args=["--connectors", str(connectors)],
        env={WEBHOOK_SECRET_ENV: "whsec_" + "c2VjcmV0LXNlY3JldC1zZWNyZXQ="},
        http=False,
    )
    channel = grpc.insecure_channel(server.grpc_address)
    try:
        plan = escalation_pb2_grpc.EscalationServiceStub(channel).CreateRecoveryEscalationPlan(
            escalation_pb2.CreateRecoveryEscalationPlanRequest(generated_by="probe1"), timeout=30
        )
        run = report_pb2_grpc.ReportServiceStub(channel).RunExecutiveReportSchedule(
            report_pb2.RunExecutiveReportScheduleRequest(generated_by="probe1"), timeout=30
        )
        benign = {"plan_id": plan.plan.plan_id, "run_id": run.run.run_id, "page_token": "", "report_id": ""}
        yield ProbeServer(server, channel, benign)
    finally:
        channel.close()
        server.stop()


METHODS = [method for service in SERVICES for method in service.methods]
METHODS_WITH_STRINGS = [method for method in METHODS if string_paths(method)]


def test_every_rpc_of_every_service_is_probed() -> None:
    names = {method.containing_service.name for method in METHODS}
    assert names == {"EvidenceService", "EscalationService", "ReportService", "LedgerService"}
    assert all(not m.client_streaming and not m.server_streaming for m in METHODS), "probe streams too"
    # An RPC without any string field has nothing to probe; a new one shows up here to be looked at.
    assert {m.name for m in METHODS} - {m.name for m in METHODS_WITH_STRINGS} == {
        "GetRollbackDrillDashboard",
        "GetLedgerCheckpoint",
        "GetLedgerConsistencyProof",
    }


@pytest.mark.parametrize(
    "method", [pytest.param(m, id=f"{m.containing_service.name}.{m.name}") for m in METHODS_WITH_STRINGS]
)
def test_bad_strings_never_answer_internal_or_unknown(probe: ProbeServer, method: MethodDescriptor) -> None:
    paths = string_paths(method)
    failures: list[str] = []
    for kind, bad in BAD_STRINGS.items():
        for target in [*paths, ALL_FIELDS]:
            request = RequestBuilder(benign=probe.benign, target=target, bad=bad).build(method)
            code = probe.call(method, request)
            if code not in ALLOWED:
                failures.append(f"{target} = <{kind}> -> {code.name}")
    assert not failures, f"{method.name}:\n" + "\n".join(failures)
