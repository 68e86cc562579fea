"""Recovery escalation plans (SPEC §5): which recoveries and failing providers escalate, and how.

- every breached row → a `critical` route, reason "recovery SLO breached", status `breached`;
- every open, unbreached row → a `warning` route, "connector recovery remains open", status `open`;
- every provider with failed + skipped executions > 0 → one `critical` route of category
  `retry-execution`, "failed or skipped retry execution", status `review_required`, failure count =
  failed + skipped, no playbook and no age;
- closed rows never escalate.

Order: critical first, then failure count descending, then age descending (older `generated_at`
first; a retry-execution route has no age and comes after aged routes of the same failure count),
then playbook id and provider (code-point order) so the order is total and the same on every database.
"""

from __future__ import annotations

import hashlib
import heapq
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from cavra_recovery.server.domain.slo_report import (
    AlertLevel,
    RecoveryRow,
    RetryRecoveryReport,
    RowStatus,
    ratio,
)

# Routes a plan response lists at most: a plan holds every route, responses page through them.
DEFAULT_ROUTE_LIMIT = 1000
MAX_ROUTE_LIMIT = 10_000


def normalize_route_limit(value: int | None) -> int:
    """0 or absent → 1000; above 10000 → 10000 (negative values are rejected by the handler)."""
    if value is None or value <= 0:
        return DEFAULT_ROUTE_LIMIT
    return min(value, MAX_ROUTE_LIMIT)


class RouteSeverity(StrEnum):
    CRITICAL = "critical"
    WARNING = "warning"


class RouteCategory(StrEnum):
    SIEM = "siem"
    ITSM = "itsm"
    CHATOPS = "chatops"
    WEBHOOK = "webhook"
    RETRY_EXECUTION = "retry-execution"


class RouteStatus(StrEnum):
    BREACHED = "breached"
    OPEN = "open"
    REVIEW_REQUIRED = "review_required"


REASON_BREACHED = "recovery SLO breached"
REASON_OPEN = "connector recovery remains open"
REASON_RETRY_EXECUTION = "failed or skipped retry execution"
ACTION_BREACHED = "page the release owner and require executive visibility"
ACTION_OPEN = "notify the release owner for follow-up"
ACTION_RETRY_EXECUTION = "notify the release owner and verify recovery closure evidence"

REASONS = {
    RouteStatus.BREACHED: REASON_BREACHED,
    RouteStatus.OPEN: REASON_OPEN,
    RouteStatus.REVIEW_REQUIRED: REASON_RETRY_EXECUTION,
}
ACTIONS = {
    RouteStatus.BREACHED: ACTION_BREACHED,
    RouteStatus.OPEN: ACTION_OPEN,
    RouteStatus.REVIEW_REQUIRED: ACTION_RETRY_EXECUTION,
}
_NO_AGE = datetime.max.replace(tzinfo=UTC)

# Receivers chosen for a route: (severity, category, provider) → receiver names.
ReceiverSelector = Callable[[str, str, str], tuple[str, ...]]


def no_receivers(_severity: str, _category: str, _provider: str) -> tuple[str, ...]:
    return ()


@dataclass(frozen=True, slots=True)
class EscalationRoute:
    dedup_key: str
    severity: RouteSeverity
    category: RouteCategory
    provider: str
    status: RouteStatus
    playbook_id: str
    failure_count: int
    age_minutes: int | None
    reason: str
    action: str
    receivers: tuple[str, ...] = ()
    # When the playbook was generated (unset for retry-execution routes); orders routes of equal age.
    generated_at: datetime | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class PlanExecutiveSummary:
    status: AlertLevel
    tracked_providers: int
    executions: int
    failures: int
    open: int
    breached: int
    closure_rate: float | None


@dataclass(frozen=True, slots=True)
class EscalationPlan:
    plan_id: str
    generated_at: datetime
    generated_by: str
    alert_level: AlertLevel
    recovery_slo_minutes: int
    recovery_report_id: str
    escalation_count: int
    critical_escalation_count: int
    slo_breached_count: int
    failed_execution_count: int
    open_recovery_count: int
    provider_count: int
    selected_providers: tuple[str, ...]
    routes: tuple[EscalationRoute, ...]
    executive_summary: PlanExecutiveSummary


def dedup_key(*, plan_id: str, playbook_id: str, provider: str, category: str) -> str:
    """Stable per plan route (PagerDuty's dedup_key): the same plan and route always give the same key."""
    material = "\x1f".join(("cavra-route-v1", plan_id, playbook_id, provider, category))
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def route_order_key(route: EscalationRoute) -> tuple[int, int, datetime, str, str]:
    severity_rank = 0 if route.severity is RouteSeverity.CRITICAL else 1
    return (
        severity_rank,
        -route.failure_count,
        route.generated_at or _NO_AGE,
        route.playbook_id,
        route.provider,
    )


def route_for_row(
    row: RecoveryRow, *, plan_id: str, receivers: ReceiverSelector = no_receivers
) -> EscalationRoute:
    """The route of one breached or open row (closed rows never escalate)."""
    if row.status is RowStatus.CLOSED:
        raise ValueError("closed rows never escalate")
    status = RouteStatus.BREACHED if row.status is RowStatus.BREACHED else RouteStatus.OPEN
    severity = RouteSeverity.CRITICAL if status is RouteStatus.BREACHED else RouteSeverity.WARNING
    category = RouteCategory(row.category)
    return EscalationRoute(
        dedup_key=dedup_key(
            plan_id=plan_id, playbook_id=row.playbook_id, provider=row.provider, category=category
        ),
        severity=severity,
        category=category,
        provider=row.provider,
        status=status,
        playbook_id=row.playbook_id,
        failure_count=row.failure_count,
        age_minutes=row.age_minutes,
        reason=REASONS[status],
        action=ACTIONS[status],
        receivers=receivers(severity.value, category.value, row.provider),
        generated_at=row.generated_at,
    )


def retry_execution_routes(
    report: RetryRecoveryReport, *, plan_id: str, receivers: ReceiverSelector = no_receivers
) -> list[EscalationRoute]:
    """One critical route per provider whose failed + skipped executions are above zero."""
    category = RouteCategory.RETRY_EXECUTION
    routes = [
        EscalationRoute(
            dedup_key=dedup_key(
                plan_id=plan_id, playbook_id="", provider=summary.provider, category=category
            ),
            severity=RouteSeverity.CRITICAL,
            category=category,
            provider=summary.provider,
            status=RouteStatus.REVIEW_REQUIRED,
            playbook_id="",
            failure_count=summary.failures,
            age_minutes=None,
            reason=REASON_RETRY_EXECUTION,
            action=ACTION_RETRY_EXECUTION,
            receivers=receivers(RouteSeverity.CRITICAL.value, category.value, summary.provider),
        )
        for summary in report.provider_summaries
        if summary.failures > 0
    ]
    return sorted(routes, key=route_order_key)


def ordered_routes(
    row_routes_in_order: Iterable[EscalationRoute], retry_routes: Iterable[EscalationRoute]
) -> Iterable[EscalationRoute]:
    """Merge row routes already in `route_order_key` order (as the SQL streams them) with retry routes."""
    return heapq.merge(row_routes_in_order, sorted(retry_routes, key=route_order_key), key=route_order_key)


def build_escalation_plan(
    report: RetryRecoveryReport,
    routes: Iterable[EscalationRoute],
    *,
    plan_id: str,
    generated_at: datetime,
    generated_by: str,
) -> EscalationPlan:
    """The plan over `routes`, which must already be in order (see `ordered_routes`)."""
    route_list = tuple(routes)
    critical = sum(1 for r in route_list if r.severity is RouteSeverity.CRITICAL)
    providers = tuple(sorted({r.provider for r in route_list}))
    level = AlertLevel.CRITICAL if critical else AlertLevel.WARNING if route_list else AlertLevel.HEALTHY
    totals = report.totals
    return EscalationPlan(
        plan_id=plan_id,
        generated_at=generated_at,
        generated_by=generated_by,
        alert_level=level,
        recovery_slo_minutes=report.recovery_slo_minutes,
        recovery_report_id=report.report_id,
        escalation_count=len(route_list),
        critical_escalation_count=critical,
        slo_breached_count=sum(1 for r in route_list if r.status is RouteStatus.BREACHED),
        failed_execution_count=totals.failures,
        open_recovery_count=sum(1 for r in route_list if r.status is RouteStatus.OPEN),
        provider_count=len(providers),
        selected_providers=providers,
        routes=route_list,
        executive_summary=PlanExecutiveSummary(
            status=level,
            tracked_providers=len(report.provider_summaries),
            executions=totals.executions,
            failures=totals.failures,
            open=totals.open,
            breached=totals.breached,
            closure_rate=ratio(totals.closed, totals.rows),
        ),
    )


def plan_content_digest(plan: EscalationPlan) -> str:
    """What "the same plan" means: equal SLO, level, counts, summary and routes.

    Left out: the plan's id, instant and author, the routes' dedup keys (derived from the plan id)
    and ages (they grow every minute; a row crossing the SLO changes its status, which is included).
    """
    digest = hashlib.sha256()
    header = plan_document(plan)
    for key in ("plan_id", "generated_at", "generated_by", "recovery_report_id"):
        header.pop(key)
    digest.update(json.dumps(header, sort_keys=True, separators=(",", ":")).encode())
    for route in plan.routes:
        material = (
            route.severity.value,
            route.category.value,
            route.provider,
            route.status.value,
            route.playbook_id,
            route.failure_count,
            list(route.receivers),
        )
        digest.update(b"\n" + json.dumps(material, separators=(",", ":")).encode())
    return digest.hexdigest()


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def plan_document(plan: EscalationPlan) -> dict[str, Any]:
    """The stored plan without its routes (they live one per row in `escalation_routes`)."""
    summary = plan.executive_summary
    return {
        "plan_id": plan.plan_id,
        "generated_at": _time(plan.generated_at),
        "generated_by": plan.generated_by,
        "alert_level": plan.alert_level.value,
        "recovery_slo_minutes": plan.recovery_slo_minutes,
        "recovery_report_id": plan.recovery_report_id,
        "escalation_count": plan.escalation_count,
        "critical_escalation_count": plan.critical_escalation_count,
        "slo_breached_count": plan.slo_breached_count,
        "failed_execution_count": plan.failed_execution_count,
        "open_recovery_count": plan.open_recovery_count,
        "provider_count": plan.provider_count,
        "selected_providers": list(plan.selected_providers),
        "executive_summary": {
            "status": summary.status.value,
            "tracked_providers": summary.tracked_providers,
            "executions": summary.executions,
            "failures": summary.failures,
            "open": summary.open,
            "breached": summary.breached,
            "closure_rate": summary.closure_rate,
        },
    }


def plan_from_document(doc: Mapping[str, Any], routes: Iterable[EscalationRoute]) -> EscalationPlan:
    summary = doc["executive_summary"]
    return EscalationPlan(
        plan_id=doc["plan_id"],
        generated_at=_parse_time(doc["generated_at"]),
        generated_by=doc["generated_by"],
        alert_level=AlertLevel(doc["alert_level"]),
        recovery_slo_minutes=doc["recovery_slo_minutes"],
        recovery_report_id=doc["recovery_report_id"],
        escalation_count=doc["escalation_count"],
        critical_escalation_count=doc["critical_escalation_count"],
        slo_breached_count=doc["slo_breached_count"],
        failed_execution_count=doc["failed_execution_count"],
        open_recovery_count=doc["open_recovery_count"],
        provider_count=doc["provider_count"],
        selected_providers=tuple(doc["selected_providers"]),
        routes=tuple(routes),
        executive_summary=PlanExecutiveSummary(
            status=AlertLevel(summary["status"]),
            tracked_providers=summary["tracked_providers"],
            executions=summary["executions"],
            failures=summary["failures"],
            open=summary["open"],
            breached=summary["breached"],
            closure_rate=summary["closure_rate"],
        ),
    )


def stored_route(
    *,
    dedup_key: str,
    severity: str,
    category: str,
    provider: str,
    status: str,
    playbook_id: str,
    failure_count: int,
    age_minutes: int | None,
    receivers: Iterable[str],
) -> EscalationRoute:
    """A route read back from storage: reason and action follow from its status."""
    route_status = RouteStatus(status)
    return EscalationRoute(
        dedup_key=dedup_key,
        severity=RouteSeverity(severity),
        category=RouteCategory(category),
        provider=provider,
        status=route_status,
        playbook_id=playbook_id,
        failure_count=failure_count,
        age_minutes=age_minutes,
        reason=REASONS[route_status],
        action=ACTIONS[route_status],
        receivers=tuple(receivers),
    )
