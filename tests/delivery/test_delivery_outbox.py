"""The outbox guarantees end to end: crash safety, once per (plan, receiver) across replicas, dry run,
request_id replays and the deliver call's error statuses."""

from __future__ import annotations

import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from cavra.recovery.v1 import common_pb2, escalation_pb2
from tests.delivery.delivery_kit import (
    DeliveryServerFactory,
    LocalReceiver,
    Reply,
    clients,
    deliver,
    get_delivery,
    local_receivers,
    seed_open_recovery,
    wait_for_delivery,
    webhook_receiver,
)


def test_server_killed_after_commit_delivers_exactly_once_more_after_restart(
    delivery_server: DeliveryServerFactory, sqlite_url: str
) -> None:
    held = threading.Event()
    receiver = LocalReceiver([Reply(200, hold=held)], default=Reply(200))
    with local_receivers(receiver):
        ops = webhook_receiver("ops", receiver.url, timeout_seconds=2)
        first = delivery_server(sqlite_url, ops)
        with clients(first.grpc_address) as api, ThreadPoolExecutor(1) as pool:
            seed_open_recovery(api)
            pending_call = pool.submit(deliver, api, timeout=30)
            # The row is committed and the first send is on the wire: kill the process mid-send.
            assert receiver.first_request.wait(20)
            first.stop(signal.SIGKILL)
            with pytest.raises(grpc.RpcError):
                pending_call.result(timeout=30)

        restarted = delivery_server(sqlite_url, ops)
        with clients(restarted.grpc_address) as api:
            listed = api.escalation.ListRecoveryEscalationDeliveries(
                escalation_pb2.ListRecoveryEscalationDeliveriesRequest(), timeout=10
            )
            (stored,) = listed.deliveries
            delivered = wait_for_delivery(api, stored.delivery_id)
            # A few more poll cycles: nothing is sent again once delivered.
            time.sleep(1.0)
            after = get_delivery(api, stored.delivery_id)

    assert delivered.state == common_pb2.DELIVERY_STATE_DELIVERED
    assert len(receiver.requests) == 2
    assert len({request.headers["webhook-id"] for request in receiver.requests}) == 1
    interrupted, succeeded = delivered.attempts
    assert not interrupted.success and "interrupted" in interrupted.error
    assert succeeded.success and succeeded.attempt_number == 2
    assert after.attempt_count == 2


@pytest.mark.postgres
def test_two_replicas_and_two_concurrent_calls_deliver_each_plan_receiver_once(
    delivery_server: DeliveryServerFactory, postgres_url: str
) -> None:
    one, two = LocalReceiver(), LocalReceiver()
    with local_receivers(one, two):
        receivers = [webhook_receiver("ops-one", one.url), webhook_receiver("ops-two", two.url)]
        replicas = [delivery_server(postgres_url, *receivers) for _ in range(2)]
        with clients(replicas[0].grpc_address) as api_a, clients(replicas[1].grpc_address) as api_b:
            seed_open_recovery(api_a)
            plan = api_a.escalation.CreateRecoveryEscalationPlan(
                escalation_pb2.CreateRecoveryEscalationPlanRequest(), timeout=10
            ).plan
            both = ["ops-one", "ops-two"]
            with ThreadPoolExecutor(2) as pool:
                racing = [
                    pool.submit(deliver, api, plan_id=plan.plan_id, receivers=both, request_id="same-request")
                    for api in (api_a, api_b)
                ]
                responses = [future.result(timeout=60) for future in racing]
            with ThreadPoolExecutor(8) as pool:
                many = [
                    pool.submit(deliver, api, plan_id=plan.plan_id, receivers=both, request_id=f"req-{index}")
                    for index, api in enumerate([api_a, api_b] * 10)
                ]
                distinct = [future.result(timeout=60) for future in many]
            for response in [*responses, *distinct]:
                for result in response.results:
                    wait_for_delivery(api_a, result.delivery_id)

    assert responses[0].delivery_evidence_id == responses[1].delivery_evidence_id
    assert len({response.delivery_evidence_id for response in distinct}) == 20
    for receiver in (one, two):
        ids = [request.headers["webhook-id"] for request in receiver.requests]
        # 21 deliver requests (one raced twice), each (request, receiver) sent exactly once.
        assert len(ids) == 21
        assert len(set(ids)) == 21


def test_dry_run_records_what_would_be_sent_and_sends_nothing(
    delivery_server: DeliveryServerFactory, sqlite_url: str
) -> None:
    receiver = LocalReceiver()
    with local_receivers(receiver):
        server = delivery_server(sqlite_url, webhook_receiver("ops", receiver.url))
        with clients(server.grpc_address) as api:
            seed_open_recovery(api, providers=("slack", "jira"))
            response = deliver(api, dry_run=True, max_routes=1)
            (result,) = response.results
            time.sleep(1.0)
            stored = get_delivery(api, result.delivery_id)

    assert response.dry_run and response.success
    assert result.state == common_pb2.DELIVERY_STATE_DRY_RUN and result.success
    assert result.route_count == 1
    assert stored.state == common_pb2.DELIVERY_STATE_DRY_RUN
    assert list(stored.attempts) == []
    assert receiver.requests == []


def test_repeated_request_id_returns_the_first_response_without_sending_again(
    delivery_server: DeliveryServerFactory, sqlite_url: str
) -> None:
    receiver = LocalReceiver()
    with local_receivers(receiver):
        server = delivery_server(sqlite_url, webhook_receiver("ops", receiver.url))
        with clients(server.grpc_address) as api:
            seed_open_recovery(api)
            first = deliver(api, request_id="deliver-once")
            again = deliver(api, request_id="deliver-once")

    assert first.success
    assert again == first
    assert len(receiver.requests) == 1


def _bad_request_fields(error: grpc.RpcError) -> list[str]:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None
    fields: list[str] = []
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            fields.extend(violation.field for violation in bad.field_violations)
    return fields


def test_deliver_answers_failed_precondition_not_found_and_invalid_argument(
    delivery_server: DeliveryServerFactory, sqlite_url: str
) -> None:
    unconfigured = delivery_server(sqlite_url)
    with clients(unconfigured.grpc_address) as api, pytest.raises(grpc.RpcError) as no_config:
        deliver(api)
    unconfigured.stop()

    receiver = LocalReceiver()
    with local_receivers(receiver):
        server = delivery_server(sqlite_url, webhook_receiver("ops", receiver.url))
        with clients(server.grpc_address) as api:
            with pytest.raises(grpc.RpcError) as unknown_plan:
                deliver(api, plan_id="plan-does-not-exist")
            with pytest.raises(grpc.RpcError) as unknown_receiver:
                deliver(api, receivers=["ops", "nobody"])

    assert no_config.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert unknown_plan.value.code() == grpc.StatusCode.NOT_FOUND
    assert unknown_receiver.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _bad_request_fields(unknown_receiver.value) == ["receivers[1]"]
    assert receiver.requests == []
