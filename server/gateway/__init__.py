"""HTTP/JSON gateway driven by the google.api.http annotations (see docs/gateway.md).

`start_gateway` binds an aiohttp server in the running event loop and forwards every request over a
grpc.aio channel to `grpc_target`, so the gateway can sit beside the gRPC server (`cavra-recovery
serve`) or alone in front of a remote one (`cavra-recovery gateway`). Routes come only from the
annotations of the three services; `/openapi.json` (and `/swagger.json`) serve the generated OpenAPI
document, `/console` the Evidence Console's static files, and `/metrics` the server's Prometheus
registry when one is given.
"""

from __future__ import annotations

import importlib.util
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from aiohttp import web
from google.protobuf.descriptor import ServiceDescriptor

from cavra.recovery.v1 import escalation_pb2, evidence_pb2, ledger_pb2, report_pb2
from cavra_recovery.server.console import CONSOLE_HEADERS, console_assets
from cavra_recovery.server.gateway.admission import Gate, GatewayLimits, HeaderGate, http_server_logger
from cavra_recovery.server.gateway.inprocess import InProcessServer
from cavra_recovery.server.gateway.proxy import (
    MAX_GRPC_MESSAGE_BYTES,
    GatewayProxy,
    StaticDocument,
    load_openapi_document,
)
from cavra_recovery.server.setting_values import SettingsError, is_loopback_host, split_host_port
from cavra_recovery.server.tracing import start_tracing

__all__ = [
    "OPENAPI_PATHS",
    "GatewayLimits",
    "RunningGateway",
    "UpstreamTls",
    "check_gateway_listen",
    "gateway_services",
    "serve_gateway",
    "start_gateway",
]

log = logging.getLogger(__name__)

OPENAPI_PATHS = ("/openapi.json", "/swagger.json")
# Package data of `cavra_recovery.openapi`: setup.py maps generated/openapi to it (docs/packaging.md).
OPENAPI_PACKAGE, OPENAPI_FILE = "cavra_recovery.openapi", "recovery.swagger.json"
CLOSE_GRACE_SECONDS = 5.0
# Go's http.Server reads up to 1 MiB of request line and headers (DefaultMaxHeaderBytes); aiohttp's
# default of 8190 bytes a line would refuse long filter queries grpc-gateway serves.
MAX_HEADER_BYTES = 1 << 20
MAX_HEADER_COUNT = 1000
# How long the unread body of a refused request is drained before the connection is closed.
LINGER_SECONDS = 5.0


def find_openapi_document() -> Path:
    """The served OpenAPI document, found alike in the repository's editable install (the namespace
    package's path is generated/openapi) and in an installed wheel (cavra_recovery/openapi)."""
    spec = importlib.util.find_spec(OPENAPI_PACKAGE)
    candidates = [
        Path(location, OPENAPI_FILE) for location in (spec and spec.submodule_search_locations) or ()
    ]
    return next((path for path in candidates if path.is_file()), Path(OPENAPI_PACKAGE, OPENAPI_FILE))


def gateway_services() -> tuple[ServiceDescriptor, ...]:
    return (
        evidence_pb2.DESCRIPTOR.services_by_name["EvidenceService"],
        escalation_pb2.DESCRIPTOR.services_by_name["EscalationService"],
        report_pb2.DESCRIPTOR.services_by_name["ReportService"],
        ledger_pb2.DESCRIPTOR.services_by_name["LedgerService"],
    )


@dataclass(frozen=True)
class UpstreamTls:
    """TLS to the gRPC server: the CA bundle to trust (None: the system roots), a name override, and
    the gateway's own client certificate for a server that requires one (--client-ca)."""

    ca_file: Path | None = None
    server_name: str | None = None
    client_cert: Path | None = None
    client_key: Path | None = None

    def credentials(self) -> grpc.ChannelCredentials:
        files = {"--grpc-ca-file": self.ca_file, "--grpc-client-cert": self.client_cert}
        files["--grpc-client-key"] = self.client_key
        read: dict[str, bytes | None] = {}
        for flag, path in files.items():
            try:
                read[flag] = None if path is None else path.read_bytes()
            except OSError as error:
                raise SettingsError(f"cannot read {flag} {path}: {error.strerror}") from None
        if (self.client_cert is None) != (self.client_key is None):
            raise SettingsError("--grpc-client-cert and --grpc-client-key go together")
        return grpc.ssl_channel_credentials(
            root_certificates=read["--grpc-ca-file"],
            private_key=read["--grpc-client-key"],
            certificate_chain=read["--grpc-client-cert"],
        )


def check_gateway_listen(listen: str, *, upstream_enforces_auth: bool) -> None:
    """`serve`'s rule for the standalone gateway: an open service stays on loopback.

    The gateway itself checks no token; only the operator knows whether the upstream does.
    """
    host, _ = split_host_port(listen)
    if not upstream_enforces_auth and not is_loopback_host(host):
        raise SettingsError(
            f"refusing to listen on {listen} without --upstream-enforces-auth: "
            "a gateway in front of an open service stays on loopback"
        )


@dataclass
class RunningGateway:
    """A listening gateway: its bound `host:port`, and how to close it."""

    address: str
    proxy: GatewayProxy
    runner: web.AppRunner
    channel: grpc.aio.Channel

    async def close(self) -> None:
        await self.runner.cleanup()
        await self.channel.close(grace=CLOSE_GRACE_SECONDS)


async def start_gateway(
    *,
    listen: str,
    grpc_target: str,
    reuse_port: bool = False,
    metrics_renderer: Callable[[], tuple[bytes, str]] | None = None,
    upstream_tls: UpstreamTls | None = None,
    limits: GatewayLimits | None = None,
    gate: Gate | None = None,
    tracer_provider: Any = None,
    in_process: InProcessServer | None = None,
) -> RunningGateway:
    """Bind `listen` (port 0 picks a free one) and forward to the gRPC server at `grpc_target`;
    `gate` checks each request's token from its headers before its body is read; `tracer_provider`
    (tracing on) adds a server span per request and passes its context on as gRPC metadata;
    `in_process` (the server of this process) takes the API's calls without a second gRPC call."""
    host, port = split_host_port(listen)
    options: list[tuple[str, int | str]] = [
        ("grpc.max_receive_message_length", MAX_GRPC_MESSAGE_BYTES),
        ("grpc.max_send_message_length", MAX_GRPC_MESSAGE_BYTES),
    ]
    interceptors = None
    if tracer_provider is not None:
        from opentelemetry.instrumentation.grpc import aio_client_interceptors

        interceptors = aio_client_interceptors(tracer_provider=tracer_provider)  # type: ignore[no-untyped-call]
    if upstream_tls is None:
        channel = grpc.aio.insecure_channel(grpc_target, options=options, interceptors=interceptors)
    else:
        if upstream_tls.server_name:
            options.append(("grpc.ssl_target_name_override", upstream_tls.server_name))
        channel = grpc.aio.secure_channel(
            grpc_target, upstream_tls.credentials(), options=options, interceptors=interceptors
        )
    documents: dict[str, StaticDocument] = {}
    document = find_openapi_document()
    openapi = load_openapi_document(document)
    if openapi is None:
        log.warning("OpenAPI document %s not found; /openapi.json answers 404", document)
    else:
        documents = dict.fromkeys(OPENAPI_PATHS, openapi)
    for asset in console_assets():
        documents[asset.path] = StaticDocument(asset.body, asset.content_type, CONSOLE_HEADERS)
    proxy = GatewayProxy(
        services=gateway_services(),
        channel=channel,
        documents=documents,
        metrics_renderer=metrics_renderer,
        limits=limits,
        gate=gate,
        in_process=in_process,
    )
    application = proxy.application()
    if tracer_provider is not None:
        from cavra_recovery.server.gateway.tracing import tracing_middleware

        application.middlewares.insert(
            0, tracing_middleware(tracer_provider.get_tracer("cavra-recovery.gateway"))
        )
    runner = web.AppRunner(
        application,
        access_log=None,
        logger=http_server_logger(),
        lingering_time=LINGER_SECONDS,
        handle_signals=False,
        max_line_size=MAX_HEADER_BYTES,
        max_field_size=MAX_HEADER_BYTES,
        max_headers=MAX_HEADER_COUNT,
    )
    await runner.setup()
    site = web.TCPSite(runner, host=host, port=port, reuse_port=reuse_port or None)
    try:
        await site.start()
    except OSError as error:
        await runner.cleanup()
        await channel.close(grace=None)
        raise SettingsError(f"cannot listen on {listen} for HTTP: {error.strerror}") from None
    return RunningGateway(address=_bound_address(runner, host), proxy=proxy, runner=runner, channel=channel)


def _bound_address(runner: web.AppRunner, host: str) -> str:
    server = runner.server
    for site in runner.sites:
        sockets = getattr(getattr(site, "_server", None), "sockets", None) or ()
        for sock in sockets:
            name = sock.getsockname()
            bound_host = f"[{name[0]}]" if sock.family == socket.AF_INET6 else name[0]
            return f"{bound_host}:{name[1]}"
    raise SettingsError(f"gateway on {host} has no listening socket ({server!r})")


async def serve_gateway(
    *,
    listen: str,
    grpc_target: str,
    upstream_enforces_auth: bool = False,
    upstream_tls: UpstreamTls | None = None,
    otel_endpoint: str | None = None,
) -> None:
    """`cavra-recovery gateway`: run the gateway alone in front of `grpc_target` until SIGTERM/SIGINT."""
    import asyncio
    import signal

    check_gateway_listen(listen, upstream_enforces_auth=upstream_enforces_auth)
    target_host, _ = split_host_port(grpc_target)
    if upstream_tls is None and not is_loopback_host(target_host):
        log.warning(
            "forwarding to %s without --grpc-tls: Authorization headers travel in clear text", grpc_target
        )
    tracing = start_tracing(otel_endpoint)
    gateway = await start_gateway(
        listen=listen,
        grpc_target=grpc_target,
        upstream_tls=upstream_tls,
        gate=HeaderGate() if upstream_enforces_auth else None,
        tracer_provider=None if tracing is None else tracing.provider,
    )
    log.info(
        "http listening on %s (forwarding to %s over %s)",
        gateway.address,
        grpc_target,
        "TLS" if upstream_tls is not None else "plaintext",
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await gateway.close()
    if tracing is not None:
        tracing.shutdown()
    log.info("stopped")
