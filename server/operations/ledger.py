"""The evidence ledger's actions: seal a checkpoint (the periodic task), and read checkpoints and proofs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from cavra_recovery.server.domain import merkle
from cavra_recovery.server.domain.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
)
from cavra_recovery.server.domain.ledger_checkpoint import checkpoint_window
from cavra_recovery.server.domain.reasons import Reason, Resource
from cavra_recovery.server.ledger_keys import CheckpointSigner
from cavra_recovery.server.operations.periodic import PeriodicTask
from cavra_recovery.server.storage.database import Database
from cavra_recovery.server.storage.ledger import checkpoints as checkpoint_store
from cavra_recovery.server.storage.ledger.checkpoints import Checkpoint, SealRace
from cavra_recovery.server.storage.ledger.kinds import KIND_BY_NAME

Reader = Session | Connection

log = logging.getLogger("cavra-recovery.ledger")


def seal_checkpoint(
    database: Database, *, now: datetime, window_start: datetime, signer: CheckpointSigner | None
) -> Checkpoint | None:
    """One checkpoint over every committed unsealed entry; None when nothing was sealed (nothing new, or
    another replica had this window)."""
    sign = None if signer is None else signer.sign
    try:
        return database.run_sync(
            lambda session: checkpoint_store.seal(session, now=now, window_start=window_start, sign=sign)
        )
    except SealRace:
        return None


class CheckpointTask:
    """One checkpoint per window of `period_seconds`, tried on every replica; the window claim picks one."""

    def __init__(
        self,
        database: Database,
        *,
        period_seconds: int,
        signer: CheckpointSigner | None,
        clock: Callable[[], datetime],
    ) -> None:
        self._database = database
        self._period = period_seconds
        self._signer = signer
        self._clock = clock
        self._window = checkpoint_window(clock(), period_seconds)
        self._loop = PeriodicTask(
            "ledger-checkpoints",
            self._seal,
            wait_seconds=self._until_next_window,
            log=log,
            failure="ledger checkpoint failed; retrying next window",
        )

    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def _seal(self) -> None:
        now = self._clock()
        self._window = window = checkpoint_window(now, self._period)
        checkpoint = await asyncio.to_thread(
            seal_checkpoint, self._database, now=now, window_start=window, signer=self._signer
        )
        if checkpoint is not None:
            log.info("ledger checkpoint sealed: size %d", checkpoint.tree_size)

    def _until_next_window(self) -> float:
        return max(0.05, self._period - (self._clock() - self._window).total_seconds())


def get_checkpoint(session: Reader, *, tree_size: int) -> Checkpoint:
    """The checkpoint of `tree_size`, or the latest one for 0."""
    if tree_size < 0:
        raise InvalidArgument([FieldViolation("tree_size", "must not be negative")])
    checkpoint = checkpoint_store.latest_checkpoint(session, tree_size=tree_size or None)
    if checkpoint is None:
        if tree_size:
            raise NotFound(Resource.LEDGER_CHECKPOINT, str(tree_size))
        raise FailedPrecondition("the ledger has no checkpoint yet", reason=Reason.LEDGER_NOT_SEALED)
    return checkpoint


@dataclass(frozen=True, slots=True)
class InclusionProof:
    kind: str
    record_id: str
    digest: str
    seq: int
    leaf_index: int
    leaf_hash: bytes
    audit_path: list[bytes]
    checkpoint: Checkpoint


def inclusion_proof(session: Reader, *, kind: str, record_id: str, tree_size: int) -> InclusionProof:
    violations = []
    if kind not in KIND_BY_NAME:
        violations.append(FieldViolation("kind", f"must be one of {', '.join(sorted(KIND_BY_NAME))}"))
    if not record_id:
        violations.append(FieldViolation("record_id", "is required"))
    if violations:
        raise InvalidArgument(violations)
    entry = checkpoint_store.entry_of(session, kind=kind, record_key=record_id)
    if entry is None:
        raise NotFound(Resource.LEDGER_ENTRY, record_id, metadata={"kind": kind})
    checkpoint = get_checkpoint(session, tree_size=tree_size)
    if entry.leaf_index is None or entry.leaf_index >= checkpoint.tree_size:
        raise FailedPrecondition(
            f"{kind} {record_id!r} is not sealed by checkpoint {checkpoint.tree_size} yet",
            reason=Reason.LEDGER_NOT_SEALED,
            metadata={"kind": kind, "record_id": record_id},
        )
    leaves = checkpoint_store.leaf_hashes(session, tree_size=checkpoint.tree_size)
    return InclusionProof(
        kind=kind,
        record_id=record_id,
        digest=entry.digest,
        seq=entry.seq,
        leaf_index=entry.leaf_index,
        leaf_hash=leaves[entry.leaf_index],
        audit_path=merkle.inclusion_proof(entry.leaf_index, leaves),
        checkpoint=checkpoint,
    )


def consistency_proof(
    session: Reader, *, from_size: int, to_size: int
) -> tuple[Checkpoint, Checkpoint, list[bytes]]:
    if from_size <= 0 or to_size < 0 or (to_size and to_size < from_size):
        raise InvalidArgument([FieldViolation("from_size", "must be at least 1 and at most to_size")])
    older = get_checkpoint(session, tree_size=from_size)
    newer = get_checkpoint(session, tree_size=to_size)
    leaves = checkpoint_store.leaf_hashes(session, tree_size=newer.tree_size)
    return older, newer, merkle.consistency_proof(older.tree_size, leaves)
