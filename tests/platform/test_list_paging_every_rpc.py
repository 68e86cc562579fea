"""Every List RPC pages the same way (server/domain/paging.py), over a real socket, on SQLite and PostgreSQL.

One table row per List RPC of the three services; the first test fails when a List RPC has no row. Each
listing is seeded with more rows than the maximum page size, so the default size, the clamp and a walk
over several pages are all observable.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
import yaml
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from cavra.recovery.v1 import (
    common_pb2,
    escalation_pb2,
    escalation_pb2_grpc,
    evidence_pb2,
    evidence_pb2_grpc,
    report_pb2,
    report_pb2_grpc,
)
from cavra_recovery.server.storage.database import Database
from cavra_recovery.server.storage.escalation_tables import SilenceRecord
from cavra_recovery.server.storage.models import (
    AcknowledgementRecord,
    DeliveryRecord,
    DeliveryRequestRecord,
    EscalationPlanRecord,
    EscalationRouteRecord,
    ExecutiveReportRecord,
    PlaybookRecord,
    RecoveryClosureRecord,
    RetryExecutionRecord,
    RetryRecoveryReportRecord,
    ScheduleRunRecord,
)
from tests.conftest import fresh_postgres_database, start_server_process
from tests.platform import evidence_builders as build
from tests.platform.rpc_status import rich_error

# The documented policy (docs/paging.md), not the constants of server/domain/paging.py.
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1_000
PAGE_TOKEN_MAX_LENGTH = 512
# More than one maximum page of every listing.
SEEDED = MAX_PAGE_SIZE + 5
WALK_PAGE_SIZE = 250
BASE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
WEBHOOK_SECRET_ENV = "PAGING_WEBHOOK_SECRET"
# More receivers than one maximum page; nothing is ever sent to them (the worker is off).
RECEIVERS = [
    {
        "name": f"paging-{i:04d}",
        "provider": ("webhook", "slack")[i % 2],
        "url": f"https://hooks.example.com/paging/{i:04d}",
        **({"secret_env": WEBHOOK_SECRET_ENV} if i % 2 == 0 else {}),
    }
    for i in range(MAX_PAGE_SIZE + 5)
]
SERVICES = {
    "EvidenceService": evidence_pb2,
    "EscalationService": escalation_pb2,
    "ReportService": report_pb2,
}


@dataclass
class World:
    """A running server whose every listing holds more than MAX_PAGE_SIZE items."""

    stubs: dict[str, Any]
    plan_id: str
    # Every stored item id per listing, read back from the database.
    stored: dict[str, set[str]]


@dataclass(frozen=True)
class ListRpc:
    service: str
    method: str
    items: str
    item_id: str
    # Filters a token issued without them must not be accepted with; None: the RPC has no filters.
    other_filters: dict[str, Any] | None
    required: Callable[[World], dict[str, Any]] = lambda world: {}

    @property
    def name(self) -> str:
        return f"{self.service}.{self.method}"

    def call(self, world: World, **fields: Any) -> Any:
        request = self.request_type()(**self.required(world), **fields)
        return getattr(world.stubs[self.service], self.method)(request, timeout=60)

    def request_type(self) -> Any:
        """The request class, wherever it is declared (the evidence-trail messages live in trail.proto)."""
        service = SERVICES[self.service].DESCRIPTOR.services_by_name[self.service]
        return GetMessageClass(service.methods_by_name[self.method].input_type)

    def ids(self, response: Message) -> list[str]:
        return [getattr(item, self.item_id) for item in getattr(response, self.items)]


LIST_RPCS = [
    ListRpc(
        "EvidenceService",
        "ListRetryExecutions",
        "retry_executions",
        "execution_id",
        other_filters={"provider": "slack"},
    ),
    ListRpc(
        "EvidenceService",
        "ListConnectorRecoveryPlaybooks",
        "playbooks",
        "playbook_id",
        other_filters={"provider": "slack"},
    ),
    ListRpc(
        "EvidenceService",
        "ListRecoveryClosures",
        "closures",
        "closure_id",
        other_filters={"provider": "jira"},
        required=lambda world: {"playbook_id": "-"},
    ),
    ListRpc(
        "EscalationService",
        "ListRecoveryEscalationPlans",
        "plans",
        "plan_id",
        other_filters={"alert_level": common_pb2.ALERT_LEVEL_WARNING},
    ),
    ListRpc(
        "EscalationService",
        "ListRecoveryEscalationRoutes",
        "routes",
        "dedup_key",
        other_filters={"provider": "slack"},
        required=lambda world: {"plan_id": world.plan_id},
    ),
    ListRpc(
        "EscalationService",
        "ListRecoveryEscalationDeliveries",
        "deliveries",
        "delivery_id",
        other_filters={"state": common_pb2.DELIVERY_STATE_DELIVERED},
    ),
    ListRpc("ReportService", "ListExecutiveReportScheduleRuns", "runs", "run_id", other_filters=None),
    ListRpc(
        "ReportService",
        "ListRetryRecoveryReports",
        "reports",
        "report_id",
        other_filters={"plan_id": "plan_copy_0000"},
    ),
    ListRpc(
        "ReportService",
        "ListRecoveryExecutiveReports",
        "reports",
        "report_id",
        other_filters={"plan_id": "plan_copy_0000"},
    ),
    ListRpc(
        "EscalationService",
        "ListRecoveryEscalationAcknowledgements",
        "acknowledgements",
        "acknowledgement_id",
        other_filters={"provider": "slack"},
    ),
    ListRpc(
        "EscalationService",
        "ListEscalationReceivers",
        "receivers",
        "name",
        other_filters={"provider": "slack"},
    ),
    ListRpc(
        "EscalationService",
        "ListRecoveryEscalationSilences",
        "silences",
        "silence_id",
        other_filters={"active_only": True},
    ),
]
BY_NAME = {rpc.name: rpc for rpc in LIST_RPCS}
every_rpc = pytest.mark.parametrize("rpc", LIST_RPCS, ids=[rpc.method for rpc in LIST_RPCS])


def seed_evidence(stub: evidence_pb2_grpc.EvidenceServiceStub) -> None:
    """SEEDED executions, playbooks (two open rows each) and closures; times tie in threes."""

    def at(index: int) -> Any:
        return build.stamp(BASE + timedelta(seconds=index // 3))

    records = [
        evidence_pb2.EvidenceRecord(retry_execution=build.retry_execution(i, executed_at=at(i)))
        for i in range(SEEDED)
    ]
    records += [
        evidence_pb2.EvidenceRecord(playbook=build.playbook(f"pb-{i:04d}", generated_at=at(i)))
        for i in range(SEEDED)
    ]
    records += [
        evidence_pb2.EvidenceRecord(
            closure=build.closure(
                f"closure-{i:04d}", "pb-0000", ("slack", "jira")[i % 2], closed_at=at(i + 2000)
            )
        )
        for i in range(SEEDED)
    ]
    stub.BatchRecordEvidence(evidence_pb2.BatchRecordEvidenceRequest(records=records), timeout=300)


def clone_rows(session: Session, plan_id: str, run_id: str) -> None:
    """SEEDED more plans and schedule runs (copies of real ones) and SEEDED final deliveries."""
    now = datetime.now(UTC)
    plan = session.scalars(select(EscalationPlanRecord).where(EscalationPlanRecord.plan_id == plan_id)).one()
    session.execute(
        insert(EscalationPlanRecord),
        [
            {
                "plan_id": f"plan_copy_{i:04d}",
                "request_id": None,
                "generated_at": plan.generated_at,
                "generated_by": plan.generated_by,
                "alert_level": plan.alert_level,
                "recovery_slo_minutes": plan.recovery_slo_minutes,
                "recovery_report_id": plan.recovery_report_id,
                "escalation_count": plan.escalation_count,
                "document": {**plan.document, "plan_id": f"plan_copy_{i:04d}"},
            }
            for i in range(SEEDED)
        ],
    )
    run = session.scalars(select(ScheduleRunRecord).where(ScheduleRunRecord.run_id == run_id)).one()
    session.execute(
        insert(ScheduleRunRecord),
        [
            {
                "run_id": f"run_copy_{i:04d}",
                "interval_minutes": run.interval_minutes,
                "window_start": run.window_start - timedelta(days=i + 1),
                "window_end": run.window_end - timedelta(days=i + 1),
                "report_id": run.report_id,
                "created_at": run.created_at,
            }
            for i in range(SEEDED)
        ],
    )
    session.execute(
        insert(SilenceRecord),
        [
            {
                "silence_id": f"sil_paging_{i:04d}",
                "provider": "slack",
                "category": "",
                "severity": "",
                "starts_at": now,
                "ends_at": now + timedelta(days=1),
                "comment": "",
                "created_by": "paging",
                "created_at": now,
                "expired_at": None,
                "expired_by": "",
            }
            for i in range(SEEDED)
        ],
    )
    session.execute(
        insert(DeliveryRequestRecord),
        [{"delivery_evidence_id": "dle_paging", "plan_id": plan_id, "dry_run": True, "created_at": now}],
    )
    session.execute(
        insert(DeliveryRecord),
        [
            {
                "delivery_id": f"dlv_paging_{i:04d}",
                "delivery_evidence_id": "dle_paging",
                "plan_id": plan_id,
                "receiver": f"receiver-{i:04d}",
                "provider": "webhook",
                # Final states only: no worker ever picks these rows up.
                "state": ("delivered", "dead_lettered", "dry_run")[i % 3],
                "max_attempts": 3,
                "notification": {},
                "created_at": now,
                "updated_at": now,
            }
            for i in range(SEEDED)
        ],
    )


def clone_report_rows(session: Session, plan_id: str) -> None:
    """SEEDED more SLO reports, executive reports (copies of real ones) and acknowledgements of the plan."""
    now = datetime.now(UTC)
    report = session.scalars(select(RetryRecoveryReportRecord)).first()
    assert report is not None
    session.execute(
        insert(RetryRecoveryReportRecord),
        [
            {
                "report_id": f"rrr_copy_{i:04d}",
                "generated_at": report.generated_at - timedelta(minutes=i + 1),
                "recovery_slo_minutes": report.recovery_slo_minutes,
                "level": report.level,
                "content_digest": f"{i:064x}",
                "document": {},
            }
            for i in range(SEEDED)
        ],
    )
    executive = session.scalars(select(ExecutiveReportRecord)).first()
    assert executive is not None
    session.execute(
        insert(ExecutiveReportRecord),
        [
            {
                "report_id": f"exr_copy_{i:04d}",
                "generated_at": executive.generated_at - timedelta(minutes=i + 1),
                "generated_by": "",
                "status": executive.status,
                "recovery_slo_minutes": executive.recovery_slo_minutes,
                "recovery_report_id": executive.recovery_report_id,
                "escalation_plan_id": executive.escalation_plan_id,
                "content_digest": f"{i:064x}",
                "document": {},
            }
            for i in range(SEEDED)
        ],
    )
    session.execute(
        insert(AcknowledgementRecord),
        [
            {
                "acknowledgement_id": f"ack_copy_{i:04d}",
                "request_id": None,
                "plan_id": plan_id,
                "provider": ("slack", "jira")[i % 2],
                "state": "acknowledged",
                "acknowledged_by": "auditor",
                "acknowledged_at": now,
                "note": "",
            }
            for i in range(SEEDED)
        ],
    )


def stored_ids(session: Session, plan_id: str) -> dict[str, set[str]]:
    def ids(column: Any, *where: Any) -> set[str]:
        return set(session.scalars(select(column).where(*where)))

    return {
        "EvidenceService.ListRetryExecutions": ids(RetryExecutionRecord.execution_id),
        "EvidenceService.ListConnectorRecoveryPlaybooks": ids(PlaybookRecord.playbook_id),
        "EvidenceService.ListRecoveryClosures": ids(RecoveryClosureRecord.closure_id),
        "EscalationService.ListRecoveryEscalationPlans": ids(EscalationPlanRecord.plan_id),
        "EscalationService.ListRecoveryEscalationRoutes": ids(
            EscalationRouteRecord.dedup_key, EscalationRouteRecord.plan_id == plan_id
        ),
        "EscalationService.ListRecoveryEscalationDeliveries": ids(DeliveryRecord.delivery_id),
        "ReportService.ListExecutiveReportScheduleRuns": ids(ScheduleRunRecord.run_id),
        "ReportService.ListRetryRecoveryReports": ids(RetryRecoveryReportRecord.report_id),
        "ReportService.ListRecoveryExecutiveReports": ids(ExecutiveReportRecord.report_id),
        "EscalationService.ListRecoveryEscalationAcknowledgements": ids(
            AcknowledgementRecord.acknowledgement_id
        ),
        "EscalationService.ListEscalationReceivers": {receiver["name"] for receiver in RECEIVERS},
        "EscalationService.ListRecoveryEscalationSilences": ids(SilenceRecord.silence_id),
    }


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One real server per database, seeded once for the whole table."""
    with ExitStack() as stack:
        if request.param == "sqlite":
            database_url = f"sqlite:///{tmp_path_factory.mktemp('paging') / 'cavra.db'}"
        else:
            database_url = stack.enter_context(fresh_postgres_database())
        connectors = tmp_path_factory.mktemp("paging-connectors") / "connectors.yaml"
        connectors.write_text(
            yaml.safe_dump({"receivers": RECEIVERS, "routing": {"default": RECEIVERS[0]["name"]}})
        )
        server = start_server_process(
            database_url=database_url,
            http=False,
            extra_args=["--connectors", str(connectors)],
            env={
                "CAVRA_DELIVERY_WORKER": "off",
                WEBHOOK_SECRET_ENV: "whsec_" + "c2VjcmV0LXNlY3JldC1zZWNyZXQ=",
            },
        )
        stack.callback(server.stop)
        channel = stack.enter_context(grpc.insecure_channel(server.grpc_address))
        stubs: dict[str, Any] = {
            "EvidenceService": evidence_pb2_grpc.EvidenceServiceStub(channel),
            "EscalationService": escalation_pb2_grpc.EscalationServiceStub(channel),
            "ReportService": report_pb2_grpc.ReportServiceStub(channel),
        }
        seed_evidence(stubs["EvidenceService"])
        plan_id = (
            stubs["EscalationService"]
            .CreateRecoveryEscalationPlan(escalation_pb2.CreateRecoveryEscalationPlanRequest(), timeout=300)
            .plan.plan_id
        )
        run_id = (
            stubs["ReportService"]
            .RunExecutiveReportSchedule(report_pb2.RunExecutiveReportScheduleRequest(), timeout=300)
            .run.run_id
        )
        database = Database(database_url)
        stack.callback(database.dispose)
        database.run_sync(lambda session: clone_rows(session, plan_id, run_id))
        database.run_sync(lambda session: clone_report_rows(session, plan_id))
        stored = database.run_sync(lambda session: stored_ids(session, plan_id))
        for name, ids in stored.items():
            assert len(ids) > MAX_PAGE_SIZE, f"{name}: only {len(ids)} items seeded"
        yield World(stubs=stubs, plan_id=plan_id, stored=stored)


def invalid_argument_fields(call: Callable[[], object]) -> list[str]:
    with pytest.raises(grpc.RpcError) as raised:
        call()
    error = rich_error(raised.value)  # type: ignore[arg-type]
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT, error.message
    return error.fields


def forge(token: str, **changes: Any) -> str:
    document = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    document.update(changes)
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")


def test_the_table_has_a_row_for_every_list_rpc() -> None:
    """A new List RPC fails here until it has a row (and so is paged the same way)."""
    declared = {
        f"{service}.{method.name}"
        for service, module in SERVICES.items()
        for method in module.DESCRIPTOR.services_by_name[service].methods
        if method.name.startswith("List")
    }
    assert set(BY_NAME) == declared
    placeholder = World(stubs={}, plan_id="plan", stored={})
    for rpc in LIST_RPCS:
        request_fields = set(rpc.request_type().DESCRIPTOR.fields_by_name)
        assert {"page_size", "page_token"} <= request_fields, rpc.name
        filters = request_fields - {"page_size", "page_token"} - set(rpc.required(placeholder))
        if rpc.other_filters is None:
            assert not filters, f"{rpc.name} has filters {filters}: give its row other_filters"
        else:
            assert set(rpc.other_filters) <= filters, rpc.name


@every_rpc
def test_walking_every_page_returns_every_item_once(world: World, rpc: ListRpc) -> None:
    seen: list[str] = []
    token = ""
    pages = 0
    while True:
        page = rpc.call(world, page_size=WALK_PAGE_SIZE, page_token=token)
        assert len(rpc.ids(page)) <= WALK_PAGE_SIZE
        assert page.total_size == len(world.stored[rpc.name])
        seen += rpc.ids(page)
        pages += 1
        assert pages <= len(world.stored[rpc.name]) // WALK_PAGE_SIZE + 1, "the pages never end"
        token = page.next_page_token
        if not token:
            break
    assert pages >= 3
    assert len(seen) == len(set(seen))
    assert set(seen) == world.stored[rpc.name]
    # The last page is not empty: a listing never hands out a token to nothing.
    assert rpc.ids(page)


@every_rpc
def test_page_size_zero_serves_the_default(world: World, rpc: ListRpc) -> None:
    page = rpc.call(world, page_size=0)
    assert len(rpc.ids(page)) == DEFAULT_PAGE_SIZE
    assert page.next_page_token


@every_rpc
def test_a_page_size_above_the_maximum_is_clamped_to_the_maximum(world: World, rpc: ListRpc) -> None:
    for page_size in (MAX_PAGE_SIZE + 1, 2**31 - 1):
        page = rpc.call(world, page_size=page_size)
        assert len(rpc.ids(page)) == MAX_PAGE_SIZE
        assert page.next_page_token
    rest = rpc.call(world, page_size=2**31 - 1, page_token=page.next_page_token)
    left = len(world.stored[rpc.name]) - MAX_PAGE_SIZE
    assert len(rpc.ids(rest)) == min(left, MAX_PAGE_SIZE)
    assert bool(rest.next_page_token) == (left > MAX_PAGE_SIZE)


@every_rpc
def test_a_negative_page_size_is_invalid_argument(world: World, rpc: ListRpc) -> None:
    for page_size in (-1, -(2**31)):
        assert invalid_argument_fields(lambda size=page_size: rpc.call(world, page_size=size)) == [
            "page_size"
        ]


@every_rpc
def test_a_forged_or_garbled_page_token_is_invalid_argument(world: World, rpc: ListRpc) -> None:
    genuine = rpc.call(world, page_size=WALK_PAGE_SIZE).next_page_token
    assert rpc.ids(rpc.call(world, page_size=WALK_PAGE_SIZE, page_token=forge(genuine)))
    forged = [
        "not-a-token!",
        genuine[: len(genuine) // 2],
        genuine + "%",
        "A" * (PAGE_TOKEN_MAX_LENGTH + 1),
        base64.urlsafe_b64encode(b"\xff\xfe\x00garbage").decode().rstrip("="),
        forge(genuine, i=2**63),
        forge(genuine, i=10**30),
        forge(genuine, i=-1),
        forge(genuine, i="7"),
        forge(genuine, i=True),
        forge(genuine, f=12),
        forge(genuine, x=1),
    ]
    for token in forged:
        fields = invalid_argument_fields(
            lambda t=token: rpc.call(world, page_size=WALK_PAGE_SIZE, page_token=t)
        )
        assert fields == ["page_token"], token


@pytest.mark.parametrize(
    "rpc",
    [rpc for rpc in LIST_RPCS if rpc.other_filters is not None],
    ids=[rpc.method for rpc in LIST_RPCS if rpc.other_filters is not None],
)
def test_a_token_reused_with_other_filters_is_invalid_argument(world: World, rpc: ListRpc) -> None:
    assert rpc.other_filters is not None
    token = rpc.call(world, page_size=WALK_PAGE_SIZE).next_page_token
    assert token
    fields = invalid_argument_fields(
        lambda: rpc.call(world, page_size=WALK_PAGE_SIZE, page_token=token, **rpc.other_filters)
    )
    assert fields == ["page_token"]


@every_rpc
def test_a_token_from_another_list_rpc_is_invalid_argument(world: World, rpc: ListRpc) -> None:
    for other in LIST_RPCS:
        if other is rpc:
            continue
        token = other.call(world, page_size=WALK_PAGE_SIZE).next_page_token
        assert token
        fields = invalid_argument_fields(
            lambda t=token: rpc.call(world, page_size=WALK_PAGE_SIZE, page_token=t)
        )
        assert fields == ["page_token"], other.name
