"""Evidence repository: intake (idempotent recording) and reads (get, keyset-paged listing)."""

from cavra_recovery.server.storage.evidence.intake import (
    record_closure,
    record_evidence_batch,
    record_playbook,
    record_retry_execution,
)
from cavra_recovery.server.storage.evidence.reads import (
    get_closure,
    get_playbook,
    get_retry_execution,
    list_closures,
    list_playbooks,
    list_retry_executions,
)

__all__ = [
    "get_closure",
    "get_playbook",
    "get_retry_execution",
    "list_closures",
    "list_playbooks",
    "list_retry_executions",
    "record_closure",
    "record_evidence_batch",
    "record_playbook",
    "record_retry_execution",
]
