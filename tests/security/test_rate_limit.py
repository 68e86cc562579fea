"""Deliver, retry-worker and schedule-run calls are rate limited per identity (token name, or peer
address without auth): over the limit RESOURCE_EXHAUSTED, reason RATE_LIMITED, with RetryInfo; 429
with Retry-After on the gateway; other identities and other RPCs are not affected."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from cavra.recovery.v1 import escalation_pb2, escalation_pb2_grpc, report_pb2, report_pb2_grpc
from cavra_recovery.server.rate_limit import TokenBuckets, peer_host
from tests.conftest import ServerProcess
from tests.security.security_kit import TOKENS, bearer, write_auth_config

RETRY_WORKER_PATH = (
    "/runtime/go-pilot/rollback-drill-notifications/acknowledgements/audit-delivery/"
    "recovery-escalations/retry-worker-run"
)
LIMIT_ARGS = ["--rate-limit-per-minute", "1", "--rate-limit-burst", "2"]


def _retry_worker(address: str, token: str | None) -> grpc.StatusCode:
    metadata = () if token is None else (("authorization", f"Bearer {token}"),)
    with grpc.insecure_channel(address) as channel:
        stub = escalation_pb2_grpc.EscalationServiceStub(channel)
        try:
            stub.RunRecoveryEscalationRetryWorker(
                escalation_pb2.RunRecoveryEscalationRetryWorkerRequest(), timeout=10, metadata=metadata
            )
        except grpc.RpcError as error:
            code: grpc.StatusCode = error.code()
            if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
                _check_rate_limited(error)
            return code
    return grpc.StatusCode.OK


def _check_rate_limited(error: grpc.RpcError) -> None:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None
    kinds = {}
    for detail in status.details:
        for kind in (error_details_pb2.ErrorInfo, error_details_pb2.RetryInfo):
            if detail.Is(kind.DESCRIPTOR):
                message = kind()
                detail.Unpack(message)
                kinds[kind.__name__] = message
    assert kinds["ErrorInfo"].reason == "RATE_LIMITED"
    assert kinds["ErrorInfo"].metadata["method"] == "RunRecoveryEscalationRetryWorker"
    assert 1 <= kinds["RetryInfo"].retry_delay.seconds <= 60


def test_an_identity_over_its_limit_is_resource_exhausted_and_others_go_on(
    server_factory: Callable[..., ServerProcess], sqlite_url: str, tmp_path: Path
) -> None:
    config = write_auth_config(tmp_path)
    server = server_factory(database_url=sqlite_url, extra_args=["--auth-config", str(config), *LIMIT_ARGS])
    operator = TOKENS["operator"]
    codes = [_retry_worker(server.grpc_address, operator) for _ in range(3)]
    assert codes == [grpc.StatusCode.OK, grpc.StatusCode.OK, grpc.StatusCode.RESOURCE_EXHAUSTED]
    # Another identity has its own bucket; reads are not limited.
    assert _retry_worker(server.grpc_address, TOKENS["operator2"]) == grpc.StatusCode.OK
    with grpc.insecure_channel(server.grpc_address) as channel:
        runs = report_pb2_grpc.ReportServiceStub(channel).ListExecutiveReportScheduleRuns(
            report_pb2.ListExecutiveReportScheduleRunsRequest(),
            timeout=10,
            metadata=(("authorization", f"Bearer {operator}"),),
        )
        assert len(runs.runs) == 0
    # The gateway: 429 with Retry-After, for the same identity.
    request = urllib.request.Request(
        f"http://{server.http_address}{RETRY_WORKER_PATH}",
        data=b"{}",
        headers={"Content-Type": "application/json", **bearer("operator")},
        method="POST",
    )
    try:
        urllib.request.urlopen(request, timeout=10)
        raise AssertionError("the call was not limited")
    except urllib.error.HTTPError as error:
        assert error.code == 429
        retry_after = int(error.headers["Retry-After"])
        assert 1 <= retry_after <= 60
        assert json.loads(error.read())["details"][0]["reason"] == "RATE_LIMITED"


def test_without_auth_the_limit_is_per_peer_address(
    server_factory: Callable[..., ServerProcess], sqlite_url: str
) -> None:
    server = server_factory(database_url=sqlite_url, http=False, extra_args=LIMIT_ARGS)
    codes = [_retry_worker(server.grpc_address, None) for _ in range(3)]
    assert codes == [grpc.StatusCode.OK, grpc.StatusCode.OK, grpc.StatusCode.RESOURCE_EXHAUSTED]


def test_rate_limit_0_turns_the_limit_off(
    server_factory: Callable[..., ServerProcess], sqlite_url: str
) -> None:
    server = server_factory(
        database_url=sqlite_url,
        http=False,
        extra_args=["--rate-limit-per-minute", "0", "--rate-limit-burst", "1"],
    )
    assert [_retry_worker(server.grpc_address, None) for _ in range(4)] == [grpc.StatusCode.OK] * 4


def test_a_bucket_refills_at_the_per_minute_rate() -> None:
    now = [0.0]
    buckets = TokenBuckets(per_minute=60, burst=2, clock=lambda: now[0])
    assert [buckets.take("a"), buckets.take("a")] == [0.0, 0.0]
    assert buckets.take("a") == 1.0
    assert buckets.take("b") == 0.0
    now[0] = 0.5
    assert buckets.take("a") == 0.5
    now[0] = 1.0
    assert buckets.take("a") == 0.0


def test_peer_host_drops_the_port() -> None:
    assert peer_host("ipv4:127.0.0.1:5123") == "127.0.0.1"
    assert peer_host("ipv6:[::1]:5123") == "::1"
    assert peer_host("unix:/tmp/socket") == "unix:/tmp/socket"
