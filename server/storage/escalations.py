"""Escalations under a policy, their steps, and silences (docs/escalation-policies.md).

Plain functions on the caller's session; none commits. `claim_step` is the exactly-once guard: the
unique (plan, route, step) lets one replica insert a step, the others roll back to a savepoint.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cavra_recovery.server.domain.errors import NotFound
from cavra_recovery.server.domain.escalation_policy import EscalationStatus, Silence
from cavra_recovery.server.domain.paging import PageCursor, PageRequest
from cavra_recovery.server.domain.reasons import Resource
from cavra_recovery.server.storage.escalation_tables import (
    EscalationRecord,
    EscalationStepRecord,
    SilenceRecord,
)
from cavra_recovery.server.storage.models import RecoveryClosureRecord

CLOSING_STATES = ("resolved", "mitigated")


@dataclass(frozen=True, slots=True)
class StoredEscalation:
    plan_id: str
    dedup_key: str
    provider: str
    severity: str
    category: str
    playbook_id: str
    policy: str
    status: str
    current_step: int
    current_step_at: datetime
    next_step_at: datetime | None
    started_at: datetime
    stopped_at: datetime | None
    stop_reason: str


@dataclass(frozen=True, slots=True)
class StoredStep:
    plan_id: str
    dedup_key: str
    step: int
    level: int
    cycle: int
    reason: str
    receivers: tuple[str, ...]
    outcome: str
    suppressed_by: str
    delivery_evidence_id: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class StoredSilence:
    silence_id: str
    provider: str
    category: str
    severity: str
    starts_at: datetime
    ends_at: datetime
    comment: str
    created_by: str
    created_at: datetime
    expired_at: datetime | None
    expired_by: str

    def rule(self) -> Silence:
        matchers = {
            key: value
            for key, value in (
                ("provider", self.provider),
                ("category", self.category),
                ("severity", self.severity),
            )
            if value
        }
        return Silence(self.silence_id, matchers, self.starts_at, self.ends_at, self.expired_at)


def _escalation(record: EscalationRecord) -> StoredEscalation:
    return StoredEscalation(
        plan_id=record.plan_id,
        dedup_key=record.dedup_key,
        provider=record.provider,
        severity=record.severity,
        category=record.category,
        playbook_id=record.playbook_id,
        policy=record.policy,
        status=record.status,
        current_step=record.current_step,
        current_step_at=record.current_step_at,
        next_step_at=record.next_step_at,
        started_at=record.started_at,
        stopped_at=record.stopped_at,
        stop_reason=record.stop_reason,
    )


def _step(record: EscalationStepRecord) -> StoredStep:
    return StoredStep(
        plan_id=record.plan_id,
        dedup_key=record.dedup_key,
        step=record.step,
        level=record.level,
        cycle=record.cycle,
        reason=record.reason,
        receivers=tuple(record.receivers or ()),
        outcome=record.outcome,
        suppressed_by=record.suppressed_by,
        delivery_evidence_id=record.delivery_evidence_id,
        created_at=record.created_at,
    )


def _silence(record: SilenceRecord) -> StoredSilence:
    return StoredSilence(
        silence_id=record.silence_id,
        provider=record.provider,
        category=record.category,
        severity=record.severity,
        starts_at=record.starts_at,
        ends_at=record.ends_at,
        comment=record.comment,
        created_by=record.created_by,
        created_at=record.created_at,
        expired_at=record.expired_at,
        expired_by=record.expired_by,
    )


def start_escalation(session: Session, escalation: StoredEscalation) -> bool:
    """Store a new escalation at its first step; False when the (plan, route) already has one."""
    try:
        with session.begin_nested():
            session.add(
                EscalationRecord(
                    plan_id=escalation.plan_id,
                    dedup_key=escalation.dedup_key,
                    provider=escalation.provider,
                    severity=escalation.severity,
                    category=escalation.category,
                    playbook_id=escalation.playbook_id,
                    policy=escalation.policy,
                    status=escalation.status,
                    current_step=escalation.current_step,
                    current_step_at=escalation.current_step_at,
                    next_step_at=escalation.next_step_at,
                    started_at=escalation.started_at,
                    stopped_at=None,
                    stop_reason="",
                )
            )
            session.flush()
        return True
    except IntegrityError:
        return False


def claim_step(session: Session, step: StoredStep) -> bool:
    """Insert the step; False when another replica (or an earlier tick) already notified it."""
    try:
        with session.begin_nested():
            session.add(
                EscalationStepRecord(
                    plan_id=step.plan_id,
                    dedup_key=step.dedup_key,
                    step=step.step,
                    level=step.level,
                    cycle=step.cycle,
                    reason=step.reason,
                    receivers=list(step.receivers),
                    outcome=step.outcome,
                    suppressed_by=step.suppressed_by,
                    delivery_evidence_id=step.delivery_evidence_id,
                    created_at=step.created_at,
                )
            )
            session.flush()
        return True
    except IntegrityError:
        return False


def record_step_delivery(
    session: Session, *, plan_id: str, dedup_key: str, step: int, delivery_evidence_id: str
) -> None:
    session.execute(
        update(EscalationStepRecord)
        .where(
            EscalationStepRecord.plan_id == plan_id,
            EscalationStepRecord.dedup_key == dedup_key,
            EscalationStepRecord.step == step,
        )
        .values(delivery_evidence_id=delivery_evidence_id)
    )


def active_escalations(session: Session, *, limit: int) -> list[StoredEscalation]:
    """Active escalations, the soonest due first (a stop is looked for on every one of them)."""
    records = session.scalars(
        select(EscalationRecord)
        .where(EscalationRecord.status == EscalationStatus.ACTIVE.value)
        .order_by(EscalationRecord.next_step_at, EscalationRecord.id)
        .limit(limit)
    )
    return [_escalation(record) for record in records]


def move_escalation(
    session: Session,
    *,
    plan_id: str,
    dedup_key: str,
    from_step: int,
    status: str,
    current_step: int,
    current_step_at: datetime,
    next_step_at: datetime | None,
    now: datetime,
    stop_reason: str = "",
) -> bool:
    """Move an active escalation on from `from_step`; False when someone else already moved it."""
    stopped = status != EscalationStatus.ACTIVE.value
    result = session.execute(
        update(EscalationRecord)
        .where(
            EscalationRecord.plan_id == plan_id,
            EscalationRecord.dedup_key == dedup_key,
            EscalationRecord.status == EscalationStatus.ACTIVE.value,
            EscalationRecord.current_step == from_step,
        )
        .values(
            status=status,
            current_step=current_step,
            current_step_at=current_step_at,
            next_step_at=next_step_at,
            stopped_at=now if stopped else None,
            stop_reason=stop_reason,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def escalations_of_plan(session: Session, *, plan_id: str) -> tuple[list[StoredEscalation], list[StoredStep]]:
    escalations = session.scalars(
        select(EscalationRecord).where(EscalationRecord.plan_id == plan_id).order_by(EscalationRecord.id)
    )
    steps = session.scalars(
        select(EscalationStepRecord)
        .where(EscalationStepRecord.plan_id == plan_id)
        .order_by(EscalationStepRecord.dedup_key, EscalationStepRecord.step)
    )
    return [_escalation(record) for record in escalations], [_step(record) for record in steps]


def closed_recoveries(session: Session, keys: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """The (playbook, provider) pairs whose latest closure is resolved or mitigated."""
    wanted = {key for key in keys if key[0]}
    if not wanted:
        return set()
    closure = RecoveryClosureRecord
    rows = session.execute(
        select(closure.playbook_id, closure.provider, closure.closure_state)
        .where(closure.playbook_id.in_({playbook for playbook, _ in wanted}))
        .order_by(closure.playbook_id, closure.provider, closure.closed_at, closure.id)
    ).all()
    latest = {(playbook, provider): state for playbook, provider, state in rows}
    return {key for key in wanted if latest.get(key) in CLOSING_STATES}


def add_silence(session: Session, silence: StoredSilence) -> StoredSilence:
    record = SilenceRecord(
        silence_id=silence.silence_id,
        provider=silence.provider,
        category=silence.category,
        severity=silence.severity,
        starts_at=silence.starts_at,
        ends_at=silence.ends_at,
        comment=silence.comment,
        created_by=silence.created_by,
        created_at=silence.created_at,
        expired_at=None,
        expired_by="",
    )
    session.add(record)
    session.flush()
    return _silence(record)


def get_silence(session: Session, *, silence_id: str) -> StoredSilence:
    record = session.scalars(select(SilenceRecord).where(SilenceRecord.silence_id == silence_id)).first()
    if record is None:
        raise NotFound(Resource.SILENCE, silence_id)
    return _silence(record)


def expire_silence(session: Session, *, silence_id: str, expired_by: str, now: datetime) -> StoredSilence:
    """Expire a silence now (an already expired or ended one stays as it is): never deleted."""
    record = session.scalars(select(SilenceRecord).where(SilenceRecord.silence_id == silence_id)).first()
    if record is None:
        raise NotFound(Resource.SILENCE, silence_id)
    if record.expired_at is None and record.ends_at > now:
        record.expired_at = now
        record.expired_by = expired_by
        session.flush()
    return _silence(record)


def silences_in_force(session: Session, *, now: datetime) -> list[StoredSilence]:
    """Silences that have not ended and are not expired (some may start later)."""
    records = session.scalars(
        select(SilenceRecord)
        .where(SilenceRecord.ends_at > now, SilenceRecord.expired_at.is_(None))
        .order_by(SilenceRecord.id)
    )
    return [_silence(record) for record in records]


@dataclass(frozen=True, slots=True)
class SilencePage:
    silences: tuple[StoredSilence, ...]
    next_cursor: PageCursor | None
    total_size: int


def list_silences(session: Session, *, page: PageRequest, active_at: datetime | None) -> SilencePage:
    """Silences, newest first, keyset-paged; with `active_at`, only those in force at that instant."""
    silence = SilenceRecord
    where = []
    if active_at is not None:
        where = [
            silence.starts_at <= active_at,
            silence.ends_at > active_at,
            or_(silence.expired_at.is_(None), silence.expired_at > active_at),
        ]
    total = session.scalar(select(func.count()).select_from(silence).where(and_(True, *where))) or 0
    statement = select(silence).where(*where).order_by(silence.id.desc()).limit(page.page_size + 1)
    if page.after is not None:
        statement = statement.where(silence.id < page.after.row_id)
    records = list(session.scalars(statement))
    has_more = len(records) > page.page_size
    records = records[: page.page_size]
    next_cursor = PageCursor(records[-1].id) if has_more else None
    return SilencePage(tuple(_silence(r) for r in records), next_cursor, int(total))
