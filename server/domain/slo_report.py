"""The retry-recovery SLO report (SPEC §4): recovery rows, their status, per-provider summaries, totals.

The rules, in one place:

- SLO: 240 minutes by default; 0 (or absent) means 240; values below 1 become 1, values above ten
  years of minutes (5,256,000) become 5,256,000.
- One recovery row per (playbook, provider entry). Its closure is the latest closure for that
  playbook and provider by `closed_at` (ties: the closure recorded last wins). No closure: `open`.
- A row is closed only when that latest state is `resolved` or `mitigated`.
- Age = whole minutes from the playbook's `generated_at` to now (negative spans count as 0). A row
  is breached when it is not closed and its age is strictly greater than the SLO. Because ages are
  whole minutes, `age > slo` holds exactly when `generated_at <= now - (slo + 1) minutes`: one
  cutoff instant decides every breach (`breach_cutoff`), which is how the SQL does it.
- `closure_minutes` = whole minutes from `generated_at` to the closing closure's `closed_at`.
- MTTR: mean of `closure_minutes` over closed rows, and p90 by nearest rank: the value at 1-based
  rank ceil(0.9 * n) of the closed rows' `closure_minutes` sorted ascending.
- SLO attainment: closed rows with `closure_minutes <= slo` / closed rows (unset without closed rows).
- Level: `critical` if anything is breached or any execution failed or was skipped; else `warning`
  if anything is open; else `healthy`.

The service never loads all evidence: `server.storage.reports` applies these rules with SQL
aggregation, and the tests hold it to an in-memory reference of the same rules
(`tests/reports/slo_oracle.py`). Closure trends live in `server.domain.closure_trends`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from cavra_recovery.server.domain.closure_trends import ClosureTrendDay, trend_document, trend_from_document
from cavra_recovery.server.domain.evidence import ClosureState

DEFAULT_RECOVERY_SLO_MINUTES = 240
# Ten years (3650 days) of minutes: longer SLOs would push the breach cutoff out of the date range.
MAX_RECOVERY_SLO_MINUTES = 3650 * 24 * 60
DEFAULT_ROW_LIMIT = 1000
MAX_ROW_LIMIT = 10_000
P90_RANK_NUMERATOR = 9
P90_RANK_DENOMINATOR = 10
_MINUTE = timedelta(minutes=1)


class AlertLevel(StrEnum):
    HEALTHY = "healthy"
    WARNING = "warning"
    CRITICAL = "critical"


class RowStatus(StrEnum):
    OPEN = "open"
    BREACHED = "breached"
    CLOSED = "closed"


def normalize_recovery_slo_minutes(value: int | None) -> int:
    """0 or absent → 240; below 1 → 1; above ten years (5,256,000) → 5,256,000."""
    if value is None or value == 0:
        return DEFAULT_RECOVERY_SLO_MINUTES
    return min(max(1, value), MAX_RECOVERY_SLO_MINUTES)


def normalize_row_limit(value: int | None) -> int:
    """0 or absent → 1000; above 10000 → 10000 (negative values are rejected by the handler)."""
    if value is None or value <= 0:
        return DEFAULT_ROW_LIMIT
    return min(value, MAX_ROW_LIMIT)


def whole_minutes(start: datetime, end: datetime) -> int:
    """Whole minutes from `start` to `end`, rounded down; a negative span (clock skew) counts as 0."""
    return max(0, (end - start) // _MINUTE)


def breach_cutoff(now: datetime, recovery_slo_minutes: int) -> datetime:
    """Rows generated at or before this instant are older than the SLO (age > slo)."""
    return now - timedelta(minutes=recovery_slo_minutes + 1)


def alert_level(*, breached: int, failures: int, open_rows: int) -> AlertLevel:
    if breached > 0 or failures > 0:
        return AlertLevel.CRITICAL
    if open_rows > 0:
        return AlertLevel.WARNING
    return AlertLevel.HEALTHY


def ratio(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else numerator / denominator


@dataclass(frozen=True, slots=True)
class RecoveryRow:
    playbook_id: str
    provider: str
    category: str
    generated_at: datetime
    failure_count: int
    status: RowStatus
    age_minutes: int
    closure_state: str | None = None
    closure_id: str | None = None
    closed_at: datetime | None = None
    closure_minutes: int | None = None


@dataclass(frozen=True, slots=True)
class ProviderRecoverySummary:
    provider: str
    category: str
    executions: int = 0
    delivered: int = 0
    failed: int = 0
    skipped: int = 0
    playbook_rows: int = 0
    closures: int = 0
    open: int = 0
    breached: int = 0
    closed: int = 0
    latest_execution_at: datetime | None = None
    latest_closure_at: datetime | None = None
    mean_minutes_to_close: float | None = None
    p90_minutes_to_close: float | None = None
    slo_attainment: float | None = None

    @property
    def failures(self) -> int:
        return self.failed + self.skipped


@dataclass(frozen=True, slots=True)
class RecoveryTotals:
    executions: int = 0
    successes: int = 0
    failures: int = 0
    success_rate: float | None = None
    rows: int = 0
    closed: int = 0
    open: int = 0
    breached: int = 0
    closure_state_counts: tuple[tuple[str, int], ...] = ()
    mean_minutes_to_close: float | None = None
    p90_minutes_to_close: float | None = None
    slo_attainment: float | None = None


@dataclass(frozen=True, slots=True)
class RetryRecoveryReport:
    report_id: str
    generated_at: datetime
    recovery_slo_minutes: int
    level: AlertLevel
    totals: RecoveryTotals
    provider_summaries: tuple[ProviderRecoverySummary, ...]
    rows: tuple[RecoveryRow, ...]
    rows_truncated: bool
    closure_trends: tuple[ClosureTrendDay, ...]

    @property
    def failed_providers(self) -> tuple[str, ...]:
        return tuple(s.provider for s in self.provider_summaries if s.failures > 0)

    @property
    def open_unbreached(self) -> int:
        return self.totals.open - self.totals.breached


@dataclass(frozen=True, slots=True)
class CloseStatistics:
    """What MTTR and attainment need from a set of closed rows: count, sum, p90 and count within SLO."""

    closed: int = 0
    minutes_sum: int = 0
    p90_minutes: int | None = None
    within_slo: int = 0

    @property
    def mean(self) -> float | None:
        return None if self.closed == 0 else self.minutes_sum / self.closed

    @property
    def p90(self) -> float | None:
        return None if self.p90_minutes is None else float(self.p90_minutes)

    @property
    def attainment(self) -> float | None:
        return ratio(self.within_slo, self.closed)


def closure_state_counts(counts: Mapping[str, int]) -> tuple[tuple[str, int], ...]:
    """Every closure state, in the SPEC's order, with its count (zeros included)."""
    return tuple((state.value, int(counts.get(state.value, 0))) for state in ClosureState)


def build_totals(
    summaries: Sequence[ProviderRecoverySummary],
    *,
    state_counts: Mapping[str, int],
    overall: CloseStatistics,
) -> RecoveryTotals:
    executions = sum(s.executions for s in summaries)
    successes = sum(s.delivered for s in summaries)
    return RecoveryTotals(
        executions=executions,
        successes=successes,
        failures=sum(s.failures for s in summaries),
        success_rate=ratio(successes, executions),
        rows=sum(s.playbook_rows for s in summaries),
        closed=sum(s.closed for s in summaries),
        open=sum(s.open for s in summaries),
        breached=sum(s.breached for s in summaries),
        closure_state_counts=closure_state_counts(state_counts),
        mean_minutes_to_close=overall.mean,
        p90_minutes_to_close=overall.p90,
        slo_attainment=overall.attainment,
    )


def report_level(totals: RecoveryTotals) -> AlertLevel:
    return alert_level(breached=totals.breached, failures=totals.failures, open_rows=totals.open)


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _parse_time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def report_document(report: RetryRecoveryReport) -> dict[str, Any]:
    """The stored, public-safe JSON form: ids, providers, categories, states, counts and times only."""
    return {
        "report_id": report.report_id,
        "generated_at": _time(report.generated_at),
        "recovery_slo_minutes": report.recovery_slo_minutes,
        "level": report.level.value,
        "totals": totals_document(report.totals),
        "provider_summaries": [summary_document(s) for s in report.provider_summaries],
        "rows": [
            {
                "playbook_id": r.playbook_id,
                "provider": r.provider,
                "category": r.category,
                "generated_at": _time(r.generated_at),
                "failure_count": r.failure_count,
                "status": r.status.value,
                "age_minutes": r.age_minutes,
                "closure_state": r.closure_state,
                "closure_id": r.closure_id,
                "closed_at": _time(r.closed_at),
                "closure_minutes": r.closure_minutes,
            }
            for r in report.rows
        ],
        "rows_truncated": report.rows_truncated,
        "closure_trends": [trend_document(t) for t in report.closure_trends],
    }


def totals_document(totals: RecoveryTotals) -> dict[str, Any]:
    return {
        "executions": totals.executions,
        "successes": totals.successes,
        "failures": totals.failures,
        "success_rate": totals.success_rate,
        "rows": totals.rows,
        "closed": totals.closed,
        "open": totals.open,
        "breached": totals.breached,
        "closure_state_counts": [list(pair) for pair in totals.closure_state_counts],
        "mean_minutes_to_close": totals.mean_minutes_to_close,
        "p90_minutes_to_close": totals.p90_minutes_to_close,
        "slo_attainment": totals.slo_attainment,
    }


def summary_document(summary: ProviderRecoverySummary) -> dict[str, Any]:
    return {
        "provider": summary.provider,
        "category": summary.category,
        "executions": summary.executions,
        "delivered": summary.delivered,
        "failed": summary.failed,
        "skipped": summary.skipped,
        "playbook_rows": summary.playbook_rows,
        "closures": summary.closures,
        "open": summary.open,
        "breached": summary.breached,
        "closed": summary.closed,
        "latest_execution_at": _time(summary.latest_execution_at),
        "latest_closure_at": _time(summary.latest_closure_at),
        "mean_minutes_to_close": summary.mean_minutes_to_close,
        "p90_minutes_to_close": summary.p90_minutes_to_close,
        "slo_attainment": summary.slo_attainment,
    }


def totals_from_document(doc: Mapping[str, Any]) -> RecoveryTotals:
    return RecoveryTotals(
        executions=doc["executions"],
        successes=doc["successes"],
        failures=doc["failures"],
        success_rate=doc["success_rate"],
        rows=doc["rows"],
        closed=doc["closed"],
        open=doc["open"],
        breached=doc["breached"],
        closure_state_counts=tuple((s, n) for s, n in doc["closure_state_counts"]),
        mean_minutes_to_close=doc["mean_minutes_to_close"],
        p90_minutes_to_close=doc["p90_minutes_to_close"],
        slo_attainment=doc["slo_attainment"],
    )


def summary_from_document(doc: Mapping[str, Any]) -> ProviderRecoverySummary:
    fields = dict(doc)
    fields["latest_execution_at"] = _parse_time(doc["latest_execution_at"])
    fields["latest_closure_at"] = _parse_time(doc["latest_closure_at"])
    return ProviderRecoverySummary(**fields)


def report_from_document(doc: Mapping[str, Any]) -> RetryRecoveryReport:
    return RetryRecoveryReport(
        report_id=doc["report_id"],
        generated_at=_parse_time(doc["generated_at"]) or datetime.min.replace(tzinfo=UTC),
        recovery_slo_minutes=doc["recovery_slo_minutes"],
        level=AlertLevel(doc["level"]),
        totals=totals_from_document(doc["totals"]),
        provider_summaries=tuple(summary_from_document(s) for s in doc["provider_summaries"]),
        rows=tuple(
            RecoveryRow(
                playbook_id=r["playbook_id"],
                provider=r["provider"],
                category=r["category"],
                generated_at=_parse_time(r["generated_at"]) or datetime.min.replace(tzinfo=UTC),
                failure_count=r["failure_count"],
                status=RowStatus(r["status"]),
                age_minutes=r["age_minutes"],
                closure_state=r["closure_state"],
                closure_id=r["closure_id"],
                closed_at=_parse_time(r["closed_at"]),
                closure_minutes=r["closure_minutes"],
            )
            for r in doc["rows"]
        ),
        rows_truncated=doc["rows_truncated"],
        closure_trends=tuple(trend_from_document(t) for t in doc["closure_trends"]),
    )


def content_digest(document: Mapping[str, Any]) -> str:
    """SHA-256 of canonical JSON (sorted keys, no whitespace)."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def report_content_digest(report: RetryRecoveryReport) -> str:
    """What "unchanged" means: everything but the id, the instant and the rows' ages.

    Ages grow every minute and say nothing new until a row crosses the SLO, and that crossing changes
    its status, which is in the digest; so a report is unchanged when its statuses, closures, counts,
    MTTR, attainment and trends are.
    """
    return report_document_digest(report_document(report))


def report_document_digest(document: Mapping[str, Any]) -> str:
    """`report_content_digest` of the report whose `report_document` is `document` (not modified)."""
    content = {key: value for key, value in document.items() if key not in ("report_id", "generated_at")}
    content["rows"] = [{k: v for k, v in row.items() if k != "age_minutes"} for row in document["rows"]]
    return content_digest(content)
