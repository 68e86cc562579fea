"""Evidence reads: one record by id, and keyset-paged listings with filters (docs/paging.md).

Every function takes the caller's session and never commits.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Connection, Select, and_, bindparam, func, or_, select
from sqlalchemy.orm import Session

from cavra_recovery.server.domain.errors import NotFound
from cavra_recovery.server.domain.evidence import (
    ClosureFilter,
    ClosureState,
    ConnectorRecoveryPlaybook,
    ExecutionStatus,
    Page,
    PlaybookFilter,
    PlaybookProvider,
    ProviderCategory,
    RecoveryClosure,
    RetryExecution,
    RetryExecutionFilter,
    TimeRange,
)
from cavra_recovery.server.domain.paging import PageCursor, PageRequest
from cavra_recovery.server.domain.reasons import Resource
from cavra_recovery.server.storage.models import (
    PlaybookProviderRecord,
    PlaybookRecord,
    RecoveryClosureRecord,
    RetryExecutionRecord,
)

# Ids per `IN (…)` lookup: far below SQLite's and PostgreSQL's bound-parameter limits.
LOOKUP_CHUNK = 1_000

T = TypeVar("T")


def chunks(items: Sequence[T], size: int = LOOKUP_CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _execution_from_row(row: Any) -> RetryExecution:
    return RetryExecution(
        execution_id=row.execution_id,
        provider=row.provider,
        execution_status=ExecutionStatus(row.execution_status),
        executed_at=row.executed_at,
        run_id=row.run_id,
        retry_plan_id=row.retry_plan_id,
        approval_decision_id=row.approval_decision_id,
        delivery_id=row.delivery_id,
        audit_id=row.audit_id,
        delivery_success=row.delivery_success,
        skipped_reason=row.skipped_reason,
        recorded_at=row.recorded_at,
    )


def _provider_from_row(row: PlaybookProviderRecord) -> PlaybookProvider:
    return PlaybookProvider(
        provider=row.provider,
        category=ProviderCategory(row.category),
        failure_count=row.failure_count,
        latest_failure_at=row.latest_failure_at,
        status_codes=tuple(int(code) for code in row.status_codes),
    )


def _closure_from_row(row: RecoveryClosureRecord) -> RecoveryClosure:
    return RecoveryClosure(
        closure_id=row.closure_id,
        playbook_id=row.playbook_id,
        provider=row.provider,
        closure_state=ClosureState(row.closure_state),
        closed_by=row.closed_by,
        closed_at=row.closed_at,
        external_ref=row.external_ref,
        notes=row.notes,
        verification_refs=tuple(str(ref) for ref in row.verification_refs),
        recorded_at=row.recorded_at,
    )


def _playbooks_from_rows(session: Session, rows: Sequence[PlaybookRecord]) -> list[ConnectorRecoveryPlaybook]:
    entries: dict[str, list[PlaybookProvider]] = {row.playbook_id: [] for row in rows}
    for chunk in chunks(list(entries)):
        statement = select(PlaybookProviderRecord).where(PlaybookProviderRecord.playbook_id.in_(chunk))
        for entry in session.scalars(statement):
            entries[entry.playbook_id].append(_provider_from_row(entry))
    return [
        ConnectorRecoveryPlaybook(
            playbook_id=row.playbook_id,
            generated_at=row.generated_at,
            providers=tuple(entries[row.playbook_id]),
            lookback_hours=row.lookback_hours,
            min_failure_count=row.min_failure_count,
            recorded_at=row.recorded_at,
        )
        for row in rows
    ]


# A Core statement built once (its compiled form is cached by the engine): no ORM identity map per call.
_RETRY_EXECUTION_BY_ID = select(*RetryExecutionRecord.__table__.columns).where(
    RetryExecutionRecord.execution_id == bindparam("execution_id")
)


def get_retry_execution(session: Session | Connection, *, execution_id: str) -> RetryExecution:
    """One retry execution by its primary key, on a session or a bare pooled connection."""
    row = session.execute(_RETRY_EXECUTION_BY_ID, {"execution_id": execution_id}).first()
    if row is None:
        raise NotFound(Resource.RETRY_EXECUTION, execution_id)
    return _execution_from_row(row)


def get_playbook(session: Session, *, playbook_id: str) -> ConnectorRecoveryPlaybook:
    row = session.scalars(select(PlaybookRecord).where(PlaybookRecord.playbook_id == playbook_id)).first()
    if row is None:
        raise NotFound(Resource.PLAYBOOK, playbook_id)
    return _playbooks_from_rows(session, [row])[0]


def get_closure(session: Session, *, closure_id: str) -> RecoveryClosure:
    row = session.scalars(
        select(RecoveryClosureRecord).where(RecoveryClosureRecord.closure_id == closure_id)
    ).first()
    if row is None:
        raise NotFound(Resource.RECOVERY_CLOSURE, closure_id)
    return _closure_from_row(row)


def _time_conditions(column: Any, window: TimeRange) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if window.start is not None:
        conditions.append(column >= window.start)
    if window.end is not None:
        conditions.append(column < window.end)
    return conditions


def _after(sort_column: Any, id_column: Any, cursor: PageCursor | None) -> list[ColumnElement[bool]]:
    """Keyset condition for newest-first order; the first conjunct keeps the time index usable."""
    if cursor is None:
        return []
    if cursor.sort_time is None:
        raise ValueError("evidence listings are keyed by time: decode their tokens with keyed_by_time=True")
    return [
        sort_column <= cursor.sort_time,
        or_(sort_column < cursor.sort_time, and_(sort_column == cursor.sort_time, id_column < cursor.row_id)),
    ]


def _page(
    session: Session,
    model: type[Any],
    sort_column: Any,
    conditions: list[ColumnElement[bool]],
    page: PageRequest,
) -> tuple[list[Any], PageCursor | None, int]:
    total = session.execute(select(func.count()).select_from(model).where(*conditions)).scalar_one()
    statement: Select[Any] = (
        select(model)
        .where(*conditions, *_after(sort_column, model.id, page.after))
        .order_by(sort_column.desc(), model.id.desc())
        .limit(page.page_size + 1)
    )
    rows = list(session.scalars(statement))
    next_cursor = None
    if len(rows) > page.page_size:
        rows = rows[: page.page_size]
        last = rows[-1]
        next_cursor = PageCursor(last.id, getattr(last, sort_column.key))
    return rows, next_cursor, int(total)


def _execution_conditions(where: RetryExecutionFilter) -> list[ColumnElement[bool]]:
    conditions = _time_conditions(RetryExecutionRecord.executed_at, where.executed)
    if where.provider:
        conditions.append(RetryExecutionRecord.provider == where.provider)
    if where.execution_status is not None:
        conditions.append(RetryExecutionRecord.execution_status == where.execution_status.value)
    return conditions


def list_retry_executions(
    session: Session, *, where: RetryExecutionFilter, page: PageRequest
) -> Page[RetryExecution]:
    """Newest first by executed_at, keyset-paged, with the filtered total."""
    rows, next_cursor, total = _page(
        session, RetryExecutionRecord, RetryExecutionRecord.executed_at, _execution_conditions(where), page
    )
    return Page(tuple(_execution_from_row(row) for row in rows), next_cursor, total)


def _playbook_conditions(where: PlaybookFilter) -> list[ColumnElement[bool]]:
    conditions = _time_conditions(PlaybookRecord.generated_at, where.generated)
    if where.provider:
        with_provider = select(PlaybookProviderRecord.playbook_id).where(
            PlaybookProviderRecord.provider == where.provider
        )
        conditions.append(PlaybookRecord.playbook_id.in_(with_provider))
    return conditions


def list_playbooks(
    session: Session, *, where: PlaybookFilter, page: PageRequest
) -> Page[ConnectorRecoveryPlaybook]:
    """Newest first by generated_at, keyset-paged, each with its provider entries."""
    rows, next_cursor, total = _page(
        session, PlaybookRecord, PlaybookRecord.generated_at, _playbook_conditions(where), page
    )
    return Page(tuple(_playbooks_from_rows(session, rows)), next_cursor, total)


def _closure_conditions(where: ClosureFilter) -> list[ColumnElement[bool]]:
    conditions = _time_conditions(RecoveryClosureRecord.closed_at, where.closed)
    if where.playbook_id is not None:
        conditions.append(RecoveryClosureRecord.playbook_id == where.playbook_id)
    if where.provider:
        conditions.append(RecoveryClosureRecord.provider == where.provider)
    if where.closure_state is not None:
        conditions.append(RecoveryClosureRecord.closure_state == where.closure_state.value)
    return conditions


def list_closures(session: Session, *, where: ClosureFilter, page: PageRequest) -> Page[RecoveryClosure]:
    """Newest first by closed_at; a named playbook that is not stored is NOT_FOUND."""
    if where.playbook_id is not None:
        exists = session.execute(
            select(PlaybookRecord.id).where(PlaybookRecord.playbook_id == where.playbook_id)
        ).first()
        if exists is None:
            raise NotFound(Resource.PLAYBOOK, where.playbook_id)
    rows, next_cursor, total = _page(
        session, RecoveryClosureRecord, RecoveryClosureRecord.closed_at, _closure_conditions(where), page
    )
    return Page(tuple(_closure_from_row(row) for row in rows), next_cursor, total)
