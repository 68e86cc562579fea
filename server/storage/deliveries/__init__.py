"""The delivery outbox and its evidence, split by what each module stores.

rows       delivery states, the stored rows as dataclasses, reads with attempts
outbox     deliver requests and their rows, due rows, claims (leases), new rounds, counts
attempts   each send's outcome (the attempt row) and the delivery's next state
circuits   per-receiver breaker state
listing    ListRecoveryEscalationDeliveries pages, and every delivery of a plan (the evidence trail)
"""

from cavra_recovery.server.storage.deliveries.attempts import AttemptOutcome, finish_attempt
from cavra_recovery.server.storage.deliveries.circuits import circuits, load_circuit, store_circuit
from cavra_recovery.server.storage.deliveries.listing import DeliveryPage, list_deliveries, plan_deliveries
from cavra_recovery.server.storage.deliveries.outbox import (
    DueDelivery,
    add_delivery,
    add_delivery_request,
    claim_delivery,
    delivery_counts,
    due_deliveries,
    failed_escalation_deliveries,
    next_due_at,
    release_claim,
    start_new_round,
)
from cavra_recovery.server.storage.deliveries.rows import (
    DEAD_LETTERED,
    DELIVERED,
    DELIVERY_STATES,
    DRY_RUN,
    DUE_STATES,
    FINAL_STATES,
    INHIBITED,
    INTERRUPTED_ERROR,
    PENDING,
    RETRYING,
    SILENCED,
    SUPPRESSED_STATES,
    StoredAttempt,
    StoredDelivery,
    StoredDeliveryRequest,
    get_deliveries,
    get_delivery,
    get_delivery_request,
)

__all__ = [
    "DEAD_LETTERED",
    "DELIVERED",
    "DELIVERY_STATES",
    "DRY_RUN",
    "DUE_STATES",
    "FINAL_STATES",
    "INHIBITED",
    "INTERRUPTED_ERROR",
    "PENDING",
    "RETRYING",
    "SILENCED",
    "SUPPRESSED_STATES",
    "AttemptOutcome",
    "DeliveryPage",
    "DueDelivery",
    "StoredAttempt",
    "StoredDelivery",
    "StoredDeliveryRequest",
    "add_delivery",
    "add_delivery_request",
    "circuits",
    "claim_delivery",
    "delivery_counts",
    "due_deliveries",
    "failed_escalation_deliveries",
    "finish_attempt",
    "get_deliveries",
    "get_delivery",
    "get_delivery_request",
    "list_deliveries",
    "load_circuit",
    "next_due_at",
    "plan_deliveries",
    "release_claim",
    "start_new_round",
    "store_circuit",
]
