"""Settings, built once in `main()` from flags and environment; nothing reads the environment elsewhere."""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cavra_recovery.server.ledger_settings import (
    LedgerSettings,
    add_ledger_arguments,
    ledger_settings_from_arguments,
)
from cavra_recovery.server.setting_values import (
    SettingsError,
    is_loopback_host,
    log_format,
    log_level,
    parse_flag,
    parse_isolation,
    parse_positive_int,
    parse_seconds,
    split_host_port,
)

DEFAULT_GRPC_LISTEN = "127.0.0.1:50051"
DEFAULT_HTTP_LISTEN = "127.0.0.1:8080"
DEFAULT_DATABASE_URL = "sqlite:///./var/cavra-recovery.db"
DEFAULT_OTLP_ENDPOINT = "http://localhost:4318"


@dataclass(frozen=True, slots=True)
class RequestLimits:
    """Work a caller can make the server do, bounded before and after authentication (docs/security.md)."""

    # 8 MiB holds a 5,000-record batch of evidence; grpc refuses a larger message with RESOURCE_EXHAUSTED.
    grpc_max_receive_bytes: int = 8 * 1024 * 1024
    grpc_max_concurrent_rpcs: int = 256
    # A gateway request body is read only after its Authorization header passed, and at most this much.
    http_max_body_bytes: int = 8 * 1024 * 1024
    http_max_in_flight: int = 64
    # Token bucket per identity on the deliver, retry-worker and schedule-run RPCs; 0: no limit.
    rate_limit_per_minute: int = 600
    rate_limit_burst: int = 60


@dataclass(frozen=True, slots=True)
class Settings:
    grpc_listen: str = DEFAULT_GRPC_LISTEN
    # None: the HTTP gateway is off.
    http_listen: str | None = DEFAULT_HTTP_LISTEN
    database_url: str = DEFAULT_DATABASE_URL
    connectors_path: Path | None = None
    auth_config_path: Path | None = None
    migrate: bool = False
    workers: int = 1
    log_level: str = "INFO"
    # Seconds between background database checks; health turns NOT_SERVING after this many failures.
    database_check_seconds: float = 2.0
    database_check_failures: int = 2
    # None: the database's default (READ COMMITTED on PostgreSQL).
    database_isolation: str | None = None
    # 0: a database that is down at start-up stops the server (exit 2); else wait this long for it.
    wait_for_database_seconds: float = 0.0
    limits: RequestLimits = RequestLimits()
    # Identity (docs/identity.md): gRPC over TLS when tls_cert/tls_key are set; client_ca requires and
    # verifies client certificates; "json" logs one JSON object per line.
    tls_cert: Path | None = None
    tls_key: Path | None = None
    client_ca: Path | None = None
    log_format: str = "text"
    # None: tracing is off; else the OTLP/HTTP collector's base URL (docs/tracing.md).
    otel_endpoint: str | None = None
    # Seconds between escalation policy ticks (docs/escalation-policies.md).
    escalation_tick_seconds: float = 30.0
    ledger: LedgerSettings = field(default_factory=LedgerSettings)

    def __repr__(self) -> str:
        # The database URL may carry a password.
        return (
            f"Settings(grpc_listen={self.grpc_listen!r}, http_listen={self.http_listen!r}, "
            f"database_url={redact_database_url(self.database_url)!r}, "
            f"connectors_path={self.connectors_path!r}, "
            f"auth_config_path={self.auth_config_path!r}, migrate={self.migrate}, workers={self.workers}, "
            f"log_level={self.log_level!r}, database_check_seconds={self.database_check_seconds}, "
            f"database_check_failures={self.database_check_failures}, "
            f"database_isolation={self.database_isolation!r}, "
            f"wait_for_database_seconds={self.wait_for_database_seconds}, limits={self.limits!r}, "
            f"tls_cert={self.tls_cert!r}, tls_key={self.tls_key!r}, client_ca={self.client_ca!r}, "
            f"log_format={self.log_format!r}, otel_endpoint={self.otel_endpoint!r}, "
            f"escalation_tick_seconds={self.escalation_tick_seconds}, ledger={self.ledger!r})"
        )


def redact_database_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparsable database url>"


# More processes than this only contend for the same cores and database connections.
MAX_WORKERS = 256


def add_serve_arguments(parser: argparse.ArgumentParser, environ: Mapping[str, str]) -> None:
    parser.add_argument(
        "--grpc-listen",
        default=environ.get("CAVRA_GRPC_LISTEN", DEFAULT_GRPC_LISTEN),
        metavar="HOST:PORT",
        help="gRPC listen address (CAVRA_GRPC_LISTEN; default %(default)s; port 0 picks a free port)",
    )
    parser.add_argument(
        "--http-listen",
        default=environ.get("CAVRA_HTTP_LISTEN", DEFAULT_HTTP_LISTEN),
        metavar="HOST:PORT",
        help="HTTP/JSON gateway address, or 'off' (CAVRA_HTTP_LISTEN; default %(default)s)",
    )
    add_database_argument(parser, environ)
    add_ledger_arguments(parser, environ)
    parser.add_argument(
        "--connectors",
        default=environ.get("CAVRA_CONNECTORS") or None,
        metavar="PATH",
        help="connector receivers and routing, YAML or TOML (CAVRA_CONNECTORS; default none: "
        "delivery answers FAILED_PRECONDITION)",
    )
    parser.add_argument(
        "--auth-config",
        default=environ.get("CAVRA_AUTH_CONFIG") or None,
        metavar="PATH",
        help="bearer tokens and roles (CAVRA_AUTH_CONFIG; default none: open, loopback only)",
    )
    parser.add_argument(
        "--migrate",
        action="store_true",
        # The raw CAVRA_MIGRATE text; settings_from_arguments() parses it, so a typo stops start-up.
        default=environ.get("CAVRA_MIGRATE", ""),
        help="apply database migrations before serving (CAVRA_MIGRATE=1)",
    )
    parser.add_argument(
        "--workers",
        # Parsed by settings_from_arguments(), so a bad value is one clear line and exit status 2.
        default=environ.get("CAVRA_WORKERS", "1") or "1",
        metavar="N",
        help="server processes sharing the listen ports with SO_REUSEPORT (CAVRA_WORKERS; default 1)",
    )
    parser.add_argument(
        "--database-check-seconds",
        default=environ.get("CAVRA_DATABASE_CHECK_SECONDS", "2"),
        metavar="SECONDS",
        help="interval of the background database check that drives health (CAVRA_DATABASE_CHECK_SECONDS; "
        "default 2)",
    )
    parser.add_argument(
        "--database-check-failures",
        default=environ.get("CAVRA_DATABASE_CHECK_FAILURES", "2"),
        metavar="N",
        help="consecutive failed checks before health is NOT_SERVING "
        "(CAVRA_DATABASE_CHECK_FAILURES; default 2)",
    )
    parser.add_argument(
        "--database-isolation",
        default=environ.get("CAVRA_DATABASE_ISOLATION") or None,
        metavar="LEVEL",
        help="PostgreSQL transaction isolation: read_committed, repeatable_read or serializable "
        "(CAVRA_DATABASE_ISOLATION; default the database's own, READ COMMITTED)",
    )
    parser.add_argument(
        "--wait-for-database",
        default=environ.get("CAVRA_WAIT_FOR_DATABASE", "0"),
        metavar="SECONDS",
        help="at start-up, wait up to this long for the database instead of exiting "
        "(CAVRA_WAIT_FOR_DATABASE; default 0)",
    )
    tick_help = "how often escalation policies advance (CAVRA_ESCALATION_TICK_SECONDS; default 30)"
    tick = environ.get("CAVRA_ESCALATION_TICK_SECONDS", "30")
    parser.add_argument("--escalation-tick-seconds", default=tick, metavar="SECONDS", help=tick_help)
    add_log_level_argument(parser, environ)
    add_limit_arguments(parser, environ)
    add_identity_arguments(parser, environ)


# Flag name and help of each RequestLimits field; the variable is CAVRA_ + the field name in capitals.
_LIMIT_FLAGS = (
    ("grpc-max-receive-bytes", "largest gRPC request message, in bytes"),
    ("grpc-max-concurrent-rpcs", "RPCs served at once; more answer RESOURCE_EXHAUSTED"),
    ("http-max-body-bytes", "largest gateway request body, read only after the token is checked"),
    ("http-max-in-flight", "gateway requests handled at once; more answer 503"),
    ("rate-limit-per-minute", "deliver, retry-worker and schedule-run calls per identity per minute; 0: off"),
    ("rate-limit-burst", "calls an identity may make at once before the per-minute rate applies"),
)


def add_limit_arguments(parser: argparse.ArgumentParser, environ: Mapping[str, str]) -> None:
    defaults = RequestLimits()
    for name, text in _LIMIT_FLAGS:
        attribute = name.replace("-", "_")
        variable = "CAVRA_" + attribute.upper()
        default = getattr(defaults, attribute)
        parser.add_argument(
            f"--{name}",
            dest=attribute,
            default=environ.get(variable) or str(default),
            metavar="N",
            help=f"{text} ({variable}; default {default})",
        )


def limits_from_arguments(arguments: argparse.Namespace) -> RequestLimits:
    values: dict[str, int] = {}
    for name, _ in _LIMIT_FLAGS:
        attribute = name.replace("-", "_")
        label = f"--{name} (CAVRA_{attribute.upper()})"
        text = str(getattr(arguments, attribute)).strip()
        if attribute == "rate_limit_per_minute" and text == "0":
            values[attribute] = 0
            continue
        values[attribute] = parse_positive_int(label, text, maximum=1 << 30)
    return RequestLimits(**values)


def add_identity_arguments(parser: argparse.ArgumentParser, environ: Mapping[str, str]) -> None:
    """Mutual TLS and the log format (docs/identity.md)."""
    parser.add_argument(
        "--tls-cert",
        default=environ.get("CAVRA_TLS_CERT") or None,
        metavar="PATH",
        help="PEM certificate chain: serve gRPC over TLS (CAVRA_TLS_CERT; with --tls-key; default plaintext)",
    )
    parser.add_argument(
        "--tls-key",
        default=environ.get("CAVRA_TLS_KEY") or None,
        metavar="PATH",
        help="PEM private key of --tls-cert (CAVRA_TLS_KEY)",
    )
    parser.add_argument(
        "--client-ca",
        default=environ.get("CAVRA_CLIENT_CA") or None,
        metavar="PATH",
        help="PEM CA bundle: require gRPC clients to present a certificate it signed (CAVRA_CLIENT_CA; "
        "needs --tls-cert)",
    )
    add_log_format_argument(parser, environ)
    add_otel_argument(parser, environ)


def add_otel_argument(parser: argparse.ArgumentParser, environ: Mapping[str, str]) -> None:
    parser.add_argument(
        "--otel",
        nargs="?",
        const=environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or DEFAULT_OTLP_ENDPOINT,
        default=environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or None,
        metavar="URL",
        help="trace with OpenTelemetry, exporting OTLP/HTTP to URL (OTEL_EXPORTER_OTLP_ENDPOINT; "
        f"--otel alone: {DEFAULT_OTLP_ENDPOINT}; default off)",
    )


def parse_otel_endpoint(value: str | None) -> str | None:
    if value is None:
        return None
    if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", value.strip()):
        raise SettingsError(
            f"--otel (OTEL_EXPORTER_OTLP_ENDPOINT) {value!r} is not an http:// or https:// URL"
        )
    return value.strip()


def add_log_format_argument(parser: argparse.ArgumentParser, environ: Mapping[str, str]) -> None:
    parser.add_argument(
        "--log-format",
        default=environ.get("CAVRA_LOG_FORMAT", "text"),
        type=log_format,
        metavar="FORMAT",
        help="text, or json: one JSON object per line (CAVRA_LOG_FORMAT; default %(default)s)",
    )


def _tls_settings(arguments: argparse.Namespace) -> dict[str, Path | None]:
    paths = {
        name: Path(value) if value else None
        for name in ("tls_cert", "tls_key", "client_ca")
        for value in [getattr(arguments, name, None)]
    }
    if (paths["tls_cert"] is None) != (paths["tls_key"] is None):
        raise SettingsError("--tls-cert (CAVRA_TLS_CERT) and --tls-key (CAVRA_TLS_KEY) go together")
    if paths["client_ca"] is not None and paths["tls_cert"] is None:
        raise SettingsError("--client-ca (CAVRA_CLIENT_CA) needs --tls-cert and --tls-key")
    for name, path in paths.items():
        if path is not None and not path.is_file():
            raise SettingsError(f"--{name.replace('_', '-')} {path}: no such file")
    return paths


def add_database_argument(parser: argparse.ArgumentParser, environ: Mapping[str, str]) -> None:
    parser.add_argument(
        "--database-url",
        default=environ.get("CAVRA_DATABASE_URL", DEFAULT_DATABASE_URL),
        metavar="URL",
        help="SQLAlchemy URL: sqlite:///PATH or postgresql://… (CAVRA_DATABASE_URL; default %(default)s)",
    )


def add_log_level_argument(parser: argparse.ArgumentParser, environ: Mapping[str, str]) -> None:
    parser.add_argument(
        "--log-level",
        default=environ.get("CAVRA_LOG_LEVEL", "INFO"),
        # A type function, not choices=: argparse never checks choices against a default from the environment.
        type=log_level,
        metavar="LEVEL",
        help="DEBUG, INFO, WARNING or ERROR (CAVRA_LOG_LEVEL; default %(default)s)",
    )


def configure_logging(level: str, log_format: str = "text") -> None:
    """Apply `--log-level` and `--log-format` to this process (each `--workers` process calls it once)."""
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    if log_format == "json":
        from cavra_recovery.server.json_logs import JsonLogFormatter

        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonLogFormatter())
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLevelName(level)))


_TICK_FLAG = "--escalation-tick-seconds (CAVRA_ESCALATION_TICK_SECONDS)"


def settings_from_arguments(arguments: argparse.Namespace) -> Settings:
    http_listen = None if str(arguments.http_listen).strip().lower() == "off" else arguments.http_listen
    settings = Settings(
        grpc_listen=arguments.grpc_listen,
        http_listen=http_listen,
        database_url=arguments.database_url,
        connectors_path=Path(arguments.connectors) if arguments.connectors else None,
        auth_config_path=Path(arguments.auth_config) if arguments.auth_config else None,
        migrate=arguments.migrate is True or parse_flag("CAVRA_MIGRATE", str(arguments.migrate)),
        workers=parse_positive_int("--workers (CAVRA_WORKERS)", arguments.workers, maximum=MAX_WORKERS),
        log_level=arguments.log_level,
        database_check_seconds=parse_seconds(
            "--database-check-seconds (CAVRA_DATABASE_CHECK_SECONDS)",
            str(arguments.database_check_seconds),
            minimum=0.05,
            maximum=3600,
        ),
        database_check_failures=parse_positive_int(
            "--database-check-failures (CAVRA_DATABASE_CHECK_FAILURES)",
            str(arguments.database_check_failures),
            maximum=1000,
        ),
        database_isolation=parse_isolation(arguments.database_isolation),
        wait_for_database_seconds=parse_seconds(
            "--wait-for-database (CAVRA_WAIT_FOR_DATABASE)",
            str(arguments.wait_for_database),
            minimum=0,
            maximum=86400,
        ),
        limits=limits_from_arguments(arguments),
        **_tls_settings(arguments),
        log_format=getattr(arguments, "log_format", "text"),
        otel_endpoint=parse_otel_endpoint(getattr(arguments, "otel", None)),
        escalation_tick_seconds=parse_seconds(
            _TICK_FLAG, str(arguments.escalation_tick_seconds), minimum=0.1, maximum=86400
        ),
        ledger=ledger_settings_from_arguments(arguments),
    )
    validate(settings)
    return settings


def validate(settings: Settings) -> None:
    if settings.workers < 1:
        raise SettingsError("--workers must be at least 1")
    listens = [settings.grpc_listen] + ([settings.http_listen] if settings.http_listen else [])
    for listen in listens:
        host, _ = split_host_port(listen)
        if settings.auth_config_path is None and not is_loopback_host(host):
            raise SettingsError(
                f"refusing to listen on {listen} without --auth-config: an open service stays on loopback"
            )
