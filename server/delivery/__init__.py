"""Reliable delivery: the transactional outbox, the worker that drains it, and the service handlers use.

outbox.enqueue_*      in the RPC's transaction: one row per receiver, notification document built
DeliveryService.wake  after that transaction commits
DeliveryWorker        claim (lease) → send once → record the attempt → retry later or dead-letter
"""

from cavra_recovery.server.delivery.service import DeliveryService
from cavra_recovery.server.delivery.tuning import DeliveryTuning

__all__ = ["DeliveryService", "DeliveryTuning"]
