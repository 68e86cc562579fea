"""`ledger verify`: recompute every record's digest and every checkpoint, and report what does not match.

Findings, in the order found: a record whose digest differs from its latest entry (kind, id, expected
and found digest); an entry whose record is gone; a record with no entry; a leaf index gap; an entry
out of `seq` order within the entries one checkpoint sealed (a reordered ledger); a checkpoint whose
root, chain or signature does not match.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, select

from cavra_recovery.server.domain import merkle
from cavra_recovery.server.domain.ledger_checkpoint import NO_PREVIOUS, body_of_note, parse_body
from cavra_recovery.server.storage.ledger.canonical import record_digest
from cavra_recovery.server.storage.ledger.checkpoints import all_checkpoints, iter_sealed
from cavra_recovery.server.storage.ledger.kinds import LEDGER_KINDS, LedgeredKind
from cavra_recovery.server.storage.ledger.tables import LedgerEntryRecord

# Called with (entries checked, message) now and then, for progress on large databases.
Progress = Callable[[int, str], None]
_PROGRESS_EVERY = 100_000


@dataclass(frozen=True, slots=True)
class Finding:
    problem: str
    kind: str = ""
    record_id: str = ""
    expected: str = ""
    found: str = ""

    def describe(self) -> str:
        """`problem: kind=… id=… expected=… found=…` (the parts that apply)."""
        parts = []
        if self.kind:
            parts.append(f"kind={self.kind} id={self.record_id}")
        if self.expected or self.found:
            parts.append(f"expected={self.expected or '-'} found={self.found or '-'}")
        return self.problem + (": " + " ".join(parts) if parts else "")


@dataclass(frozen=True, slots=True)
class VerifyReport:
    entries: int
    records: int
    checkpoints: int
    findings: tuple[Finding, ...]


def _record_digests(connection: Connection, kind: LedgeredKind) -> tuple[dict[str, str], set[str]]:
    """Digest of every stored record of `kind` by key, and the keys of rows not final yet."""
    table = kind.table
    names = list(dict.fromkeys((*kind.digest_columns, *kind.key)))
    digests: dict[str, str] = {}
    in_flight: set[str] = set()
    for row in connection.execute(select(*(table.c[n] for n in names))).mappings():
        values = kind.values_of(row)
        key = kind.record_key(row)
        digests[key] = record_digest(kind.kind, values, may_hold_floats=kind.floats_in(values))
        if kind.in_flight is not None and row[kind.in_flight[0]] == kind.in_flight[1]:
            in_flight.add(key)
    return digests, in_flight


def verify_ledger(
    connection: Connection,
    *,
    verify_signature: Callable[[str], bool] | None = None,
    progress: Progress | None = None,
) -> VerifyReport:
    findings: list[Finding] = []
    stored: dict[tuple[str, str], str] = {}
    in_flight: set[tuple[str, str]] = set()
    for kind in LEDGER_KINDS:
        digests, pending = _record_digests(connection, kind)
        stored.update(((kind.kind, key), digest) for key, digest in digests.items())
        in_flight.update((kind.kind, key) for key in pending)
    latest: dict[tuple[str, str], tuple[int, str]] = {}
    entry = LedgerEntryRecord
    count = 0
    for seq, kind_name, key, digest in connection.execute(
        select(entry.seq, entry.kind, entry.record_key, entry.digest).execution_options(yield_per=10_000)
    ):
        count += 1
        previous = latest.get((kind_name, key))
        if previous is None or previous[0] < seq:
            latest[(kind_name, key)] = (seq, digest)
        if progress is not None and count % _PROGRESS_EVERY == 0:
            progress(count, "entries read")
    for (kind_name, key), (_, digest) in sorted(latest.items(), key=lambda item: item[1][0]):
        found = stored.get((kind_name, key))
        if found is None:
            findings.append(Finding("record missing", kind_name, key, expected=digest))
        elif found != digest:
            findings.append(Finding("digest mismatch", kind_name, key, expected=digest, found=found))
    for kind_name, key in sorted(set(stored) - set(latest) - in_flight):
        findings.append(Finding("record not in the ledger", kind_name, key, found=stored[(kind_name, key)]))
    checkpoints = all_checkpoints(connection)
    findings.extend(_check_tree(connection, checkpoints, verify_signature, progress))
    return VerifyReport(
        entries=count, records=len(stored), checkpoints=len(checkpoints), findings=tuple(findings)
    )


def _check_tree(
    connection: Connection,
    checkpoints: list,  # type: ignore[type-arg]
    verify_signature: Callable[[str], bool] | None,
    progress: Progress | None,
) -> list[Finding]:
    findings: list[Finding] = []
    frontier: list[bytes] = []
    size = 0
    last_seq = 0
    pending = iter(checkpoints)
    target = next(pending, None)
    previous_hash = NO_PREVIOUS

    def close(checkpoint) -> None:  # type: ignore[no-untyped-def]
        nonlocal previous_hash
        name = f"checkpoint {checkpoint.tree_size}"
        body = parse_body(body_of_note(checkpoint.note))
        if merkle.root_of_range(frontier) != checkpoint.root_hash or body.root_hash != checkpoint.root_hash:
            findings.append(
                Finding(
                    f"{name}: root does not match the entries",
                    expected=checkpoint.root_hash.hex(),
                    found=merkle.root_of_range(frontier).hex(),
                )
            )
        if body.digest() != checkpoint.checkpoint_hash or body.tree_size != checkpoint.tree_size:
            findings.append(Finding(f"{name}: stored hash does not match its note"))
        if body.previous_hash != previous_hash:
            findings.append(
                Finding(f"{name}: chain broken", expected=previous_hash, found=body.previous_hash)
            )
        if verify_signature is not None and not verify_signature(checkpoint.note):
            findings.append(Finding(f"{name}: signature does not verify"))
        previous_hash = checkpoint.checkpoint_hash

    for row, leaf in iter_sealed(connection):
        index, seq, kind_name, key, _ = row
        if index != size:
            findings.append(Finding(f"leaf index gap: expected {size}, found {index}", kind_name, key))
            return findings
        if seq <= last_seq:
            findings.append(
                Finding(f"entry out of order: seq {seq} after seq {last_seq} at leaf {index}", kind_name, key)
            )
        last_seq = seq
        frontier = merkle.append_range(frontier, size, [leaf])
        size += 1
        while target is not None and target.tree_size == size:
            close(target)
            target = next(pending, None)
            # A checkpoint seals its new entries in seq order; a later one may seal a lower seq that
            # committed late, so the order is checked within each checkpoint's entries.
            last_seq = 0
        if progress is not None and size % _PROGRESS_EVERY == 0:
            progress(size, "leaves checked")
    if target is not None:
        findings.append(Finding(f"checkpoint {target.tree_size}: entries missing (only {size} sealed)"))
    return findings
