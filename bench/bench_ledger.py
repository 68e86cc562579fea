"""Evidence ledger cost: BatchRecordEvidence throughput with the ledger on vs off (`--ledger on|off`),
on one server (SQLite, PostgreSQL) and on two replicas sharing one PostgreSQL database, ingesting
concurrently. The figure is the ratio on / off, measured in the same run (target >= 0.8): off and on
alternate twice on fresh databases and the faster run of each counts, since other load on a shared
machine only ever slows a run down."""

from __future__ import annotations

import threading
from contextlib import ExitStack
from typing import Any

import grpc
from sqlalchemy import func, select

from bench.bench_evidence import requests, same_rows
from bench.harness import postgres_database, running_server, scratch_directory
from bench.results import Results, stopwatch
from bench.scale import Scale
from cavra.recovery.v1 import evidence_pb2, evidence_pb2_grpc
from cavra_recovery.server.storage.database import create_database_engine
from cavra_recovery.server.storage.ledger.tables import LedgerEntryRecord

_OPTIONS = [("grpc.max_send_message_length", 64 << 20)]
_ALTERNATING = ("off", "on", "off", "on")


def _send(address: str, prepared: list[evidence_pb2.BatchRecordEvidenceRequest]) -> None:
    with grpc.insecure_channel(address, options=_OPTIONS) as channel:
        stub = evidence_pb2_grpc.EvidenceServiceStub(channel)
        for request in prepared:
            response = stub.BatchRecordEvidence(request, timeout=600)
            if response.created_count != len(request.records):
                raise RuntimeError(f"created {response.created_count} of {len(request.records)}")


def _intake_seconds(url: str, rows: list[dict[str, Any]], batch: int, *, ledger: str, replicas: int) -> float:
    """Seconds for `replicas` servers on `url` to take every row, each replica sent its share at once."""
    prepared = requests(rows, batch)
    shares = [prepared[i::replicas] for i in range(replicas)]
    with ExitStack() as stack:
        servers = [
            stack.enter_context(running_server(url, extra=["--ledger", ledger])) for _ in range(replicas)
        ]
        errors: list[BaseException] = []

        def send(address: str, share: list[evidence_pb2.BatchRecordEvidenceRequest]) -> None:
            try:
                _send(address, share)
            except BaseException as error:
                errors.append(error)

        threads = [
            threading.Thread(target=send, args=(server.grpc_address, share))
            for server, share in zip(servers, shares, strict=True)
        ]
        with stopwatch() as elapsed:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            seconds = elapsed()
        if errors:
            raise errors[0]
    engine = create_database_engine(url)
    try:
        with engine.connect() as connection:
            entries = connection.scalar(select(func.count()).select_from(LedgerEntryRecord))
    finally:
        engine.dispose()
    expected = len(rows) if ledger == "on" else 0
    if entries != expected:
        raise RuntimeError(f"ledger {ledger}: {entries} entries for {len(rows)} records")
    return seconds


def _figure(results: Results, name: str, on: float, off: float, count: int) -> None:
    print(f"  {name}: ledger on {count / on:,.0f} records/s, off {count / off:,.0f} records/s", flush=True)
    results.record(
        name,
        count / on,
        "records/s",
        target=">= 0.8 x",
        better="higher",
        baseline="the same intake with --ledger off, same rows and batches",
        baseline_value=count / off,
    )


def main(results: Results, scale: Scale) -> None:
    rows = same_rows(scale.intake_records)
    batch = scale.intake_batch
    with scratch_directory() as scratch:
        seconds = {
            ledger: _intake_seconds(
                f"sqlite:///{scratch / f'{ledger}.db'}", rows, batch, ledger=ledger, replicas=1
            )
            for ledger in ("off", "on")
        }
    _figure(
        results,
        f"Intake with the ledger on vs off, {len(rows):,} executions in batches of {batch:,} (SQLite)",
        seconds["on"],
        seconds["off"],
        len(rows),
    )
    for replicas in (1, 2):
        name = (
            f"Intake with the ledger on vs off, {len(rows):,} executions in batches of {batch:,}, "
            f"{replicas} replica{'s' if replicas > 1 else ''} (PostgreSQL)"
        )
        if scale.postgres_url is None:
            results.not_measured(
                name,
                "x",
                target=">= 0.8 x",
                better="higher",
                reason="set BENCH_POSTGRES_URL or CAVRA_TEST_POSTGRES_URL",
            )
            continue
        seconds = {}
        for ledger in _ALTERNATING:
            with postgres_database(scale.postgres_url) as url:
                taken = _intake_seconds(url, rows, batch, ledger=ledger, replicas=replicas)
                seconds[ledger] = min(seconds.get(ledger, taken), taken)
        _figure(results, name, seconds["on"], seconds["off"], len(rows))
