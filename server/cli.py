"""`cavra-recovery`: serve the gRPC API, HTTP gateway and delivery worker, or migrate the database."""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Mapping, Sequence

from cavra_recovery.server.ledger_commands import add_ledger_commands, run_evidence_import, run_ledger_command
from cavra_recovery.server.setting_values import SettingsError
from cavra_recovery.server.settings import (
    DEFAULT_HTTP_LISTEN,
    add_database_argument,
    add_log_format_argument,
    add_log_level_argument,
    add_otel_argument,
    add_serve_arguments,
    configure_logging,
    parse_otel_endpoint,
    redact_database_url,
    settings_from_arguments,
)


def build_parser(environ: Mapping[str, str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cavra-recovery", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the gRPC server, HTTP gateway and delivery worker")
    add_serve_arguments(serve, environ)
    migrate = commands.add_parser("migrate", help="apply database migrations and exit")
    add_database_argument(migrate, environ)
    add_log_level_argument(migrate, environ)
    gateway = commands.add_parser("gateway", help="run only the HTTP/JSON gateway in front of a gRPC server")
    gateway.add_argument("--grpc-target", required=True, metavar="HOST:PORT", help="gRPC server address")
    gateway.add_argument(
        "--http-listen",
        default=environ.get("CAVRA_HTTP_LISTEN", DEFAULT_HTTP_LISTEN),
        metavar="HOST:PORT",
        help="HTTP listen address (CAVRA_HTTP_LISTEN; default %(default)s)",
    )
    gateway.add_argument(
        "--upstream-enforces-auth",
        action="store_true",
        help="the gRPC server checks bearer tokens (--auth-config): allow a non-loopback --http-listen",
    )
    gateway.add_argument("--grpc-tls", action="store_true", help="connect to the gRPC server over TLS")
    gateway.add_argument(
        "--grpc-ca-file",
        metavar="PATH",
        help="PEM CA bundle to verify the gRPC server with (implies --grpc-tls; default: system roots)",
    )
    gateway.add_argument(
        "--grpc-server-name",
        metavar="NAME",
        help="name to verify in the server certificate instead of the target host (implies --grpc-tls)",
    )
    gateway.add_argument(
        "--grpc-client-cert",
        metavar="PATH",
        help="PEM client certificate to present to a gRPC server that requires one (implies --grpc-tls)",
    )
    gateway.add_argument("--grpc-client-key", metavar="PATH", help="PEM private key of --grpc-client-cert")
    add_log_level_argument(gateway, environ)
    add_log_format_argument(gateway, environ)
    add_otel_argument(gateway, environ)
    add_ledger_commands(commands, environ)
    return parser


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    environ = os.environ if environ is None else environ
    arguments = build_parser(environ).parse_args(argv)
    log_format = getattr(arguments, "log_format", "text")
    configure_logging(arguments.log_level, log_format)
    if log_format == "json" and "GRPC_VERBOSITY" not in os.environ:
        # gRPC's C core writes its own plain-text lines (a failed TLS handshake, for one) to stderr;
        # JSON logs stay parseable line by line unless the operator asks for those with GRPC_VERBOSITY.
        os.environ["GRPC_VERBOSITY"] = "NONE"
    log = logging.getLogger("cavra-recovery")
    if arguments.command == "migrate":
        from cavra_recovery.server.storage.migrate import SchemaNotCurrent, migrate

        try:
            migrate(arguments.database_url)
        except SchemaNotCurrent as error:
            log.error("%s", error)
            return 2
        log.info("database migrated: %s", redact_database_url(arguments.database_url))
        return 0
    if arguments.command == "ledger":
        return run_ledger_command(arguments)
    if arguments.command == "evidence":
        return run_evidence_import(arguments)
    if arguments.command == "gateway":
        import asyncio
        from pathlib import Path

        from cavra_recovery.server.gateway import UpstreamTls, serve_gateway

        upstream_tls = None
        client_cert, client_key = arguments.grpc_client_cert, arguments.grpc_client_key
        if (
            arguments.grpc_tls
            or arguments.grpc_ca_file
            or arguments.grpc_server_name
            or client_cert
            or client_key
        ):
            upstream_tls = UpstreamTls(
                ca_file=Path(arguments.grpc_ca_file) if arguments.grpc_ca_file else None,
                server_name=arguments.grpc_server_name,
                client_cert=Path(client_cert) if client_cert else None,
                client_key=Path(client_key) if client_key else None,
            )
        try:
            asyncio.run(
                serve_gateway(
                    listen=arguments.http_listen,
                    grpc_target=arguments.grpc_target,
                    upstream_enforces_auth=arguments.upstream_enforces_auth,
                    upstream_tls=upstream_tls,
                    otel_endpoint=parse_otel_endpoint(arguments.otel),
                )
            )
        except SettingsError as error:
            log.error("%s", error)
            return 2
        return 0
    try:
        settings = settings_from_arguments(arguments)
    except SettingsError as error:
        log.error("%s", error)
        return 2
    from cavra_recovery.connectors import ConnectorConfigError
    from cavra_recovery.server.app import run_server_processes
    from cavra_recovery.server.storage.migrate import SchemaNotCurrent

    try:
        return run_server_processes(settings, environ)
    except KeyboardInterrupt:
        return 130
    except (SettingsError, SchemaNotCurrent, ConnectorConfigError) as error:
        log.error("%s", error)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
