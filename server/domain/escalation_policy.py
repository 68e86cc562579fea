"""Escalation policies at run time: which step comes next, silences and inhibition (no clock, no I/O).

A route under a policy starts at level 1 of cycle 0 (step 1). When a level's acknowledgement timeout
passes without an acknowledgement in acknowledged, accepted or resolved, the next level is notified;
after the last level the chain starts again at level 1 while repeats remain, then it is exhausted.
An acknowledgement or a resolving closure stops it at once. `now` is always passed in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

# Acknowledgement states that stop an escalation (the same ones that allow live retries).
STOPPING_ACKNOWLEDGEMENTS = frozenset({"acknowledged", "accepted", "resolved"})
LABELS = ("severity", "category", "provider")


class EscalationStatus(StrEnum):
    ACTIVE = "active"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    # Every level of every cycle was notified and the last timeout passed without an acknowledgement.
    EXHAUSTED = "exhausted"


@dataclass(frozen=True, slots=True)
class PolicyTimings:
    """What the run-time rules need of a configured policy: each level's timeout and the repeats."""

    ack_timeouts: tuple[timedelta, ...]
    repeat: int = 0

    @property
    def steps(self) -> int:
        return len(self.ack_timeouts) * (self.repeat + 1)

    def position(self, step: int) -> tuple[int, int]:
        """Step (1-based) → (level 1-based, cycle 0-based)."""
        cycle, level_index = divmod(step - 1, len(self.ack_timeouts))
        return level_index + 1, cycle

    def timeout_of(self, step: int) -> timedelta:
        level, _ = self.position(step)
        return self.ack_timeouts[level - 1]


def format_duration(value: timedelta) -> str:
    """Go-style: 15m, 1h30m, 45s."""
    seconds = int(value.total_seconds())
    parts = []
    for unit, size in (("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def step_reason(timings: PolicyTimings, step: int) -> str:
    """Why a step is notified, as recorded in the evidence."""
    level, cycle = timings.position(step)
    if step == 1:
        return "level 1: escalation started by the delivery"
    previous_level, _ = timings.position(step - 1)
    timeout = format_duration(timings.timeout_of(step - 1))
    repeat = f" (repeat {cycle} of {timings.repeat})" if cycle else ""
    return f"level {level}{repeat}: no acknowledgement within {timeout} of level {previous_level}"


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with one active escalation now: nothing yet, stop, or notify `step`."""

    status: EscalationStatus
    # The step to notify now (ACTIVE), or None.
    step: int | None = None
    why: str = ""
    # When to look again (ACTIVE), or None once stopped.
    next_step_at: datetime | None = None


def decide(
    timings: PolicyTimings,
    *,
    current_step: int,
    current_step_at: datetime,
    now: datetime,
    acknowledgement: str | None,
    resolved: bool,
) -> Decision:
    """The next move of an escalation at `current_step`, notified at `current_step_at`."""
    if resolved:
        return Decision(EscalationStatus.RESOLVED, why="stopped: the recovery was closed")
    if acknowledgement in STOPPING_ACKNOWLEDGEMENTS:
        return Decision(EscalationStatus.ACKNOWLEDGED, why=f"stopped: acknowledgement {acknowledgement}")
    due = current_step_at + timings.timeout_of(current_step)
    if now < due:
        return Decision(EscalationStatus.ACTIVE, next_step_at=due)
    if current_step >= timings.steps:
        return Decision(EscalationStatus.EXHAUSTED, why="exhausted: no acknowledgement after every level")
    step = current_step + 1
    return Decision(
        EscalationStatus.ACTIVE,
        step=step,
        why=step_reason(timings, step),
        next_step_at=now + timings.timeout_of(step),
    )


@dataclass(frozen=True, slots=True)
class Silence:
    """Matchers on provider, category and severity (None matches anything) between two instants."""

    silence_id: str
    matchers: Mapping[str, str]
    starts_at: datetime
    ends_at: datetime
    expired_at: datetime | None = None

    def active_at(self, now: datetime) -> bool:
        end = self.ends_at if self.expired_at is None else min(self.ends_at, self.expired_at)
        return self.starts_at <= now < end

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(labels.get(key) == value for key, value in self.matchers.items())


def silence_for(silences: Sequence[Silence], labels: Mapping[str, str], now: datetime) -> str | None:
    """The id of the first active silence matching the route's labels, or None."""
    for silence in silences:
        if silence.active_at(now) and silence.matches(labels):
            return silence.silence_id
    return None


@dataclass(frozen=True, slots=True)
class Inhibition:
    source: Mapping[str, str]
    target: Mapping[str, str]
    equal: tuple[str, ...] = ()


def _matches(matcher: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in matcher.items())


def inhibitor_for(
    rules: Sequence[Inhibition],
    route_key: str,
    labels: Mapping[str, str],
    routes: Mapping[str, Mapping[str, str]],
) -> str | None:
    """The key of another route of the same plan that inhibits this one, or None.

    `routes` maps each route's key to its labels (the plan's routes, the route itself included)."""
    for rule in rules:
        if not _matches(rule.target, labels):
            continue
        for other_key, other in routes.items():
            if other_key == route_key or not _matches(rule.source, other):
                continue
            if all(other.get(label) == labels.get(label) for label in rule.equal):
                return other_key
    return None
