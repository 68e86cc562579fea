"""What every handler may depend on, built once at start-up by `server.app`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from server.build_info import BuildInfo, current_build
from server.settings import Settings
from server.storage.database import Database

if TYPE_CHECKING:
    from connectors.config import ConnectorConfig
    from server.auth import AuthConfig
    from server.delivery import DeliveryService
    from server.metrics import ServiceMetrics


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ServiceDependencies:
    settings: Settings
    database: Database
    # The outbox worker handlers wake and wait on.
    delivery: DeliveryService
    clock: Callable[[], datetime] = utc_now
    # From --connectors; None: delivery answers FAILED_PRECONDITION.
    connector_config: ConnectorConfig | None = None
    # This server's Prometheus registry and metrics (the gateway serves them at /metrics).
    metrics: ServiceMetrics | None = None
    # Tokens and roles from --auth-config; None: the service is open (loopback only).
    auth_config: AuthConfig | None = None
    # Package version, contract and runtime, read once (GetRollbackDrillDashboard reports them).
    build: BuildInfo = field(default_factory=current_build)
