"""OpenTelemetry (docs/tracing.md): one deliver request through the gateway is one connected trace.

The server runs in-process (server.app.start) with the SDK's in-memory exporter, a real gateway and
gRPC listener on loopback, SQLite, and a real local webhook receiver that records the headers it got.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import aiohttp
import grpc
import httpx
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, format_span_id, format_trace_id

from cavra.recovery.v1 import evidence_pb2, evidence_pb2_grpc
from cavra_recovery.server.app import start
from cavra_recovery.server.cli import build_parser
from cavra_recovery.server.json_logs import JsonLogFormatter
from cavra_recovery.server.request_context import RequestContextFormatter
from cavra_recovery.server.setting_values import SettingsError
from cavra_recovery.server.settings import Settings, settings_from_arguments
from cavra_recovery.server.tracing import TraceContextFilter, start_tracing
from tests.conftest import REPO_ROOT, SERVER_COMMAND, free_port, start_server_process
from tests.delivery.delivery_kit import (
    LocalReceiver,
    delivery_env,
    local_receivers,
    timestamp,
    webhook_receiver,
    write_connector_file,
)

PREFIX = "/runtime/go-pilot/rollback-drill-notifications/acknowledgements/audit-delivery"
GATEWAY_COMMAND = [*SERVER_COMMAND[:-1], "gateway"]
CALLER_TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_TRACEPARENT = f"00-{CALLER_TRACE_ID}-00f067aa0ba902b7-01"


async def seed_playbook(address: str) -> None:
    async with grpc.aio.insecure_channel(address) as channel:
        await evidence_pb2_grpc.EvidenceServiceStub(channel).RecordConnectorRecoveryPlaybook(
            evidence_pb2.RecordConnectorRecoveryPlaybookRequest(
                playbook=evidence_pb2.ConnectorRecoveryPlaybook(
                    playbook_id="pb-trace-1",
                    generated_at=timestamp(datetime.now(UTC) - timedelta(hours=8)),
                    lookback_hours=24,
                    min_failure_count=1,
                    providers=[evidence_pb2.PlaybookProvider(provider="slack", failure_count=3)],
                )
            ),
            timeout=10,
        )


async def wait_for_span(exporter: InMemorySpanExporter, prefix: str) -> ReadableSpan:
    for _ in range(200):
        found = [span for span in exporter.get_finished_spans() if span.name.startswith(prefix)]
        if found:
            return found[0]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no span named {prefix}…: {[s.name for s in exporter.get_finished_spans()]}")


async def test_one_deliver_request_is_one_trace_from_the_gateway_to_the_webhook(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="cavra-recovery.rpc")
    exporter = InMemorySpanExporter()
    with local_receivers(LocalReceiver()) as (receiver,):
        connectors = write_connector_file(tmp_path, [webhook_receiver("hook", receiver.url)])
        settings = Settings(
            grpc_listen="127.0.0.1:0",
            http_listen="127.0.0.1:0",
            database_url=f"sqlite:///{tmp_path / 'trace.db'}",
            connectors_path=connectors,
            migrate=True,
        )
        running = await start(settings, delivery_env(), span_processor=SimpleSpanProcessor(exporter))
        try:
            await seed_playbook(running.grpc_address)
            base = f"http://{running.http_address}{PREFIX}"
            async with aiohttp.ClientSession() as http:
                async with http.post(f"{base}/recovery-escalation-plan", json={}) as reply:
                    assert reply.status == 200, await reply.text()
                    plan_id = (await reply.json())["plan"]["plan_id"]
                exporter.clear()
                async with http.post(
                    f"{base}/recovery-escalations/{plan_id}/deliver",
                    json={"receivers": ["hook"]},
                    headers={"traceparent": CALLER_TRACEPARENT},
                ) as reply:
                    assert reply.status == 200, await reply.text()
            attempt = await wait_for_span(exporter, "POST")
            delivery = await wait_for_span(exporter, "deliver hook")
        finally:
            await running.stop()

    spans = exporter.get_finished_spans()
    gateway = next(s for s in spans if s.kind == SpanKind.SERVER and s.name == "HTTP POST")
    grpc_server = next(
        s for s in spans if s.kind == SpanKind.SERVER and s.name.endswith("/DeliverRecoveryEscalation")
    )
    grpc_client = next(
        s for s in spans if s.kind == SpanKind.CLIENT and s.name.endswith("/DeliverRecoveryEscalation")
    )
    transactions = [s for s in spans if s.name == "db.transaction"]
    # Every span of the request, from the caller's traceparent on, is in the caller's trace.
    trace_ids = {
        format_trace_id(s.context.trace_id) for s in (gateway, grpc_client, grpc_server, delivery, attempt)
    }
    assert trace_ids == {CALLER_TRACE_ID}
    assert gateway.parent is not None and format_span_id(gateway.parent.span_id) == "00f067aa0ba902b7"
    assert grpc_client.parent is not None and grpc_client.parent.span_id == gateway.context.span_id
    assert grpc_server.parent is not None and grpc_server.parent.span_id == grpc_client.context.span_id
    in_call = [
        t for t in transactions if t.parent is not None and t.parent.span_id == grpc_server.context.span_id
    ]
    assert in_call, [(t.name, t.parent) for t in transactions]
    # The worker's send is a child of the transaction that queued the row, the attempt a child of it.
    assert delivery.parent is not None
    assert delivery.parent.span_id in {t.context.span_id for t in in_call}
    assert attempt.kind == SpanKind.CLIENT
    assert attempt.parent is not None and attempt.parent.span_id == delivery.context.span_id
    # The receiver saw the attempt span's context, as Standard Webhooks receivers can use it.
    [request] = receiver.requests
    expected = f"00-{CALLER_TRACE_ID}-{format_span_id(attempt.context.span_id)}-01"
    assert request.headers["traceparent"] == expected
    # The RPC's access line carries the trace id, on the record and in the text line.
    access = [r for r in caplog.records if "DeliverRecoveryEscalation" in r.getMessage()]
    assert access, [r.getMessage() for r in caplog.records]
    assert getattr(access[0], "trace_id", None) == CALLER_TRACE_ID
    line = RequestContextFormatter(logging.Formatter("%(message)s")).format(access[0])
    assert f"trace_id={CALLER_TRACE_ID}" in line


async def test_tracing_off_writes_no_traceparent_and_sends_none(tmp_path: Path) -> None:
    with local_receivers(LocalReceiver()) as (receiver,):
        connectors = write_connector_file(tmp_path, [webhook_receiver("hook", receiver.url)])
        settings = Settings(
            grpc_listen="127.0.0.1:0",
            http_listen="127.0.0.1:0",
            database_url=f"sqlite:///{tmp_path / 'off.db'}",
            connectors_path=connectors,
            migrate=True,
        )
        running = await start(settings, delivery_env())
        try:
            assert running.tracing is None and running.dependencies.database.tracer is None
            await seed_playbook(running.grpc_address)
            base = f"http://{running.http_address}{PREFIX}"
            async with aiohttp.ClientSession() as http:
                async with http.post(f"{base}/recovery-escalation-plan", json={}) as reply:
                    plan_id = (await reply.json())["plan"]["plan_id"]
                async with http.post(
                    f"{base}/recovery-escalations/{plan_id}/deliver",
                    json={"receivers": ["hook"]},
                    headers={"traceparent": CALLER_TRACEPARENT},
                ) as reply:
                    assert reply.status == 200, await reply.text()
            for _ in range(200):
                if receiver.requests:
                    break
                await asyncio.sleep(0.05)
        finally:
            await running.stop()
    [request] = receiver.requests
    assert "traceparent" not in request.headers


@pytest.mark.parametrize(
    ("argv", "environ", "expected"),
    [
        ([], {}, None),
        (["--otel"], {}, "http://localhost:4318"),
        ([], {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, "http://collector:4318"),
        (["--otel"], {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, "http://collector:4318"),
        (["--otel", "https://otel.example:4318/base"], {}, "https://otel.example:4318/base"),
    ],
)
def test_otel_setting(argv: list[str], environ: dict[str, str], expected: str | None) -> None:
    settings = settings_from_arguments(build_parser(environ).parse_args(["serve", *argv]))
    assert settings.otel_endpoint == expected


def test_otel_setting_refuses_a_url_that_is_not_http() -> None:
    with pytest.raises(SettingsError, match="OTEL_EXPORTER_OTLP_ENDPOINT"):
        settings_from_arguments(build_parser({}).parse_args(["serve", "--otel", "collector:4318"]))


def test_json_log_lines_carry_the_trace_and_span_id_inside_a_span() -> None:
    exporter = InMemorySpanExporter()
    tracing = start_tracing(None, processor=SimpleSpanProcessor(exporter))
    assert tracing is not None
    record_filter = TraceContextFilter()
    outside = logging.LogRecord("cavra-recovery", logging.INFO, __file__, 1, "outside", None, None)
    record_filter.filter(outside)
    assert "trace_id" not in json.loads(JsonLogFormatter().format(outside))
    with tracing.tracer("test").start_as_current_span("work") as span:
        inside = logging.LogRecord("cavra-recovery", logging.INFO, __file__, 1, "inside", None, None)
        record_filter.filter(inside)
    document = json.loads(JsonLogFormatter().format(inside))
    assert document["trace_id"] == format_trace_id(span.get_span_context().trace_id)
    assert document["span_id"] == format_span_id(span.get_span_context().span_id)
    tracing.shutdown()


class CollectorStandIn:
    """An OTLP/HTTP collector on 127.0.0.1: records the path and body of every POST."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, str, bytes]] = []
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                collector.posts.append((self.path, self.headers.get("content-type", ""), body))
                self.send_response(200)
                self.send_header("content-type", "application/x-protobuf")
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_the_server_exports_its_spans_over_otlp_http_to_the_configured_endpoint(sqlite_url: str) -> None:
    collector = CollectorStandIn()
    try:
        server = start_server_process(
            database_url=sqlite_url, http=False, env={"OTEL_EXPORTER_OTLP_ENDPOINT": collector.url}
        )
        try:
            with grpc.insecure_channel(server.grpc_address) as channel:
                evidence_pb2_grpc.EvidenceServiceStub(channel).RecordConnectorRecoveryPlaybook(
                    evidence_pb2.RecordConnectorRecoveryPlaybookRequest(
                        playbook=evidence_pb2.ConnectorRecoveryPlaybook(
                            playbook_id="pb-otlp-1",
                            generated_at=timestamp(datetime.now(UTC) - timedelta(hours=8)),
                            lookback_hours=24,
                            min_failure_count=1,
                            providers=[evidence_pb2.PlaybookProvider(provider="slack", failure_count=3)],
                        )
                    ),
                    timeout=10,
                )
        finally:
            # Shutdown flushes the batch processor.
            assert server.stop() == 0, server.log_text
    finally:
        collector.close()
    assert collector.posts, server.log_text
    names: set[str] = set()
    services: set[str] = set()
    for path, content_type, body in collector.posts:
        assert path == "/v1/traces"
        assert content_type == "application/x-protobuf"
        export = ExportTraceServiceRequest.FromString(body)
        for resource_spans in export.resource_spans:
            services.update(
                a.value.string_value for a in resource_spans.resource.attributes if a.key == "service.name"
            )
            for scope_spans in resource_spans.scope_spans:
                names.update(span.name for span in scope_spans.spans)
    assert services == {"cavra-recovery"}
    assert "/cavra.recovery.v1.EvidenceService/RecordConnectorRecoveryPlaybook" in names
    assert "db.transaction" in names


async def test_with_tracing_on_a_bad_request_still_answers_invalid_argument_with_its_field(
    tmp_path: Path,
) -> None:
    exporter = InMemorySpanExporter()
    settings = Settings(
        grpc_listen="127.0.0.1:0",
        http_listen=None,
        database_url=f"sqlite:///{tmp_path / 'bad.db'}",
        migrate=True,
    )
    running = await start(settings, {}, span_processor=SimpleSpanProcessor(exporter))
    try:
        async with grpc.aio.insecure_channel(running.grpc_address) as channel:
            with pytest.raises(grpc.aio.AioRpcError) as raised:
                await evidence_pb2_grpc.EvidenceServiceStub(channel).RecordRetryExecution(
                    evidence_pb2.RecordRetryExecutionRequest(), timeout=10
                )
    finally:
        await running.stop()
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    status = rpc_status.from_call(raised.value)
    assert status is not None
    violations = [
        field_violation.field
        for detail in status.details
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR)
        for field_violation in unpack_bad_request(detail).field_violations
    ]
    assert violations, status
    [span] = [s for s in exporter.get_finished_spans() if s.name.endswith("/RecordRetryExecution")]
    assert span.kind == SpanKind.SERVER


def unpack_bad_request(detail: Any) -> error_details_pb2.BadRequest:
    bad_request = error_details_pb2.BadRequest()
    detail.Unpack(bad_request)
    return bad_request


def test_the_standalone_gateway_and_the_server_export_one_trace(sqlite_url: str) -> None:
    collector = CollectorStandIn()
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": collector.url}
    try:
        server = start_server_process(database_url=sqlite_url, http=False, env=env)
        http_port = free_port()
        gateway = subprocess.Popen(
            [
                *GATEWAY_COMMAND,
                "--grpc-target",
                server.grpc_address,
                "--http-listen",
                f"127.0.0.1:{http_port}",
            ],
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO_ROOT,
            env={**os.environ, **env},
        )
        try:
            assert gateway.stderr is not None
            for _ in range(200):
                line = gateway.stderr.readline()
                if "http listening on" in line or not line:
                    break
            reply = httpx.post(
                f"http://127.0.0.1:{http_port}{PREFIX}/recovery-escalation-plan",
                json={},
                headers={"traceparent": CALLER_TRACEPARENT},
                timeout=10,
            )
            assert reply.status_code == 200, reply.text
        finally:
            gateway.send_signal(signal.SIGTERM)
            assert gateway.wait(20) == 0
            if gateway.stderr is not None:
                gateway.stderr.close()
            assert server.stop() == 0, server.log_text
    finally:
        collector.close()
    spans: dict[str, str] = {}
    for _path, _content_type, body in collector.posts:
        for resource_spans in ExportTraceServiceRequest.FromString(body).resource_spans:
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    spans[span.name] = span.trace_id.hex()
    assert spans.get("HTTP POST") == CALLER_TRACE_ID, spans
    assert spans.get("/cavra.recovery.v1.EscalationService/CreateRecoveryEscalationPlan") == CALLER_TRACE_ID
