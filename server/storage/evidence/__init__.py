"""Evidence repository: intake (idempotent recording) and reads (get, keyset-paged listing)."""

from cavra_recovery.server.storage.evidence.intake import record_evidence_batch
from cavra_recovery.server.storage.evidence.reads import (
    get_closure,
    get_playbook,
    get_retry_execution,
    list_closures,
    list_playbooks,
    list_retry_executions,
)
from cavra_recovery.server.storage.evidence.single import record_evidence

__all__ = [
    "get_closure",
    "get_playbook",
    "get_retry_execution",
    "list_closures",
    "list_playbooks",
    "list_retry_executions",
    "record_evidence",
    "record_evidence_batch",
]
