"""Wiring only: settings -> storage -> services -> gRPC server + HTTP gateway + delivery worker."""

from __future__ import annotations

import asyncio
import gc
import logging
import multiprocessing
import os
import signal
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import grpc
from google.rpc import error_details_pb2  # noqa: F401  (registers google.rpc detail types for reflection)
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio  # type: ignore[attr-defined]

from cavra.recovery.v1 import (
    escalation_pb2,
    escalation_pb2_grpc,
    evidence_pb2,
    evidence_pb2_grpc,
    ledger_pb2,
    ledger_pb2_grpc,
    report_pb2,
    report_pb2_grpc,
)
from cavra_recovery.server.auth import AuthInterceptor, load_auth_config
from cavra_recovery.server.database_health import DatabaseHealth
from cavra_recovery.server.delivery import DeliveryService, DeliveryTuning
from cavra_recovery.server.domain.errors import Unavailable
from cavra_recovery.server.handlers.escalation import EscalationHandler
from cavra_recovery.server.handlers.evidence import EvidenceHandler
from cavra_recovery.server.handlers.ledger import LedgerHandler
from cavra_recovery.server.handlers.report import ReportHandler
from cavra_recovery.server.ledger_keys import load_signer
from cavra_recovery.server.metrics import create_metrics
from cavra_recovery.server.operations.escalation_tick import EscalationScheduler
from cavra_recovery.server.operations.ledger import CheckpointTask
from cavra_recovery.server.rate_limit import RateLimitInterceptor, TokenBuckets
from cavra_recovery.server.reflection import enable_reflection
from cavra_recovery.server.request_context import RequestContextInterceptor, install_log_context
from cavra_recovery.server.rpc_status import DomainErrorInterceptor
from cavra_recovery.server.services import ServiceDependencies, utc_now
from cavra_recovery.server.setting_values import SettingsError, split_host_port
from cavra_recovery.server.settings import Settings, configure_logging
from cavra_recovery.server.storage.database import Database
from cavra_recovery.server.storage.migrate import check_schema_is_current, migrate
from cavra_recovery.server.supervisor import check_ports_free, die_with_parent
from cavra_recovery.server.tracing import Tracing, start_tracing

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import SpanProcessor

log = logging.getLogger("cavra-recovery")

SERVICE_NAMES = (
    evidence_pb2.DESCRIPTOR.services_by_name["EvidenceService"].full_name,
    escalation_pb2.DESCRIPTOR.services_by_name["EscalationService"].full_name,
    report_pb2.DESCRIPTOR.services_by_name["ReportService"].full_name,
    ledger_pb2.DESCRIPTOR.services_by_name["LedgerService"].full_name,
)
SHUTDOWN_GRACE_SECONDS = 10.0
# Responses (a rendered report, a page of evidence) are ours, not a caller's: their bound stays wide.
MAX_SEND_MESSAGE_BYTES = 64 * 1024 * 1024


def grpc_server_options(settings: Settings) -> list[tuple[str, Any]]:
    return [
        # Without this, grpc binds with SO_REUSEPORT and a second server on the same port starts silently.
        ("grpc.so_reuseport", 1 if settings.workers > 1 else 0),
        ("grpc.max_receive_message_length", settings.limits.grpc_max_receive_bytes),
        ("grpc.max_send_message_length", MAX_SEND_MESSAGE_BYTES),
        # Accept client keepalive pings every 10 s, even between calls (no too_many_pings GOAWAY).
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.min_recv_ping_interval_without_data_ms", 10_000),
        ("grpc.http2.max_ping_strikes", 0),
    ]


@dataclass
class RunningServer:
    """A started server: its bound addresses, and how to stop it."""

    grpc_address: str
    http_address: str | None
    server: grpc.aio.Server
    health: health_aio.HealthServicer
    dependencies: ServiceDependencies
    database_health: DatabaseHealth
    gateway: Any = None
    private_socket: tempfile.TemporaryDirectory[str] | None = None
    tracing: Tracing | None = None
    escalations: EscalationScheduler | None = None
    checkpoints: CheckpointTask | None = None

    async def stop(self, grace: float = SHUTDOWN_GRACE_SECONDS) -> None:
        await self.health.enter_graceful_shutdown()
        await self.database_health.stop()
        if self.escalations is not None:
            await self.escalations.stop()
        if self.gateway is not None:
            await self.gateway.close()
        await self.server.stop(grace)
        await self.dependencies.delivery.stop()
        if self.checkpoints is not None:
            await self.checkpoints.stop()
        self.dependencies.database.dispose()
        if self.private_socket is not None:
            self.private_socket.cleanup()
        if self.tracing is not None:
            self.tracing.shutdown()


def access_log_level(settings: Settings) -> int:
    """JSON logs carry one access line per RPC at INFO; text logs keep it at DEBUG."""
    return logging.INFO if settings.log_format == "json" else logging.DEBUG


def server_credentials(settings: Settings) -> grpc.ServerCredentials | None:
    """TLS credentials from --tls-cert/--tls-key, requiring a client certificate with --client-ca."""
    if settings.tls_cert is None or settings.tls_key is None:
        return None
    try:
        chain = settings.tls_cert.read_bytes()
        key = settings.tls_key.read_bytes()
        client_ca = None if settings.client_ca is None else settings.client_ca.read_bytes()
    except OSError as error:
        raise SettingsError(f"cannot read a TLS file: {error.filename}: {error.strerror}") from None
    return grpc.ssl_server_credentials(
        [(key, chain)], root_certificates=client_ca, require_client_auth=client_ca is not None
    )


def build_dependencies(
    settings: Settings, environ: Mapping[str, str], tracing: Tracing | None = None
) -> ServiceDependencies:
    auth_config = None if settings.auth_config_path is None else load_auth_config(settings.auth_config_path)
    metrics = create_metrics()
    database = Database(
        settings.database_url, isolation=settings.database_isolation, ledger=settings.ledger.enabled
    )
    if tracing is not None:
        database.tracer = tracing.tracer("cavra-recovery.storage")
    connector_config = None
    if settings.connectors_path is not None:
        from cavra_recovery.connectors.config import load_connector_config

        connector_config = load_connector_config(settings.connectors_path, environ)
    delivery = DeliveryService(
        database=database,
        config=connector_config,
        tuning=DeliveryTuning.from_environ(environ),
        clock=utc_now,
        metrics=metrics,
        tracing=tracing,
    )
    return ServiceDependencies(
        settings=settings,
        database=database,
        connector_config=connector_config,
        delivery=delivery,
        metrics=metrics,
        auth_config=auth_config,
    )


async def start(
    settings: Settings, environ: Mapping[str, str], *, span_processor: SpanProcessor | None = None
) -> RunningServer:
    """Migrate (when asked), start gRPC, the gateway and the worker; log one line per listener.

    `span_processor` turns tracing on with that processor as well (tests use an in-memory exporter)."""
    tracing = start_tracing(settings.otel_endpoint, processor=span_processor)
    # Configuration files first: their errors are the cheapest to report and to fix.
    dependencies = build_dependencies(settings, environ, tracing)
    if settings.wait_for_database_seconds > 0:
        await wait_for_database(dependencies.database, settings.wait_for_database_seconds)
    if settings.migrate:
        await asyncio.to_thread(migrate, settings.database_url)
    await asyncio.to_thread(check_schema_is_current, settings.database_url)

    install_log_context()
    # Outermost first: request id and metrics see every call, auth runs before any handler code, and
    # DomainErrorInterceptor stays innermost so it maps what the handler raises.
    interceptors: list[grpc.aio.ServerInterceptor[Any, Any]] = [
        RequestContextInterceptor(dependencies.metrics, access_log_level=access_log_level(settings))
    ]
    if tracing is not None:
        # The server span, a child of the caller's `traceparent` metadata; outside the request id so
        # the access line is written inside the span and carries its trace id.
        from opentelemetry.instrumentation.grpc import aio_server_interceptor

        interceptors.insert(0, aio_server_interceptor(tracer_provider=tracing.provider))  # type: ignore[no-untyped-call]
    if dependencies.auth_config is not None:
        interceptors.append(AuthInterceptor(dependencies.auth_config))
    if settings.limits.rate_limit_per_minute > 0:
        buckets = TokenBuckets(
            per_minute=settings.limits.rate_limit_per_minute, burst=settings.limits.rate_limit_burst
        )
        interceptors.append(RateLimitInterceptor(buckets))
    interceptors.append(DomainErrorInterceptor())
    server = grpc.aio.server(
        interceptors=interceptors,
        options=grpc_server_options(settings),
        maximum_concurrent_rpcs=settings.limits.grpc_max_concurrent_rpcs,
    )
    servicers: tuple[tuple[Callable[[Any, Any], None], Any], ...] = (
        (evidence_pb2_grpc.add_EvidenceServiceServicer_to_server, EvidenceHandler(dependencies)),
        (escalation_pb2_grpc.add_EscalationServiceServicer_to_server, EscalationHandler(dependencies)),
        (report_pb2_grpc.add_ReportServiceServicer_to_server, ReportHandler(dependencies)),
        (ledger_pb2_grpc.add_LedgerServiceServicer_to_server, LedgerHandler(dependencies)),
    )
    for add_servicer, servicer in servicers:
        add_servicer(servicer, server)

    health = health_aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    enable_reflection((*SERVICE_NAMES, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name), server)

    host, _ = split_host_port(settings.grpc_listen)
    credentials = server_credentials(settings)
    if credentials is None:
        port = server.add_insecure_port(settings.grpc_listen)
    else:
        port = server.add_secure_port(settings.grpc_listen, credentials)
    if port == 0:
        raise SettingsError(f"cannot listen on {settings.grpc_listen} for gRPC")
    grpc_address = f"{host}:{port}"
    # The gateway's probes (and its calls, with tracing on) use a socket only this user can open.
    gateway_target, private_socket = grpc_address, None
    if settings.http_listen is not None:
        private_socket = tempfile.TemporaryDirectory(prefix="cavra-gateway-")
        gateway_target = f"unix:{Path(private_socket.name) / 'grpc.sock'}"
        server.add_insecure_port(gateway_target)
    await server.start()
    # Everything built so far lives as long as the server: keep the cyclic GC from rescanning it per call.
    gc.collect()
    gc.freeze()

    async def set_serving(serving: bool) -> None:
        status = (
            health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        for name in ("", *SERVICE_NAMES):
            await health.set(name, status)

    await set_serving(True)
    database_health = DatabaseHealth(
        dependencies.database,
        interval_seconds=settings.database_check_seconds,
        failures_to_fail=settings.database_check_failures,
        set_serving=set_serving,
    )
    await database_health.start()
    log.info("grpc listening on %s", grpc_address)
    await dependencies.delivery.start()
    checkpoints = CheckpointTask(
        dependencies.database,
        period_seconds=settings.ledger.checkpoint_seconds,
        signer=None if settings.ledger.signing_key is None else load_signer(settings.ledger.signing_key),
        clock=utc_now,
    )
    checkpoints.start()

    running = RunningServer(
        grpc_address=grpc_address,
        http_address=None,
        server=server,
        health=health,
        dependencies=dependencies,
        database_health=database_health,
        private_socket=private_socket,
        tracing=tracing,
        checkpoints=checkpoints,
    )
    config = dependencies.connector_config
    if config is not None and config.escalation_policies:
        running.escalations = EscalationScheduler(
            database=dependencies.database,
            config=config,
            tick_seconds=settings.escalation_tick_seconds,
            clock=dependencies.clock,
            wake=dependencies.delivery.wake,
        )
        await running.escalations.start()
    if settings.http_listen is not None:
        from cavra_recovery.server.gateway import GatewayLimits, start_gateway
        from cavra_recovery.server.gateway.admission import TokenGate
        from cavra_recovery.server.gateway.inprocess import in_process_server
        from cavra_recovery.server.metrics import render

        metrics = dependencies.metrics
        # API calls run this server's interceptors and handlers in process (no second gRPC call); with
        # tracing on, over the private socket, so that the gRPC spans stay as they are.
        limit = settings.limits.grpc_max_receive_bytes
        in_process = in_process_server(servicers, interceptors=interceptors, max_receive_bytes=limit)
        running.gateway = await start_gateway(
            listen=settings.http_listen,
            grpc_target=gateway_target,
            reuse_port=settings.workers > 1,
            metrics_renderer=None if metrics is None else (lambda: render(metrics)),
            limits=GatewayLimits.of(settings.limits),
            gate=None if dependencies.auth_config is None else TokenGate(dependencies.auth_config),
            tracer_provider=None if tracing is None else tracing.provider,
            in_process=None if tracing is not None else in_process,
        )
        running.http_address = running.gateway.address
        log.info("http listening on %s", running.http_address)
    return running


async def wait_for_database(database: Database, seconds: float) -> None:
    """Wait up to `seconds` for the database, with a progress line every 5 s; then go on (and fail
    at the schema check with the usual one-line error if it is still down)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    next_progress = loop.time()
    while True:
        try:
            await asyncio.to_thread(database.ping_sync)
            return
        except Unavailable as error:
            now = loop.time()
            if now >= deadline:
                return
            if now >= next_progress:
                log.info(
                    "waiting for the database (%s); %.0f s left of --wait-for-database",
                    error.metadata.get("cause", "unreachable"),
                    deadline - now,
                )
                next_progress = now + 5
        await asyncio.sleep(min(0.5, max(0.0, deadline - loop.time())))


async def serve(settings: Settings, environ: Mapping[str, str]) -> None:
    """Run until SIGTERM or SIGINT, then drain: health NOT_SERVING, gateway closed, RPCs finished."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # Installed before the listeners start, so a signal right after "listening on" still drains.
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    running = await start(settings, environ)
    await stop.wait()
    log.info("shutting down (grace %.0f s)", SHUTDOWN_GRACE_SECONDS)
    await running.stop()
    log.info("stopped")


def _serve_process(settings: Settings, environ: dict[str, str], log_level: str, parent_pid: int) -> None:
    die_with_parent(parent_pid)
    configure_logging(log_level, settings.log_format)
    asyncio.run(serve(settings, environ))


def run_server_processes(settings: Settings, environ: Mapping[str, str]) -> int:
    """One process, or `--workers N` processes sharing the listen ports with SO_REUSEPORT."""
    if settings.workers == 1:
        asyncio.run(serve(settings, environ))
        return 0
    if split_host_port(settings.grpc_listen)[1] == 0:
        raise SettingsError("--workers above 1 needs a fixed --grpc-listen port")
    check_ports_free(settings)
    if settings.migrate:
        migrate(settings.database_url)
    child_settings = replace(settings, migrate=False)
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(
            target=_serve_process,
            args=(child_settings, dict(environ), settings.log_level, os.getpid()),
            name=f"worker-{i}",
        )
        for i in range(settings.workers)
    ]
    for process in processes:
        process.start()

    def forward(signum: int, _frame: Any) -> None:
        for process in processes:
            if process.is_alive() and process.pid is not None:
                signal_process(process.pid, signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    for process in processes:
        process.join()
    return max((process.exitcode or 0) for process in processes)


def signal_process(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass
