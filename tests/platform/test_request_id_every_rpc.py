"""The one idempotency rule (docs/idempotency.md), held to over every mutating RPC on a real socket, on SQLite
and PostgreSQL: a repeated (request_id, request) answers the first response byte for byte, also after a
restart; the request_id with other parameters is REQUEST_ID_REUSED on `request_id`; two concurrent
identical calls act once (one stored effect, one answer)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
from google.protobuf.message import Message

from cavra.recovery.v1 import (
    common_pb2,
    escalation_pb2,
    evidence_pb2,
    ledger_pb2,
    policy_pb2,
    report_pb2,
    report_pb2_grpc,
)
from tests.conftest import ServerProcess, free_port
from tests.delivery.delivery_kit import (
    Clients,
    clients,
    deliver,
    delivery_env,
    failure_of,
    seed_open_recovery,
    timestamp,
    wait_for_delivery,
    webhook_receiver,
    write_connector_file,
)

E = escalation_pb2
V = evidence_pb2
R = report_pb2
NOW = datetime.now(UTC).replace(microsecond=0)
FAILED, DELIVERED = common_pb2.EXECUTION_STATUS_FAILED, common_pb2.EXECUTION_STATUS_DELIVERED
DISMISSED, ACCEPTED = common_pb2.ACKNOWLEDGEMENT_STATE_DISMISSED, common_pb2.ACKNOWLEDGEMENT_STATE_ACCEPTED


@dataclass
class World:
    """What the calls refer to: a plan about slack, a schedule run and two dead-lettered deliveries."""

    plan_id: str
    run_id: str
    dead: tuple[str, str]
    silences: tuple[str, str] = ("", "")


# A request: (variant, request_id, altered) -> message. Variants 1 and 2 act on different things, so a
# second execution would show; `altered` changes one parameter, so the request is another request.
Build = Callable[[World, int, str, bool], Message]


@dataclass(frozen=True)
class Row:
    method: str
    build: Build
    # The dashboard counter (or "deliveries") that one execution raises by one; None: no stored effect.
    effect: str | None


def _execution(world: World, variant: int, request_id: str, altered: bool) -> Message:
    return V.RecordRetryExecutionRequest(
        retry_execution=V.RetryExecution(
            execution_id=f"exec-{variant}",
            provider="slack",
            execution_status=common_pb2.EXECUTION_STATUS_FAILED
            if altered
            else common_pb2.EXECUTION_STATUS_DELIVERED,
            executed_at=timestamp(NOW - timedelta(minutes=5)),
        ),
        request_id=request_id,
    )


def _playbook(world: World, variant: int, request_id: str, altered: bool) -> Message:
    return V.RecordConnectorRecoveryPlaybookRequest(
        playbook=V.ConnectorRecoveryPlaybook(
            playbook_id=f"pb-key-{variant}",
            generated_at=timestamp(NOW - timedelta(hours=1)),
            lookback_hours=24,
            min_failure_count=2 if altered else 1,
            providers=[V.PlaybookProvider(provider="teams", failure_count=2)],
        ),
        request_id=request_id,
    )


def _closure(world: World, variant: int, request_id: str, altered: bool) -> Message:
    return V.RecordRecoveryClosureRequest(
        playbook_id="pb-delivery-1",
        closure=V.RecoveryClosure(
            closure_id=f"closure-{variant}",
            playbook_id="pb-delivery-1",
            provider="slack",
            closure_state=common_pb2.CLOSURE_STATE_DEFERRED if altered else common_pb2.CLOSURE_STATE_REOPENED,
            closed_at=timestamp(NOW - timedelta(minutes=1)),
        ),
        request_id=request_id,
    )


def _batch(world: World, variant: int, request_id: str, altered: bool) -> Message:
    executions = [
        V.EvidenceRecord(
            retry_execution=V.RetryExecution(
                execution_id=f"batch-{variant}-{index}",
                provider="webhook",
                execution_status=common_pb2.EXECUTION_STATUS_DELIVERED,
                executed_at=timestamp(NOW - timedelta(minutes=index + 1)),
            )
        )
        for index in range(3 if altered else 1)
    ]
    return V.BatchRecordEvidenceRequest(records=executions, request_id=request_id)


def _plan(world: World, variant: int, request_id: str, altered: bool) -> Message:
    return E.CreateRecoveryEscalationPlanRequest(
        recovery_slo_minutes=10 if altered else 240, generated_by=f"ops-{variant}", request_id=request_id
    )


def _deliver(world: World, variant: int, request_id: str, altered: bool) -> Message:
    return E.DeliverRecoveryEscalationRequest(
        plan_id=world.plan_id, dry_run=True, max_routes=6 if altered else 5, request_id=request_id
    )


def _acknowledge(world: World, variant: int, request_id: str, altered: bool) -> Message:
    return E.AcknowledgeRecoveryEscalationRequest(
        plan_id=world.plan_id,
        provider="slack",
        state=common_pb2.ACKNOWLEDGEMENT_STATE_DISMISSED
        if altered
        else common_pb2.ACKNOWLEDGEMENT_STATE_ACCEPTED,
        acknowledged_by=f"release-manager-{variant}",
        request_id=request_id,
    )


def _plan_retries(world: World, variant: int, request_id: str, altered: bool) -> Message:
    return E.PlanRecoveryEscalationRetriesRequest(
        plan_id=world.plan_id, policy=E.RetryPolicy(max_attempts=5 if altered else 3), request_id=request_id
    )


def _retry_worker(world: World, variant: int, request_id: str, altered: bool) -> Message:
    return E.RunRecoveryEscalationRetryWorkerRequest(
        plan_id=world.plan_id, limit=3 if altered else 0, request_id=request_id
    )


def _replay(world: World, variant: int, request_id: str, altered: bool) -> Message:
    return E.ReplayRecoveryEscalationDeliveryRequest(
        delivery_id="dlv-other" if altered else world.dead[variant - 1], request_id=request_id
    )


def _schedule(world: World, variant: int, request_id: str, altered: bool) -> Message:
    # Each variant is a window of its own interval, so a second execution would create a second run.
    return R.RunExecutiveReportScheduleRequest(
        interval_minutes=60 * variant + 7,
        generated_by="scheduler-b" if altered else "scheduler",
        request_id=request_id,
    )


def _schedule_delivery(world: World, variant: int, request_id: str, altered: bool) -> Message:
    return R.DeliverExecutiveReportScheduleRunRequest(
        run_id=world.run_id, dry_run=True, retries=4 if altered else 0, request_id=request_id
    )


def _silence(world: World, variant: int, request_id: str, altered: bool) -> Message:
    return policy_pb2.CreateRecoveryEscalationSilenceRequest(
        provider=f"prov-{variant}",
        ends_at=timestamp(NOW + timedelta(days=1)),
        comment="altered" if altered else "maintenance",
        request_id=request_id,
    )


def _expire(world: World, variant: int, request_id: str, altered: bool) -> Message:
    return policy_pb2.ExpireRecoveryEscalationSilenceRequest(
        silence_id="sil-other" if altered else world.silences[variant - 1], request_id=request_id
    )


ROWS = [
    Row("EvidenceService/RecordRetryExecution", _execution, "retry_executions_ok"),
    Row("EvidenceService/RecordConnectorRecoveryPlaybook", _playbook, "playbooks"),
    Row("EvidenceService/RecordRecoveryClosure", _closure, "closures"),
    Row("EvidenceService/BatchRecordEvidence", _batch, "retry_executions_ok"),
    Row("EscalationService/CreateRecoveryEscalationPlan", _plan, "escalation_plans"),
    Row("EscalationService/DeliverRecoveryEscalation", _deliver, "deliveries"),
    Row("EscalationService/AcknowledgeRecoveryEscalation", _acknowledge, "acknowledgements"),
    Row("EscalationService/PlanRecoveryEscalationRetries", _plan_retries, None),
    Row("EscalationService/RunRecoveryEscalationRetryWorker", _retry_worker, None),
    Row("EscalationService/ReplayRecoveryEscalationDelivery", _replay, None),
    Row("ReportService/RunExecutiveReportSchedule", _schedule, "schedule_runs"),
    Row("ReportService/DeliverExecutiveReportScheduleRun", _schedule_delivery, "deliveries"),
    Row("EscalationService/CreateRecoveryEscalationSilence", _silence, "silences"),
    Row("EscalationService/ExpireRecoveryEscalationSilence", _expire, None),
]


def _mutating_methods() -> set[str]:
    """Every RPC whose request carries a request_id: the rule covers them all."""
    found = set()
    for module in (evidence_pb2, escalation_pb2, report_pb2, ledger_pb2):
        for service in module.DESCRIPTOR.services_by_name.values():
            for method in service.methods:
                if "request_id" in method.input_type.fields_by_name:
                    found.add(f"{service.name}/{method.name}")
    return found


def test_the_table_covers_every_rpc_with_a_request_id() -> None:
    assert {row.method for row in ROWS} == _mutating_methods()


def _caller(channel: grpc.Channel, method: str, response_type: type[Message]) -> Callable[[Message], Message]:
    call = channel.unary_unary(
        f"/cavra.recovery.v1.{method}",
        request_serializer=lambda message: message.SerializeToString(),
        response_deserializer=response_type.FromString,
    )
    return lambda request: call(request, timeout=60)


def _response_type(method: str) -> type[Message]:
    service, name = method.split("/")
    for module in (evidence_pb2, escalation_pb2, report_pb2, ledger_pb2):
        if service in module.DESCRIPTOR.services_by_name:
            output = module.DESCRIPTOR.services_by_name[service].methods_by_name[name].output_type
            # Newer RPCs keep their messages in policy.proto.
            return getattr(module, output.name, None) or getattr(policy_pb2, output.name)  # type: ignore[no-any-return]
    raise AssertionError(method)


def _effects(api: Clients) -> dict[str, int]:
    board = report_pb2_grpc.ReportServiceStub(api.channel).GetRollbackDrillDashboard(
        R.GetRollbackDrillDashboardRequest(), timeout=30
    )
    counts = {field.name: value for field, value in board.ListFields() if isinstance(value, int)}
    deliveries = api.escalation.ListRecoveryEscalationDeliveries(
        E.ListRecoveryEscalationDeliveriesRequest(page_size=1), timeout=30
    )
    counts["deliveries"] = deliveries.total_size
    silences = api.escalation.ListRecoveryEscalationSilences(
        policy_pb2.ListRecoveryEscalationSilencesRequest(page_size=1), timeout=30
    )
    counts["silences"] = silences.total_size
    return counts


def _prepare(api: Clients) -> World:
    seed_open_recovery(api)
    plan_id = deliver(api, dry_run=True).plan.plan_id
    run = report_pb2_grpc.ReportServiceStub(api.channel).RunExecutiveReportSchedule(
        R.RunExecutiveReportScheduleRequest(interval_minutes=30), timeout=30
    )
    dead = []
    for _ in range(2):
        (result,) = deliver(api, retries=1).results
        assert wait_for_delivery(api, result.delivery_id).state == common_pb2.DELIVERY_STATE_DEAD_LETTERED
        dead.append(result.delivery_id)
    silences = [
        api.escalation.CreateRecoveryEscalationSilence(
            policy_pb2.CreateRecoveryEscalationSilenceRequest(
                provider=f"expiring-{n}", ends_at=timestamp(NOW + timedelta(days=1))
            ),
            timeout=30,
        ).silence.silence_id
        for n in range(2)
    ]
    return World(
        plan_id=plan_id, run_id=run.run.run_id, dead=(dead[0], dead[1]), silences=(silences[0], silences[1])
    )


def _settle_dead_letters(api: Clients, world: World) -> None:
    """A replay puts the delivery back in the outbox; wait until it is dead-lettered again."""
    for delivery_id in world.dead:
        wait_for_delivery(api, delivery_id, within=60)


def _check_row(
    api: Clients, world: World, row: Row, keys: tuple[str, str], problems: list[str]
) -> tuple[Message, bytes]:
    """Repeat, reuse and race one RPC; returns its first request and response for the restart check."""
    call = _caller(api.channel, row.method, _response_type(row.method))
    key, racing_key = keys
    request = row.build(world, 1, key, False)
    before = _effects(api)
    response = call(request).SerializeToString(deterministic=True)
    after = _effects(api)
    if row.effect is not None and after[row.effect] - before.get(row.effect, 0) < 1:
        problems.append(f"{row.method}: the first call stored nothing ({row.effect})")
    _settle_dead_letters(api, world)

    if call(request).SerializeToString(deterministic=True) != response:
        problems.append(f"{row.method}: a repeat did not answer the first response byte for byte")

    reused = failure_of(lambda: call(row.build(world, 1, key, True)))
    if (reused.code, reused.reason, reused.fields) != (
        grpc.StatusCode.INVALID_ARGUMENT,
        "REQUEST_ID_REUSED",
        ("request_id",),
    ):
        problems.append(f"{row.method}: reuse with another request gave {reused}")

    racing = row.build(world, 2, racing_key, False)
    before = _effects(api)
    with ThreadPoolExecutor(2) as pool:
        answers = [future.result() for future in [pool.submit(call, racing) for _ in range(2)]]
    after = _effects(api)
    _settle_dead_letters(api, world)
    if answers[0].SerializeToString(deterministic=True) != answers[1].SerializeToString(deterministic=True):
        problems.append(f"{row.method}: two concurrent identical calls answered differently")
    changed = None if row.effect is None else after[row.effect] - before.get(row.effect, 0)
    if changed not in (None, 1):
        problems.append(
            f"{row.method}: two concurrent identical calls changed {row.effect} by {changed}, not 1"
        )
    return request, response


def test_every_mutating_rpc_acts_once_per_request_id(
    server_factory: Callable[..., ServerProcess], database_url: str, tmp_path: Path
) -> None:
    # The only receiver refuses connections: replays dead-letter again, dry runs never send.
    connectors = write_connector_file(
        tmp_path, [webhook_receiver("ops", f"http://127.0.0.1:{free_port()}/hook")]
    )
    start = lambda: server_factory(  # noqa: E731
        database_url=database_url,
        extra_args=["--connectors", str(connectors)],
        env=delivery_env(),
        http=False,
    )
    server = start()
    keys = (f"key-{n}" for n in itertools.count())
    first: dict[str, tuple[Message, bytes]] = {}
    problems: list[str] = []
    with clients(server.grpc_address) as api:
        world = _prepare(api)
        for row in ROWS:
            first[row.method] = _check_row(api, world, row, (next(keys), next(keys)), problems)

    server.stop()
    restarted = start()
    with clients(restarted.grpc_address) as api:
        for row in ROWS:
            request, response = first[row.method]
            replayed = _caller(api.channel, row.method, _response_type(row.method))(request)
            if replayed.SerializeToString(deterministic=True) != response:
                problems.append(f"{row.method}: after a restart the repeat did not answer the first response")

    assert problems == []
