"""The rollback drill dashboard (SPEC §10): counts of everything the service has stored and done."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class DrillDashboard:
    generated_at: datetime
    escalation_plans: int
    # Routes summed over all plans.
    escalation_routes: int
    executive_reports: int
    retry_recovery_reports: int
    acknowledgements: int
    # Deliveries delivered; deliveries whose last attempt failed (retrying or dead-lettered); dead letters.
    deliveries_ok: int
    deliveries_failed: int
    dead_letters: int
    playbooks: int
    closures: int
    # Retry executions delivered; failed or skipped.
    retry_executions_ok: int
    retry_executions_failed: int
    schedule_runs: int
    # Escalation policies (docs/escalation-policies.md): steps notified after the first; deliveries
    # held back by a silence or an inhibit rule; escalations stopped by an acknowledgement or a closure.
    escalations_advanced: int = 0
    deliveries_silenced: int = 0
    deliveries_inhibited: int = 0
    escalations_stopped_by_acknowledgement: int = 0
    escalations_stopped_by_resolution: int = 0
