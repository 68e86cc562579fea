"""Every google.rpc.ErrorInfo.reason this service answers with, in one closed set (docs/errors.md).

A reason is stable API: clients branch on it, so a value is never renamed, only added. Nothing else
in the server spells a reason: errors take a `Reason`, and a NOT_FOUND's reason is derived from the
`Resource` that was looked up (`<RESOURCE>_NOT_FOUND`).
"""

from __future__ import annotations

from enum import Enum, StrEnum

ERROR_DOMAIN = "recovery.cavra.dev"


class Reason(StrEnum):
    """ErrorInfo.reason values, grouped by the gRPC code they come with."""

    # NOT_FOUND: one per Resource, `<RESOURCE>_NOT_FOUND`.
    ESCALATION_PLAN_NOT_FOUND = "ESCALATION_PLAN_NOT_FOUND"
    DELIVERY_NOT_FOUND = "DELIVERY_NOT_FOUND"
    DELIVERY_EVIDENCE_NOT_FOUND = "DELIVERY_EVIDENCE_NOT_FOUND"
    RETRY_RECOVERY_REPORT_NOT_FOUND = "RETRY_RECOVERY_REPORT_NOT_FOUND"
    EXECUTIVE_REPORT_NOT_FOUND = "EXECUTIVE_REPORT_NOT_FOUND"
    SCHEDULE_RUN_NOT_FOUND = "SCHEDULE_RUN_NOT_FOUND"
    RETRY_EXECUTION_NOT_FOUND = "RETRY_EXECUTION_NOT_FOUND"
    PLAYBOOK_NOT_FOUND = "PLAYBOOK_NOT_FOUND"
    RECOVERY_CLOSURE_NOT_FOUND = "RECOVERY_CLOSURE_NOT_FOUND"
    SILENCE_NOT_FOUND = "SILENCE_NOT_FOUND"
    LEDGER_CHECKPOINT_NOT_FOUND = "LEDGER_CHECKPOINT_NOT_FOUND"
    LEDGER_ENTRY_NOT_FOUND = "LEDGER_ENTRY_NOT_FOUND"

    # INVALID_ARGUMENT (always with google.rpc.BadRequest field violations).
    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    MALFORMED_REQUEST = "MALFORMED_REQUEST"
    REQUEST_ID_REUSED = "REQUEST_ID_REUSED"
    PROVIDER_NOT_IN_PLAN = "PROVIDER_NOT_IN_PLAN"
    UNKNOWN_RECEIVER = "UNKNOWN_RECEIVER"

    # FAILED_PRECONDITION
    CONNECTORS_NOT_CONFIGURED = "CONNECTORS_NOT_CONFIGURED"
    REQUEST_ID_INCOMPLETE = "REQUEST_ID_INCOMPLETE"
    PROVIDER_NOT_IN_PLAYBOOK = "PROVIDER_NOT_IN_PLAYBOOK"
    DELIVERY_NOT_REPLAYABLE = "DELIVERY_NOT_REPLAYABLE"
    LEDGER_NOT_SEALED = "LEDGER_NOT_SEALED"

    # ALREADY_EXISTS
    EVIDENCE_CONFLICT = "EVIDENCE_CONFLICT"
    EVIDENCE_RACE = "EVIDENCE_RACE"

    # UNAVAILABLE (with google.rpc.RetryInfo): retry the same request, with the same request_id.
    DATABASE_UNAVAILABLE = "DATABASE_UNAVAILABLE"

    # RESOURCE_EXHAUSTED (with google.rpc.RetryInfo): this identity's rate limit (server/rate_limit.py).
    RATE_LIMITED = "RATE_LIMITED"

    # UNAUTHENTICATED / PERMISSION_DENIED (server/auth.py)
    CREDENTIALS_MISSING = "CREDENTIALS_MISSING"
    CREDENTIALS_MALFORMED = "CREDENTIALS_MALFORMED"
    CREDENTIALS_INVALID = "CREDENTIALS_INVALID"
    ROLE_REQUIRED = "ROLE_REQUIRED"
    CLIENT_CERTIFICATE_MISMATCH = "CLIENT_CERTIFICATE_MISMATCH"

    # UNIMPLEMENTED / INTERNAL (server/handlers/errors.py)
    UNIMPLEMENTED = "UNIMPLEMENTED"
    INTERNAL = "INTERNAL"


class Resource(Enum):
    """A stored resource looked up by id: its name in error text and the metadata key of its id."""

    ESCALATION_PLAN = ("escalation plan", "plan_id")
    DELIVERY = ("delivery", "delivery_id")
    DELIVERY_EVIDENCE = ("delivery evidence", "delivery_evidence_id")
    RETRY_RECOVERY_REPORT = ("retry recovery report", "report_id")
    EXECUTIVE_REPORT = ("executive report", "report_id")
    SCHEDULE_RUN = ("schedule run", "run_id")
    RETRY_EXECUTION = ("retry execution", "execution_id")
    PLAYBOOK = ("connector recovery playbook", "playbook_id")
    RECOVERY_CLOSURE = ("recovery closure", "closure_id")
    SILENCE = ("escalation silence", "silence_id")
    LEDGER_CHECKPOINT = ("ledger checkpoint", "tree_size")
    LEDGER_ENTRY = ("ledger entry", "record_id")

    def __init__(self, noun: str, id_key: str) -> None:
        self.noun = noun
        self.id_key = id_key

    @property
    def not_found(self) -> Reason:
        return Reason[f"{self.name}_NOT_FOUND"]
