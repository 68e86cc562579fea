"""SQLite under faults (issue 15): a database made read-only mid-run answers UNAVAILABLE with a clear
message and recovers once writable again; two worker processes with 8 concurrent writers see no error.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import grpc
import pytest
from sqlalchemy import text

from cavra.recovery.v1 import escalation_pb2, escalation_pb2_grpc, evidence_pb2, evidence_pb2_grpc
from cavra_recovery.server.domain.errors import Unavailable
from cavra_recovery.server.storage.database import Database
from tests.conftest import ServerProcess, free_port
from tests.faults.outage_kit import (
    FAST_DATABASE_CHECK_ENV,
    CallOutcome,
    IntakeLoad,
    Outage,
    Recorder,
    database_unavailable_problems,
    grpc_recorder,
    stored_execution_ids,
)
from tests.faults.sqlite_faults import read_only_database, require_immutable_files
from tests.platform.evidence_builders import playbook, retry_execution

READ_ONLY_SECONDS = 4.0
RECOVERY_SECONDS = 5.0
WRITERS = 8
WRITE_SECONDS = 15.0


def test_read_only_database_answers_unavailable_then_recovers(
    server_factory: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    directory = tmp_path / "database"
    directory.mkdir()
    database = directory / "cavra-recovery.db"
    chattr = require_immutable_files(directory)
    server = server_factory(database_url=f"sqlite:///{database}", http=False, env=FAST_DATABASE_CHECK_ENV)
    load = IntakeLoad(grpc_recorder(server.grpc_address, deadline=5.0), threads=2, prefix="exec-sqlite")
    outage = Outage(server.log_lines)
    with load.running():
        time.sleep(1.0)
        # The fault begins while chattr runs (the files one after another), so mark it before.
        outage.begin()
        with read_only_database(chattr, database):
            time.sleep(READ_ONLY_SECONDS)
            outage.end()
        time.sleep(RECOVERY_SECONDS + 1.0)
    finished = time.monotonic()

    before = load.between(0, outage.began)
    assert before and all(o.failure is None for o in before), failed("before", before, outage)
    during = load.between(outage.began + 0.5, outage.ended)
    assert during and not any(o.failure is None for o in during), "writes succeeded on a read-only database"
    problems = {
        problem
        for o in load.between(outage.began, outage.ended)
        if o.failure is not None
        for problem in database_unavailable_problems(o.failure, secrets=[])
    }
    assert not problems, f"writes to the read-only database ({load.codes(during)}): {sorted(problems)}"
    settled = load.between(outage.ended + RECOVERY_SECONDS, finished)
    assert settled and all(o.failure is None for o in settled), failed("once writable", settled, outage)
    assert load.acknowledged() <= stored_execution_ids(server.grpc_address)
    assert "Traceback" not in server.log_text, "\n".join(outage.log_since_begin()[:40])


def test_a_connection_opened_while_the_file_was_read_only_is_replaced_once_writable(tmp_path: Path) -> None:
    """SQLite opens a file it may not write read-only, silently, and keeps that connection read-only."""
    directory = tmp_path / "database"
    directory.mkdir()
    path = directory / "cavra-recovery.db"
    chattr = require_immutable_files(directory)
    database = Database(f"sqlite:///{path}", ledger=False)
    try:
        database.run_sync(lambda session: session.execute(text("CREATE TABLE marks (mark INTEGER)")))

        def mark(value: int) -> None:
            database.run_sync(lambda session: session.execute(text(f"INSERT INTO marks VALUES ({value})")))

        mark(1)
        # The pool's next connection is opened while the file is read-only; another connection keeps
        # the -wal file (as a running server's do), which SQLite would otherwise remove on dispose.
        with closing(sqlite3.connect(path)) as keeper:
            keeper.execute("SELECT count(*) FROM marks").fetchall()
            database.engine.dispose()
            with read_only_database(chattr, path):
                with pytest.raises(Unavailable, match="database unavailable: "):
                    mark(2)
        mark(3)  # without the replacement: "attempt to write a readonly database", for good
        mark(4)
        stored = database.run_sync(lambda session: session.scalars(text("SELECT mark FROM marks")).all())
        assert sorted(stored) == [1, 3, 4]
    finally:
        database.dispose()


def failed(phase: str, outcomes: list[CallOutcome], outage: Outage) -> str:
    """The failed calls of a phase, timed from the fault's start, and the server log since then."""
    failures = [o for o in outcomes if o.failure is not None]
    calls = "\n".join(
        f"{o.execution_id} {o.started - outage.began:+.3f}..{o.finished - outage.began:+.3f} s: {o.failure}"
        for o in failures[:10]
    )
    log = "\n".join(outage.log_since_begin()[-40:])
    return f"writes failed {phase}: {len(failures)} of {len(outcomes)}\n{calls}\nserver log:\n{log}"


@contextmanager
def mixed_writer(address: str, index: int) -> Iterator[Recorder]:
    """Mostly retry executions, a playbook every 5th call and a plan every 25th (a longer transaction)."""
    with grpc.insecure_channel(address) as channel:
        evidence = evidence_pb2_grpc.EvidenceServiceStub(channel)
        escalation = escalation_pb2_grpc.EscalationServiceStub(channel)
        calls = 0

        def record(execution_id: str) -> None:
            nonlocal calls
            calls += 1
            if calls % 25 == 0:
                escalation.CreateRecoveryEscalationPlan(
                    escalation_pb2.CreateRecoveryEscalationPlanRequest(), timeout=60
                )
            elif calls % 5 == 0:
                evidence.RecordConnectorRecoveryPlaybook(
                    evidence_pb2.RecordConnectorRecoveryPlaybookRequest(
                        playbook=playbook(f"pb-{execution_id}")
                    ),
                    timeout=60,
                )
            evidence.RecordRetryExecution(
                evidence_pb2.RecordRetryExecutionRequest(
                    retry_execution=retry_execution(index, execution_id=execution_id)
                ),
                timeout=60,
            )

        yield record


def wait_for_workers(server: ServerProcess, count: int, *, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while sum("grpc listening on" in line for line in server.log_lines) < count:
        assert time.monotonic() < deadline, "\n".join(server.log_lines)
        time.sleep(0.1)


def test_two_workers_and_eight_concurrent_writers_see_no_error(
    server_factory: Callable[..., ServerProcess], sqlite_url: str
) -> None:
    server = server_factory(
        database_url=sqlite_url, http=False, grpc_port=free_port(), extra_args=["--workers", "2"]
    )
    wait_for_workers(server, 2)
    load = IntakeLoad(
        lambda index: mixed_writer(server.grpc_address, index), threads=WRITERS, prefix="exec-writer", pause=0
    )
    with load.running():
        time.sleep(WRITE_SECONDS)

    assert load.codes() and set(load.codes()) == {"OK"}, f"writes answered {load.codes()}"
    assert load.acknowledged() <= stored_execution_ids(server.grpc_address)
    assert "Traceback" not in server.log_text
