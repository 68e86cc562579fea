"""`cavra-recovery ledger …` and `cavra-recovery evidence import` (docs/ledger.md)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cavra_recovery.server.settings import add_database_argument, add_log_level_argument


def add_ledger_commands(commands: Any, environ: Mapping[str, str]) -> None:
    ledger = commands.add_parser(
        "ledger", help="the evidence ledger: keys, checkpoints, verification, bundles"
    )
    actions = ledger.add_subparsers(dest="ledger_command", required=True)
    keygen = actions.add_parser("keygen", help="write a new Ed25519 checkpoint signing key and its .pub")
    keygen.add_argument("--out", required=True, metavar="PATH", help="private key file to create (0600)")
    verify = actions.add_parser(
        "verify", help="recompute every digest and checkpoint; non-zero on a mismatch"
    )
    verify.add_argument(
        "--public-key", metavar="PATH", help="verifier key (.pub) to check checkpoint signatures"
    )
    checkpoint = actions.add_parser(
        "checkpoint", help="seal a checkpoint now (the server does so periodically)"
    )
    checkpoint.add_argument("--signing-key", metavar="PATH", help="Ed25519 private key from `ledger keygen`")
    export = actions.add_parser("export", help="write an audit bundle (records, checkpoint, proofs, README)")
    export.add_argument("--out", required=True, metavar="PATH", help="bundle file (.tar.gz) to write")
    export.add_argument("--since", metavar="RFC3339", help="records entered at or after this instant")
    export.add_argument("--until", metavar="RFC3339", help="records entered before this instant")
    export.add_argument("--plan-id", metavar="ID", help="only the records of this escalation plan")
    for action in (verify, checkpoint, export):
        add_database_argument(action, environ)
        add_log_level_argument(action, environ)
    bundle = actions.add_parser("verify-bundle", help="check a bundle offline, with no database or network")
    bundle.add_argument("bundle", metavar="BUNDLE", help="bundle .tar.gz")
    bundle.add_argument("--public-key", required=True, metavar="PATH", help="verifier key (.pub)")
    add_log_level_argument(bundle, environ)
    add_log_level_argument(keygen, environ)
    evidence = commands.add_parser("evidence", help="evidence tools")
    evidence_actions = evidence.add_subparsers(dest="evidence_command", required=True)
    load = evidence_actions.add_parser(
        "import", help="load a bundle's intake records through idempotent intake"
    )
    load.add_argument("bundle", metavar="BUNDLE", help="bundle .tar.gz from `ledger export`")
    add_database_argument(load, environ)
    add_log_level_argument(load, environ)


def _instant(value: str | None) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _progress(count: int, what: str) -> None:
    print(f"… {count} {what}", file=sys.stderr, flush=True)


def run_ledger_command(arguments: argparse.Namespace) -> int:
    from cavra_recovery.server.ledger_keys import generate, load_signer, load_verifier

    action = arguments.ledger_command
    if action == "keygen":
        public = generate(Path(arguments.out))
        print(f"wrote {arguments.out} and {public}")
        return 0
    if action == "verify-bundle":
        from cavra_recovery.server.storage.ledger.bundle import read_bundle, verify_bundle

        verifier = load_verifier(Path(arguments.public_key))
        problems = verify_bundle(read_bundle(Path(arguments.bundle)), verifier.verify_note)
        for problem in problems:
            print(f"MISMATCH {problem}")
        if not problems:
            print("bundle verified")
        return 1 if problems else 0
    from cavra_recovery.server.storage.database import Database

    database = Database(arguments.database_url)
    try:
        if action == "verify":
            from cavra_recovery.server.storage.ledger.verify import verify_ledger

            check = (
                None
                if arguments.public_key is None
                else load_verifier(Path(arguments.public_key)).verify_note
            )
            with database.engine.connect() as connection:
                report = verify_ledger(connection, verify_signature=check, progress=_progress)
            for finding in report.findings:
                print(f"MISMATCH {finding.describe()}")
            print(
                f"{report.entries} entries, {report.records} records, {report.checkpoints} checkpoints: "
                + ("ledger verified" if not report.findings else f"{len(report.findings)} problem(s)")
            )
            return 1 if report.findings else 0
        if action == "checkpoint":
            from cavra_recovery.server.operations.ledger import seal_checkpoint

            signer = None if arguments.signing_key is None else load_signer(Path(arguments.signing_key))
            now = datetime.now(UTC)
            sealed = seal_checkpoint(database, now=now, window_start=now, signer=signer)
            print("nothing to seal" if sealed is None else f"checkpoint sealed: size {sealed.tree_size}")
            return 0
        from cavra_recovery.server.storage.ledger.bundle import BundleFilter, export_bundle

        wanted = BundleFilter(_instant(arguments.since), _instant(arguments.until), arguments.plan_id)
        with database.engine.connect() as connection:
            try:
                count = export_bundle(connection, Path(arguments.out), wanted)
            except LookupError as error:
                print(str(error), file=sys.stderr)
                return 2
        print(f"wrote {count} records to {arguments.out}")
        return 0
    finally:
        database.dispose()


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def intake_records(records: list[dict[str, Any]]) -> list[Any]:
    """The bundle's intake records as evidence records (playbooks with their provider entries)."""
    from cavra_recovery.server.domain import evidence

    providers: dict[str, list[evidence.PlaybookProvider]] = {}
    for item in records:
        if item["kind"] == "playbook_provider":
            row = item["record"]
            providers.setdefault(row["playbook_id"], []).append(
                evidence.PlaybookProvider(
                    provider=row["provider"],
                    category=evidence.ProviderCategory(row["category"]),
                    failure_count=row["failure_count"],
                    latest_failure_at=_time(row["latest_failure_at"]),
                    status_codes=tuple(row["status_codes"]),
                )
            )
    loaded: list[Any] = []
    for item in records:
        row, kind = item["record"], item["kind"]
        if kind == "retry_execution":
            loaded.append(
                evidence.RetryExecution(
                    execution_id=row["execution_id"],
                    provider=row["provider"],
                    execution_status=evidence.ExecutionStatus(row["execution_status"]),
                    executed_at=_time(row["executed_at"]),  # type: ignore[arg-type]
                    run_id=row["run_id"],
                    retry_plan_id=row["retry_plan_id"],
                    approval_decision_id=row["approval_decision_id"],
                    delivery_id=row["delivery_id"],
                    audit_id=row["audit_id"],
                    delivery_success=row["delivery_success"],
                    skipped_reason=row["skipped_reason"],
                )
            )
        elif kind == "playbook":
            loaded.append(
                evidence.ConnectorRecoveryPlaybook(
                    playbook_id=row["playbook_id"],
                    generated_at=_time(row["generated_at"]),  # type: ignore[arg-type]
                    providers=tuple(providers.get(row["playbook_id"], ())),
                    lookback_hours=row["lookback_hours"],
                    min_failure_count=row["min_failure_count"],
                )
            )
        elif kind == "recovery_closure":
            loaded.append(
                evidence.RecoveryClosure(
                    closure_id=row["closure_id"],
                    playbook_id=row["playbook_id"],
                    provider=row["provider"],
                    closure_state=evidence.ClosureState(row["closure_state"]),
                    closed_at=_time(row["closed_at"]),  # type: ignore[arg-type]
                    closed_by=row["closed_by"],
                    external_ref=row["external_ref"],
                    notes=row["notes"],
                    verification_refs=tuple(row["verification_refs"]),
                )
            )
    return loaded


def run_evidence_import(arguments: argparse.Namespace) -> int:
    from cavra_recovery.server.storage.database import Database
    from cavra_recovery.server.storage.evidence.intake import record_evidence_batch
    from cavra_recovery.server.storage.ledger.bundle import bundle_records, read_bundle

    records = intake_records(list(bundle_records(read_bundle(Path(arguments.bundle)))))
    database = Database(arguments.database_url)
    try:
        now = datetime.now(UTC)
        outcome = database.run_sync(
            lambda session: record_evidence_batch(
                session, records=records, paths=[f"records[{i}]" for i in range(len(records))], now=now
            )
        )
    finally:
        database.dispose()
    print(f"imported {outcome.created_count} records ({outcome.unchanged_count} already stored)")
    return 0
