"""How both Python clients retry a write, against a local gRPC server that answers RecordRetryExecution
with a scripted status per attempt and keeps the bytes of every attempt: UNAVAILABLE is retried with
the very same bytes (one request_id, filled before the first attempt); no other code is retried."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent import futures

import grpc
import pytest

from cavra.recovery.v1 import evidence_pb2 as ev
from cavra_recovery_client import AsyncRecoveryClient, RecoveryClient, RecoveryError, RetryPolicy, StatusCode
from tests.clients import sdk_evidence as sample

OK = grpc.StatusCode.OK
UNAVAILABLE = grpc.StatusCode.UNAVAILABLE
NOT_RETRIED = [code for code in grpc.StatusCode if code not in (OK, UNAVAILABLE)]
# Short waits: what is under test is which failures are retried, not how long the backoff is.
QUICK_RETRY = RetryPolicy(max_attempts=4, initial_backoff=0.01, max_backoff=0.05)


class ScriptedServer:
    """Answers attempt n with script[n] (the last entry repeats); OK answers the record as created."""

    def __init__(self, script: Sequence[grpc.StatusCode]) -> None:
        self._script = script
        self._lock = threading.Lock()
        self._requests: list[bytes] = []
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        handler = grpc.unary_unary_rpc_method_handler(self._record_retry_execution)
        self._server.add_generic_rpc_handlers(
            (
                grpc.method_handlers_generic_handler(
                    "cavra.recovery.v1.EvidenceService", {"RecordRetryExecution": handler}
                ),
            )
        )
        self.address = f"127.0.0.1:{self._server.add_insecure_port('127.0.0.1:0')}"
        self._server.start()

    def _record_retry_execution(self, request: bytes, context: grpc.ServicerContext) -> bytes:
        with self._lock:
            self._requests.append(request)
            code = self._script[min(len(self._requests), len(self._script)) - 1]
        if code is not OK:
            context.abort(code, f"scripted {code.name}")
        sent = ev.RecordRetryExecutionRequest.FromString(request)
        return ev.RecordRetryExecutionResponse(
            retry_execution=sent.retry_execution, created=True
        ).SerializeToString()

    @property
    def requests(self) -> list[bytes]:
        """The bytes of every attempt received, in order."""
        with self._lock:
            return list(self._requests)

    def stop(self) -> None:
        self._server.stop(None)


StartServer = Callable[[Sequence[grpc.StatusCode]], ScriptedServer]


@pytest.fixture
def scripted_server() -> Iterator[StartServer]:
    started: list[ScriptedServer] = []

    def start(script: Sequence[grpc.StatusCode]) -> ScriptedServer:
        server = ScriptedServer(script)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def assert_one_request_sent_again_and_again(requests: list[bytes], attempts: int) -> None:
    assert len(requests) == attempts
    assert len(set(requests)) == 1, "an attempt sent other bytes than the first"
    request_id = ev.RecordRetryExecutionRequest.FromString(requests[0]).request_id
    assert uuid.UUID(request_id).version == 4


def test_sync_write_is_resent_with_the_same_request_id_after_unavailable(
    scripted_server: StartServer,
) -> None:
    server = scripted_server([UNAVAILABLE, UNAVAILABLE, OK])
    with RecoveryClient(server.address, plaintext=True, retry=QUICK_RETRY) as client:
        recorded = client.record_retry_execution(sample.failed_execution("scripted"))
    assert recorded.created and recorded.retry_execution.execution_id == "exec-py-scripted"
    assert_one_request_sent_again_and_again(server.requests, attempts=3)


async def test_async_write_is_resent_with_the_same_request_id_after_unavailable(
    scripted_server: StartServer,
) -> None:
    server = scripted_server([UNAVAILABLE, UNAVAILABLE, OK])
    async with AsyncRecoveryClient(server.address, plaintext=True, retry=QUICK_RETRY) as client:
        recorded = await client.record_retry_execution(sample.failed_execution("scripted"))
    assert recorded.created and recorded.retry_execution.execution_id == "exec-py-scripted"
    assert_one_request_sent_again_and_again(server.requests, attempts=3)


def test_sync_write_keeps_the_callers_request_id_on_every_attempt(scripted_server: StartServer) -> None:
    server = scripted_server([UNAVAILABLE, OK])
    with RecoveryClient(server.address, plaintext=True, retry=QUICK_RETRY) as client:
        client.record_retry_execution(sample.failed_execution("mine"), request_id="caller-chosen-id")
    sent = [ev.RecordRetryExecutionRequest.FromString(request) for request in server.requests]
    assert [request.request_id for request in sent] == ["caller-chosen-id", "caller-chosen-id"]


def test_sync_write_that_stays_unavailable_fails_after_max_attempts(scripted_server: StartServer) -> None:
    server = scripted_server([UNAVAILABLE])
    with RecoveryClient(server.address, plaintext=True, retry=QUICK_RETRY) as client:
        with pytest.raises(RecoveryError) as caught:
            client.record_retry_execution(sample.failed_execution("down"))
    assert caught.value.code is StatusCode.UNAVAILABLE
    assert_one_request_sent_again_and_again(server.requests, attempts=QUICK_RETRY.max_attempts)


async def test_async_write_that_stays_unavailable_fails_after_max_attempts(
    scripted_server: StartServer,
) -> None:
    server = scripted_server([UNAVAILABLE])
    async with AsyncRecoveryClient(server.address, plaintext=True, retry=QUICK_RETRY) as client:
        with pytest.raises(RecoveryError) as caught:
            await client.record_retry_execution(sample.failed_execution("down"))
    assert caught.value.code is StatusCode.UNAVAILABLE
    assert_one_request_sent_again_and_again(server.requests, attempts=QUICK_RETRY.max_attempts)


@pytest.mark.parametrize("code", NOT_RETRIED, ids=lambda code: code.name)
def test_sync_write_failing_with_another_code_is_sent_once(
    scripted_server: StartServer, code: grpc.StatusCode
) -> None:
    server = scripted_server([code, OK])
    with RecoveryClient(server.address, plaintext=True, retry=QUICK_RETRY) as client:
        with pytest.raises(RecoveryError) as caught:
            client.record_retry_execution(sample.failed_execution("once"))
    assert caught.value.code == code.name
    assert len(server.requests) == 1


@pytest.mark.parametrize("code", NOT_RETRIED, ids=lambda code: code.name)
async def test_async_write_failing_with_another_code_is_sent_once(
    scripted_server: StartServer, code: grpc.StatusCode
) -> None:
    server = scripted_server([code, OK])
    async with AsyncRecoveryClient(server.address, plaintext=True, retry=QUICK_RETRY) as client:
        with pytest.raises(RecoveryError) as caught:
            await client.record_retry_execution(sample.failed_execution("once"))
    assert caught.value.code == code.name
    assert len(server.requests) == 1
