"""The executive recovery report (SPEC §7): a short, leadership-ready status.

- `status` = the plan's alert level.
- `business_impact`: "Connector recovery requires leadership attention" with any critical route,
  else "Connector recovery is being monitored within operating tolerances".
- `key_risks`, only those with a count above zero, in this order: critical "Retry execution failed
  or was skipped" (count: failed + skipped executions), critical "Connector recovery SLO breached"
  (breached rows), warning "Connector recovery remains open" (open, unbreached rows).
- `recommended_actions`: "deliver recovery escalation notifications to the selected operations
  channels" with any escalation, else "continue routine retry recovery monitoring"; then, with
  failing providers, verifying their closure evidence; then reviewing retry trends before enabling
  promoted Go backend mode.
- `change`: against the previous stored executive report with the same SLO (unset for the first).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from cavra_recovery.server.domain.closure_trends import ClosureTrendDay, trend_document, trend_from_document
from cavra_recovery.server.domain.slo_report import (
    AlertLevel,
    ProviderRecoverySummary,
    RecoveryTotals,
    RetryRecoveryReport,
    content_digest,
    summary_document,
    summary_from_document,
    totals_document,
    totals_from_document,
)

IMPACT_ATTENTION = "Connector recovery requires leadership attention"
IMPACT_MONITORED = "Connector recovery is being monitored within operating tolerances"
RISK_RETRY_EXECUTION = "Retry execution failed or was skipped"
RISK_SLO_BREACHED = "Connector recovery SLO breached"
RISK_OPEN = "Connector recovery remains open"
RISK_OWNER = "release owner"
ACTION_DELIVER = "deliver recovery escalation notifications to the selected operations channels"
ACTION_MONITOR = "continue routine retry recovery monitoring"
ACTION_VERIFY_PREFIX = "verify recovery closure evidence for failed providers: "
ACTION_REVIEW_TRENDS = "review retry trends before enabling promoted Go backend mode"


@dataclass(frozen=True, slots=True)
class KeyRisk:
    severity: AlertLevel
    title: str
    count: int
    owner: str = RISK_OWNER


@dataclass(frozen=True, slots=True)
class ExecutiveReportChange:
    previous_report_id: str
    previous_status: AlertLevel
    breached_delta: int
    open_delta: int
    failures_delta: int
    escalations_delta: int
    mean_minutes_to_close_delta: float | None
    slo_attainment_delta: float | None


@dataclass(frozen=True, slots=True)
class PlanCounts:
    """What the executive report needs from its plan."""

    alert_level: AlertLevel
    escalation_count: int
    critical_escalation_count: int


@dataclass(frozen=True, slots=True)
class ExecutiveReport:
    report_id: str
    generated_at: datetime
    generated_by: str
    status: AlertLevel
    business_impact: str
    key_risks: tuple[KeyRisk, ...]
    recommended_actions: tuple[str, ...]
    provider_summaries: tuple[ProviderRecoverySummary, ...]
    closure_trends: tuple[ClosureTrendDay, ...]
    recovery_slo_minutes: int
    recovery_report_id: str
    escalation_plan_id: str
    totals: RecoveryTotals
    escalation_count: int
    change: ExecutiveReportChange | None = None


def plan_counts_for(report: RetryRecoveryReport) -> PlanCounts:
    """The plan of `report` has one route per breached or open row and one per failing provider."""
    failing_providers = len(report.failed_providers)
    critical = report.totals.breached + failing_providers
    escalations = report.totals.open + failing_providers
    level = AlertLevel.CRITICAL if critical else AlertLevel.WARNING if escalations else AlertLevel.HEALTHY
    return PlanCounts(alert_level=level, escalation_count=escalations, critical_escalation_count=critical)


def business_impact(counts: PlanCounts) -> str:
    return IMPACT_ATTENTION if counts.critical_escalation_count > 0 else IMPACT_MONITORED


def key_risks(report: RetryRecoveryReport) -> tuple[KeyRisk, ...]:
    candidates = (
        KeyRisk(AlertLevel.CRITICAL, RISK_RETRY_EXECUTION, report.totals.failures),
        KeyRisk(AlertLevel.CRITICAL, RISK_SLO_BREACHED, report.totals.breached),
        KeyRisk(AlertLevel.WARNING, RISK_OPEN, report.open_unbreached),
    )
    return tuple(risk for risk in candidates if risk.count > 0)


def recommended_actions(report: RetryRecoveryReport, counts: PlanCounts) -> tuple[str, ...]:
    actions = [ACTION_DELIVER if counts.escalation_count > 0 else ACTION_MONITOR]
    if report.failed_providers:
        actions.append(ACTION_VERIFY_PREFIX + ", ".join(report.failed_providers))
    actions.append(ACTION_REVIEW_TRENDS)
    return tuple(actions)


def _delta(current: float | None, previous: float | None) -> float | None:
    return None if current is None or previous is None else current - previous


def report_change(current: ExecutiveReport, previous: ExecutiveReport | None) -> ExecutiveReportChange | None:
    if previous is None:
        return None
    return ExecutiveReportChange(
        previous_report_id=previous.report_id,
        previous_status=previous.status,
        breached_delta=current.totals.breached - previous.totals.breached,
        open_delta=current.totals.open - previous.totals.open,
        failures_delta=current.totals.failures - previous.totals.failures,
        escalations_delta=current.escalation_count - previous.escalation_count,
        mean_minutes_to_close_delta=_delta(
            current.totals.mean_minutes_to_close, previous.totals.mean_minutes_to_close
        ),
        slo_attainment_delta=_delta(current.totals.slo_attainment, previous.totals.slo_attainment),
    )


def build_executive_report(
    report: RetryRecoveryReport,
    counts: PlanCounts,
    *,
    report_id: str,
    generated_at: datetime,
    generated_by: str,
    escalation_plan_id: str,
    previous: ExecutiveReport | None = None,
) -> ExecutiveReport:
    built = ExecutiveReport(
        report_id=report_id,
        generated_at=generated_at,
        generated_by=generated_by,
        status=counts.alert_level,
        business_impact=business_impact(counts),
        key_risks=key_risks(report),
        recommended_actions=recommended_actions(report, counts),
        provider_summaries=report.provider_summaries,
        closure_trends=report.closure_trends,
        recovery_slo_minutes=report.recovery_slo_minutes,
        recovery_report_id=report.report_id,
        escalation_plan_id=escalation_plan_id,
        totals=report.totals,
        escalation_count=counts.escalation_count,
    )
    return replace(built, change=report_change(built, previous))


def _time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def executive_report_document(report: ExecutiveReport) -> dict[str, Any]:
    """The stored, public-safe JSON form (no free text: every string is an id, a name or fixed wording)."""
    change = report.change
    return {
        "report_id": report.report_id,
        "generated_at": _time(report.generated_at),
        "generated_by": report.generated_by,
        "status": report.status.value,
        "business_impact": report.business_impact,
        "key_risks": [
            {"severity": r.severity.value, "title": r.title, "count": r.count, "owner": r.owner}
            for r in report.key_risks
        ],
        "recommended_actions": list(report.recommended_actions),
        "provider_summaries": [summary_document(s) for s in report.provider_summaries],
        "closure_trends": [trend_document(t) for t in report.closure_trends],
        "recovery_slo_minutes": report.recovery_slo_minutes,
        "recovery_report_id": report.recovery_report_id,
        "escalation_plan_id": report.escalation_plan_id,
        "totals": totals_document(report.totals),
        "escalation_count": report.escalation_count,
        "change": None
        if change is None
        else {
            "previous_report_id": change.previous_report_id,
            "previous_status": change.previous_status.value,
            "breached_delta": change.breached_delta,
            "open_delta": change.open_delta,
            "failures_delta": change.failures_delta,
            "escalations_delta": change.escalations_delta,
            "mean_minutes_to_close_delta": change.mean_minutes_to_close_delta,
            "slo_attainment_delta": change.slo_attainment_delta,
        },
    }


def executive_report_from_document(doc: Mapping[str, Any]) -> ExecutiveReport:
    change = doc["change"]
    return ExecutiveReport(
        report_id=doc["report_id"],
        generated_at=datetime.fromisoformat(doc["generated_at"].replace("Z", "+00:00")).astimezone(UTC),
        generated_by=doc["generated_by"],
        status=AlertLevel(doc["status"]),
        business_impact=doc["business_impact"],
        key_risks=tuple(
            KeyRisk(AlertLevel(r["severity"]), r["title"], r["count"], r["owner"]) for r in doc["key_risks"]
        ),
        recommended_actions=tuple(doc["recommended_actions"]),
        provider_summaries=tuple(summary_from_document(s) for s in doc["provider_summaries"]),
        closure_trends=tuple(trend_from_document(t) for t in doc["closure_trends"]),
        recovery_slo_minutes=doc["recovery_slo_minutes"],
        recovery_report_id=doc["recovery_report_id"],
        escalation_plan_id=doc["escalation_plan_id"],
        totals=totals_from_document(doc["totals"]),
        escalation_count=doc["escalation_count"],
        change=None
        if change is None
        else ExecutiveReportChange(
            previous_report_id=change["previous_report_id"],
            previous_status=AlertLevel(change["previous_status"]),
            breached_delta=change["breached_delta"],
            open_delta=change["open_delta"],
            failures_delta=change["failures_delta"],
            escalations_delta=change["escalations_delta"],
            mean_minutes_to_close_delta=change["mean_minutes_to_close_delta"],
            slo_attainment_delta=change["slo_attainment_delta"],
        ),
    )


def executive_report_digest(report: ExecutiveReport) -> str:
    """ "Unchanged" for executive reports: equal content without the id, instant, links and change.

    The links (SLO report id, plan id) are left out because an unchanged report is returned instead
    of building a new plan; the change is left out because it is relative to whatever came before.
    """
    document = executive_report_document(report)
    for key in ("report_id", "generated_at", "recovery_report_id", "escalation_plan_id", "change"):
        document.pop(key)
    return content_digest(document)


DEFAULT_SCHEDULE_INTERVAL_MINUTES = 1440
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ScheduleRun:
    """One window of the executive report schedule and the report it produced."""

    run_id: str
    window_start: datetime
    window_end: datetime
    interval_minutes: int
    report_id: str
    created_at: datetime


def normalize_schedule_interval(value: int | None) -> int:
    """0 or absent → 1440 minutes (negative values are rejected by the handler)."""
    return DEFAULT_SCHEDULE_INTERVAL_MINUTES if not value or value < 0 else value


def schedule_window(now: datetime, interval_minutes: int) -> tuple[datetime, datetime]:
    """The window holding `now`; windows are aligned to the Unix epoch (UTC midnight for 1440 minutes)."""
    interval = timedelta(minutes=interval_minutes)
    start = _EPOCH + ((now - _EPOCH) // interval) * interval
    return start, start + interval
