"""Scheduled executive report runs: exactly one run per (interval, window), whatever the number of replicas.

The unique constraint on (interval_minutes, window_start) decides: every replica may build the
report, only the first insert wins; the others roll back to a savepoint, read the winner's run and
answer `created = false`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.domain.errors import NotFound
from server.domain.executive_report import ScheduleRun, schedule_window
from server.domain.paging import PageCursor, PageRequest
from server.storage import reports as report_storage
from server.storage.models import IdempotencyRecord, ScheduleRunRecord

RUN_METHOD = "ReportService.RunExecutiveReportSchedule"


def _run(record: ScheduleRunRecord) -> ScheduleRun:
    return ScheduleRun(
        run_id=record.run_id,
        window_start=record.window_start,
        window_end=record.window_end,
        interval_minutes=record.interval_minutes,
        report_id=record.report_id,
        created_at=record.created_at,
    )


def _run_in_window(
    session: Session, interval_minutes: int, window_start: datetime
) -> ScheduleRunRecord | None:
    return session.scalars(
        select(ScheduleRunRecord).where(
            ScheduleRunRecord.interval_minutes == interval_minutes,
            ScheduleRunRecord.window_start == window_start,
        )
    ).first()


def _run_for_request(session: Session, request_id: str) -> ScheduleRun | None:
    document = session.scalars(
        select(IdempotencyRecord.response_document).where(
            IdempotencyRecord.method == RUN_METHOD, IdempotencyRecord.request_id == request_id
        )
    ).first()
    return None if document is None else get_schedule_run(session, run_id=document["run_id"])


def _remember_request(session: Session, request_id: str, run: ScheduleRun, now: datetime) -> None:
    try:
        with session.begin_nested():
            session.add(
                IdempotencyRecord(
                    method=RUN_METHOD,
                    request_id=request_id,
                    request_digest=hashlib.sha256(request_id.encode()).hexdigest(),
                    response_document={"run_id": run.run_id},
                    created_at=now,
                )
            )
            session.flush()
    except IntegrityError:
        # The same request_id raced in from another replica; whichever run it recorded is the same window's.
        pass


@dataclass(frozen=True, slots=True)
class ScheduleRunOutcome:
    run: ScheduleRun
    created: bool


def run_executive_report_schedule(
    session: Session,
    *,
    now: datetime,
    interval_minutes: int,
    recovery_slo_minutes: int,
    generated_by: str,
    request_id: str = "",
    connector_config: Any = None,
) -> ScheduleRunOutcome:
    """The run of the window holding `now`: created with a fresh executive report, or the existing one."""
    if request_id:
        remembered = _run_for_request(session, request_id)
        if remembered is not None:
            return ScheduleRunOutcome(remembered, created=False)
    window_start, window_end = schedule_window(now, interval_minutes)
    existing = _run_in_window(session, interval_minutes, window_start)
    if existing is not None:
        return ScheduleRunOutcome(_run(existing), created=False)
    report = report_storage.build_executive_report(
        session,
        now=now,
        recovery_slo_minutes=recovery_slo_minutes,
        generated_by=generated_by,
        connector_config=connector_config,
    )
    record = ScheduleRunRecord(
        run_id=report_storage.new_id("run"),
        interval_minutes=interval_minutes,
        window_start=window_start,
        window_end=window_end,
        report_id=report.report_id,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(record)
            session.flush()
        outcome = ScheduleRunOutcome(_run(record), created=True)
    except IntegrityError:
        winner = _run_in_window(session, interval_minutes, window_start)
        if winner is None:
            raise
        outcome = ScheduleRunOutcome(_run(winner), created=False)
    if request_id:
        _remember_request(session, request_id, outcome.run, now)
    return outcome


def get_schedule_run(session: Session, *, run_id: str) -> ScheduleRun:
    record = session.scalars(select(ScheduleRunRecord).where(ScheduleRunRecord.run_id == run_id)).first()
    if record is None:
        raise NotFound(f"schedule run {run_id!r} not found", metadata={"run_id": run_id})
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
