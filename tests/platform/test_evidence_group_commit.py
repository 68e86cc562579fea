"""Group commit of the single-record intake RPCs, on SQLite and PostgreSQL: concurrent calls share one
transaction, and each call still gets the answer its own transaction would have given (created or not,
its own error, its own request_id answer), with the summaries and metrics counted once per record."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select

from cavra.recovery.v1 import evidence_pb2
from cavra_recovery.server.domain.errors import AlreadyExists, InvalidArgument, NotFound
from cavra_recovery.server.domain.evidence import EvidenceKind, EvidenceRecord, RecordOutcome, RetryExecution
from cavra_recovery.server.domain.reasons import Reason
from cavra_recovery.server.operations.evidence import EvidenceIntake
from cavra_recovery.server.operations.idempotency import RequestKey, request_key
from cavra_recovery.server.storage import evidence as storage
from cavra_recovery.server.storage.database import Database
from cavra_recovery.server.storage.models import RetryExecutionRecord
from cavra_recovery.server.storage.summaries.tables import ExecutionSummaryRecord
from tests.platform.test_evidence_storage import NOW, closure, execution, playbook


def respond(outcome: RecordOutcome) -> evidence_pb2.RecordRetryExecutionResponse:
    # One response type for every kind: the record's id and the created flag are what is compared.
    return evidence_pb2.RecordRetryExecutionResponse(
        retry_execution=evidence_pb2.RetryExecution(execution_id=outcome.record.record_id),
        created=outcome.created,
    )


class Intake:
    """An EvidenceIntake over a real database, counting commits and what it reports to metrics."""

    def __init__(self, database: Database) -> None:
        self.counted: Counter[tuple[EvidenceKind, bool]] = Counter()
        self.commits = 0
        event.listen(database.engine, "commit", self._committed)
        self.intake = EvidenceIntake(
            database, counted=lambda kind, created: self.counted.update([(kind, created)])
        )

    def _committed(self, _connection: Any) -> None:
        self.commits += 1

    async def record(
        self, record: EvidenceRecord, key: RequestKey | None = None
    ) -> evidence_pb2.RecordRetryExecutionResponse:
        return await self.intake.record(
            key, evidence_pb2.RecordRetryExecutionResponse, now=NOW, evidence=record, respond=respond
        )

    async def record_all(self, calls: list[tuple[EvidenceRecord, RequestKey | None]]) -> list[Any]:
        return await asyncio.gather(*(self.record(r, k) for r, k in calls), return_exceptions=True)


def keyed(record: RetryExecution, request_id: str) -> RequestKey:
    request = evidence_pb2.RecordRetryExecutionRequest(
        request_id=request_id,
        retry_execution=evidence_pb2.RetryExecution(execution_id=record.execution_id, run_id=record.run_id),
    )
    key = request_key("RecordRetryExecution", request)
    assert key is not None
    return key


def stored_executions(database: Database) -> tuple[int, int]:
    """(rows in the execution table, executions counted by the summaries)."""
    with database.transaction() as session:
        rows = session.scalar(select(func.count()).select_from(RetryExecutionRecord))
        summed = session.scalar(select(func.coalesce(func.sum(ExecutionSummaryRecord.executions), 0)))
    return int(rows or 0), int(summed or 0)


def test_concurrent_calls_share_a_transaction_and_each_gets_its_own_created_flag(database: Database) -> None:
    database.run_sync(
        lambda s: storage.record_evidence(s, records=[execution(i) for i in range(100, 105)], now=NOW)
    )
    intake = Intake(database)
    fresh = [execution(i) for i in range(40)]
    # 40 new records, 5 stored before, and one record sent twice at once (the second finds the first).
    calls = [*fresh, *(execution(i) for i in range(100, 105)), execution(7)]
    answers = asyncio.run(intake.record_all([(record, None) for record in calls]))

    assert [a.retry_execution.execution_id for a in answers] == [r.record_id for r in calls]
    assert [a.created for a in answers] == [True] * 40 + [False] * 5 + [False]
    # 46 calls, one transaction for the group of 45 and one for the repeat of exec-7 (alone calls
    # would have made 46).
    assert intake.commits <= 3, intake.commits
    assert intake.counted == {
        (EvidenceKind.RETRY_EXECUTION, True): 40,
        (EvidenceKind.RETRY_EXECUTION, False): 6,
    }
    assert stored_executions(database) == (45, 45)


def test_a_repeat_waits_for_the_group_still_storing_its_record(database: Database) -> None:
    """PostgreSQL stores groups side by side: a second call for a record whose group is still being
    stored waits for that group instead of racing it to the insert (and taking its `created`)."""
    intake = Intake(database)
    first = f"'{execution(0).execution_id}'"
    slowed: list[str] = []

    def slow_down_the_group(_c: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if not slowed and RetryExecutionRecord.__tablename__ in statement and first in repr(parameters):
            slowed.append(statement)
            time.sleep(0.5)

    event.listen(database.engine, "before_cursor_execute", slow_down_the_group)
    try:
        calls = [*(execution(i) for i in range(10)), execution(7)]
        answers = asyncio.run(intake.record_all([(record, None) for record in calls]))
    finally:
        event.remove(database.engine, "before_cursor_execute", slow_down_the_group)
    assert slowed, "the group's insert was not seen"
    assert [a.created for a in answers] == [True] * 10 + [False]
    assert stored_executions(database) == (10, 10)


def test_a_call_that_fails_fails_alone_and_the_rest_of_its_group_is_kept(database: Database) -> None:
    database.run_sync(lambda s: storage.record_evidence(s, records=[execution(900)], now=NOW))
    intake = Intake(database)
    changed = replace(execution(900), run_id="another run")
    answers = asyncio.run(
        intake.record_all(
            [
                *((execution(i), None) for i in range(10)),
                (changed, None),  # other content under a stored id
                (closure(closure_id="c-missing", playbook_id="no-such-playbook"), None),
                (playbook("playbook-g"), None),
                (closure(closure_id="c-1", playbook_id="playbook-g"), None),  # its playbook is in the group
                (replace(execution(3), run_id="same id, other content, same moment"), None),
            ]
        )
    )
    # exec-3 was sent twice at once with two contents: one call stores it, the other is refused (which
    # one is not defined for concurrent calls; on PostgreSQL groups run side by side).
    same_id = [answers[3], answers[14]]
    assert sorted(type(a).__name__ for a in same_id) == ["AlreadyExists", "RecordRetryExecutionResponse"]
    assert [a.created for i, a in enumerate(answers[:10]) if i != 3] == [True] * 9
    assert isinstance(answers[10], AlreadyExists) and answers[10].reason == Reason.EVIDENCE_CONFLICT
    assert isinstance(answers[11], NotFound)
    assert answers[12].created and answers[13].created
    assert stored_executions(database) == (11, 11)
    assert intake.counted[(EvidenceKind.RETRY_EXECUTION, True)] == 10
    assert intake.counted[(EvidenceKind.RECOVERY_CLOSURE, True)] == 1


def test_request_ids_in_a_group_answer_as_alone(database: Database) -> None:
    intake = Intake(database)
    first = execution(1)
    earlier = asyncio.run(intake.record(first, keyed(first, "req-earlier")))
    assert earlier.created

    later = execution(2)
    answers = asyncio.run(
        intake.record_all(
            [
                (later, keyed(later, "req-a")),
                (later, keyed(later, "req-a")),  # the same call again, at once
                (first, keyed(first, "req-earlier")),  # a retry of the earlier call
                (execution(3), keyed(execution(3), "req-earlier")),  # the key again, another request
                *((execution(i), keyed(execution(i), f"req-{i}")) for i in range(10, 20)),
            ]
        )
    )
    assert answers[0].SerializeToString() == answers[1].SerializeToString()
    assert answers[0].created, "the first call with req-a created the record; its retry answers the same"
    assert answers[2].SerializeToString() == earlier.SerializeToString()
    assert isinstance(answers[3], InvalidArgument) and answers[3].reason == Reason.REQUEST_ID_REUSED
    assert all(a.created for a in answers[4:])
    assert stored_executions(database) == (12, 12)


def test_grouping_stops_at_the_limit_and_keeps_every_call(database: Database) -> None:
    intake = Intake(database)
    intake.intake = EvidenceIntake(database, group_limit=8)
    records = [replace(execution(i), executed_at=NOW - timedelta(minutes=i)) for i in range(50)]
    answers = asyncio.run(intake.record_all([(record, None) for record in records]))
    assert all(a.created for a in answers)
    assert 7 <= intake.commits <= 12, intake.commits
    assert stored_executions(database) == (50, 50)


@pytest.mark.parametrize("cancelled", [0, 5])
def test_a_call_whose_client_left_before_its_group_is_not_stored(database: Database, cancelled: int) -> None:
    intake = Intake(database)

    async def scenario() -> list[Any]:
        calls = [asyncio.ensure_future(intake.record(execution(i))) for i in range(20)]
        await asyncio.sleep(0)  # every call is waiting; the group has not been taken yet
        for call in calls[20 - cancelled :]:
            call.cancel()
        return await asyncio.gather(*calls, return_exceptions=True)

    answers = asyncio.run(scenario())
    assert sum(isinstance(a, asyncio.CancelledError) for a in answers) == cancelled
    assert stored_executions(database) == (20 - cancelled, 20 - cancelled)
