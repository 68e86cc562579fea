"""Pure pacing rules of the worker: exponential backoff with full jitter, Retry-After, the breaker."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from cavra_recovery.server.delivery.tuning import DeliveryTuning


def retry_delay_seconds(
    attempt_number: int,
    tuning: DeliveryTuning,
    *,
    retry_after_seconds: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait after failed attempt `attempt_number` (1-based).

    Full jitter (a uniform draw below an exponentially growing ceiling) spreads retries of many
    deliveries; a Retry-After from the receiver is a floor, capped at `retry_after_max_seconds`.
    """
    ceiling = min(tuning.backoff_max_seconds, tuning.backoff_base_seconds * (2 ** max(0, attempt_number - 1)))
    delay = (rng or random).uniform(0.0, ceiling)
    if retry_after_seconds is not None and retry_after_seconds > 0:
        delay = max(delay, min(retry_after_seconds, tuning.retry_after_max_seconds))
    return delay


@dataclass(frozen=True, slots=True)
class CircuitState:
    """One receiver's breaker as stored in `receiver_circuits`."""

    consecutive_failures: int
    opened_until: datetime | None

    def is_open(self, now: datetime) -> bool:
        return self.opened_until is not None and now < self.opened_until


CLOSED = CircuitState(consecutive_failures=0, opened_until=None)


def admit(state: CircuitState, now: datetime, tuning: DeliveryTuning) -> tuple[bool, CircuitState]:
    """Whether to send now, and the state to store.

    Closed: send. Open: refuse. Half-open (tripped, cooldown over): admit this one trial and re-open
    for the cooldown meanwhile, so other deliveries to the same receiver do not pile on.
    """
    if state.is_open(now):
        return False, state
    if state.consecutive_failures >= tuning.breaker_threshold:
        return True, CircuitState(
            state.consecutive_failures, now + timedelta(seconds=tuning.breaker_cooldown_seconds)
        )
    return True, state


def after_attempt(
    state: CircuitState,
    *,
    success: bool,
    counts_against_receiver: bool,
    now: datetime,
    tuning: DeliveryTuning,
) -> CircuitState:
    """The breaker after an attempt: success closes it; a receiver-health failure counts towards opening."""
    if success:
        return CLOSED
    if not counts_against_receiver:
        return state
    failures = state.consecutive_failures + 1
    if failures >= tuning.breaker_threshold:
        return CircuitState(failures, now + timedelta(seconds=tuning.breaker_cooldown_seconds))
    return CircuitState(failures, state.opened_until)
