"""The tables of retry-worker runs and their decisions (the repository is `server/storage/retry_runs.py`).

Apart from it so that the ledger, which digests every stored record, can name them without importing a
repository.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cavra_recovery.server.storage.models import ID_LENGTH, NAME_LENGTH, Base


class RetryWorkerRunRecord(Base):
    __tablename__ = "retry_worker_runs"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    run_id: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    trigger: Mapped[str] = mapped_column(String(16))
    # The caller's identity when the run was requested by an authenticated caller; "" otherwise.
    requested_by: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    dry_run: Mapped[bool]
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime]


class RetryWorkerDecisionRecord(Base):
    __tablename__ = "retry_worker_decisions"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    run_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("retry_worker_runs.run_id", ondelete="CASCADE"), index=True
    )
    delivery_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    # The trail reads a plan's decisions by this index; NULL for a report delivery (no plan).
    plan_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), index=True)
    receiver: Mapped[str] = mapped_column(String(NAME_LENGTH))
    provider: Mapped[str] = mapped_column(String(NAME_LENGTH))
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(64))
    attempt_number: Mapped[int] = mapped_column(Integer)
    outcome_state: Mapped[str] = mapped_column(String(32))
