"""Evidence repository on SQLite and PostgreSQL: idempotency, conflicts, references, races, paging."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from cavra_recovery.server.domain.errors import AlreadyExists, FailedPrecondition, NotFound
from cavra_recovery.server.domain.evidence import (
    ClosureFilter,
    ClosureState,
    ConnectorRecoveryPlaybook,
    EvidenceRecord,
    ExecutionStatus,
    PlaybookFilter,
    PlaybookProvider,
    ProviderCategory,
    RecordOutcome,
    RecoveryClosure,
    RetryExecution,
    RetryExecutionFilter,
    TimeRange,
)
from cavra_recovery.server.domain.paging import PageRequest
from cavra_recovery.server.storage import evidence as storage
from cavra_recovery.server.storage.database import Database
from cavra_recovery.server.storage.models import (
    PlaybookProviderRecord,
    PlaybookRecord,
    RecoveryClosureRecord,
    RetryExecutionRecord,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BASE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def execution(index: int, **changes: object) -> RetryExecution:
    record = RetryExecution(
        execution_id=f"exec-{index:06d}",
        provider=("slack", "jira", "webhook")[index % 3],
        execution_status=(ExecutionStatus.DELIVERED, ExecutionStatus.FAILED, ExecutionStatus.SKIPPED)[
            index % 3
        ],
        # Pairs of records share an instant so paging must break ties by id.
        executed_at=BASE + timedelta(seconds=index // 2),
        run_id=f"run-{index}",
        skipped_reason="paused" if index % 3 == 2 else "",
    )
    return replace(record, **changes)  # type: ignore[arg-type]


def playbook(
    playbook_id: str = "playbook-1", providers: tuple[str, ...] = ("slack", "jira")
) -> ConnectorRecoveryPlaybook:
    return ConnectorRecoveryPlaybook(
        playbook_id=playbook_id,
        generated_at=BASE,
        providers=tuple(
            PlaybookProvider(
                provider=name, category=ProviderCategory.CHATOPS, failure_count=2, status_codes=(503,)
            )
            for name in providers
        ),
        lookback_hours=24,
    )


def closure(
    closure_id: str = "closure-1", playbook_id: str = "playbook-1", provider: str = "slack"
) -> RecoveryClosure:
    return RecoveryClosure(
        closure_id=closure_id,
        playbook_id=playbook_id,
        provider=provider,
        closure_state=ClosureState.RESOLVED,
        closed_at=BASE + timedelta(hours=1),
        notes="rotated the webhook secret",
        verification_refs=("audit-1",),
    )


def record_batch(database: Database, records: list[EvidenceRecord]) -> tuple[int, int]:
    paths = [f"records[{i}]" for i in range(len(records))]
    outcome = database.run_sync(
        lambda s: storage.record_evidence_batch(s, records=records, paths=paths, now=NOW)
    )
    return outcome.created_count, outcome.unchanged_count


def count_rows(database: Database, model: type) -> int:
    return int(database.run_sync(lambda s: s.execute(select(func.count()).select_from(model)).scalar_one()))


def test_the_same_thousand_records_sent_twice_leave_exactly_a_thousand_rows(database: Database) -> None:
    records: list[EvidenceRecord] = [execution(i) for i in range(1000)]
    assert record_batch(database, records) == (1000, 0)
    assert record_batch(database, records) == (0, 1000)
    assert count_rows(database, RetryExecutionRecord) == 1000


def test_a_resend_returns_the_stored_record_with_its_first_recorded_at(database: Database) -> None:
    first = database.run_sync(lambda s: storage.record_evidence(s, records=[execution(1)], now=NOW)[0])
    later = NOW + timedelta(hours=5)
    again = database.run_sync(lambda s: storage.record_evidence(s, records=[execution(1)], now=later)[0])
    assert (first.created, again.created) == (True, False)
    assert again.record == execution(1)
    assert again.record.recorded_at == NOW


def test_a_conflicting_resend_is_already_exists_naming_the_id(database: Database) -> None:
    database.run_sync(lambda s: storage.record_evidence(s, records=[execution(7)], now=NOW)[0])
    changed = execution(7, execution_status=ExecutionStatus.DELIVERED, provider="teams")
    with pytest.raises(AlreadyExists) as caught:
        database.run_sync(lambda s: storage.record_evidence(s, records=[changed], now=NOW)[0])
    assert caught.value.metadata["execution_id"] == "exec-000007"
    assert caught.value.reason == "EVIDENCE_CONFLICT"


def test_a_conflict_anywhere_in_a_batch_stores_nothing_of_it(database: Database) -> None:
    database.run_sync(lambda s: storage.record_evidence(s, records=[execution(3)], now=NOW)[0])
    batch: list[EvidenceRecord] = [execution(i) for i in range(10, 20)]
    batch.append(execution(3, run_id="another-run"))
    with pytest.raises(AlreadyExists) as caught:
        record_batch(database, batch)
    assert caught.value.metadata["field"] == "records[10].execution_id"
    assert count_rows(database, RetryExecutionRecord) == 1


def test_a_closure_for_an_unknown_playbook_is_not_found(database: Database) -> None:
    with pytest.raises(NotFound) as caught:
        database.run_sync(
            lambda s: storage.record_evidence(s, records=[closure(playbook_id="nope")], now=NOW)[0]
        )
    assert caught.value.metadata["playbook_id"] == "nope"
    assert count_rows(database, RecoveryClosureRecord) == 0


def test_a_closure_for_a_provider_outside_the_playbook_fails_precondition(database: Database) -> None:
    database.run_sync(lambda s: storage.record_evidence(s, records=[playbook()], now=NOW)[0])
    with pytest.raises(FailedPrecondition) as caught:
        database.run_sync(
            lambda s: storage.record_evidence(s, records=[closure(provider="pagerduty")], now=NOW)[0]
        )
    assert caught.value.reason == "PROVIDER_NOT_IN_PLAYBOOK"


def test_a_closure_may_refer_to_a_playbook_earlier_in_the_same_batch(database: Database) -> None:
    created, unchanged = record_batch(
        database, [playbook("pb-9"), closure("c-9", "pb-9", "jira"), execution(1)]
    )
    assert (created, unchanged) == (3, 0)
    stored = database.run_sync(lambda s: storage.get_playbook(s, playbook_id="pb-9"))
    assert [p.provider for p in stored.providers] == ["jira", "slack"]
    assert stored == playbook("pb-9")


def test_a_playbook_resent_with_providers_in_another_order_is_unchanged(database: Database) -> None:
    database.run_sync(lambda s: storage.record_evidence(s, records=[playbook()], now=NOW)[0])
    reordered = playbook(providers=("jira", "slack"))
    outcome = database.run_sync(lambda s: storage.record_evidence(s, records=[reordered], now=NOW)[0])
    assert not outcome.created
    assert count_rows(database, PlaybookProviderRecord) == 2


def test_a_playbook_with_a_changed_provider_entry_is_already_exists(database: Database) -> None:
    database.run_sync(lambda s: storage.record_evidence(s, records=[playbook()], now=NOW)[0])
    changed = playbook(providers=("slack", "teams"))
    with pytest.raises(AlreadyExists):
        database.run_sync(lambda s: storage.record_evidence(s, records=[changed], now=NOW)[0])


def _race(database: Database, records: list[RetryExecution]) -> list[object]:
    """Record each of `records` at once from its own thread and transaction."""
    barrier = threading.Barrier(len(records))
    results: list[object] = [None] * len(records)

    def worker(slot: int) -> None:
        def work(session: object) -> object:
            barrier.wait(timeout=30)
            return storage.record_evidence(session, records=[records[slot]], now=NOW)[0]

        try:
            results[slot] = database.run_sync(work)  # type: ignore[arg-type]
        except Exception as error:
            results[slot] = error

    threads = [threading.Thread(target=worker, args=(slot,)) for slot in range(len(records))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_concurrent_identical_records_both_succeed_one_created(database: Database) -> None:
    for attempt in range(5):
        results = _race(database, [execution(100 + attempt)] * 4)
        assert all(isinstance(r, RecordOutcome) for r in results), results
        assert sorted(r.created for r in results) == [False, False, False, True]  # type: ignore[attr-defined]
    assert count_rows(database, RetryExecutionRecord) == 5


def test_concurrent_conflicting_records_store_one_and_refuse_the_other(database: Database) -> None:
    results = _race(database, [execution(200), execution(200, run_id="other")])
    created = [r for r in results if isinstance(r, RecordOutcome)]
    refused = [r for r in results if isinstance(r, AlreadyExists)]
    assert (len(created), len(refused)) == (1, 1), results
    assert count_rows(database, RetryExecutionRecord) == 1


def test_keyset_pages_visit_every_matching_record_once_newest_first(database: Database) -> None:
    record_batch(database, [execution(i) for i in range(60)])
    where = RetryExecutionFilter(provider="slack")
    seen: list[RetryExecution] = []
    page = PageRequest(page_size=7)
    while True:
        result = database.run_sync(
            lambda s, page=page: storage.list_retry_executions(s, where=where, page=page)
        )
        assert result.total_size == 20
        seen.extend(result.items)
        if result.next_cursor is None:
            break
        page = PageRequest(page_size=7, after=result.next_cursor)
    assert [e.execution_id for e in seen] == [f"exec-{i:06d}" for i in range(57, -1, -3)]


def test_filters_by_status_and_half_open_time_window(database: Database) -> None:
    record_batch(database, [execution(i) for i in range(30)])
    window = TimeRange(start=BASE + timedelta(seconds=5), end=BASE + timedelta(seconds=10))
    where = RetryExecutionFilter(execution_status=ExecutionStatus.FAILED, executed=window)
    result = database.run_sync(lambda s: storage.list_retry_executions(s, where=where, page=PageRequest(100)))
    assert [e.execution_id for e in result.items] == [
        "exec-000019",
        "exec-000016",
        "exec-000013",
        "exec-000010",
    ]
    assert result.total_size == 4


def test_playbook_and_closure_listings_filter_by_provider_and_state(database: Database) -> None:
    record_batch(
        database,
        [
            playbook("pb-1", ("slack", "jira")),
            playbook("pb-2", ("webhook",)),
            closure("c-1", "pb-1", "slack"),
            replace(closure("c-2", "pb-1", "jira"), closure_state=ClosureState.REOPENED),
            closure("c-3", "pb-2", "webhook"),
        ],
    )
    with_jira = database.run_sync(
        lambda s: storage.list_playbooks(s, where=PlaybookFilter(provider="jira"), page=PageRequest(10))
    )
    assert [p.playbook_id for p in with_jira.items] == ["pb-1"]
    resolved_in_pb1 = database.run_sync(
        lambda s: storage.list_closures(
            s,
            where=ClosureFilter(playbook_id="pb-1", closure_state=ClosureState.RESOLVED),
            page=PageRequest(10),
        )
    )
    assert [c.closure_id for c in resolved_in_pb1.items] == ["c-1"]
    every = database.run_sync(lambda s: storage.list_closures(s, where=ClosureFilter(), page=PageRequest(10)))
    assert every.total_size == 3
    with pytest.raises(NotFound):
        database.run_sync(
            lambda s: storage.list_closures(
                s, where=ClosureFilter(playbook_id="pb-404"), page=PageRequest(10)
            )
        )
    counts = tuple(
        count_rows(database, model)
        for model in (PlaybookRecord, PlaybookProviderRecord, RecoveryClosureRecord, RetryExecutionRecord)
    )
    assert counts == (2, 3, 3, 0)
