"""Audit bundles (docs/ledger.md): sealed records as JSON Lines with their inclusion proofs against one
checkpoint, and the checker that needs no database and no network."""

from __future__ import annotations

import base64
import io
import json
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from cavra_recovery.server.domain import merkle
from cavra_recovery.server.domain.ledger_checkpoint import body_of_note, leaf_data, parse_body
from cavra_recovery.server.storage.ledger.canonical import canonical_record, record_digest
from cavra_recovery.server.storage.ledger.checkpoints import latest_checkpoint, leaf_hashes
from cavra_recovery.server.storage.ledger.kinds import LEDGER_KINDS
from cavra_recovery.server.storage.ledger.tables import LedgerEntryRecord

RECORDS = "records.jsonl"
CHECKPOINT = "checkpoint.txt"
README = "README.md"

_README = """# Evidence ledger audit bundle

- `records.jsonl`: one record per line: `kind`, `id`, `record` (its public-safe fields), `digest`
  (SHA-256 of the canonical JSON of `{"kind": kind, "record": record}`), `seq`, `leaf_index`, and
  `proof` (the RFC 9162 audit path, base64 hashes, from its leaf to the checkpoint's root).
- `checkpoint.txt`: the signed checkpoint note (C2SP signed-note form) all proofs lead to.

Check it offline: `cavra-recovery ledger verify-bundle bundle.tar.gz --public-key ledger.key.pub`.
The canonical encoding and the leaf format are described in the service's docs/ledger.md.
"""


@dataclass(frozen=True, slots=True)
class BundleFilter:
    since: datetime | None = None
    until: datetime | None = None
    plan_id: str | None = None


def _selected(row: Any, wanted: BundleFilter, plan_deliveries: set[str]) -> bool:
    """Every record with no plan filter; else the plan's own records, its deliveries' attempts and the
    executive reports built on it."""
    if wanted.plan_id is None:
        return True
    values = dict(row)
    if wanted.plan_id in (values.get("plan_id"), values.get("escalation_plan_id")):
        return True
    return values.get("delivery_id") in plan_deliveries and "attempt_number" in values


def _sealed_records(connection: Connection, tree_size: int, wanted: BundleFilter) -> Iterator[dict[str, Any]]:
    entry = LedgerEntryRecord
    statement = select(entry.seq, entry.kind, entry.record_key, entry.digest, entry.leaf_index).where(
        entry.leaf_index < tree_size
    )
    if wanted.since is not None:
        statement = statement.where(entry.recorded_at >= wanted.since)
    if wanted.until is not None:
        statement = statement.where(entry.recorded_at < wanted.until)
    entries = {
        (row.kind, row.record_key): row for row in connection.execute(statement.order_by(entry.leaf_index))
    }
    plan_deliveries: set[str] = set()
    for kind in LEDGER_KINDS:
        names = list(dict.fromkeys((*kind.digest_columns, *kind.key)))
        for row in connection.execute(select(*(kind.table.c[n] for n in names))).mappings():
            found = entries.get((kind.kind, kind.record_key(row)))
            if found is None or not _selected(row, wanted, plan_deliveries):
                continue
            if kind.kind == "delivery":
                plan_deliveries.add(row["delivery_id"])
            yield {
                "kind": kind.kind,
                "id": found.record_key,
                "record": canonical_record(kind.values_of(row)),
                "digest": found.digest,
                "seq": found.seq,
                "leaf_index": found.leaf_index,
            }


def export_bundle(connection: Connection, out: Path, wanted: BundleFilter) -> int:
    """Write the bundle to `out`; returns the number of records. Raises LookupError with no checkpoint."""
    checkpoint = latest_checkpoint(connection)
    if checkpoint is None:
        raise LookupError("the ledger has no checkpoint yet: run `cavra-recovery ledger checkpoint` first")
    leaves = leaf_hashes(connection, tree_size=checkpoint.tree_size)
    lines = []
    for item in _sealed_records(connection, checkpoint.tree_size, wanted):
        path = merkle.inclusion_proof(item["leaf_index"], leaves)
        item["proof"] = [base64.b64encode(h).decode() for h in path]
        lines.append(json.dumps(item, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
    lines.sort(key=lambda line: json.loads(line)["leaf_index"])
    files = {
        RECORDS: ("\n".join(lines) + "\n").encode(),
        CHECKPOINT: checkpoint.note.encode(),
        README: _README.encode(),
    }
    with tarfile.open(out, "w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(data))
    return len(lines)


def read_bundle(path: Path) -> dict[str, bytes]:
    with tarfile.open(path, "r:gz") as archive:
        files = {}
        for member in archive.getmembers():
            if member.isfile() and member.name in (RECORDS, CHECKPOINT, README):
                handle = archive.extractfile(member)
                assert handle is not None
                files[member.name] = handle.read()
    return files


def bundle_records(files: dict[str, bytes]) -> Iterator[dict[str, Any]]:
    for line in files.get(RECORDS, b"").decode("utf-8").splitlines():
        if line.strip():
            yield json.loads(line)


def verify_bundle(files: dict[str, bytes], verify_signature: Callable[[str], bool]) -> list[str]:
    """Problems found, each naming the record or file; empty when the bundle verifies."""
    if CHECKPOINT not in files or RECORDS not in files:
        return ["bundle lacks records.jsonl or checkpoint.txt"]
    note = files[CHECKPOINT].decode("utf-8")
    problems = []
    if not verify_signature(note):
        problems.append("checkpoint signature does not verify with the given public key")
    body = parse_body(body_of_note(note))
    for number, line in enumerate(files[RECORDS].decode("utf-8", errors="replace").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            kind, record_id = str(item["kind"]), str(item["id"])
        except (ValueError, KeyError, TypeError):
            problems.append(f"records.jsonl line {number}: not a bundle record")
            continue
        try:
            digest = record_digest(kind, item["record"])
            if digest != item["digest"]:
                problems.append(
                    f"kind={kind} id={record_id}: digest mismatch expected={item['digest']} found={digest}"
                )
                continue
            leaf = merkle.leaf_hash(
                leaf_data(
                    index=item["leaf_index"], seq=item["seq"], kind=kind, record_key=record_id, digest=digest
                )
            )
            path = [base64.b64decode(h) for h in item["proof"]]
            if not merkle.verify_inclusion(item["leaf_index"], body.tree_size, leaf, path, body.root_hash):
                problems.append(
                    f"kind={kind} id={record_id}: inclusion proof does not lead to the checkpoint root"
                )
        except (ValueError, KeyError, TypeError, AttributeError):
            problems.append(f"kind={kind} id={record_id}: malformed record line {number}")
    return problems
