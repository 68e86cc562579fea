"""The Python SDK's pinned public surface and its transport-free rules (errors, request ids, retries)."""

from __future__ import annotations

import importlib.resources
import inspect
import time
import uuid

import grpc
import pytest
from google.protobuf.any_pb2 import Any
from google.rpc import code_pb2, error_details_pb2, status_pb2

import cavra_recovery_client
from cavra.recovery.v1 import escalation_pb2
from cavra_recovery_client import AsyncRecoveryClient, RecoveryClient, RecoveryError, RetryPolicy, StatusCode
from cavra_recovery_client import _methods as methods
from cavra_recovery_client._channel import fill_request_id, is_loopback, retry_delay
from cavra_recovery_client._errors import error_from_rpc

PUBLIC_SURFACE = [
    "DEFAULT_TIMEOUT",
    "AcknowledgementState",
    "AlertLevel",
    "AsyncRecoveryClient",
    "ClosureState",
    "ConnectorRecoveryPlaybook",
    "Delivery",
    "DeliverRecoveryEscalationResponse",
    "DeliveryState",
    "EscalationRoute",
    "EvidenceRecord",
    "ExecutionStatus",
    "FieldViolation",
    "GetRollbackDrillDashboardResponse",
    "PlaybookProvider",
    "ProviderCategory",
    "ReceiverDeliveryResult",
    "RecoveryClient",
    "RecoveryClosure",
    "RecoveryError",
    "RecoveryEscalationAcknowledgement",
    "RecoveryEscalationPlan",
    "RecoveryExecutiveReport",
    "ReportFormat",
    "RetryExecution",
    "RetryPolicy",
    "RetryRecoveryReport",
    "StatusCode",
]


def public_methods(cls: type) -> set[str]:
    return {name for name, _ in inspect.getmembers(cls, inspect.isfunction) if not name.startswith("_")}


def test_public_surface_is_pinned() -> None:
    assert sorted(cavra_recovery_client.__all__) == sorted(PUBLIC_SURFACE)
    assert all(hasattr(cavra_recovery_client, name) for name in cavra_recovery_client.__all__)


def test_sync_and_async_clients_offer_the_same_methods_for_every_rpc() -> None:
    sync_methods = public_methods(RecoveryClient)
    assert sync_methods == public_methods(AsyncRecoveryClient)
    for name in sync_methods - {"close"}:
        assert inspect.iscoroutinefunction(getattr(AsyncRecoveryClient, name)), name
    rpc_count = sum(len(s.methods) for f in methods.ALL_FILES for s in f.services_by_name.values())
    assert len(sync_methods - {"close"}) == rpc_count


def test_package_is_typed() -> None:
    assert importlib.resources.files("cavra_recovery_client").joinpath("py.typed").is_file()


@pytest.mark.parametrize("code", [code for code in StatusCode if code is not StatusCode.UNAVAILABLE])
def test_no_code_but_unavailable_is_retried(code: StatusCode) -> None:
    assert retry_delay(RetryPolicy(), code, attempt=1, deadline=None) is None


def test_unavailable_is_retried_until_the_attempts_are_spent() -> None:
    policy = RetryPolicy(max_attempts=3, initial_backoff=0.1, max_backoff=1.0, multiplier=2.0)
    delays = [retry_delay(policy, StatusCode.UNAVAILABLE, attempt, None) for attempt in (1, 2, 3)]
    assert delays[0] is not None and 0.08 <= delays[0] <= 0.12
    assert delays[1] is not None and 0.16 <= delays[1] <= 0.24
    assert delays[2] is None


def test_unavailable_is_not_retried_when_the_wait_would_reach_the_deadline() -> None:
    policy = RetryPolicy(initial_backoff=1.0)
    soon = time.monotonic() + 0.5
    assert retry_delay(policy, StatusCode.UNAVAILABLE, 1, soon) is None
    assert retry_delay(policy, StatusCode.UNAVAILABLE, 1, soon + 10) is not None


def test_request_id_is_filled_only_when_empty() -> None:
    request = escalation_pb2.CreateRecoveryEscalationPlanRequest()
    fill_request_id(request)
    assert uuid.UUID(request.request_id).version == 4
    mine = escalation_pb2.DeliverRecoveryEscalationRequest(request_id="mine")
    fill_request_id(mine)
    assert mine.request_id == "mine"


def test_retry_backoff_is_the_nominal_backoff_within_20_percent() -> None:
    policy = RetryPolicy(initial_backoff=0.1, max_backoff=1.0, multiplier=2.0)
    for attempt in range(1, 10):
        nominal = min(1.0, 0.1 * 2 ** (attempt - 1))
        assert 0.8 * nominal <= policy.backoff(attempt) <= 1.2 * nominal


@pytest.mark.parametrize(
    ("target", "loopback"),
    [
        ("127.0.0.1:50051", True),
        ("localhost:50051", True),
        ("[::1]:50051", True),
        ("dns:///localhost:50051", True),
        ("recovery.example.com:443", False),
        ("10.0.0.8:50051", False),
    ],
)
def test_loopback_targets(target: str, loopback: bool) -> None:
    assert is_loopback(target) is loopback


def test_plaintext_token_is_refused_for_remote_targets_without_echoing_it() -> None:
    with pytest.raises(ValueError) as caught:
        RecoveryClient("recovery.example.com:443", plaintext=True, token="t0ken-canary")
    assert "t0ken-canary" not in str(caught.value)
    client = RecoveryClient("127.0.0.1:1", plaintext=True, token="t0ken-canary")
    assert "t0ken-canary" not in repr(client)
    client.close()


class FakeFailure(grpc.RpcError):
    """What grpc raises: an RpcError that is also a Call with code, details and trailing metadata."""

    def __init__(self, status: status_pb2.Status) -> None:
        self._status = status

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.INVALID_ARGUMENT

    def details(self) -> str:
        return self._status.message

    def trailing_metadata(self) -> tuple[tuple[str, bytes], ...]:
        return (("grpc-status-details-bin", self._status.SerializeToString()),)


def packed(message: object) -> Any:
    result = Any()
    result.Pack(message)  # type: ignore[arg-type]
    return result


def test_rich_status_is_decoded_into_recovery_error() -> None:
    status = status_pb2.Status(
        code=code_pb2.INVALID_ARGUMENT,
        message="retry_execution.executed_at: required",
        details=[
            packed(error_details_pb2.ErrorInfo(reason="INVALID_ARGUMENT", domain="d", metadata={"k": "v"})),
            packed(
                error_details_pb2.BadRequest(
                    field_violations=[
                        error_details_pb2.BadRequest.FieldViolation(
                            field="retry_execution.executed_at", description="required"
                        )
                    ]
                )
            ),
        ],
    )
    error = error_from_rpc(FakeFailure(status), "RecordRetryExecution")
    assert isinstance(error, RecoveryError)
    assert error.code is StatusCode.INVALID_ARGUMENT and error.code == "INVALID_ARGUMENT"
    assert (error.reason, error.domain, error.metadata) == ("INVALID_ARGUMENT", "d", {"k": "v"})
    assert error.violation("retry_execution.executed_at") == "required"
    assert "RecordRetryExecution" in str(error) and "INVALID_ARGUMENT" in str(error)
