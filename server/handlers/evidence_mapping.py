"""EvidenceService proto <-> domain mapping, with every input check of the evidence RPCs in one place.

Each `*_from_request` function walks the whole request, collects every violation under its full proto
path (`records[17].closure.closed_at`) and raises one InvalidArgument; the domain and storage only
ever see well-formed records.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TypeVar

from google.protobuf import timestamp_pb2

from cavra.recovery.v1 import common_pb2, evidence_pb2
from cavra_recovery.server.domain.errors import FieldViolation, InvalidArgument
from cavra_recovery.server.domain.evidence import (
    ClosureState,
    ConnectorRecoveryPlaybook,
    EvidenceRecord,
    ExecutionStatus,
    PlaybookProvider,
    ProviderCategory,
    RecoveryClosure,
    RetryExecution,
    category_for_provider,
)
from cavra_recovery.server.domain.validation import (
    BATCH_MAX_RECORDS,
    EARLIEST_TIME,
    LATEST_TIME,
    LOOKBACK_HOURS_MAX,
    PROVIDERS_PER_PLAYBOOK_MAX,
    STATUS_CODES_MAX,
    VERIFICATION_REF_MAX_LENGTH,
    VERIFICATION_REFS_MAX,
    Violations,
)

# Violations reported per error: a 5,000-record batch of garbage must still fit in gRPC trailers.
MAX_REPORTED_VIOLATIONS = 25
ALL_PLAYBOOKS = "-"
ID_FIELD = {"retry_execution": "execution_id", "playbook": "playbook_id", "closure": "closure_id"}

E = TypeVar("E", bound=StrEnum)


def _enum_map(proto_enum: type[object], prefix: str, domain: type[E]) -> dict[int, E]:
    return {proto_enum.Value(f"{prefix}_{member.name}"): member for member in domain}  # type: ignore[attr-defined]


EXECUTION_STATUS_FROM_PROTO = _enum_map(common_pb2.ExecutionStatus, "EXECUTION_STATUS", ExecutionStatus)
PROVIDER_CATEGORY_FROM_PROTO = _enum_map(common_pb2.ProviderCategory, "PROVIDER_CATEGORY", ProviderCategory)
CLOSURE_STATE_FROM_PROTO = _enum_map(common_pb2.ClosureState, "CLOSURE_STATE", ClosureState)
EXECUTION_STATUS_TO_PROTO = {member: value for value, member in EXECUTION_STATUS_FROM_PROTO.items()}
PROVIDER_CATEGORY_TO_PROTO = {member: value for value, member in PROVIDER_CATEGORY_FROM_PROTO.items()}
CLOSURE_STATE_TO_PROTO = {member: value for value, member in CLOSURE_STATE_FROM_PROTO.items()}


def category_name(category: ProviderCategory) -> str:
    return str(common_pb2.ProviderCategory.Name(PROVIDER_CATEGORY_TO_PROTO[category]))


_EARLIEST_SECONDS, _LATEST_SECONDS = EARLIEST_TIME.timestamp(), LATEST_TIME.timestamp()


class EvidenceChecks(Violations):
    """Violations plus the proto-shaped checks (timestamps, enums) of this service."""

    def timestamp(self, field: str, message: object, name: str, *, required: bool) -> datetime | None:
        if not message.HasField(name):  # type: ignore[attr-defined]
            if required:
                self.add(field, "is required")
            return None
        stamp: timestamp_pb2.Timestamp = getattr(message, name)
        if not 0 <= stamp.nanos < 1_000_000_000:
            self.add(field, "has nanos outside [0, 1e9)")
            return None
        if not _EARLIEST_SECONDS <= stamp.seconds < _LATEST_SECONDS:
            self.add(field, f"must be between {EARLIEST_TIME:%Y-%m-%d} and {LATEST_TIME:%Y-%m-%d} (UTC)")
            return None
        moment = datetime.fromtimestamp(stamp.seconds, UTC)
        # Storage keeps microseconds on SQLite and PostgreSQL alike; finer precision is dropped here, once.
        return moment.replace(microsecond=stamp.nanos // 1000) if stamp.nanos >= 1000 else moment

    def enum(self, field: str, value: int, known: Mapping[int, E], *, required: bool) -> E | None:
        if value == 0:
            if required:
                self.add(field, "is required (must not be UNSPECIFIED)")
            return None
        member = known.get(value)
        if member is None:
            self.add(field, f"has unknown value {value}")
        return member

    def raise_if_any(self) -> None:
        items = self.items
        if not items:
            return
        reported = list(items[:MAX_REPORTED_VIOLATIONS])
        if len(items) > MAX_REPORTED_VIOLATIONS:
            reported.append(
                FieldViolation("", f"{len(items) - MAX_REPORTED_VIOLATIONS} more violations not shown")
            )
        summary = "; ".join(f"{v.field}: {v.description}" for v in items[:3])
        if len(items) > 3:
            summary += f" (and {len(items) - 3} more)"
        raise InvalidArgument(reported, message=f"invalid request: {summary}")


def _retry_execution(
    checks: EvidenceChecks, path: str, message: evidence_pb2.RetryExecution
) -> RetryExecution | None:
    before = len(checks)
    execution_id = checks.require_id(f"{path}.execution_id", message.execution_id)
    provider = checks.require_provider(f"{path}.provider", message.provider)
    status = checks.enum(
        f"{path}.execution_status", message.execution_status, EXECUTION_STATUS_FROM_PROTO, required=True
    )
    executed_at = checks.timestamp(f"{path}.executed_at", message, "executed_at", required=True)
    for name in ("run_id", "retry_plan_id", "approval_decision_id", "delivery_id", "audit_id"):
        if value := getattr(message, name):  # optional: empty is valid (and the usual case)
            checks.check_id(f"{path}.{name}", value)
    checks.check_text(f"{path}.skipped_reason", message.skipped_reason)
    if len(checks) > before or status is None or executed_at is None:
        return None
    return RetryExecution(
        execution_id=execution_id,
        provider=provider,
        execution_status=status,
        executed_at=executed_at,
        run_id=message.run_id,
        retry_plan_id=message.retry_plan_id,
        approval_decision_id=message.approval_decision_id,
        delivery_id=message.delivery_id,
        audit_id=message.audit_id,
        delivery_success=message.delivery_success,
        skipped_reason=message.skipped_reason,
    )


def _playbook_provider(
    checks: EvidenceChecks, path: str, message: evidence_pb2.PlaybookProvider
) -> PlaybookProvider | None:
    before = len(checks)
    provider = checks.require_provider(f"{path}.provider", message.provider)
    category = checks.enum(f"{path}.category", message.category, PROVIDER_CATEGORY_FROM_PROTO, required=False)
    checks.check_count(f"{path}.failure_count", message.failure_count)
    latest_failure_at = checks.timestamp(
        f"{path}.latest_failure_at", message, "latest_failure_at", required=False
    )
    if len(message.status_codes) > STATUS_CODES_MAX:
        checks.add(f"{path}.status_codes", f"must have at most {STATUS_CODES_MAX} entries")
    for index, code in enumerate(message.status_codes[:STATUS_CODES_MAX]):
        if not 100 <= code <= 599:
            checks.add(f"{path}.status_codes[{index}]", "must be an HTTP status code (100-599)")
    if len(checks) > before:
        return None
    derived = category_for_provider(provider)
    # SPEC §3 derives the category from the provider; a caller's different one would silently re-route.
    if category is not None and category is not derived:
        checks.add(
            f"{path}.category",
            f"must be unspecified or {category_name(derived)}: the category of provider {provider!r} is "
            "derived from its name",
        )
        return None
    return PlaybookProvider(
        provider=provider,
        category=derived,
        failure_count=message.failure_count,
        latest_failure_at=latest_failure_at,
        status_codes=tuple(message.status_codes),
    )


def _playbook(
    checks: EvidenceChecks, path: str, message: evidence_pb2.ConnectorRecoveryPlaybook
) -> ConnectorRecoveryPlaybook | None:
    before = len(checks)
    playbook_id = checks.require_id(f"{path}.playbook_id", message.playbook_id)
    generated_at = checks.timestamp(f"{path}.generated_at", message, "generated_at", required=True)
    checks.check_count(f"{path}.lookback_hours", message.lookback_hours, LOOKBACK_HOURS_MAX)
    checks.check_count(f"{path}.min_failure_count", message.min_failure_count)
    if not message.providers:
        checks.add(f"{path}.providers", "must have at least one provider entry")
    elif len(message.providers) > PROVIDERS_PER_PLAYBOOK_MAX:
        checks.add(f"{path}.providers", f"must have at most {PROVIDERS_PER_PLAYBOOK_MAX} entries")
    providers: list[PlaybookProvider] = []
    first_index: dict[str, int] = {}
    for index, entry in enumerate(message.providers[:PROVIDERS_PER_PLAYBOOK_MAX]):
        entry_path = f"{path}.providers[{index}]"
        if entry.provider in first_index:
            checks.add(
                f"{entry_path}.provider",
                f"duplicates {path}.providers[{first_index[entry.provider]}].provider",
            )
            continue
        if entry.provider:
            first_index[entry.provider] = index
        provider = _playbook_provider(checks, entry_path, entry)
        if provider is not None:
            providers.append(provider)
    if len(checks) > before or generated_at is None:
        return None
    return ConnectorRecoveryPlaybook(
        playbook_id=playbook_id,
        generated_at=generated_at,
        providers=tuple(providers),
        lookback_hours=message.lookback_hours,
        min_failure_count=message.min_failure_count,
    )


def _closure(
    checks: EvidenceChecks,
    path: str,
    message: evidence_pb2.RecoveryClosure,
    path_playbook_id: str | None,
    identity: str | None,
) -> RecoveryClosure | None:
    """`path_playbook_id` is the playbook named by the request path (None inside a batch); `identity`
    the caller's token name (None with auth off)."""
    before = len(checks)
    closure_id = checks.require_id(f"{path}.closure_id", message.closure_id)
    playbook_id = message.playbook_id
    if path_playbook_id is None:
        checks.require_id(f"{path}.playbook_id", playbook_id)
    elif playbook_id and playbook_id != path_playbook_id:
        checks.add(f"{path}.playbook_id", "must be empty or match the playbook_id of the request path")
    else:
        playbook_id = path_playbook_id
    provider = checks.require_provider(f"{path}.provider", message.provider)
    state = checks.enum(
        f"{path}.closure_state", message.closure_state, CLOSURE_STATE_FROM_PROTO, required=True
    )
    closed_by = checks.check_actor(f"{path}.closed_by", message.closed_by, identity)
    closed_at = checks.timestamp(f"{path}.closed_at", message, "closed_at", required=True)
    checks.check_text(f"{path}.external_ref", message.external_ref)
    checks.check_text(f"{path}.notes", message.notes)
    if len(message.verification_refs) > VERIFICATION_REFS_MAX:
        checks.add(f"{path}.verification_refs", f"must have at most {VERIFICATION_REFS_MAX} entries")
    for index, ref in enumerate(message.verification_refs[:VERIFICATION_REFS_MAX]):
        if not ref:
            checks.add(f"{path}.verification_refs[{index}]", "must not be empty")
        else:
            checks.check_text(f"{path}.verification_refs[{index}]", ref, VERIFICATION_REF_MAX_LENGTH)
    if len(checks) > before or state is None or closed_at is None:
        return None
    return RecoveryClosure(
        closure_id=closure_id,
        playbook_id=playbook_id,
        provider=provider,
        closure_state=state,
        closed_at=closed_at,
        closed_by=closed_by,
        external_ref=message.external_ref,
        notes=message.notes,
        verification_refs=tuple(message.verification_refs),
    )


def _request_id(checks: EvidenceChecks, value: str) -> None:
    checks.check_id("request_id", value)


def retry_execution_from_request(request: evidence_pb2.RecordRetryExecutionRequest) -> RetryExecution:
    checks = EvidenceChecks()
    _request_id(checks, request.request_id)
    execution = None
    if not request.HasField("retry_execution"):
        checks.add("retry_execution", "is required")
    else:
        execution = _retry_execution(checks, "retry_execution", request.retry_execution)
    checks.raise_if_any()
    assert execution is not None
    return execution


def playbook_from_request(
    request: evidence_pb2.RecordConnectorRecoveryPlaybookRequest,
) -> ConnectorRecoveryPlaybook:
    checks = EvidenceChecks()
    _request_id(checks, request.request_id)
    playbook = None
    if not request.HasField("playbook"):
        checks.add("playbook", "is required")
    else:
        playbook = _playbook(checks, "playbook", request.playbook)
    checks.raise_if_any()
    assert playbook is not None
    return playbook


def closure_from_request(
    request: evidence_pb2.RecordRecoveryClosureRequest, identity: str | None
) -> RecoveryClosure:
    checks = EvidenceChecks()
    _request_id(checks, request.request_id)
    checks.require_id("playbook_id", request.playbook_id)
    closure = None
    if not request.HasField("closure"):
        checks.add("closure", "is required")
    else:
        closure = _closure(checks, "closure", request.closure, request.playbook_id, identity)
    checks.raise_if_any()
    assert closure is not None
    return closure


@dataclass(frozen=True, slots=True)
class EvidenceBatch:
    records: tuple[EvidenceRecord, ...]
    # paths[i]: the proto path of records[i], for error metadata (`records[17].closure`).
    paths: tuple[str, ...]


def batch_from_request(
    request: evidence_pb2.BatchRecordEvidenceRequest, identity: str | None
) -> EvidenceBatch:
    checks = EvidenceChecks()
    _request_id(checks, request.request_id)
    if not request.records:
        checks.add("records", "must have at least one record")
    elif len(request.records) > BATCH_MAX_RECORDS:
        checks.add("records", f"must have at most {BATCH_MAX_RECORDS} records")
        checks.raise_if_any()
    records: list[EvidenceRecord] = []
    paths: list[str] = []
    first_seen: dict[tuple[type[object], str], tuple[int, str, EvidenceRecord]] = {}
    for index, entry in enumerate(request.records):
        kind = entry.WhichOneof("record")
        path = f"records[{index}].{kind}"
        record: EvidenceRecord | None
        if kind == "retry_execution":
            record = _retry_execution(checks, path, entry.retry_execution)
        elif kind == "playbook":
            record = _playbook(checks, path, entry.playbook)
        elif kind == "closure":
            record = _closure(checks, path, entry.closure, None, identity)
        else:
            checks.add(f"records[{index}]", "must set one of retry_execution, playbook, closure")
            continue
        if record is None:
            continue
        key = (type(record), record.record_id)
        earlier = first_seen.get(key)
        if earlier is None:
            first_seen[key] = (index, path, record)
        elif earlier[2].content_digest() != record.content_digest():
            checks.add(f"{path}.{ID_FIELD[kind]}", f"has the same id as {earlier[1]} with different content")
        records.append(record)
        paths.append(path)
    checks.raise_if_any()
    return EvidenceBatch(tuple(records), tuple(paths))
