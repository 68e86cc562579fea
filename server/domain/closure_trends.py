"""Closure trends of the SLO report (SPEC §4): closures per UTC day, by closure state and by provider.

Every closure counts once, on the UTC day of its `closed_at`, whether or not its playbook lists the
provider; days come newest first, states in the SPEC's order and providers in code-point order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cavra_recovery.server.domain.evidence import ClosureState


@dataclass(frozen=True, slots=True)
class ClosureTrendDay:
    day: str
    total: int
    state_counts: tuple[tuple[str, int], ...]
    provider_counts: tuple[tuple[str, int], ...]


def closure_trend_day(day: str, states: Mapping[str, int], providers: Mapping[str, int]) -> ClosureTrendDay:
    """One day's trend from its closure counts by state and by provider (states with no closure left out)."""
    return ClosureTrendDay(
        day=day,
        total=sum(states.values()),
        state_counts=tuple((s.value, int(states[s.value])) for s in ClosureState if states.get(s.value)),
        provider_counts=tuple(sorted((p, int(n)) for p, n in providers.items() if n)),
    )


def trend_document(trend: ClosureTrendDay) -> dict[str, Any]:
    return {
        "day": trend.day,
        "total": trend.total,
        "state_counts": [list(pair) for pair in trend.state_counts],
        "provider_counts": [list(pair) for pair in trend.provider_counts],
    }


def trend_from_document(doc: Mapping[str, Any]) -> ClosureTrendDay:
    return ClosureTrendDay(
        day=doc["day"],
        total=doc["total"],
        state_counts=tuple((s, n) for s, n in doc["state_counts"]),
        provider_counts=tuple((p, n) for p, n in doc["provider_counts"]),
    )
