"""How big the bench runs: the issue's sizes, or `BENCH_QUICK=1` for a reduced run in under 3 minutes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    quick: bool
    large_executions: int
    """The issue's "1M executions" history (SQLite and PostgreSQL)."""
    small_executions: int
    """The "100k" history the large one is compared with."""
    plan_routes: int
    """Routes in the plan whose route writes are compared with a bare insert."""
    intake_records: int
    """Records sent through BatchRecordEvidence (and bare-inserted) per database."""
    intake_batch: int
    load_seconds: float
    """Seconds of each ghz / wrk run."""
    delivery_routes: int
    postgres_url: str | None

    @staticmethod
    def from_environ(environ: Mapping[str, str]) -> Scale:
        quick = environ.get("BENCH_QUICK", "") not in ("", "0")
        postgres = environ.get("BENCH_POSTGRES_URL") or environ.get("CAVRA_TEST_POSTGRES_URL") or None
        if quick:
            return Scale(True, 50_000, 5_000, 5_000, 10_000, 2_000, 2.0, 200, postgres)
        return Scale(False, 1_000_000, 100_000, 50_000, 100_000, 5_000, 5.0, 1_000, postgres)

    def label(self, executions: int) -> str:
        return f"{executions // 1_000_000}M" if executions >= 1_000_000 else f"{executions // 1_000}k"
