"""Audit bundles: `ledger export` then `verify-bundle` passes offline; one flipped byte of one record fails
naming it; another key fails; `evidence import` of a SQLite server's bundle into PostgreSQL reproduces the
same SLO report."""

from __future__ import annotations

import io
import json
import tarfile
from datetime import UTC, datetime
from pathlib import Path

from cavra_recovery.server.storage.database import Database
from cavra_recovery.server.storage.migrate import migrate
from cavra_recovery.server.storage.reports import compute_retry_recovery_report
from tests.conftest import fresh_postgres_database
from tests.delivery.delivery_kit import DeliveryServerFactory
from tests.ledger.ledger_kit import cli, realistic_sequence


def _rewrite_records(bundle: Path, out: Path, edit: bytes, replacement: bytes) -> str:
    """Copy `bundle` to `out` with the first record line holding `edit` changed; return that line's id."""
    with tarfile.open(bundle, "r:gz") as archive:
        files = {m.name: archive.extractfile(m).read() for m in archive.getmembers()}  # type: ignore[union-attr]
    lines = files["records.jsonl"].split(b"\n")
    number = next(i for i, line in enumerate(lines) if edit in line)
    assert len(edit) == len(replacement) and sum(a != b for a, b in zip(edit, replacement, strict=True)) == 1
    record_id = json.loads(lines[number])["id"]
    lines[number] = lines[number].replace(edit, replacement, 1)
    files["records.jsonl"] = b"\n".join(lines)
    with tarfile.open(out, "w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return str(record_id)


def _slo_report(url: str, now: datetime) -> object:
    database = Database(url)
    try:
        report = database.run_sync(
            lambda session: compute_retry_recovery_report(
                session, now=now, recovery_slo_minutes=240, report_id="compare"
            )
        )
    finally:
        database.dispose()
    return report


def test_bundle_verifies_offline_and_fails_on_a_flipped_byte_or_another_key_and_imports_into_postgres(
    delivery_server: DeliveryServerFactory, sqlite_url: str, tmp_path: Path
) -> None:
    ids = realistic_sequence(delivery_server, sqlite_url)
    key, other = tmp_path / "ledger.key", tmp_path / "other.key"
    assert cli("ledger", "keygen", "--out", str(key)).returncode == 0
    assert cli("ledger", "keygen", "--out", str(other)).returncode == 0
    sealed = cli("ledger", "checkpoint", "--database-url", sqlite_url, "--signing-key", str(key))
    assert sealed.returncode == 0, sealed.stderr
    bundle = tmp_path / "bundle.tar.gz"
    exported = cli("ledger", "export", "--database-url", sqlite_url, "--out", str(bundle))
    assert exported.returncode == 0, exported.stderr

    verified = cli("ledger", "verify-bundle", str(bundle), "--public-key", f"{key}.pub")
    assert verified.returncode == 0, verified.stdout
    assert "bundle verified" in verified.stdout

    flipped = tmp_path / "flipped.tar.gz"
    record_id = _rewrite_records(bundle, flipped, b'"provider":"slack"', b'"provider":"slacj"')
    failed = cli("ledger", "verify-bundle", str(flipped), "--public-key", f"{key}.pub")
    assert failed.returncode != 0
    assert f"id={record_id}: digest mismatch" in failed.stdout

    wrong_key = cli("ledger", "verify-bundle", str(bundle), "--public-key", f"{other}.pub")
    assert wrong_key.returncode != 0
    assert "checkpoint signature does not verify" in wrong_key.stdout

    plan_only = tmp_path / "plan.tar.gz"
    assert (
        cli(
            "ledger",
            "export",
            "--database-url",
            sqlite_url,
            "--plan-id",
            ids["plan_id"],
            "--out",
            str(plan_only),
        ).returncode
        == 0
    )
    with tarfile.open(plan_only, "r:gz") as archive:
        member = archive.extractfile("records.jsonl")
        assert member is not None
        kinds = {json.loads(line)["kind"] for line in member.read().splitlines() if line}
    assert {"escalation_plan", "escalation_route", "delivery", "delivery_attempt", "acknowledgement"} <= kinds
    assert "retry_execution" not in kinds
    assert cli("ledger", "verify-bundle", str(plan_only), "--public-key", f"{key}.pub").returncode == 0

    now = datetime.now(UTC)
    with fresh_postgres_database() as postgres_url:
        migrate(postgres_url)
        imported = cli("evidence", "import", str(bundle), "--database-url", postgres_url)
        assert imported.returncode == 0, imported.stderr
        assert "imported" in imported.stdout
        again = cli("evidence", "import", str(bundle), "--database-url", postgres_url)
        assert "imported 0 records" in again.stdout, again.stdout
        assert _slo_report(postgres_url, now) == _slo_report(sqlite_url, now)
        # The import entered the ledger of the new database as well.
        assert cli("ledger", "checkpoint", "--database-url", postgres_url).returncode == 0
        assert cli("ledger", "verify", "--database-url", postgres_url).returncode == 0
