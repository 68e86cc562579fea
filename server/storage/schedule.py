"""Scheduled executive report runs: exactly one run per (interval, window), whatever the number of replicas.

The unique constraint on (interval_minutes, window_start) decides: every replica may build the
report, only the first insert wins; the others roll back to a savepoint, read the winner's run and
answer `created = false`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cavra_recovery.server.domain.errors import NotFound
from cavra_recovery.server.domain.executive_report import ScheduleRun
from cavra_recovery.server.domain.paging import PageCursor, PageRequest
from cavra_recovery.server.domain.reasons import Resource
from cavra_recovery.server.storage.models import ScheduleRunRecord


def _run(record: ScheduleRunRecord) -> ScheduleRun:
    return ScheduleRun(
        run_id=record.run_id,
        window_start=record.window_start,
        window_end=record.window_end,
        interval_minutes=record.interval_minutes,
        report_id=record.report_id,
        created_at=record.created_at,
    )


def run_in_window(session: Session, *, interval_minutes: int, window_start: datetime) -> ScheduleRun | None:
    record = session.scalars(
        select(ScheduleRunRecord).where(
            ScheduleRunRecord.interval_minutes == interval_minutes,
            ScheduleRunRecord.window_start == window_start,
        )
    ).first()
    return None if record is None else _run(record)


@dataclass(frozen=True, slots=True)
class ScheduleRunOutcome:
    run: ScheduleRun
    created: bool


def claim_window(session: Session, run: ScheduleRun) -> ScheduleRunOutcome:
    """Insert `run` for its window, or return the run another replica stored first (`created` False)."""
    record = ScheduleRunRecord(
        run_id=run.run_id,
        interval_minutes=run.interval_minutes,
        window_start=run.window_start,
        window_end=run.window_end,
        report_id=run.report_id,
        created_at=run.created_at,
    )
    try:
        with session.begin_nested():
            session.add(record)
            session.flush()
        return ScheduleRunOutcome(_run(record), created=True)
    except IntegrityError:
        winner = run_in_window(session, interval_minutes=run.interval_minutes, window_start=run.window_start)
        if winner is None:
            raise
        return ScheduleRunOutcome(winner, created=False)


def get_schedule_run(session: Session, *, run_id: str) -> ScheduleRun:
    record = session.scalars(select(ScheduleRunRecord).where(ScheduleRunRecord.run_id == run_id)).first()
    if record is None:
        raise NotFound(Resource.SCHEDULE_RUN, run_id)
    return _run(record)


@dataclass(frozen=True, slots=True)
class ScheduleRunPage:
    runs: tuple[ScheduleRun, ...]
    # None when this is the last page.
    next_cursor: PageCursor | None
    total_size: int


def list_schedule_runs(session: Session, *, page: PageRequest) -> ScheduleRunPage:
    """Runs, newest first, keyset-paged on the surrogate id."""
    run = ScheduleRunRecord
    total = session.scalar(select(func.count()).select_from(run)) or 0
    statement = select(run).order_by(run.id.desc()).limit(page.page_size + 1)
    if page.after is not None:
        statement = statement.where(run.id < page.after.row_id)
    records = list(session.scalars(statement))
    has_more = len(records) > page.page_size
    records = records[: page.page_size]
    next_cursor = PageCursor(records[-1].id) if has_more else None
    return ScheduleRunPage(tuple(_run(r) for r in records), next_cursor, int(total))
