"""`cavra-recovery`: serve the gRPC API, HTTP gateway and delivery worker, or migrate the database."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Mapping, Sequence

from server.settings import (
    DEFAULT_HTTP_LISTEN,
    SettingsError,
    add_database_argument,
    add_log_level_argument,
    add_serve_arguments,
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
    add_log_level_argument(gateway, environ)
    return parser


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLevelName(level)))


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    environ = os.environ if environ is None else environ
    arguments = build_parser(environ).parse_args(argv)
    configure_logging(arguments.log_level)
    log = logging.getLogger("cavra-recovery")
    if arguments.command == "migrate":
        from server.storage.migrate import migrate

        migrate(arguments.database_url)
        log.info("database migrated: %s", redact_database_url(arguments.database_url))
        return 0
    if arguments.command == "gateway":
        import asyncio

        from server.gateway import serve_gateway

        try:
            asyncio.run(serve_gateway(listen=arguments.http_listen, grpc_target=arguments.grpc_target))
        except SettingsError as error:
            log.error("%s", error)
            return 2
        return 0
    try:
        settings = settings_from_arguments(arguments)
    except SettingsError as error:
        log.error("%s", error)
        return 2
    from connectors import ConnectorConfigError
    from server.app import run_server_processes
    from server.storage.migrate import SchemaNotCurrent

    try:
        return run_server_processes(settings, environ)
    except KeyboardInterrupt:
        return 130
    except (SettingsError, SchemaNotCurrent, ConnectorConfigError) as error:
        log.error("%s", error)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
