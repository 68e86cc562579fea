"""How the delivery worker paces itself: backoff, leases, polling and the circuit breaker.

Read once at start-up from the environment given to `server.app.start` (never at import time); the
defaults suit production, and tests shrink the delays through the same variables.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields

from cavra_recovery.server.setting_values import SettingsError

_PREFIX = "CAVRA_DELIVERY_"
_SWITCHES = {"on": True, "true": True, "1": True, "off": False, "false": False, "0": False}


@dataclass(frozen=True, slots=True)
class DeliveryTuning:
    # First retry waits up to this long (full jitter); each further retry doubles the ceiling.
    backoff_base_seconds: float = 2.0
    backoff_max_seconds: float = 300.0
    # A Retry-After longer than this is capped, so a hostile receiver cannot park a delivery for days.
    retry_after_max_seconds: float = 3600.0
    # How often the worker looks for due rows without being woken (crash recovery, other replicas).
    poll_seconds: float = 1.0
    # Lease slack on top of the send's own timeout budget: a crashed worker's rows come back after it.
    lease_grace_seconds: float = 30.0
    # Retryable failures in a row that open a receiver's circuit, and how long it stays open.
    breaker_threshold: int = 5
    breaker_cooldown_seconds: float = 30.0
    # Deliveries sent at the same time by one worker.
    concurrency: int = 32
    # How far back the worker looks for resolved closures to send PagerDuty resolve events for.
    resolve_lookback_seconds: float = 86_400.0
    # CAVRA_DELIVERY_WORKER=off: this replica enqueues (and answers from the database) but never sends;
    # replicas with the worker on, sharing the database, do the sending.
    worker: bool = True

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> DeliveryTuning:
        """`CAVRA_DELIVERY_BACKOFF_BASE_SECONDS=0.05` and so on, one variable per field;
        `CAVRA_DELIVERY_WORKER=on|off`."""
        values: dict[str, float | int | bool] = {}
        for field in fields(cls):
            name = _PREFIX + field.name.upper()
            raw = environ.get(name)
            if raw is None or not raw.strip():
                continue
            if field.type == "bool":
                switch = _SWITCHES.get(raw.strip().lower())
                if switch is None:
                    raise SettingsError(f"{name} must be on or off")
                values[field.name] = switch
                continue
            try:
                value: float | int = int(raw) if field.type == "int" else float(raw)
            except ValueError:
                raise SettingsError(f"{name} must be a number") from None
            if not math.isfinite(value) or value < 0 or (field.type == "int" and value < 1):
                raise SettingsError(f"{name} must be a finite, positive number")
            values[field.name] = value
        return cls(**values)  # type: ignore[arg-type]
