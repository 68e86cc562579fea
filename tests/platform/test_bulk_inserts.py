"""storage/bulk.py: its driver-speed inserts store exactly what a Core `insert()` stores, and
`insert_new` inserts each key once, also when several connections insert the same keys at once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast

import pytest
from sqlalchemy import Table, insert, text
from sqlalchemy import exc as sa_exc

from cavra_recovery.server.storage.bulk import insert_new, insert_new_with_ids, insert_rows
from cavra_recovery.server.storage.database import Database
from cavra_recovery.server.storage.models import PlaybookProviderRecord, PlaybookRecord, RecoveryClosureRecord

CLOSURES = cast(Table, RecoveryClosureRecord.__table__)
PROVIDERS = cast(Table, PlaybookProviderRecord.__table__)
# A whole second: the driver's own datetime adapter would drop the ".000000" SQLAlchemy stores, and
# text comparisons of times (keyset paging) would then order it wrongly.
WHOLE_SECOND = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
INDIA = timezone(timedelta(hours=5, minutes=30))


def closure_row(index: int, **changes: Any) -> dict[str, Any]:
    row = {
        "closure_id": f"closure-{index:04d}",
        "playbook_id": "pb-1",
        "provider": "slack",
        "closure_state": "closed",
        "closed_by": "",
        "closed_at": WHOLE_SECOND + timedelta(microseconds=index % 2),
        "external_ref": "é",
        "notes": "",
        "verification_refs": [f"ref-{index}", "ref"],
        "content_digest": f"{index:064x}",
        "recorded_at": WHOLE_SECOND,
    }
    return row | changes


def stored(database: Database, table: Table, order_by: str) -> list[tuple[Any, ...]]:
    """Every column but the surrogate id, as the database holds it (times as stored text on SQLite)."""
    names = [column.name for column in table.columns if column.name != "id"]
    with database.engine.connect() as connection:
        rows = connection.execute(text(f"SELECT {', '.join(names)} FROM {table.name} ORDER BY {order_by}"))
        return [tuple(row) for row in rows]


def reset(database: Database, table: Table) -> None:
    with database.engine.begin() as connection:
        connection.execute(table.delete())


@pytest.fixture
def playbook(database: Database) -> Database:
    """The playbook the closures and provider rows below belong to."""
    row = {
        "playbook_id": "pb-1",
        "generated_at": WHOLE_SECOND,
        "lookback_hours": 24,
        "min_failure_count": 1,
        "content_digest": "0" * 64,
        "recorded_at": WHOLE_SECOND,
    }
    with database.engine.begin() as connection:
        connection.execute(insert(cast(Table, PlaybookRecord.__table__)), [row])
    return database


def test_insert_rows_stores_what_insert_stores(playbook: Database) -> None:
    rows = [
        {
            "playbook_id": "pb-1",
            "provider": f"provider-{index}",
            "category": "chatops",
            "failure_count": 2**30 + index,
            # Another offset: stored as UTC.
            "latest_failure_at": (WHOLE_SECOND + timedelta(microseconds=index % 2)).astimezone(INDIA),
            "status_codes": [500, 503] if index % 2 else [],
            "generated_at": WHOLE_SECOND,
        }
        for index in range(5)
    ]
    with playbook.engine.begin() as connection:
        connection.execute(insert(PROVIDERS), rows)
    expected = stored(playbook, PROVIDERS, "provider")
    reset(playbook, PROVIDERS)
    with playbook.engine.begin() as connection:
        insert_rows(connection, PROVIDERS, rows)
    assert stored(playbook, PROVIDERS, "provider") == expected


# A few rows and many: PostgreSQL sends few as arrays and copies many in; SQLite splits many rows into
# several statements (storage/bulk.py).
@pytest.mark.parametrize("count", [6, 150, 1400])
def test_insert_new_stores_what_insert_stores_and_skips_stored_keys(playbook: Database, count: int) -> None:
    database = playbook
    rows = [closure_row(index) for index in range(count)]
    with database.engine.begin() as connection:
        connection.execute(insert(CLOSURES), rows)
    expected = stored(database, CLOSURES, "closure_id")
    reset(database, CLOSURES)

    with database.engine.begin() as connection:
        first = insert_new_with_ids(connection, CLOSURES, "closure_id", rows[:2])
    with database.engine.begin() as connection:
        # Two stored already (sent with other content: insert_new never overwrites), the others new.
        resent = [closure_row(0, notes="changed"), closure_row(1, notes="changed"), *rows[2:]]
        second = insert_new_with_ids(connection, CLOSURES, "closure_id", resent[::-1])
    assert stored(database, CLOSURES, "closure_id") == expected
    with database.engine.connect() as connection:
        ids: dict[str, int] = dict(
            connection.execute(text("SELECT closure_id, id FROM recovery_closures")).all()
        )
    assert first == {key: ids[key] for key in ("closure-0000", "closure-0001")}
    assert second == {f"closure-{index:04d}": ids[f"closure-{index:04d}"] for index in range(2, count)}
    # Rows go in key order, whatever order they came in.
    assert sorted(second.values()) == [second[key] for key in sorted(second)]
    with database.engine.begin() as connection:
        assert insert_new(connection, CLOSURES, "closure_id", rows) == set()
        assert insert_new_with_ids(connection, CLOSURES, "closure_id", rows) == {}


@pytest.mark.parametrize("count", [6, 150, 1400])
def test_insert_new_without_ids_stores_what_insert_stores(playbook: Database, count: int) -> None:
    """The keys-only insert (PostgreSQL: many rows copied straight in) on new rows, then on a mix."""
    rows = [closure_row(index) for index in range(count)]
    with playbook.engine.begin() as connection:
        connection.execute(insert(CLOSURES), rows)
    expected = stored(playbook, CLOSURES, "closure_id")
    reset(playbook, CLOSURES)
    half = count // 2
    with playbook.engine.begin() as connection:
        assert insert_new(connection, CLOSURES, "closure_id", rows[:half]) == {
            row["closure_id"] for row in rows[:half]
        }
    with playbook.engine.begin() as connection:
        # Half stored already: the straight copy fails on the first of them and is undone.
        resent = [closure_row(index, notes="changed") for index in range(half)] + rows[half:]
        assert insert_new(connection, CLOSURES, "closure_id", resent[::-1]) == {
            row["closure_id"] for row in rows[half:]
        }
    assert stored(playbook, CLOSURES, "closure_id") == expected


def test_concurrent_inserts_of_the_same_keys_store_each_once(playbook: Database) -> None:
    database = playbook
    rows = [closure_row(index) for index in range(200)]
    writers = 4
    barrier = threading.Barrier(writers)
    results: list[Any] = [None] * writers

    def write(slot: int) -> None:
        try:
            barrier.wait(timeout=30)
            with database.engine.begin() as connection:
                # Overlapping slices in different orders: every key is raced by two writers.
                mine = rows[slot * 40 : slot * 40 + 80]
                mine = mine[::-1] if slot % 2 else mine
                results[slot] = insert_new(connection, CLOSURES, "closure_id", mine)
        except Exception as error:  # reported by the assertion below
            results[slot] = error

    threads = [threading.Thread(target=write, args=(slot,)) for slot in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(isinstance(result, set) for result in results), results
    inserted = [key for result in results for key in result]
    assert len(inserted) == len(set(inserted))
    assert sorted(inserted) == sorted(row["closure_id"] for row in rows[: (writers - 1) * 40 + 80])


def test_a_driver_error_comes_out_as_sqlalchemy_s(playbook: Database) -> None:
    """Error mapping and retries (storage/database.py) read SQLAlchemy's exceptions, also from COPY."""
    rows = [closure_row(index) for index in range(3)]
    with pytest.raises(sa_exc.IntegrityError) as raised:
        with playbook.engine.begin() as connection:
            insert_rows(connection, CLOSURES, [*rows, rows[0]])
    assert "closure_id" in str(raised.value.orig) or "UNIQUE" in str(raised.value.orig)
    assert stored(playbook, CLOSURES, "closure_id") == []
