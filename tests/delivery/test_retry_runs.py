"""Stored retry-worker runs: the background worker's decision after each failed attempt, and
RunRecoveryEscalationRetryWorker runs (dry runs too), read back from the real database the server
wrote them to, on SQLite and PostgreSQL. PlanRecoveryEscalationRetries stores nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cavra.recovery.v1 import common_pb2, escalation_pb2
from cavra_recovery.server.storage.database import create_database_engine
from cavra_recovery.server.storage.models import DeliveryAttemptRecord
from cavra_recovery.server.storage.retry_run_tables import RetryWorkerDecisionRecord, RetryWorkerRunRecord
from tests.delivery.delivery_kit import (
    DeliveryServerFactory,
    LocalReceiver,
    Reply,
    clients,
    deliver,
    local_receivers,
    seed_open_recovery,
    wait_for_delivery,
    webhook_receiver,
)

BODY_CANARY = b"retry-run-body-canary-7781"


def stored_runs(database_url: str) -> list[tuple[RetryWorkerRunRecord, list[RetryWorkerDecisionRecord]]]:
    engine = create_database_engine(database_url)
    try:
        with Session(engine) as session:
            runs = session.scalars(select(RetryWorkerRunRecord).order_by(RetryWorkerRunRecord.id)).all()
            return [
                (
                    run,
                    list(
                        session.scalars(
                            select(RetryWorkerDecisionRecord)
                            .where(RetryWorkerDecisionRecord.run_id == run.run_id)
                            .order_by(RetryWorkerDecisionRecord.id)
                        )
                    ),
                )
                for run in runs
            ]
    finally:
        engine.dispose()


def attempt_finish_times(database_url: str, delivery_id: str) -> list[Any]:
    engine = create_database_engine(database_url)
    try:
        with Session(engine) as session:
            return list(
                session.scalars(
                    select(DeliveryAttemptRecord.finished_at)
                    .where(DeliveryAttemptRecord.delivery_id == delivery_id)
                    .order_by(DeliveryAttemptRecord.attempt_number)
                )
            )
    finally:
        engine.dispose()


def values(record: Any) -> str:
    return " ".join(str(getattr(record, column.key)) for column in record.__table__.columns)


def test_the_background_worker_stores_its_decision_after_each_failed_attempt_and_the_rpc_its_runs(
    delivery_server: DeliveryServerFactory, database_url: str
) -> None:
    # A retryable failure, then a non-retryable one: retry is decided, then a dead letter.
    receiver = LocalReceiver(
        script=[Reply(status=503, body=BODY_CANARY), Reply(status=400, body=BODY_CANARY)]
    )
    with local_receivers(receiver):
        server = delivery_server(database_url, webhook_receiver("ops", f"{receiver.url}?token=urlcanary"))
        with clients(server.grpc_address) as api:
            seed_open_recovery(api)
            (result,) = deliver(api, receivers=["ops"], retries=3).results
            delivery = wait_for_delivery(api, result.delivery_id)
            assert delivery.state == common_pb2.DELIVERY_STATE_DEAD_LETTERED
            assert delivery.attempt_count == 2
            background = stored_runs(database_url)

            planned = api.escalation.PlanRecoveryEscalationRetries(
                escalation_pb2.PlanRecoveryEscalationRetriesRequest(plan_id=delivery.plan_id), timeout=30
            )
            assert [d.decision for d in planned.decisions] == [common_pb2.RETRY_DECISION_SUPPRESS]
            after_planning = stored_runs(database_url)
            worker = api.escalation.RunRecoveryEscalationRetryWorker(
                escalation_pb2.RunRecoveryEscalationRetryWorkerRequest(plan_id=delivery.plan_id), timeout=30
            )
            assert worker.dry_run and worker.retried_count == 0
            after_worker = stored_runs(database_url)

    assert [(run.trigger, run.dry_run, run.requested_by) for run, _ in background] == [
        ("background", False, ""),
        ("background", False, ""),
    ]
    decisions = [
        (
            d.delivery_id,
            d.plan_id,
            d.receiver,
            d.provider,
            d.decision,
            d.reason,
            d.attempt_number,
            d.outcome_state,
        )
        for _, run_decisions in background
        for d in run_decisions
    ]
    assert decisions == [
        (result.delivery_id, delivery.plan_id, "ops", "webhook", "retry", "backoff_scheduled", 1, "retrying"),
        (
            result.delivery_id,
            delivery.plan_id,
            "ops",
            "webhook",
            "suppress",
            "not_retryable",
            2,
            "dead_lettered",
        ),
    ]
    # Each decision was stored with its attempt: the run starts when the attempt finished.
    finished = attempt_finish_times(database_url, result.delivery_id)
    assert [run.started_at for run, _ in background] == finished
    assert all(run.finished_at >= run.started_at for run, _ in background)

    # Planning computes only; the worker's dry run is a stored run that changed nothing.
    assert len(after_planning) == len(background)
    (new_run, new_decisions) = after_worker[-1]
    assert len(after_worker) == len(background) + 1
    assert (new_run.trigger, new_run.dry_run, new_run.requested_by) == ("rpc", True, "")
    assert [
        (d.delivery_id, d.decision, d.reason, d.attempt_number, d.outcome_state) for d in new_decisions
    ] == [(result.delivery_id, "suppress", "non_retryable_failure", 2, "dead_lettered")]

    # Ids, states and times only: no URL, token or response body in any stored column.
    for run, run_decisions in after_worker:
        for text in [values(run), *(values(d) for d in run_decisions)]:
            assert "urlcanary" not in text
            assert BODY_CANARY.decode() not in text
            assert "127.0.0.1" not in text
