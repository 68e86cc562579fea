"""The bench's results format cannot rot: the writer's output, the committed bench/results.json and the
seeded history are checked here. No timing is asserted (benchmarks are not tests)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bench.results import FIELDS, Results, markdown, validate
from bench.seed import seed_history

REPO_ROOT = Path(__file__).resolve().parent.parent
# One figure per row of issue 10's acceptance table (the report rows count twice, once per report).
ACCEPTANCE_FIGURES = (
    "GetRetryRecoveryReport at ",
    "GetRecoveryExecutiveReport at ",
    "CreateRecoveryEscalationPlan at ",
    "route writes of a ",
    "GetRetryExecution, 16 in flight",
    "GetRollbackDrillDashboard at ",
    "RecordRetryExecution (single)",
    "BatchRecordEvidence, ",
    "--workers 2 / 1 process, server CPU",
    "--workers 2 / 1 process, GetRetryExecution throughput",
    "gateway GET ",
    "delivery fan-out",
    "server peak RSS at ",
)


def test_written_results_validate_and_keep_the_field_order(tmp_path: Path) -> None:
    results = Results(machine="test machine")
    results.record(
        "a read",
        800.0,
        "calls/s",
        target=">= 0.6 x",
        better="higher",
        baseline="Health/Check",
        baseline_value=1000.0,
    )
    results.record("a report", 42.0, "ms", target="<= 100 ms", better="lower")
    results.not_measured(
        "a PostgreSQL report", "ms", target="<= 150 ms", better="lower", reason="no database"
    )
    path = tmp_path / "results.json"
    results.write(path)
    entries = json.loads(path.read_text())
    assert validate(entries) == []
    assert [tuple(entry) for entry in entries] == [FIELDS] * 3
    assert entries[0]["ratio"] == 0.8
    assert entries[2]["value"] is None and "not measured: no database" in entries[2]["target"]
    assert [figure.meets() for figure in results.figures] == [True, True, None]


def test_the_readme_table_has_one_row_per_figure_and_names_misses(tmp_path: Path) -> None:
    results = Results(machine="m")
    results.record("fast", 50.0, "ms", target="<= 100 ms", better="lower")
    results.record("slow", 500.0, "ms", target="<= 100 ms", better="lower")
    results.not_measured("elsewhere", "ms", target="<= 150 ms", better="lower", reason="no database")
    path = tmp_path / "results.json"
    results.write(path)
    rows = markdown(json.loads(path.read_text())).splitlines()[2:]
    assert [row.split(" | ")[0] for row in rows] == ["| fast", "| slow", "| elsewhere"]
    assert rows[0].endswith("| met |") and rows[1].endswith("| **missed** |")
    assert "not measured" in rows[2]


def test_a_partial_run_replaces_its_figures_and_keeps_the_others(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    first = Results(machine="m")
    first.record("kept", 1.0, "ms", target="<= 2 ms", better="lower")
    first.record("remeasured", 5.0, "ms", target="<= 2 ms", better="lower")
    first.write(path)
    second = Results(machine="m")
    second.record("remeasured", 1.5, "ms", target="<= 2 ms", better="lower")
    second.write(path, keep_from=path)
    entries = json.loads(path.read_text())
    assert [(entry["name"], entry["value"]) for entry in entries] == [("kept", 1.0), ("remeasured", 1.5)]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda e: e.pop("machine"), "fields"),
        (lambda e: e.update(better="faster"), "better"),
        (lambda e: e.update(value=None), "not measured"),
        (lambda e: e.update(value="12 ms"), "value"),
        (lambda e: e.update(when="yesterday"), "when"),
    ],
)
def test_validate_names_what_is_wrong(change: object, problem: str) -> None:
    results = Results(machine="m")
    results.record("figure", 1.0, "ms", target="<= 2 ms", better="lower")
    entry = json.loads(json.dumps([vars(results.figures[0])]))[0]
    change(entry)  # type: ignore[operator]
    problems = validate([entry])
    assert problems and problem in problems[0]


def test_committed_results_cover_every_acceptance_figure() -> None:
    entries = json.loads((REPO_ROOT / "bench" / "results.json").read_text())
    assert validate(entries) == []
    names = [entry["name"] for entry in entries]
    missing = [prefix for prefix in ACCEPTANCE_FIGURES if not any(name.startswith(prefix) for name in names)]
    assert missing == []
    # Both reports on SQLite (large, ratio) and PostgreSQL; BatchRecordEvidence on both databases.
    assert sum(name.startswith("GetRetryRecoveryReport at ") for name in names) == 3
    assert sum(name.startswith("BatchRecordEvidence, ") for name in names) == 2


def test_seeded_history_has_the_issue_shape_and_exactly_the_open_rows(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'history.db'}"
    seed_history(url, 400, open_rows=5)
    engine = create_engine(url)
    latest_state = (
        "SELECT closure_state FROM recovery_closures c WHERE NOT EXISTS (SELECT 1 FROM recovery_closures n"
        " WHERE n.playbook_id = c.playbook_id AND n.provider = c.provider AND n.closed_at > c.closed_at)"
    )
    with engine.connect() as connection:
        counts = {
            table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in (
                "retry_executions",
                "connector_recovery_playbooks",
                "playbook_providers",
                "recovery_closures",
            )
        }
        states = [row[0] for row in connection.execute(text(latest_state))]
    engine.dispose()
    assert counts == {
        "retry_executions": 400,
        "connector_recovery_playbooks": 20,
        "playbook_providers": 40,
        "recovery_closures": 80,
    }
    assert len(states) == 40
    assert sum(state not in ("resolved", "mitigated") for state in states) == 5
