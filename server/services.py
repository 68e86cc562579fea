"""What every handler may depend on, built once at start-up by `server.app`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cavra_recovery.server.build_info import BuildInfo, current_build
from cavra_recovery.server.settings import Settings
from cavra_recovery.server.storage.database import Database

if TYPE_CHECKING:
    from cavra_recovery.connectors.config import ConnectorConfig
    from cavra_recovery.server.auth import AuthConfig
    from cavra_recovery.server.delivery import DeliveryService
    from cavra_recovery.server.metrics import ServiceMetrics


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
