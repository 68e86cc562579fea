"""What the delivery RPCs accept, over a real socket on SQLite and PostgreSQL: every id, name and free-text
field checked (INVALID_ARGUMENT naming the field, never INTERNAL), `plan_id: latest` normalizing the SLO
like CreateRecoveryEscalationPlan, and request_id (AIP-155) acting once and refusing reuse."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import grpc
import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cavra.recovery.v1 import common_pb2, escalation_pb2, report_pb2, report_pb2_grpc
from cavra_recovery.server.storage.database import Database
from cavra_recovery.server.storage.models import DeliveryRecord
from tests.conftest import free_port
from tests.delivery.delivery_kit import (
    Clients,
    DeliveryServerFactory,
    LocalReceiver,
    Reply,
    clients,
    deliver,
    failure_of,
    local_receivers,
    seed_open_recovery,
    wait_for_delivery,
    webhook_receiver,
)

E = escalation_pb2
NUL = "probe\x00one"
ESCAPE = "probe\x1b[31mone"
TOO_LONG = "a" * 10_000


@pytest.fixture
def api(delivery_server: DeliveryServerFactory, database_url: str) -> Iterator[Clients]:
    """A server whose only receiver refuses connections: nothing here needs a send to succeed."""
    server = delivery_server(database_url, webhook_receiver("ops", f"http://127.0.0.1:{free_port()}/hook"))
    with clients(server.grpc_address) as connected:
        yield connected


def bad_string_cases(api: Clients, report: report_pb2_grpc.ReportServiceStub) -> list[tuple[str, Any]]:
    """(the field expected in the violation, a call that sets it to a bad string)."""
    esc = api.escalation
    cases: list[tuple[str, Any]] = []
    for bad in (NUL, ESCAPE, TOO_LONG):
        cases += [
            (
                "plan_id",
                lambda b=bad: esc.DeliverRecoveryEscalation(E.DeliverRecoveryEscalationRequest(plan_id=b)),
            ),
            (
                "receivers[0]",
                lambda b=bad: esc.DeliverRecoveryEscalation(
                    E.DeliverRecoveryEscalationRequest(plan_id="latest", receivers=[b])
                ),
            ),
            (
                "request_id",
                lambda b=bad: esc.DeliverRecoveryEscalation(
                    E.DeliverRecoveryEscalationRequest(plan_id="latest", request_id=b)
                ),
            ),
            *[
                (
                    field,
                    lambda b=bad, f=field: esc.AcknowledgeRecoveryEscalation(
                        E.AcknowledgeRecoveryEscalationRequest(
                            **{
                                "plan_id": "plan-1",
                                "provider": "slack",
                                "state": common_pb2.ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED,
                                "acknowledged_by": "release-manager",
                                f: b,
                            }
                        )
                    ),
                )
                for field in ("plan_id", "provider", "acknowledged_by", "request_id")
            ],
            *[
                (
                    field,
                    lambda b=bad, f=field: esc.PlanRecoveryEscalationRetries(
                        E.PlanRecoveryEscalationRetriesRequest(**{f: b})
                    ),
                )
                for field in ("plan_id", "request_id")
            ],
            *[
                (
                    field,
                    lambda b=bad, f=field: esc.RunRecoveryEscalationRetryWorker(
                        E.RunRecoveryEscalationRetryWorkerRequest(**{f: b})
                    ),
                )
                for field in ("plan_id", "request_id")
            ],
            (
                "delivery_id",
                lambda b=bad: esc.GetRecoveryEscalationDelivery(
                    E.GetRecoveryEscalationDeliveryRequest(delivery_id=b)
                ),
            ),
            *[
                (
                    field,
                    lambda b=bad, f=field: esc.ListRecoveryEscalationDeliveries(
                        E.ListRecoveryEscalationDeliveriesRequest(**{f: b})
                    ),
                )
                for field in ("plan_id", "receiver", "page_token")
            ],
            *[
                (
                    field,
                    lambda b=bad, f=field: esc.ReplayRecoveryEscalationDelivery(
                        E.ReplayRecoveryEscalationDeliveryRequest(**{"delivery_id": "dlv-1", f: b})
                    ),
                )
                for field in ("delivery_id", "request_id")
            ],
            (
                "run_id",
                lambda b=bad: report.DeliverExecutiveReportScheduleRun(
                    report_pb2.DeliverExecutiveReportScheduleRunRequest(run_id=b)
                ),
            ),
            (
                "receivers[0]",
                lambda b=bad: report.DeliverExecutiveReportScheduleRun(
                    report_pb2.DeliverExecutiveReportScheduleRunRequest(run_id="run-1", receivers=[b])
                ),
            ),
            (
                "request_id",
                lambda b=bad: report.DeliverExecutiveReportScheduleRun(
                    report_pb2.DeliverExecutiveReportScheduleRunRequest(run_id="run-1", request_id=b)
                ),
            ),
        ]
    # Free text may be long, but not unbounded, and never carries control characters.
    for bad in (NUL, ESCAPE, "n" * 5_000):
        cases.append(
            (
                "note",
                lambda b=bad: esc.AcknowledgeRecoveryEscalation(
                    E.AcknowledgeRecoveryEscalationRequest(
                        plan_id="plan-1",
                        provider="slack",
                        state=common_pb2.ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED,
                        acknowledged_by="release-manager",
                        note=b,
                    )
                ),
            )
        )
    # The page-token shape of server/domain/paging.py, with keys a 64-bit column cannot hold, and garbage.
    forged_documents = (
        '{"i":99999999999999999999999,"f":""}',
        '{"i":-5,"f":""}',
        '{"i":"1\\u0000","f":""}',
        "x:1",
    )
    for document in forged_documents:
        token = base64.urlsafe_b64encode(document.encode()).decode().rstrip("=")
        cases.append(
            (
                "page_token",
                lambda t=token: esc.ListRecoveryEscalationDeliveries(
                    E.ListRecoveryEscalationDeliveriesRequest(page_token=t)
                ),
            )
        )
    return cases


def test_bad_strings_in_every_delivery_rpc_are_invalid_argument_naming_the_field(api: Clients) -> None:
    report = report_pb2_grpc.ReportServiceStub(api.channel)
    seed_open_recovery(api)
    deliver(api, dry_run=True)
    outcomes = [(field, failure_of(call)) for field, call in bad_string_cases(api, report)]

    assert len(outcomes) > 60
    for field, failure in outcomes:
        assert failure.code == grpc.StatusCode.INVALID_ARGUMENT, (field, failure)
        assert field in failure.fields, (field, failure)


def test_deliver_latest_normalizes_the_slo_like_create_plan(api: Clients) -> None:
    seed_open_recovery(api)
    slos = [-3, 0, 1, 500, 2**31 - 1]
    created = [
        api.escalation.CreateRecoveryEscalationPlan(
            E.CreateRecoveryEscalationPlanRequest(recovery_slo_minutes=slo), timeout=10
        ).plan.recovery_slo_minutes
        for slo in slos
    ]
    plans = [deliver(api, dry_run=True, recovery_slo_minutes=slo).plan for slo in slos]
    delivered = [plan.recovery_slo_minutes for plan in plans]

    assert delivered == created
    # The response's plan follows the plan contract: every route listed here, so none truncated.
    assert all(len(plan.escalation_routes) == plan.escalation_count > 0 for plan in plans)
    assert not any(plan.routes_truncated for plan in plans)
    assert delivered[:4] == [1, 240, 1, 500]
    # Whatever the upper bound is, it is the one CreateRecoveryEscalationPlan applies, and it applies.
    assert 1 <= delivered[4] < 2**31 - 1


def test_request_id_reused_with_other_parameters_is_refused_by_every_delivery_rpc(
    api: Clients, database_url: str
) -> None:
    report = report_pb2_grpc.ReportServiceStub(api.channel)
    seed_open_recovery(api)
    first = deliver(api, dry_run=True, request_id="deliver-1", max_routes=5)
    plan_id = first.plan.plan_id
    acknowledge = E.AcknowledgeRecoveryEscalationRequest(
        plan_id=plan_id,
        provider="slack",
        state=common_pb2.ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED,
        acknowledged_by="release-manager",
        request_id="ack-1",
    )
    acknowledged = api.escalation.AcknowledgeRecoveryEscalation(acknowledge, timeout=10)
    planned = api.escalation.PlanRecoveryEscalationRetries(
        E.PlanRecoveryEscalationRetriesRequest(plan_id=plan_id, request_id="plan-retries-1"), timeout=10
    )
    worker_run = api.escalation.RunRecoveryEscalationRetryWorker(
        E.RunRecoveryEscalationRetryWorkerRequest(plan_id=plan_id, request_id="worker-1"), timeout=10
    )
    run = report.RunExecutiveReportSchedule(report_pb2.RunExecutiveReportScheduleRequest(), timeout=10).run
    report_delivery = report.DeliverExecutiveReportScheduleRun(
        report_pb2.DeliverExecutiveReportScheduleRunRequest(
            run_id=run.run_id, dry_run=True, request_id="report-1"
        ),
        timeout=30,
    )
    dead = _dead_letter(api)

    repeats = [
        deliver(api, dry_run=True, request_id="deliver-1", max_routes=5) == first,
        api.escalation.AcknowledgeRecoveryEscalation(acknowledge, timeout=10) == acknowledged,
        api.escalation.PlanRecoveryEscalationRetries(
            E.PlanRecoveryEscalationRetriesRequest(plan_id=plan_id, request_id="plan-retries-1"), timeout=10
        )
        == planned,
        api.escalation.RunRecoveryEscalationRetryWorker(
            E.RunRecoveryEscalationRetryWorkerRequest(plan_id=plan_id, request_id="worker-1"), timeout=10
        )
        == worker_run,
        report.DeliverExecutiveReportScheduleRun(
            report_pb2.DeliverExecutiveReportScheduleRunRequest(
                run_id=run.run_id, dry_run=True, request_id="report-1"
            ),
            timeout=30,
        )
        == report_delivery,
    ]
    reused = [
        failure_of(lambda: deliver(api, dry_run=True, request_id="deliver-1", max_routes=6)),
        failure_of(
            lambda: api.escalation.AcknowledgeRecoveryEscalation(
                E.AcknowledgeRecoveryEscalationRequest(
                    plan_id=plan_id,
                    provider="slack",
                    state=common_pb2.ACKNOWLEDGEMENT_STATE_DISMISSED,
                    acknowledged_by="release-manager",
                    request_id="ack-1",
                ),
                timeout=10,
            )
        ),
        failure_of(
            lambda: api.escalation.PlanRecoveryEscalationRetries(
                E.PlanRecoveryEscalationRetriesRequest(
                    plan_id=plan_id, request_id="plan-retries-1", policy=E.RetryPolicy(max_attempts=5)
                ),
                timeout=10,
            )
        ),
        failure_of(
            lambda: api.escalation.RunRecoveryEscalationRetryWorker(
                E.RunRecoveryEscalationRetryWorkerRequest(plan_id=plan_id, request_id="worker-1", limit=3),
                timeout=10,
            )
        ),
        failure_of(
            lambda: report.DeliverExecutiveReportScheduleRun(
                report_pb2.DeliverExecutiveReportScheduleRunRequest(
                    run_id=run.run_id, dry_run=True, request_id="report-1", retries=4
                ),
                timeout=30,
            )
        ),
    ]
    api.escalation.ReplayRecoveryEscalationDelivery(
        E.ReplayRecoveryEscalationDeliveryRequest(delivery_id=dead, request_id="replay-1"), timeout=30
    )
    reused.append(
        failure_of(
            lambda: api.escalation.ReplayRecoveryEscalationDelivery(
                E.ReplayRecoveryEscalationDeliveryRequest(delivery_id="dlv-other", request_id="replay-1"),
                timeout=30,
            )
        )
    )

    assert repeats == [True] * 5
    for failure in reused:
        assert (failure.code, failure.reason, failure.fields) == (
            grpc.StatusCode.INVALID_ARGUMENT,
            "REQUEST_ID_REUSED",
            ("request_id",),
        )


def _dead_letter(api: Clients) -> str:
    """A delivery to the refusing receiver, dead-lettered after one retry."""
    (result,) = deliver(api, retries=1).results
    dead = wait_for_delivery(api, result.delivery_id)
    assert dead.state == common_pb2.DELIVERY_STATE_DEAD_LETTERED
    return str(result.delivery_id)


def test_repeated_deliver_request_id_answers_the_first_response_not_the_current_state(
    delivery_server: DeliveryServerFactory, database_url: str
) -> None:
    flaky = LocalReceiver([Reply(503)], default=Reply(200))
    with local_receivers(flaky):
        server = delivery_server(database_url, webhook_receiver("ops", flaky.url))
        with clients(server.grpc_address) as api:
            seed_open_recovery(api)
            first = deliver(api, request_id="deliver-first")
            (result,) = first.results
            delivered = wait_for_delivery(api, result.delivery_id)
            again = deliver(api, request_id="deliver-first")

    # The first round ended in a 503: that answer is kept although the delivery has since succeeded.
    assert not first.success and result.http_status == 503
    assert delivered.state == common_pb2.DELIVERY_STATE_DELIVERED
    assert again == first
    assert len(flaky.requests) == 2


def test_concurrent_replays_with_one_request_id_start_one_round(
    delivery_server: DeliveryServerFactory, database_url: str
) -> None:
    port = free_port()
    server = delivery_server(database_url, webhook_receiver("ops", f"http://127.0.0.1:{port}/hook"))
    with clients(server.grpc_address) as api:
        seed_open_recovery(api)
        dead = _dead_letter(api)
        with local_receivers(LocalReceiver(port=port)) as (back,), ThreadPoolExecutor(4) as pool:
            request = E.ReplayRecoveryEscalationDeliveryRequest(delivery_id=dead, request_id="replay-once")
            racing = [
                pool.submit(api.escalation.ReplayRecoveryEscalationDelivery, request, timeout=30)
                for _ in range(4)
            ]
            responses = [future.result() for future in racing]
            delivered = wait_for_delivery(api, dead)

    assert all(response == responses[0] for response in responses)
    assert delivered.state == common_pb2.DELIVERY_STATE_DELIVERED
    assert delivered.attempt_count == 3
    assert len(back.requests) == 1


def test_concurrent_live_retry_worker_runs_with_one_request_id_retry_once(
    delivery_server: DeliveryServerFactory, database_url: str
) -> None:
    port = free_port()
    server = delivery_server(database_url, webhook_receiver("ops", f"http://127.0.0.1:{port}/hook"))
    with clients(server.grpc_address) as api:
        seed_open_recovery(api)
        first = deliver(api, retries=1)
        (result,) = first.results
        wait_for_delivery(api, result.delivery_id)
        api.escalation.AcknowledgeRecoveryEscalation(
            E.AcknowledgeRecoveryEscalationRequest(
                plan_id=first.plan.plan_id,
                provider="slack",
                state=common_pb2.ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED,
                acknowledged_by="release-manager",
            ),
            timeout=10,
        )
        _age_last_failure(database_url, result.delivery_id)
        with local_receivers(LocalReceiver(port=port)) as (back,), ThreadPoolExecutor(4) as pool:
            request = E.RunRecoveryEscalationRetryWorkerRequest(
                plan_id=first.plan.plan_id, dry_run=False, request_id="worker-live-once"
            )
            racing = [
                pool.submit(api.escalation.RunRecoveryEscalationRetryWorker, request, timeout=30)
                for _ in range(4)
            ]
            responses = [future.result() for future in racing]
            delivered = wait_for_delivery(api, result.delivery_id)

    assert all(response == responses[0] for response in responses)
    assert responses[0].retried_count == 1 and not responses[0].dry_run
    assert delivered.state == common_pb2.DELIVERY_STATE_DELIVERED
    assert delivered.attempt_count == 3 and delivered.max_attempts == 4
    assert len(back.requests) == 1


def _age_last_failure(database_url: str, delivery_id: str) -> None:
    """Move the last failure a day back, past the retry policy's smallest backoff (15 minutes)."""
    database = Database(database_url)

    def age(session: Session) -> None:
        record = session.scalars(
            select(DeliveryRecord).where(DeliveryRecord.delivery_id == delivery_id)
        ).one()
        session.execute(
            update(DeliveryRecord)
            .where(DeliveryRecord.delivery_id == delivery_id)
            .values(updated_at=record.updated_at - timedelta(days=1))
        )

    try:
        database.run_sync(age)
    finally:
        database.dispose()
