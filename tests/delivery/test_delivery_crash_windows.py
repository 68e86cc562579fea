"""The outbox's crash windows, with real processes on SQLite and PostgreSQL: a kill between the outbox
commit and the send gives exactly one send; a graceful stop mid-send gives the row back at once instead
of leaving it to its lease; and the worker switch that makes the first window testable."""

from __future__ import annotations

import signal
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from sqlalchemy.orm import Session

from cavra.recovery.v1 import common_pb2, escalation_pb2
from cavra_recovery.server.delivery.tuning import DeliveryTuning
from cavra_recovery.server.settings import SettingsError
from cavra_recovery.server.storage import deliveries as store
from cavra_recovery.server.storage.database import Database
from tests.delivery.delivery_kit import (
    Clients,
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


def test_killed_between_outbox_commit_and_send_then_another_server_sends_exactly_once(
    delivery_server: DeliveryServerFactory, database_url: str
) -> None:
    receiver = LocalReceiver()
    with local_receivers(receiver):
        ops = webhook_receiver("ops", receiver.url)
        # Server A commits the outbox but has no worker, so it cannot have sent anything when it dies.
        enqueuing = delivery_server(database_url, ops, CAVRA_DELIVERY_WORKER="off")
        with clients(enqueuing.grpc_address) as api, ThreadPoolExecutor(1) as pool:
            seed_open_recovery(api)
            pending_call = pool.submit(deliver, api, timeout=60)
            committed = _wait_for_committed_delivery(api)
            assert committed.state == common_pb2.DELIVERY_STATE_PENDING
            enqueuing.stop(signal.SIGKILL)
            with pytest.raises(grpc.RpcError):
                pending_call.result(timeout=30)
        assert receiver.requests == []
        assert "delivery worker off" in enqueuing.log_text

        sending = delivery_server(database_url, ops)
        with clients(sending.grpc_address) as api:
            delivered = wait_for_delivery(api, committed.delivery_id)
            # A few more poll cycles: nothing is sent again once delivered.
            time.sleep(1.0)
            after = get_delivery(api, committed.delivery_id)

    assert delivered.state == common_pb2.DELIVERY_STATE_DELIVERED
    assert len(receiver.requests) == 1
    assert receiver.requests[0].headers["webhook-id"] == committed.delivery_id
    (attempt,) = delivered.attempts
    assert attempt.success and attempt.attempt_number == 1
    assert after.attempt_count == 1


def _wait_for_committed_delivery(api: Clients, within: float = 30) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        listed = api.escalation.ListRecoveryEscalationDeliveries(
            escalation_pb2.ListRecoveryEscalationDeliveriesRequest(), timeout=10
        )
        if listed.deliveries:
            (delivery,) = listed.deliveries
            return delivery
        time.sleep(0.05)
    raise AssertionError("the deliver call never committed its outbox row")


def test_graceful_stop_mid_send_gives_the_row_back_without_waiting_out_the_lease(
    delivery_server: DeliveryServerFactory, database_url: str
) -> None:
    held = threading.Event()
    receiver = LocalReceiver([Reply(200, hold=held)], default=Reply(200))
    with local_receivers(receiver):
        # A 60 s receiver timeout makes the lease over two minutes: only a released row is sent again soon.
        ops = webhook_receiver("ops", receiver.url, timeout_seconds=60)
        first = delivery_server(database_url, ops)
        with clients(first.grpc_address) as api:
            seed_open_recovery(api)
            (result,) = deliver(api, timeout=2).results
            assert receiver.first_request.wait(20)
            assert first.stop(signal.SIGTERM) == 0
        assert "gave back 1 deliveries interrupted by the stop" in first.log_text

        second = delivery_server(database_url, ops)
        with clients(second.grpc_address) as api:
            delivered = wait_for_delivery(api, result.delivery_id, within=30)

    assert delivered.state == common_pb2.DELIVERY_STATE_DELIVERED
    interrupted, succeeded = delivered.attempts
    # The cut-short send may have reached the receiver: it stays counted and on record.
    assert not interrupted.success and "interrupted" in interrupted.error
    assert succeeded.success and succeeded.attempt_number == 2
    assert len(receiver.requests) == 2
    assert len({request.headers["webhook-id"] for request in receiver.requests}) == 1


@pytest.fixture
def outbox(database: Database) -> Iterator[tuple[Database, str]]:
    """One pending delivery in a migrated database."""
    now = datetime.now(UTC)
    delivery_id = f"dlv_{uuid.uuid4().hex}"

    def enqueue(session: Session) -> None:
        evidence_id = f"dle_{uuid.uuid4().hex}"
        store.add_delivery_request(
            session,
            delivery_evidence_id=evidence_id,
            request_id=None,
            plan_id=None,
            schedule_run_id="run-1",
            dry_run=False,
            now=now,
        )
        store.add_delivery(
            session,
            delivery_id=delivery_id,
            delivery_evidence_id=evidence_id,
            plan_id=None,
            schedule_run_id="run-1",
            receiver="ops",
            provider="webhook",
            max_attempts=3,
            timeout_seconds=None,
            notification={},
            route_count=0,
            dry_run=False,
            now=now,
        )

    database.run_sync(enqueue)
    yield database, delivery_id


@pytest.mark.parametrize("send_started", [False, True])
def test_release_claim_makes_the_row_due_now_and_counts_only_a_started_send(
    outbox: tuple[Database, str], send_started: bool
) -> None:
    database, delivery_id = outbox
    now = datetime.now(UTC)
    (due,) = database.run_sync(
        lambda session: store.due_deliveries(session, now=now, limit=10, skip_locked=False)
    )
    claimed = database.run_sync(
        lambda session: store.claim_delivery(
            session, key=due.key, worker_id="w1", now=now, claimed_until=now + timedelta(hours=1)
        )
    )
    later = now + timedelta(seconds=1)
    released_by_other = database.run_sync(
        lambda session: store.release_claim(
            session, delivery_id=delivery_id, worker_id="w2", now=later, send_started=send_started
        )
    )
    released = database.run_sync(
        lambda session: store.release_claim(
            session, delivery_id=delivery_id, worker_id="w1", now=later, send_started=send_started
        )
    )
    after = database.run_sync(lambda session: store.get_delivery(session, delivery_id=delivery_id))
    due_again = database.run_sync(
        lambda session: store.due_deliveries(session, now=later, limit=10, skip_locked=False)
    )

    assert claimed is not None and claimed.attempt_count == 1
    assert (released_by_other, released) == (False, True)
    assert after.claimed_by is None and after.claimed_until is None
    assert [row.key for row in due_again] == [due.key]
    if send_started:
        assert after.attempt_count == 1
        (attempt,) = after.attempts
        assert attempt.error == store.INTERRUPTED_ERROR
    else:
        assert after.attempt_count == 0
        assert after.attempts == ()


def test_worker_switch_is_read_from_the_environment_once() -> None:
    assert DeliveryTuning.from_environ({}).worker is True
    assert DeliveryTuning.from_environ({"CAVRA_DELIVERY_WORKER": "off"}).worker is False
    assert DeliveryTuning.from_environ({"CAVRA_DELIVERY_WORKER": " ON "}).worker is True
    with pytest.raises(SettingsError, match="CAVRA_DELIVERY_WORKER must be on or off"):
        DeliveryTuning.from_environ({"CAVRA_DELIVERY_WORKER": "sometimes"})
