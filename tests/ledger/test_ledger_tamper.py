"""`ledger verify` after a realistic sequence passes, and names the record after each edit made directly
in the database (SQLite and PostgreSQL); undoing the edit makes it pass again."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, create_engine, select, text

from cavra_recovery.server.storage.database import normalize_database_url
from cavra_recovery.server.storage.models import DeliveryAttemptRecord
from tests.delivery.delivery_kit import DeliveryServerFactory
from tests.ledger.ledger_kit import cli, realistic_sequence


def _execute(url: str, *statements: tuple[str, dict[str, object]]) -> None:
    engine = create_engine(normalize_database_url(url))
    try:
        with engine.begin() as connection:
            for statement, parameters in statements:
                connection.execute(text(statement), parameters)
    finally:
        engine.dispose()


def _restore_row(url: str, model: type[Any], row: dict[str, object]) -> None:
    engine = create_engine(normalize_database_url(url))
    try:
        with engine.begin() as connection:
            connection.execute(cast(Table, model.__table__).insert(), [row])
    finally:
        engine.dispose()


def _typed_row(url: str, model: type[Any], **where: object) -> dict[str, object]:
    table = cast(Table, model.__table__)
    engine = create_engine(normalize_database_url(url))
    try:
        with engine.connect() as connection:
            statement = select(table).where(*(table.c[name] == value for name, value in where.items()))
            return dict(connection.execute(statement).mappings().one())
    finally:
        engine.dispose()


def _scalar_row(url: str, statement: str, parameters: dict[str, object]) -> dict[str, object]:
    engine = create_engine(normalize_database_url(url))
    try:
        with engine.connect() as connection:
            return dict(connection.execute(text(statement), parameters).mappings().one())
    finally:
        engine.dispose()


def _verify(url: str) -> tuple[int, str]:
    result = cli("ledger", "verify", "--database-url", url)
    return result.returncode, result.stdout


def test_ledger_verify_names_each_record_edited_in_the_database(
    delivery_server: DeliveryServerFactory, database_url: str
) -> None:
    ids = realistic_sequence(delivery_server, database_url)
    sealed = cli("ledger", "checkpoint", "--database-url", database_url)
    assert sealed.returncode == 0 and "checkpoint sealed" in sealed.stdout, sealed.stderr
    code, output = _verify(database_url)
    assert code == 0, output
    assert "ledger verified" in output
    plan_id = ids["plan_id"]

    # An UPDATE of one field of one plan row.
    level = _scalar_row(
        database_url, "SELECT alert_level FROM escalation_plans WHERE plan_id = :p", {"p": plan_id}
    )
    _execute(
        database_url, ("UPDATE escalation_plans SET alert_level = 'info' WHERE plan_id = :p", {"p": plan_id})
    )
    code, output = _verify(database_url)
    assert code != 0
    assert f"digest mismatch: kind=escalation_plan id={plan_id} expected=" in output
    _execute(
        database_url,
        (
            "UPDATE escalation_plans SET alert_level = :l WHERE plan_id = :p",
            {"p": plan_id, "l": level["alert_level"]},
        ),
    )
    assert _verify(database_url)[0] == 0

    # A DELETE of one delivery attempt (the failed first one).
    attempt = _typed_row(
        database_url, DeliveryAttemptRecord, delivery_id=ids["delivery_id"], attempt_number=1
    )
    assert attempt["success"] in (False, 0)
    _execute(database_url, ("DELETE FROM delivery_attempts WHERE id = :i", {"i": attempt["id"]}))
    code, output = _verify(database_url)
    assert code != 0
    assert f"record missing: kind=delivery_attempt id={ids['delivery_id']}/1" in output
    _restore_row(database_url, DeliveryAttemptRecord, attempt)
    assert _verify(database_url)[0] == 0

    # An UPDATE of one intake row's timestamp.
    executed = _scalar_row(
        database_url, "SELECT executed_at FROM retry_executions WHERE execution_id = 'exec-1'", {}
    )["executed_at"]
    _execute(
        database_url,
        (
            "UPDATE retry_executions SET executed_at = :t WHERE execution_id = 'exec-1'",
            {"t": "2020-01-01 00:00:00"},
        ),
    )
    code, output = _verify(database_url)
    assert code != 0
    assert "digest mismatch: kind=retry_execution id=exec-1" in output
    _execute(
        database_url,
        ("UPDATE retry_executions SET executed_at = :t WHERE execution_id = 'exec-1'", {"t": executed}),
    )
    assert _verify(database_url)[0] == 0

    # A swap of two ledger sequence numbers.
    first, second = (
        _scalar_row(
            database_url, f"SELECT seq, kind, record_key FROM ledger_entries WHERE leaf_index = {i}", {}
        )
        for i in (3, 7)
    )
    swap = "UPDATE ledger_entries SET seq = :to WHERE seq = :from"
    _execute(
        database_url,
        (swap, {"from": first["seq"], "to": -1}),
        (swap, {"from": second["seq"], "to": first["seq"]}),
        (swap, {"from": -1, "to": second["seq"]}),
    )
    code, output = _verify(database_url)
    assert code != 0
    assert f"entry out of order: seq {first['seq']} after seq" in output
    assert f"kind={second['kind']} id={second['record_key']}" in output
    assert "checkpoint" in output and "root does not match the entries" in output
