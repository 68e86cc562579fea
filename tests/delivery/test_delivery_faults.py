"""Fault handling of the delivery worker against the real server and real local receivers."""

from __future__ import annotations

from datetime import timedelta

import grpc
import pytest

from cavra.recovery.v1 import common_pb2, escalation_pb2
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


def test_server_errors_twice_then_ok_is_delivered_on_attempt_three(
    delivery_server: DeliveryServerFactory, sqlite_url: str
) -> None:
    flaky = LocalReceiver([Reply(500), Reply(503)], default=Reply(200))
    with local_receivers(flaky):
        server = delivery_server(sqlite_url, webhook_receiver("ops", flaky.url))
        with clients(server.grpc_address) as api:
            seed_open_recovery(api)
            response = deliver(api)
            (result,) = response.results
            delivery = wait_for_delivery(api, result.delivery_id)

    assert delivery.state == common_pb2.DELIVERY_STATE_DELIVERED
    assert [attempt.http_status for attempt in delivery.attempts] == [500, 503, 200]
    assert [attempt.success for attempt in delivery.attempts] == [False, False, True]
    assert [attempt.failure_reason for attempt in delivery.attempts[:2]] == [
        common_pb2.DELIVERY_FAILURE_REASON_SERVER_ERROR
    ] * 2
    assert len(flaky.requests) == 3
    # The same notification each time: the webhook-id and body digest are stable across retries.
    assert len({request.headers["webhook-id"] for request in flaky.requests}) == 1
    assert len({attempt.requests[0].body_sha256 for attempt in delivery.attempts}) == 1


def test_rate_limited_with_retry_after_waits_at_least_that_long(
    delivery_server: DeliveryServerFactory, sqlite_url: str
) -> None:
    limited = LocalReceiver([Reply(429, headers={"retry-after": "1"})], default=Reply(200))
    with local_receivers(limited):
        server = delivery_server(sqlite_url, webhook_receiver("ops", limited.url))
        with clients(server.grpc_address) as api:
            seed_open_recovery(api)
            (result,) = deliver(api).results
            delivery = wait_for_delivery(api, result.delivery_id)

    assert delivery.state == common_pb2.DELIVERY_STATE_DELIVERED
    first, second = delivery.attempts
    assert first.failure_reason == common_pb2.DELIVERY_FAILURE_REASON_RATE_LIMITED
    assert first.retryable
    # Backoff alone is capped at 0.2 s in this server: only Retry-After explains a 1 s gap.
    gap = second.started_at.ToDatetime() - first.finished_at.ToDatetime()
    assert gap >= timedelta(seconds=1)


def test_client_error_is_dead_lettered_without_retry(
    delivery_server: DeliveryServerFactory, sqlite_url: str
) -> None:
    rejecting = LocalReceiver(default=Reply(400, body=b'{"error":"bad payload"}'))
    with local_receivers(rejecting):
        server = delivery_server(sqlite_url, webhook_receiver("ops", rejecting.url))
        with clients(server.grpc_address) as api:
            seed_open_recovery(api)
            response = deliver(api)
            (result,) = response.results
            delivery = wait_for_delivery(api, result.delivery_id)

    # The deliver call itself succeeded: a failed connector is a normal response.
    assert response.success is False
    assert result.state == common_pb2.DELIVERY_STATE_DEAD_LETTERED
    assert result.failure_reason == common_pb2.DELIVERY_FAILURE_REASON_CLIENT_ERROR
    assert result.http_status == 400
    assert delivery.state == common_pb2.DELIVERY_STATE_DEAD_LETTERED
    assert len(delivery.attempts) == 1
    assert not delivery.attempts[0].retryable
    assert len(rejecting.requests) == 1


@pytest.mark.parametrize(
    "database_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_connection_refused_is_retried_dead_lettered_then_replayed(
    delivery_server: DeliveryServerFactory, database_url: str
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    server = delivery_server(database_url, webhook_receiver("ops", url))
    with clients(server.grpc_address) as api:
        seed_open_recovery(api)
        (result,) = deliver(api, retries=2).results
        dead = wait_for_delivery(api, result.delivery_id)
        assert dead.state == common_pb2.DELIVERY_STATE_DEAD_LETTERED
        assert [attempt.failure_reason for attempt in dead.attempts] == [
            common_pb2.DELIVERY_FAILURE_REASON_NETWORK
        ] * 3
        listed = api.escalation.ListRecoveryEscalationDeliveries(
            escalation_pb2.ListRecoveryEscalationDeliveriesRequest(
                state=common_pb2.DELIVERY_STATE_DEAD_LETTERED
            ),
            timeout=10,
        )
        assert [found.delivery_id for found in listed.deliveries] == [result.delivery_id]

        with local_receivers(LocalReceiver(port=port)) as (back,):
            replayed = api.escalation.ReplayRecoveryEscalationDelivery(
                escalation_pb2.ReplayRecoveryEscalationDeliveryRequest(delivery_id=result.delivery_id),
                timeout=30,
            ).delivery
            delivered = wait_for_delivery(api, result.delivery_id)
        assert len(back.requests) == 1

    assert replayed.state in (common_pb2.DELIVERY_STATE_DELIVERED, common_pb2.DELIVERY_STATE_PENDING)
    assert delivered.state == common_pb2.DELIVERY_STATE_DELIVERED
    assert delivered.attempt_count == 4
    assert delivered.attempts[-1].success


def test_timeouts_are_retried_then_dead_lettered_and_replay_needs_a_dead_letter(
    delivery_server: DeliveryServerFactory, sqlite_url: str
) -> None:
    slow = LocalReceiver(default=Reply(200, delay_seconds=3))
    with local_receivers(slow):
        server = delivery_server(sqlite_url, webhook_receiver("ops", slow.url, timeout_seconds=1))
        with clients(server.grpc_address) as api:
            seed_open_recovery(api)
            (result,) = deliver(api, retries=1).results
            dead = wait_for_delivery(api, result.delivery_id)
            slow.default = Reply(200)
            api.escalation.ReplayRecoveryEscalationDelivery(
                escalation_pb2.ReplayRecoveryEscalationDeliveryRequest(delivery_id=result.delivery_id),
                timeout=30,
            )
            delivered = wait_for_delivery(api, result.delivery_id)
            with pytest.raises(grpc.RpcError) as replay_delivered:
                api.escalation.ReplayRecoveryEscalationDelivery(
                    escalation_pb2.ReplayRecoveryEscalationDeliveryRequest(delivery_id=result.delivery_id),
                    timeout=30,
                )

    assert dead.state == common_pb2.DELIVERY_STATE_DEAD_LETTERED
    assert [attempt.failure_reason for attempt in dead.attempts] == [
        common_pb2.DELIVERY_FAILURE_REASON_TIMEOUT
    ] * 2
    assert delivered.state == common_pb2.DELIVERY_STATE_DELIVERED
    assert delivered.attempt_count == 3
    assert replay_delivered.value.code() == grpc.StatusCode.FAILED_PRECONDITION
