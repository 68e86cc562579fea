"""Pure pacing and retry-planning rules: backoff with full jitter and Retry-After, the breaker, and
the retry / wait / suppress decisions of SPEC §11."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from cavra_recovery.server.delivery import backoff
from cavra_recovery.server.delivery.tuning import DeliveryTuning
from cavra_recovery.server.domain import retry_policy
from cavra_recovery.server.domain.retry_policy import Decision, FailedDelivery, RetryPolicy, decide
from cavra_recovery.server.settings import SettingsError

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
TUNING = DeliveryTuning(backoff_base_seconds=1.0, backoff_max_seconds=8.0, breaker_threshold=3)


def test_backoff_ceiling_doubles_per_attempt_and_is_capped() -> None:
    rng = random.Random(7)
    for attempt, ceiling in ((1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)):
        delays = [backoff.retry_delay_seconds(attempt, TUNING, rng=rng) for _ in range(200)]
        assert all(0.0 <= delay <= ceiling for delay in delays)
        # Full jitter: spread over the whole interval, not bunched at the ceiling.
        assert min(delays) < ceiling * 0.2 and max(delays) > ceiling * 0.8


def test_retry_after_is_a_floor_capped_by_the_tuning() -> None:
    assert backoff.retry_delay_seconds(1, TUNING, retry_after_seconds=30) >= 30
    capped = DeliveryTuning(retry_after_max_seconds=60)
    assert backoff.retry_delay_seconds(1, capped, retry_after_seconds=86_400) == 60


def test_breaker_opens_after_threshold_then_admits_one_trial_after_cooldown() -> None:
    state = backoff.CLOSED
    for _ in range(3):
        admitted, state = backoff.admit(state, NOW, TUNING)
        assert admitted
        state = backoff.after_attempt(
            state, success=False, counts_against_receiver=True, now=NOW, tuning=TUNING
        )
    assert state.is_open(NOW)
    assert backoff.admit(state, NOW + timedelta(seconds=1), TUNING)[0] is False
    later = NOW + timedelta(seconds=TUNING.breaker_cooldown_seconds + 1)
    admitted, trial = backoff.admit(state, later, TUNING)
    assert admitted and trial.is_open(later)  # one trial; others keep waiting
    closed = backoff.after_attempt(
        trial, success=True, counts_against_receiver=False, now=later, tuning=TUNING
    )
    assert closed == backoff.CLOSED


def test_client_errors_do_not_count_against_the_receiver() -> None:
    state = backoff.after_attempt(
        backoff.CLOSED, success=False, counts_against_receiver=False, now=NOW, tuning=TUNING
    )
    assert state == backoff.CLOSED


def test_tuning_reads_its_environment_variables_and_rejects_bad_values() -> None:
    tuning = DeliveryTuning.from_environ(
        {"CAVRA_DELIVERY_BACKOFF_BASE_SECONDS": "0.5", "CAVRA_DELIVERY_BREAKER_THRESHOLD": "7"}
    )
    assert tuning.backoff_base_seconds == 0.5 and tuning.breaker_threshold == 7
    for bad in ("soon", "nan", "inf", "-1"):
        with pytest.raises(SettingsError):
            DeliveryTuning.from_environ({"CAVRA_DELIVERY_POLL_SECONDS": bad})


def failed(**changes: object) -> FailedDelivery:
    fields: dict[str, object] = {
        "delivery_id": "dlv_1",
        "plan_id": "plan_1",
        "receiver": "ops",
        "provider": "webhook",
        "state": "dead_lettered",
        "rounds": 1,
        "attempt_count": 3,
        "last_failure_reason": "server_error",
        "last_failed_at": NOW - timedelta(minutes=20),
        "acknowledgement_state": "acknowledged",
    }
    fields.update(changes)
    return FailedDelivery(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "decision", "reason"),
    [
        ({}, Decision.RETRY, "eligible"),
        ({"acknowledgement_state": "accepted"}, Decision.RETRY, "eligible"),
        ({"acknowledgement_state": "resolved"}, Decision.RETRY, "eligible"),
        ({"state": "retrying"}, Decision.WAIT, "worker_retrying"),
        ({"rounds": 3}, Decision.SUPPRESS, "attempts_exhausted"),
        ({"last_failure_reason": "client_error"}, Decision.SUPPRESS, "non_retryable_failure"),
        ({"acknowledgement_state": "dismissed"}, Decision.SUPPRESS, "dismissed"),
        ({"last_failed_at": NOW - timedelta(minutes=5)}, Decision.WAIT, "backoff_pending"),
        # Round 2 waits 15 * 2 = 30 minutes.
        ({"rounds": 2, "last_failed_at": NOW - timedelta(minutes=20)}, Decision.WAIT, "backoff_pending"),
        ({"acknowledgement_state": None}, Decision.WAIT, "not_acknowledged"),
        ({"acknowledgement_state": "deferred"}, Decision.WAIT, "not_acknowledged"),
        ({"acknowledgement_state": "escalated"}, Decision.WAIT, "not_acknowledged"),
    ],
)
def test_retry_planner_decides_retry_wait_or_suppress(
    changes: dict[str, object], decision: Decision, reason: str
) -> None:
    planned = decide(failed(**changes), RetryPolicy(), NOW)
    assert (planned.decision, planned.reason) == (decision, reason)


def test_policy_zero_values_take_the_defaults_and_out_of_range_values_name_the_field() -> None:
    assert retry_policy.retry_policy(max_attempts=0, delay_minutes=0, multiplier=0) == RetryPolicy(3, 15, 2.0)
    with pytest.raises(retry_policy.RetryPolicyError) as error:
        retry_policy.retry_policy(max_attempts=0, delay_minutes=0, multiplier=0.5)
    assert error.value.field == "multiplier"
