"""Large evidence histories, fast: bulk Core inserts into the migrated schema, then `make_consistent`.

The shape follows issue 10's measurement: N retry executions over 10 providers, N/20 playbooks with
2 providers each (N/10 recovery rows), N/5 closures (two per row). All rows but `open_rows` end
resolved or mitigated; the `open_rows` first rows stay open and are older than any SLO, so a plan
built on this history has exactly `open_rows` row routes (the issue's "1,000 escalated rows").

Every history the bench uses goes through `seed_history`. Inserting straight into the history tables
bypasses intake, so `make_consistent` rebuilds what intake maintains besides them (the summary
tables) with the server's own `rebuild_summaries`, as the migration does for an existing database.
"""

from __future__ import annotations

import random
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, Table, insert, text

from cavra_recovery.server.storage.database import create_database_engine
from cavra_recovery.server.storage.migrate import alembic_config, migrate
from cavra_recovery.server.storage.models import (
    PlaybookProviderRecord,
    PlaybookRecord,
    RecoveryClosureRecord,
    RetryExecutionRecord,
)
from cavra_recovery.server.storage.summaries.rebuild import rebuild_summaries

PROVIDERS = {
    "slack": "chatops",
    "teams": "chatops",
    "pagerduty": "chatops",
    "email": "chatops",
    "jira": "itsm",
    "servicenow": "itsm",
    "splunk": "siem",
    "sentinel": "siem",
    "datadog": "siem",
    "webhook": "webhook",
}
INSERT_BATCH = 20_000
DIGEST = "0" * 64
ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = ROOT / "var" / "bench"


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def _batched(rows: Iterator[dict[str, Any]], size: int = INSERT_BATCH) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def execution_rows(count: int, *, now: datetime, seed: int = 20260310) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    providers = list(PROVIDERS)
    for i in range(count):
        roll = rng.random()
        status = "failed" if roll < 0.03 else "skipped" if roll < 0.05 else "delivered"
        at = now - timedelta(seconds=rng.randint(60, 365 * 86400))
        yield {
            "execution_id": f"exe-{i:07d}",
            "provider": providers[i % len(providers)],
            "execution_status": status,
            "executed_at": at,
            "run_id": f"run-{i // 500}",
            "retry_plan_id": "",
            "approval_decision_id": "",
            "delivery_id": "",
            "audit_id": "",
            "delivery_success": status == "delivered",
            "skipped_reason": "paused" if status == "skipped" else "",
            "content_digest": DIGEST,
            "recorded_at": at,
        }


def _insert(connection: Connection, table: Table, rows: Iterator[dict[str, Any]]) -> int:
    done = 0
    for batch in _batched(rows):
        connection.execute(insert(table), batch)
        done += len(batch)
    return done


def seed_history(url: str, executions: int, *, open_rows: int = 1_000, seed: int = 20260310) -> None:
    """Migrate `url` and fill it with the history described in the module docstring."""
    migrate(url)
    now = datetime.now(UTC).replace(microsecond=0)
    rng = random.Random(seed + 1)
    playbooks = max(1, executions // 20)
    providers = list(PROVIDERS)
    engine = create_database_engine(url)
    try:
        with engine.begin() as connection:
            if engine.dialect.name == "sqlite":
                connection.execute(text("PRAGMA synchronous=OFF"))
            _insert(connection, _table(RetryExecutionRecord), execution_rows(executions, now=now, seed=seed))
            rows: list[tuple[str, str, datetime]] = []
            playbook_rows = []
            for i in range(playbooks):
                generated_at = now - timedelta(days=2, seconds=rng.randint(0, 360 * 86400))
                playbook_id = f"pb-{i:07d}"
                playbook_rows.append(
                    {
                        "playbook_id": playbook_id,
                        "generated_at": generated_at,
                        "lookback_hours": 24,
                        "min_failure_count": 1,
                        "content_digest": DIGEST,
                        "recorded_at": generated_at,
                    }
                )
                for provider in rng.sample(providers, 2):
                    rows.append((playbook_id, provider, generated_at))
            _insert(connection, _table(PlaybookRecord), iter(playbook_rows))
            _insert(
                connection,
                _table(PlaybookProviderRecord),
                (
                    {
                        "playbook_id": playbook_id,
                        "provider": provider,
                        "category": PROVIDERS[provider],
                        "failure_count": rng.randint(1, 20),
                        "latest_failure_at": generated_at,
                        "status_codes": [500],
                        "generated_at": generated_at,
                    }
                    for playbook_id, provider, generated_at in rows
                ),
            )
            _insert(connection, _table(RecoveryClosureRecord), _closure_rows(rows, open_rows, rng))
        make_consistent(engine)
    finally:
        engine.dispose()


def _closure_rows(
    rows: list[tuple[str, str, datetime]], open_rows: int, rng: random.Random
) -> Iterator[dict[str, Any]]:
    """Two closures per row: the first leaves it open; the second closes it, except for the first
    `open_rows` rows, which are reopened."""
    number = 0
    for index, (playbook_id, provider, generated_at) in enumerate(rows):
        first_at = generated_at + timedelta(minutes=rng.randint(1, 600))
        second_at = first_at + timedelta(minutes=rng.randint(1, 1200))
        second = "reopened" if index < open_rows else rng.choice(("resolved", "resolved", "mitigated"))
        for state, closed_at in ((rng.choice(("deferred", "escalated")), first_at), (second, second_at)):
            yield {
                "closure_id": f"clo-{number:07d}",
                "playbook_id": playbook_id,
                "provider": provider,
                "closure_state": state,
                "closed_by": "bench",
                "closed_at": closed_at,
                "external_ref": "",
                "notes": "",
                "verification_refs": [],
                "content_digest": DIGEST,
                "recorded_at": closed_at,
            }
            number += 1


def make_consistent(engine: Engine) -> None:
    """Bring everything intake maintains up to date with the bulk-inserted history: the summaries, then
    the planner's statistics."""
    started = time.perf_counter()
    with engine.begin() as connection:
        rebuild_summaries(connection)
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    print(f"  summaries rebuilt in {time.perf_counter() - started:.1f} s", flush=True)


def schema_head() -> str:
    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    return "-".join(sorted(heads))


def cached_sqlite_history(executions: int, destination: Path) -> Path:
    """A copy of a seeded SQLite history at `destination`; the seeded file is kept under var/bench/,
    keyed by size and schema head, so later runs copy it instead of seeding again."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    cached = CACHE_DIR / f"history-{executions}-{schema_head()}.db"
    if not cached.exists():
        started = time.perf_counter()
        partial = cached.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        seed_history(f"sqlite:///{partial}", executions)
        partial.rename(cached)
        print(f"  seeded {executions:,} executions in {time.perf_counter() - started:.1f} s", flush=True)
    shutil.copyfile(cached, destination)
    return destination
