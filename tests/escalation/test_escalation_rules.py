"""Escalation policies at run time with an injected clock, on real SQLite and PostgreSQL: level timing,
repeat, stop on acknowledgement and on resolution, a silence starting mid-chain, an inhibit rule."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from cavra_recovery.server.domain.escalation_policy import PolicyTimings, decide, step_reason
from cavra_recovery.server.operations.escalations import stop_on_acknowledgement
from cavra_recovery.server.storage import acknowledgements as acknowledgement_store
from cavra_recovery.server.storage import dashboard as dashboard_store
from cavra_recovery.server.storage import escalations as escalation_store
from cavra_recovery.server.storage.database import Database
from cavra_recovery.server.storage.escalations import StoredEscalation
from tests.escalation.policy_kit import (
    T0,
    deliver_latest,
    minutes,
    outbox,
    policy_config,
    silence,
    state,
    tick,
)
from tests.reports.evidence_rows import add_closure, add_playbook


def seed_breached_slack(database: Database, playbook_id: str = "pb-1", age_hours: float = 8) -> None:
    database.run_sync(
        lambda session: add_playbook(session, playbook_id, T0 - timedelta(hours=age_hours), [("slack", 3)])
    )


def test_level_two_is_notified_when_level_one_times_out_and_not_a_moment_before(database: Database) -> None:
    config = policy_config()
    seed_breached_slack(database)
    plan_id = deliver_latest(database, config, T0)
    assert outbox(database, plan_id) == [("level-one", "pending")]

    assert tick(database, config, T0 + minutes(15) - timedelta(seconds=1)).advanced == 0
    assert outbox(database, plan_id) == [("level-one", "pending")]

    assert tick(database, config, T0 + minutes(15)).advanced == 1
    assert outbox(database, plan_id) == [("level-one", "pending"), ("level-two", "pending")]
    (escalation,), steps = state(database, plan_id)
    assert [(step.step, step.level, step.receivers, step.outcome) for step in steps] == [
        (1, 1, ("level-one",), "sent"),
        (2, 2, ("level-two",), "sent"),
    ]
    assert steps[1].reason == "level 2: no acknowledgement within 15m of level 1"
    assert steps[1].delivery_evidence_id is not None
    assert escalation.next_step_at == T0 + minutes(15) + minutes(30)
    # A tick at the same instant (another replica) notifies nothing more.
    assert tick(database, config, T0 + minutes(15)).advanced == 0
    assert len(outbox(database, plan_id)) == 2


def test_repeat_runs_the_chain_again_then_the_escalation_is_exhausted(database: Database) -> None:
    config = policy_config((("level-one", "1m"), ("level-two", "2m")), repeat=1)
    seed_breached_slack(database)
    plan_id = deliver_latest(database, config, T0)
    for at in (1, 3, 4, 6, 30):
        tick(database, config, T0 + minutes(at))
    (escalation,), steps = state(database, plan_id)
    assert [(step.level, step.cycle) for step in steps] == [(1, 0), (2, 0), (1, 1), (2, 1)]
    assert steps[2].reason == "level 1 (repeat 1 of 1): no acknowledgement within 2m of level 2"
    assert [receiver for receiver, _ in outbox(database, plan_id)] == [
        "level-one",
        "level-two",
        "level-one",
        "level-two",
    ]
    assert escalation.status == "exhausted" and escalation.next_step_at is None


def test_an_acknowledgement_within_the_timeout_stops_the_chain(database: Database) -> None:
    config = policy_config()
    seed_breached_slack(database)
    plan_id = deliver_latest(database, config, T0)
    database.run_sync(
        lambda session: acknowledgement_store.add_acknowledgement(
            session,
            plan_id=plan_id,
            provider="slack",
            state="accepted",
            acknowledged_by="sre",
            note="",
            now=T0,
        )
    )
    tick(database, config, T0 + minutes(60))
    (escalation,), steps = state(database, plan_id)
    assert escalation.status == "acknowledged"
    assert escalation.stop_reason == "stopped: acknowledgement accepted"
    assert len(steps) == 1
    assert outbox(database, plan_id) == [("level-one", "pending")]


def test_a_deferring_acknowledgement_does_not_stop_it_and_an_accepting_one_stops_it_at_once(
    database: Database,
) -> None:
    config = policy_config()
    seed_breached_slack(database)
    plan_id = deliver_latest(database, config, T0)
    deferred = database.run_sync(
        lambda session: stop_on_acknowledgement(
            session, plan_id=plan_id, provider="slack", state="deferred", now=T0
        )
    )
    accepted = database.run_sync(
        lambda session: stop_on_acknowledgement(
            session, plan_id=plan_id, provider="slack", state="accepted", now=T0
        )
    )
    assert (deferred, accepted) == (0, 1)
    assert state(database, plan_id)[0][0].status == "acknowledged"


def test_a_resolving_closure_stops_the_chain_and_a_deferral_does_not(database: Database) -> None:
    config = policy_config()
    seed_breached_slack(database)
    plan_id = deliver_latest(database, config, T0)
    database.run_sync(
        lambda session: add_closure(session, "c-1", "pb-1", "slack", "deferred", T0 + minutes(1))
    )
    tick(database, config, T0 + minutes(2))
    assert state(database, plan_id)[0][0].status == "active"
    database.run_sync(
        lambda session: add_closure(session, "c-2", "pb-1", "slack", "mitigated", T0 + minutes(3))
    )
    tick(database, config, T0 + minutes(20))
    (escalation,), steps = state(database, plan_id)
    assert (escalation.status, escalation.stop_reason) == ("resolved", "stopped: the recovery was closed")
    assert len(steps) == 1
    board = database.run_sync(
        lambda session: dashboard_store.rollback_drill_dashboard(session.connection(), now=T0)
    )
    assert board.escalations_stopped_by_resolution == 1


def test_a_silence_that_starts_mid_chain_holds_back_the_next_level(database: Database) -> None:
    config = policy_config()
    seed_breached_slack(database)
    plan_id = deliver_latest(database, config, T0)
    silence_id = silence(database, provider="slack", starts_at=T0 + minutes(10), ends_at=T0 + minutes(120))
    tick(database, config, T0 + minutes(15))
    _, steps = state(database, plan_id)
    assert [(step.level, step.outcome, step.suppressed_by) for step in steps] == [
        (1, "sent", ""),
        (2, "silenced", silence_id),
    ]
    assert outbox(database, plan_id) == [("level-one", "pending"), ("level-two", "silenced")]
    board = database.run_sync(
        lambda session: dashboard_store.rollback_drill_dashboard(session.connection(), now=T0)
    )
    assert (board.deliveries_silenced, board.escalations_advanced) == (1, 1)


def test_an_inhibit_rule_holds_back_the_warning_while_the_critical_route_is_sent(database: Database) -> None:
    config = policy_config(
        extra_receivers=("critical-desk", "warning-desk"),
        rules=[
            {"match": {"severity": "critical"}, "receivers": ["critical-desk"]},
            {"match": {"severity": "warning"}, "receivers": ["warning-desk"]},
        ],
        inhibit_rules=[
            {"source": {"severity": "critical"}, "target": {"severity": "warning"}, "equal": ["provider"]}
        ],
    )
    seed_breached_slack(database, "pb-old", age_hours=8)  # breached: critical
    seed_breached_slack(database, "pb-new", age_hours=1)  # open: warning
    plan_id = deliver_latest(database, config, T0)
    assert sorted(outbox(database, plan_id)) == [("critical-desk", "pending"), ("warning-desk", "inhibited")]


def test_inhibition_needs_equal_labels_to_match() -> None:
    from cavra_recovery.server.domain.escalation_policy import Inhibition, inhibitor_for

    rule = Inhibition(source={"severity": "critical"}, target={"severity": "warning"}, equal=("provider",))
    routes = {
        "crit-jira": {"severity": "critical", "provider": "jira", "category": "itsm"},
        "warn-slack": {"severity": "warning", "provider": "slack", "category": "chatops"},
    }
    assert inhibitor_for([rule], "warn-slack", routes["warn-slack"], routes) is None
    routes["crit-slack"] = {"severity": "critical", "provider": "slack", "category": "chatops"}
    assert inhibitor_for([rule], "warn-slack", routes["warn-slack"], routes) == "crit-slack"
    assert inhibitor_for([rule], "crit-slack", routes["crit-slack"], routes) is None


def test_decide_walks_levels_and_cycles_by_the_clock() -> None:
    timings = PolicyTimings((timedelta(minutes=5), timedelta(hours=1, minutes=30)), repeat=2)
    assert timings.steps == 6
    assert [timings.position(step) for step in range(1, 7)] == [
        (1, 0),
        (2, 0),
        (1, 1),
        (2, 1),
        (1, 2),
        (2, 2),
    ]
    early = decide(
        timings,
        current_step=2,
        current_step_at=T0,
        now=T0 + timedelta(minutes=89),
        acknowledgement=None,
        resolved=False,
    )
    assert early.step is None and early.next_step_at == T0 + timedelta(minutes=90)
    due = decide(
        timings,
        current_step=2,
        current_step_at=T0,
        now=T0 + timedelta(minutes=90),
        acknowledgement="escalated",
        resolved=False,
    )
    assert due.step == 3 and due.why == "level 1 (repeat 1 of 2): no acknowledgement within 1h30m of level 2"
    last = decide(
        timings,
        current_step=6,
        current_step_at=T0,
        now=T0 + timedelta(hours=2),
        acknowledgement=None,
        resolved=False,
    )
    assert last.status == "exhausted"
    assert step_reason(timings, 1) == "level 1: escalation started by the delivery"


def test_two_ticks_that_read_the_same_state_notify_each_step_once(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two replicas' ticks both read every escalation at level 1 before either writes: the step claim
    lets exactly one of them notify level 2 of each route."""
    config = policy_config()
    for index in range(5):
        database.run_sync(
            lambda session, index=index: add_playbook(
                session, f"pb-{index}", T0 - timedelta(hours=8), [("slack", 3)]
            )
        )
    plan_id = deliver_latest(database, config, T0)
    read_both = threading.Barrier(2, timeout=20)
    reading = escalation_store.active_escalations

    def read_then_wait(session: Session, *, limit: int) -> list[StoredEscalation]:
        found = reading(session, limit=limit)
        read_both.wait()
        return found

    monkeypatch.setattr(escalation_store, "active_escalations", read_then_wait)
    replica = Database(database.url)
    try:
        with ThreadPoolExecutor(2) as pool:
            outcomes = list(pool.map(lambda db: tick(db, config, T0 + minutes(15)), [database, replica]))
    finally:
        replica.dispose()
    assert sum(outcome.advanced for outcome in outcomes) == 5
    level_two = [receiver for receiver, _ in outbox(database, plan_id) if receiver == "level-two"]
    assert len(level_two) == 5
    _, steps = state(database, plan_id)
    assert Counter((step.dedup_key, step.step) for step in steps) == Counter(
        {(step.dedup_key, step.step): 1 for step in steps}
    )
