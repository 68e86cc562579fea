"""Request ids (metadata and logs) and per-server Prometheus metrics."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from pathlib import Path

import grpc
import pytest

from cavra.recovery.v1 import evidence_pb2, evidence_pb2_grpc
from cavra_recovery.server.app import start
from cavra_recovery.server.metrics import render
from cavra_recovery.server.settings import Settings
from tests.conftest import ServerProcess
from tests.platform import evidence_builders as build


def test_the_request_id_is_echoed_and_on_every_log_line_of_the_rpc(
    server_factory: Callable[..., ServerProcess], sqlite_url: str
) -> None:
    server = server_factory(database_url=sqlite_url, http=False, extra_args=["--log-level", "DEBUG"])
    with grpc.insecure_channel(server.grpc_address) as channel:
        stub = evidence_pb2_grpc.EvidenceServiceStub(channel)
        request = evidence_pb2.GetRetryExecutionRequest(execution_id="exec-404")
        with pytest.raises(grpc.RpcError) as given:
            stub.GetRetryExecution(request, metadata=[("x-request-id", "drill-42.a")])
        with pytest.raises(grpc.RpcError) as generated:
            stub.GetRetryExecution(request, metadata=[("x-request-id", "bad id with spaces")])
    echoed = dict(given.value.initial_metadata())  # type: ignore[attr-defined]
    assert echoed["x-request-id"] == "drill-42.a"
    fresh = dict(generated.value.initial_metadata())["x-request-id"]  # type: ignore[attr-defined]
    assert re.fullmatch(r"[0-9a-f]{32}", fresh)
    server.stop()
    rpc_lines = [line for line in server.log_lines if "GetRetryExecution" in line]
    assert any("NOT_FOUND" in line and line.endswith("request_id=drill-42.a") for line in rpc_lines)
    assert any(line.endswith(f"request_id={fresh}") for line in rpc_lines)
    assert "bad id" not in server.log_text


async def test_each_server_counts_its_own_rpcs_on_its_own_registry(tmp_path: Path) -> None:
    running = []
    for name in ("a", "b"):
        settings = Settings(
            grpc_listen="127.0.0.1:0",
            http_listen=None,
            database_url=f"sqlite:///{tmp_path / name}.db",
            migrate=True,
        )
        running.append(await start(settings, {}))
    try:
        async with grpc.aio.insecure_channel(running[0].grpc_address) as channel:
            stub = evidence_pb2_grpc.EvidenceServiceStub(channel)
            request = evidence_pb2.RecordRetryExecutionRequest(retry_execution=build.retry_execution(1))
            await stub.RecordRetryExecution(request)
            await stub.RecordRetryExecution(request)
            with pytest.raises(grpc.RpcError):
                await stub.RecordRetryExecution(evidence_pb2.RecordRetryExecutionRequest())
        first, second = (r.dependencies.metrics for r in running)
        assert first is not None and second is not None
        labels = {
            "grpc_type": "unary",
            "grpc_service": "cavra.recovery.v1.EvidenceService",
            "grpc_method": "RecordRetryExecution",
        }
        assert (
            first.registry.get_sample_value("grpc_server_handled_total", {**labels, "grpc_code": "OK"}) == 2
        )
        invalid = {**labels, "grpc_code": "INVALID_ARGUMENT"}
        # abort() sends the status before the interceptor counts the call: the client can see the
        # error before the server's coroutine resumes, so give it the loop until the count is in.
        for _ in range(500):
            if first.registry.get_sample_value("grpc_server_handled_total", invalid) is not None:
                break
            await asyncio.sleep(0.01)
        assert first.registry.get_sample_value("grpc_server_handled_total", invalid) == 1
        assert first.registry.get_sample_value("grpc_server_handling_seconds_count", labels) == 3
        created = {"kind": "retry_execution", "outcome": "created"}
        assert first.registry.get_sample_value("cavra_evidence_records_total", created) == 1
        assert (
            second.registry.get_sample_value("grpc_server_handled_total", {**labels, "grpc_code": "OK"})
            is None
        )
        text, content_type = render(first)
        assert b"grpc_server_handled_total" in text and b"cavra_outbox_depth" in text
        assert content_type.startswith("text/plain")
    finally:
        for server in running:
            await server.stop(grace=1)
