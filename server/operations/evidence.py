"""Evidence intake: each record is idempotent by its own id and content; a request_id makes the whole
call idempotent too (the first response, `created` flags included, answers every retry).

Single-record calls commit in groups: the calls that arrive while a group is being stored form the
next group, stored as one batch in one transaction (one insert per kind, one summary merge, one
ledger insert, one commit) instead of one transaction each. A call that finds the intake idle goes at
once, alone, so grouping adds no wait. Each call in a group is answered as its own transaction would
have answered it: its own `created` flag and its own request_id kept. If the group's transaction
fails (a record that conflicts, a closure without its playbook, the database gone), none of it is
kept and every call runs again alone, so each gets its own answer or error. See docs/idempotency.md.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from google.protobuf.message import Message
from sqlalchemy.orm import Session

from cavra_recovery.server.domain.errors import DomainError
from cavra_recovery.server.domain.evidence import BatchOutcome, EvidenceKind, EvidenceRecord, RecordOutcome
from cavra_recovery.server.operations.idempotency import Pending, RequestKey, keep, reserve, run_once
from cavra_recovery.server.storage import evidence as evidence_store
from cavra_recovery.server.storage.database import Database

M = TypeVar("M", bound=Message)

# The most calls one group stores (one multi-row insert per kind stays well inside SQLite's limits).
GROUP_LIMIT = 256
# Groups stored at once: SQLite has one writer, so one; PostgreSQL stores several side by side.
CONCURRENT_GROUPS = {"sqlite": 1, "postgresql": 4}


@dataclass(eq=False)
class _Call:
    key: RequestKey | None
    response_type: type[Message]
    record: EvidenceRecord
    now: datetime
    respond: Callable[[RecordOutcome], Message]
    answer: asyncio.Future[Message]
    # Set in the group's transaction: what storing did, counted once the transaction commits.
    stored: RecordOutcome | None = None


class EvidenceIntake:
    """The single-record intake RPCs (RecordRetryExecution, RecordConnectorRecoveryPlaybook,
    RecordRecoveryClosure) of one server process, committed in groups."""

    def __init__(
        self,
        database: Database,
        *,
        counted: Callable[[EvidenceKind, bool], None] | None = None,
        group_limit: int = GROUP_LIMIT,
    ) -> None:
        self._database = database
        # Told each record a call stored or found (created or not), after its transaction commits.
        self._counted = counted
        self._group_limit = group_limit
        self._concurrent_groups = CONCURRENT_GROUPS.get(database.engine.dialect.name, 1)
        self._waiting: list[_Call] = []
        self._storing = 0
        # The records and request_ids of the groups being stored (marked by `_next_group`).
        self._in_flight: set[tuple[str, str, str]] = set()
        # The running group tasks (the loop keeps only weak references to tasks).
        self._tasks: set[asyncio.Task[None]] = set()

    async def record(
        self,
        key: RequestKey | None,
        response_type: type[M],
        *,
        now: datetime,
        evidence: EvidenceRecord,
        respond: Callable[[RecordOutcome], M],
    ) -> M:
        """Record one retry execution, playbook or closure; answer with `respond(outcome)`."""
        answer: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Call(key, response_type, evidence, now, respond, answer))
        if self._storing < self._concurrent_groups:
            self._storing += 1
            task = asyncio.create_task(self._store_waiting())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        response = await answer
        assert isinstance(response, response_type)
        return response

    async def _store_waiting(self) -> None:
        group: list[_Call] = []
        try:
            while group := self._next_group():
                try:
                    if len(group) == 1:
                        await self._store_alone(group[0])
                    else:
                        await self._store_group(group)
                finally:
                    # A call held back for one of these keys is taken by this task's next turn.
                    self._in_flight.difference_update(key for call in group for key in _keys_of(call))
        finally:
            # Counted down before this task ends, so a call that arrives next starts a new one.
            self._storing -= 1
            # Cancelled (the server is stopping): no call waits for an answer that will not come.
            for call in group:
                if not call.answer.done():
                    call.answer.cancel()

    def _next_group(self) -> list[_Call]:
        """Up to the limit of the waiting calls, oldest first. A call whose client has gone is dropped.
        A second call for a record or a request_id already in this group, or in a group being stored
        (PostgreSQL stores several at once), waits until that group is stored: then it finds the first
        one's record (unchanged, or ALREADY_EXISTS for other content) or answer."""
        group: list[_Call] = []
        later: list[_Call] = []
        for call in self._waiting:
            if call.answer.done():
                continue
            keys = _keys_of(call)
            if len(group) >= self._group_limit or not self._in_flight.isdisjoint(keys):
                later.append(call)
                continue
            self._in_flight.update(keys)
            group.append(call)
        self._waiting = later
        return group

    async def _store_alone(self, call: _Call) -> None:
        def act(session: Session) -> Message:
            (call.stored,) = evidence_store.record_evidence(session, records=[call.record], now=call.now)
            return call.respond(call.stored)

        try:
            response = await run_once(self._database, call.key, call.response_type, now=call.now, act=act)
        except Exception as error:
            _settle(call, error)
            return
        self._count(call)
        _settle(call, response)

    async def _store_group(self, group: list[_Call]) -> None:
        try:
            answers = await self._database.run(lambda session: _store_together(session, group))
        except Exception:
            # None of the group was kept: each call again, alone and in arrival order (a closure after
            # its playbook), for its own answer or error.
            for call in group:
                call.stored = None
                await self._store_alone(call)
            return
        for call, answer in zip(group, answers, strict=True):
            self._count(call)
            _settle(call, answer)

    def _count(self, call: _Call) -> None:
        if self._counted is not None and call.stored is not None:
            self._counted(call.record.kind, call.stored.created)


def _keys_of(call: _Call) -> tuple[tuple[str, str, str], ...]:
    """The record a call stores and, when it has one, its request_id: no two calls in flight share one."""
    record = ("record", call.record.kind.value, call.record.record_id)
    if call.key is None:
        return (record,)
    return record, ("request", call.key.method, call.key.request_id)


def _store_together(session: Session, group: Sequence[_Call]) -> list[Message | Exception]:
    """One transaction for the group: reserve each request_id (sorted, so concurrent groups on
    PostgreSQL wait on keys in one order), store every acting call's record as one batch, keep each
    response with its key. A call whose key was used before is answered from the key, as alone."""
    answers: dict[int, Message | Exception] = {}
    order = sorted(range(len(group)), key=lambda i: _key_order(group[i].key))
    acting: list[int] = []
    for index in order:
        call = group[index]
        if call.key is None:
            acting.append(index)
            continue
        try:
            held = reserve(session, call.key, call.response_type, now=call.now)
        except DomainError as error:
            answers[index] = error
            continue
        if held is None:
            acting.append(index)
        else:
            # Intake keys keep responses, never actions (those are the deliver calls'), so a key holds
            # its first answer.
            assert not isinstance(held, Pending), f"{call.key.method} keys keep responses"
            answers[index] = held
    acting.sort()
    now = max((group[index].now for index in acting), default=None)
    if now is not None:
        outcomes = evidence_store.record_evidence(session, records=[group[i].record for i in acting], now=now)
        for index, outcome in zip(acting, outcomes, strict=True):
            call = group[index]
            call.stored = outcome
            answers[index] = keep(session, call.key, call.respond(outcome))
    return [answers[index] for index in range(len(group))]


def _key_order(key: RequestKey | None) -> tuple[str, str]:
    return ("", "") if key is None else (key.method, key.request_id)


def _settle(call: _Call, answer: Message | Exception) -> None:
    if call.answer.done():
        return
    if isinstance(answer, Exception):
        call.answer.set_exception(answer)
    else:
        call.answer.set_result(answer)


async def record_batch(
    database: Database,
    key: RequestKey | None,
    response_type: type[M],
    *,
    now: datetime,
    records: Sequence[EvidenceRecord],
    paths: Sequence[str],
    respond: Callable[[BatchOutcome], M],
) -> M:
    return await run_once(
        database,
        key,
        response_type,
        now=now,
        act=lambda session: respond(
            evidence_store.record_evidence_batch(session, records=records, paths=paths, now=now)
        ),
    )
