"""Acknowledgements, retry planning and the retry worker over the real server; the circuit breaker."""

from __future__ import annotations

import grpc
import pytest

from cavra.recovery.v1 import common_pb2, delivery_pb2, escalation_pb2
from tests.conftest import free_port
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


def test_acknowledged_dead_letter_waits_for_backoff_and_dry_run_sends_nothing(
    delivery_server: DeliveryServerFactory, sqlite_url: str
) -> None:
    server = delivery_server(sqlite_url, webhook_receiver("ops", f"http://127.0.0.1:{free_port()}/hook"))
    with clients(server.grpc_address) as api:
        seed_open_recovery(api, providers=("slack",))
        response = deliver(api, retries=1)
        (result,) = response.results
        wait_for_delivery(api, result.delivery_id)
        plan_id = response.plan.plan_id
        planned = api.escalation.PlanRecoveryEscalationRetries(
            escalation_pb2.PlanRecoveryEscalationRetriesRequest(plan_id=plan_id), timeout=10
        )
        acknowledgement = api.escalation.AcknowledgeRecoveryEscalation(
            escalation_pb2.AcknowledgeRecoveryEscalationRequest(
                plan_id=plan_id,
                provider="slack",
                state=common_pb2.ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED,
                acknowledged_by="release-manager",
                request_id="ack-1",
            ),
            timeout=10,
        ).acknowledgement
        repeated = api.escalation.AcknowledgeRecoveryEscalation(
            escalation_pb2.AcknowledgeRecoveryEscalationRequest(
                plan_id=plan_id,
                provider="slack",
                state=common_pb2.ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED,
                acknowledged_by="release-manager",
                request_id="ack-1",
            ),
            timeout=10,
        ).acknowledgement
        run = api.escalation.RunRecoveryEscalationRetryWorker(
            escalation_pb2.RunRecoveryEscalationRetryWorkerRequest(plan_id=plan_id), timeout=10
        )
        with pytest.raises(grpc.RpcError) as not_in_plan:
            api.escalation.AcknowledgeRecoveryEscalation(
                escalation_pb2.AcknowledgeRecoveryEscalationRequest(
                    plan_id=plan_id,
                    provider="datadog",
                    state=common_pb2.ACKNOWLEDGEMENT_STATE_ACCEPTED,
                    acknowledged_by="release-manager",
                ),
                timeout=10,
            )
        with pytest.raises(grpc.RpcError) as unknown_plan:
            api.escalation.AcknowledgeRecoveryEscalation(
                escalation_pb2.AcknowledgeRecoveryEscalationRequest(
                    plan_id="plan-missing",
                    provider="slack",
                    state=common_pb2.ACKNOWLEDGEMENT_STATE_ACCEPTED,
                    acknowledged_by="release-manager",
                ),
                timeout=10,
            )
        after = wait_for_delivery(api, result.delivery_id)

    (decision,) = planned.decisions
    assert decision.delivery_id == result.delivery_id
    assert (decision.decision, decision.reason) == (common_pb2.RETRY_DECISION_WAIT, "backoff_pending")
    assert planned.policy == escalation_pb2.RetryPolicy(max_attempts=3, delay_minutes=15, multiplier=2)
    assert acknowledgement == repeated
    assert run.dry_run and run.retried_count == 0
    (run_decision,) = run.decisions
    assert run_decision.acknowledgement_state == common_pb2.ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED
    assert run_decision.decision == common_pb2.RETRY_DECISION_WAIT
    assert not_in_plan.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert unknown_plan.value.code() == grpc.StatusCode.NOT_FOUND
    assert after.attempt_count == 2 and after.state == common_pb2.DELIVERY_STATE_DEAD_LETTERED


def third_attempt_recorded(delivery: delivery_pb2.Delivery) -> bool:
    # An attempt in flight is on record as interrupted until its outcome is stored.
    return len(delivery.attempts) >= 3 and "interrupted" not in delivery.attempts[2].error


def test_open_circuit_stops_sending_to_a_failing_receiver(
    delivery_server: DeliveryServerFactory, sqlite_url: str
) -> None:
    failing = LocalReceiver(default=Reply(500))
    with local_receivers(failing):
        server = delivery_server(
            sqlite_url,
            webhook_receiver("ops", failing.url),
            CAVRA_DELIVERY_BREAKER_THRESHOLD="2",
            CAVRA_DELIVERY_BREAKER_COOLDOWN_SECONDS="600",
        )
        with clients(server.grpc_address) as api:
            seed_open_recovery(api)
            (result,) = deliver(api, retries=3).results
            delivery = wait_for_delivery(api, result.delivery_id, until=third_attempt_recorded)

    first, second, third = delivery.attempts[:3]
    assert [first.http_status, second.http_status] == [500, 500]
    assert third.failure_reason == common_pb2.DELIVERY_FAILURE_REASON_CIRCUIT_OPEN
    assert list(third.requests) == []
    assert len(failing.requests) == 2
    assert delivery.state == common_pb2.DELIVERY_STATE_RETRYING
