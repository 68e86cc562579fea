"""Running an executive report schedule window: exactly one run per (interval, window), across replicas."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from google.protobuf.message import Message
from sqlalchemy.orm import Session

from cavra_recovery.connectors import ConnectorConfig
from cavra_recovery.server.domain.executive_report import ScheduleRun, schedule_window
from cavra_recovery.server.domain.ids import new_id
from cavra_recovery.server.operations.executive_reports import executive_report
from cavra_recovery.server.operations.idempotency import RequestKey, run_once
from cavra_recovery.server.storage import schedule as schedule_store
from cavra_recovery.server.storage.database import Database
from cavra_recovery.server.storage.schedule import ScheduleRunOutcome

M = TypeVar("M", bound=Message)


def run_schedule_window(
    session: Session,
    *,
    now: datetime,
    interval_minutes: int,
    recovery_slo_minutes: int,
    generated_by: str,
    routing: ConnectorConfig | None = None,
) -> ScheduleRunOutcome:
    """The run of the window holding `now`: created with a fresh executive report, or the existing one.

    Every replica may build the report; the unique (interval, window) constraint lets only the first
    insert win, and the others answer the winner's run with `created` false.
    """
    window_start, window_end = schedule_window(now, interval_minutes)
    existing = schedule_store.run_in_window(
        session, interval_minutes=interval_minutes, window_start=window_start
    )
    if existing is not None:
        return ScheduleRunOutcome(existing, created=False)
    report = executive_report(
        session,
        now=now,
        recovery_slo_minutes=recovery_slo_minutes,
        generated_by=generated_by,
        routing=routing,
    )
    run = ScheduleRun(
        run_id=new_id("run"),
        window_start=window_start,
        window_end=window_end,
        interval_minutes=interval_minutes,
        report_id=report.report_id,
        created_at=now,
    )
    return schedule_store.claim_window(session, run)


async def run_schedule(
    database: Database,
    key: RequestKey | None,
    response_type: type[M],
    *,
    now: datetime,
    interval_minutes: int,
    recovery_slo_minutes: int,
    generated_by: str,
    routing: ConnectorConfig | None,
    respond: Callable[[ScheduleRunOutcome], M],
) -> M:
    """RunExecutiveReportSchedule: the window's run, once per request_id."""
    return await run_once(
        database,
        key,
        response_type,
        now=now,
        act=lambda session: respond(
            run_schedule_window(
                session,
                now=now,
                interval_minutes=interval_minutes,
                recovery_slo_minutes=recovery_slo_minutes,
                generated_by=generated_by,
                routing=routing,
            )
        ),
    )
