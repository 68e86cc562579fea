"""Delivery retry planning (SPEC §11): retry, wait or suppress each failed escalation delivery.

The outbox worker already retries within a round (seconds to minutes). This planner works above it,
in rounds (the first deliver, then one per retry-worker retry), on dead-lettered deliveries:

1. rounds used >= policy.max_attempts           → suppress "attempts_exhausted"
2. last failure not retryable (4xx, auth, …)    → suppress "non_retryable_failure"
3. latest acknowledgement is dismissed          → suppress "dismissed"
4. now < last failure + delay * multiplier^(rounds-1)
                                                 → wait "backoff_pending" (next_attempt_at set)
5. no acknowledgement in acknowledged / accepted / resolved
                                                 → wait "not_acknowledged"
6. otherwise                                     → retry "eligible"

A delivery still inside its own round (pending or retrying in the outbox) is left to the worker:
wait "worker_retrying".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

DEFAULT_MAX_ATTEMPTS = 3
DEFAULT_DELAY_MINUTES = 15
DEFAULT_MULTIPLIER = 2.0
MAX_POLICY_ATTEMPTS = 20
MAX_DELAY_MINUTES = 7 * 24 * 60
MAX_MULTIPLIER = 10.0

LIVE_RETRY_ACKNOWLEDGEMENTS = frozenset({"acknowledged", "accepted", "resolved"})
RETRYABLE_FAILURES = frozenset({"rate_limited", "server_error", "timeout", "network", "circuit_open"})


class Decision(StrEnum):
    RETRY = "retry"
    WAIT = "wait"
    SUPPRESS = "suppress"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    delay_minutes: int = DEFAULT_DELAY_MINUTES
    multiplier: float = DEFAULT_MULTIPLIER

    def delay_after(self, rounds: int) -> timedelta:
        """The wait after `rounds` failed rounds: delay * multiplier^(rounds-1)."""
        return timedelta(minutes=self.delay_minutes * (self.multiplier ** max(0, rounds - 1)))


class RetryPolicyError(ValueError):
    """A policy field is out of range; `field` names it."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def retry_policy(*, max_attempts: int, delay_minutes: int, multiplier: float) -> RetryPolicy:
    """Zero values take the defaults (3 attempts, 15 minutes, *2); out-of-range values raise."""
    if not 0 <= max_attempts <= MAX_POLICY_ATTEMPTS:
        raise RetryPolicyError("max_attempts", f"must be between 0 and {MAX_POLICY_ATTEMPTS} (0 means 3)")
    if not 0 <= delay_minutes <= MAX_DELAY_MINUTES:
        raise RetryPolicyError("delay_minutes", f"must be between 0 and {MAX_DELAY_MINUTES} (0 means 15)")
    if not (multiplier == 0 or 1.0 <= multiplier <= MAX_MULTIPLIER):
        raise RetryPolicyError("multiplier", f"must be 0 (meaning 2) or between 1 and {MAX_MULTIPLIER:g}")
    return RetryPolicy(
        max_attempts=max_attempts or DEFAULT_MAX_ATTEMPTS,
        delay_minutes=delay_minutes or DEFAULT_DELAY_MINUTES,
        multiplier=multiplier or DEFAULT_MULTIPLIER,
    )


@dataclass(frozen=True, slots=True)
class FailedDelivery:
    """What the planner knows of one delivery."""

    delivery_id: str
    plan_id: str
    receiver: str
    provider: str
    state: str  # pending | retrying | dead_lettered
    rounds: int
    attempt_count: int
    last_failure_reason: str
    last_failed_at: datetime
    acknowledgement_state: str | None  # the latest acknowledgement for the plan's routed providers


@dataclass(frozen=True, slots=True)
class RetryPlanDecision:
    delivery: FailedDelivery
    decision: Decision
    reason: str
    next_attempt_at: datetime | None


def decide(delivery: FailedDelivery, policy: RetryPolicy, now: datetime) -> RetryPlanDecision:
    def result(decision: Decision, reason: str, next_attempt_at: datetime | None = None) -> RetryPlanDecision:
        return RetryPlanDecision(delivery, decision, reason, next_attempt_at)

    if delivery.state != "dead_lettered":
        return result(Decision.WAIT, "worker_retrying")
    if delivery.rounds >= policy.max_attempts:
        return result(Decision.SUPPRESS, "attempts_exhausted")
    if delivery.last_failure_reason not in RETRYABLE_FAILURES:
        return result(Decision.SUPPRESS, "non_retryable_failure")
    if delivery.acknowledgement_state == "dismissed":
        return result(Decision.SUPPRESS, "dismissed")
    eligible_at = delivery.last_failed_at + policy.delay_after(delivery.rounds)
    if now < eligible_at:
        return result(Decision.WAIT, "backoff_pending", eligible_at)
    if delivery.acknowledgement_state not in LIVE_RETRY_ACKNOWLEDGEMENTS:
        return result(Decision.WAIT, "not_acknowledged", eligible_at)
    return result(Decision.RETRY, "eligible", eligible_at)


def plan_retries(
    deliveries: list[FailedDelivery], policy: RetryPolicy, now: datetime
) -> list[RetryPlanDecision]:
    return [decide(delivery, policy, now) for delivery in deliveries]
