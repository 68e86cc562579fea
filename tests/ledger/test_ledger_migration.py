"""Migration 0007 enters every record stored before it into the ledger; the first checkpoint seals that
history and `ledger verify` passes (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from cavra_recovery.server.domain.evidence import (
    ConnectorRecoveryPlaybook,
    ExecutionStatus,
    PlaybookProvider,
    ProviderCategory,
    RetryExecution,
)
from cavra_recovery.server.storage.database import Database
from cavra_recovery.server.storage.evidence.intake import record_evidence_batch
from cavra_recovery.server.storage.ledger.tables import LedgerEntryRecord
from cavra_recovery.server.storage.migrate import migrate
from tests.ledger.ledger_kit import cli


def test_migration_enters_existing_records_and_the_first_checkpoint_seals_them(database_url: str) -> None:
    migrate(database_url, "0010_dashboard_counters")
    now = datetime.now(UTC)
    records = [
        RetryExecution(
            execution_id=f"old-{i}",
            provider="slack",
            execution_status=ExecutionStatus.FAILED,
            executed_at=now - timedelta(hours=i),
        )
        for i in range(20)
    ]
    records.append(
        ConnectorRecoveryPlaybook(
            playbook_id="old-playbook",
            generated_at=now - timedelta(hours=3),
            providers=(
                PlaybookProvider(provider="slack", category=ProviderCategory.CHATOPS, failure_count=2),
            ),
        )
    )
    # The schema of 0005 has no ledger tables: write as a server of that version did, with no ledger.
    old = Database(database_url, ledger=False)
    try:
        old.run_sync(
            lambda session: record_evidence_batch(
                session, records=records, paths=["r"] * len(records), now=now
            )
        )
    finally:
        old.dispose()

    migrate(database_url)
    database = Database(database_url)
    try:
        entries = database.run_sync(
            lambda session: session.scalar(select(func.count()).select_from(LedgerEntryRecord))
        )
    finally:
        database.dispose()
    # 20 executions, the playbook and its one provider entry.
    assert entries == 22
    unsealed = cli("ledger", "verify", "--database-url", database_url)
    assert unsealed.returncode == 0, unsealed.stdout
    assert "0 checkpoints" in unsealed.stdout
    assert cli("ledger", "checkpoint", "--database-url", database_url).returncode == 0
    sealed = cli("ledger", "verify", "--database-url", database_url)
    assert sealed.returncode == 0, sealed.stdout
    assert "22 entries, 22 records, 1 checkpoints: ledger verified" in sealed.stdout
