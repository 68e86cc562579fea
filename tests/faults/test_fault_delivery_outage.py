"""A delivery in flight when PostgreSQL goes away for 10 s (issue 15, test 3): once the database is back,
each (notification, receiver) has been sent exactly once and the deliveries settle as delivered.

The receivers hold their first request until the database has been cut for 2 s, so the sends finish
while the server cannot record them; a lease that simply expired would send again, which the receivers
count.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest

from cavra.recovery.v1 import common_pb2, escalation_pb2
from tests.conftest import ServerProcess
from tests.delivery.delivery_kit import (
    LocalReceiver,
    Reply,
    clients,
    deliver,
    delivery_env,
    local_receivers,
    seed_open_recovery,
    wait_for_delivery,
    webhook_receiver,
    write_connector_file,
)
from tests.faults.conftest import ProxiedPostgres
from tests.faults.outage_kit import FAST_DATABASE_CHECK_ENV, call_failure

pytestmark = pytest.mark.postgres

CUT_SECONDS = 10.0
# The sends end this long into the cut, while nothing can be recorded.
SEND_ENDS_AFTER_SECONDS = 2.0
# A receiver timeout of 5 s makes the lease some 11 s: an expired lease would resend soon after the cut.
RECEIVER_TIMEOUT_SECONDS = 5.0
SETTLE_SECONDS = 60.0


def test_send_in_flight_across_a_database_outage_is_sent_exactly_once(
    proxied_postgres: ProxiedPostgres, server_factory: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    held = threading.Event()
    receivers = [
        LocalReceiver([Reply(200, hold=held)], default=Reply(200)),
        LocalReceiver([Reply(200, hold=held)], default=Reply(200)),
    ]
    names = ["ops-a", "ops-b"]
    connectors = write_connector_file(
        tmp_path,
        [
            webhook_receiver(name, receiver.url, timeout_seconds=RECEIVER_TIMEOUT_SECONDS)
            for name, receiver in zip(names, receivers, strict=True)
        ],
    )
    with local_receivers(*receivers):
        server = server_factory(
            database_url=proxied_postgres.url,
            http=False,
            extra_args=["--connectors", str(connectors)],
            env=delivery_env(**FAST_DATABASE_CHECK_ENV),
        )
        with clients(server.grpc_address) as api, ThreadPoolExecutor(1) as pool:
            seed_open_recovery(api)
            pending = pool.submit(deliver, api, timeout=60, receivers=names)
            in_flight_by = time.monotonic() + 20
            while not any(receiver.first_request.is_set() for receiver in receivers):
                assert time.monotonic() < in_flight_by, "no receiver got its notification"
                time.sleep(0.01)
            proxied_postgres.proxy.cut()
            time.sleep(SEND_ENDS_AFTER_SECONDS)
            held.set()
            time.sleep(CUT_SECONDS - SEND_ENDS_AFTER_SECONDS)
            proxied_postgres.proxy.restore()
            try:
                pending.result(timeout=90)
                answer = "OK"
            except grpc.RpcError as error:
                answer = call_failure(error).code

            listed = api.escalation.ListRecoveryEscalationDeliveries(
                escalation_pb2.ListRecoveryEscalationDeliveriesRequest(), timeout=30
            ).deliveries
            settled = [wait_for_delivery(api, d.delivery_id, within=SETTLE_SECONDS) for d in listed]
            # A few more worker polls: nothing delivered is sent again.
            time.sleep(2.0)

    sends = {
        name: Counter(request.headers["webhook-id"] for request in receiver.requests)
        for name, receiver in zip(names, receivers, strict=True)
    }
    print(f"deliver answered {answer}; sends per receiver and notification: {sends}")
    assert sorted(d.receiver for d in settled) == names
    assert all(d.state == common_pb2.DELIVERY_STATE_DELIVERED for d in settled), settled
    assert sends == {d.receiver: Counter({d.delivery_id: 1}) for d in settled}, (
        "a notification was sent twice"
    )
    assert answer in {"OK", "UNAVAILABLE"}, f"the deliver call answered {answer}"
