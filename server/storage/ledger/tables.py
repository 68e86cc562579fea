"""The ledger tables: one entry per stored record (or per evidence-relevant change of a mutable one),
and the chained checkpoints that seal entries into an RFC 6962 Merkle tree (docs/ledger.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cavra_recovery.server.storage.models import ID_LENGTH, Base

DIGEST_LENGTH = 64


class LedgerEntryRecord(Base):
    """An entry: written in the record's own transaction; sealed (given a leaf index) by a checkpoint.

    `seq` comes from an identity column, so concurrent writers never wait on a chain head; the
    checkpoint task gives committed entries contiguous leaf indexes in `seq` order.
    """

    __tablename__ = "ledger_entries"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    record_key: Mapped[str] = mapped_column(String(2 * ID_LENGTH + 1))
    digest: Mapped[str] = mapped_column(String(DIGEST_LENGTH))
    recorded_at: Mapped[datetime]
    # Unique, NULL until sealed; its index also finds the unsealed entries.
    leaf_index: Mapped[int | None] = mapped_column(BigInteger, unique=True)


class LedgerCheckpointRecord(Base):
    """A sealed tree head: size, root, time, the previous checkpoint's hash, and an optional signature."""

    __tablename__ = "ledger_checkpoints"

    tree_size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root_hash: Mapped[str] = mapped_column(String(DIGEST_LENGTH))
    # Unique: the chain never forks, whatever two sealers race.
    previous_hash: Mapped[str] = mapped_column(String(DIGEST_LENGTH), unique=True)
    checkpoint_hash: Mapped[str] = mapped_column(String(DIGEST_LENGTH), unique=True)
    created_at: Mapped[datetime]
    # One checkpoint per window across replicas: the first insert for a window wins (as schedule runs).
    window_start: Mapped[datetime] = mapped_column(unique=True)
    # Compact range (hex hashes of the perfect subtrees, largest first): the next checkpoint extends it.
    frontier: Mapped[list[Any]]
    # The signed note (text body plus signature lines); the body alone when no key is configured.
    note: Mapped[str] = mapped_column(Text)
    key_id: Mapped[str] = mapped_column(String(16), default="")
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)
