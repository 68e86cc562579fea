"""Delivery retry planning and the retry worker: retry / wait / suppress decisions for failed deliveries."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from google.protobuf.message import Message
from sqlalchemy.orm import Session

from cavra_recovery.server.domain import retry_policy
from cavra_recovery.server.operations.delivery import DeliveryCall, deliveries_after_round
from cavra_recovery.server.operations.idempotency import Pending, RequestKey, decoded, encoded, run_once
from cavra_recovery.server.storage import acknowledgements as acknowledgement_store
from cavra_recovery.server.storage import deliveries as delivery_store
from cavra_recovery.server.storage import retry_runs as run_store
from cavra_recovery.server.storage.database import Database
from cavra_recovery.server.storage.deliveries import StoredDelivery

M = TypeVar("M", bound=Message)


def retry_decisions(
    session: Session, *, plan_id: str, policy: retry_policy.RetryPolicy, now: datetime
) -> list[retry_policy.RetryPlanDecision]:
    """A decision per failed escalation delivery (of one plan, or all), given its latest acknowledgement."""
    failed = delivery_store.failed_escalation_deliveries(session, plan_id=plan_id)
    acknowledgements = acknowledgement_store.latest_acknowledgement_states(
        session, plan_ids=[delivery.plan_id for delivery in failed if delivery.plan_id]
    )
    candidates = []
    for delivery in failed:
        assert delivery.plan_id is not None
        providers = {route.get("provider") for route in delivery.notification.get("routes", [])}
        latest = [
            acknowledgements[(delivery.plan_id, provider)]
            for provider in providers
            if isinstance(provider, str) and (delivery.plan_id, provider) in acknowledgements
        ]
        acknowledged = max(latest, key=lambda item: item[1])[0] if latest else None
        candidates.append(
            retry_policy.FailedDelivery(
                delivery_id=delivery.delivery_id,
                plan_id=delivery.plan_id,
                receiver=delivery.receiver,
                provider=delivery.provider,
                state=delivery.state,
                rounds=delivery.round_count,
                attempt_count=delivery.attempt_count,
                last_failure_reason=delivery.last_failure_reason,
                last_failed_at=delivery.updated_at,
                acknowledgement_state=acknowledged,
            )
        )
    return retry_policy.plan_retries(candidates, policy, now)


async def plan_retries(
    database: Database,
    key: RequestKey | None,
    response_type: type[M],
    *,
    now: datetime,
    plan_id: str,
    policy: retry_policy.RetryPolicy,
    respond: Callable[[Sequence[retry_policy.RetryPlanDecision]], M],
) -> M:
    """Decide, without acting, which failed deliveries to retry now, later, or never."""
    return await run_once(
        database,
        key,
        response_type,
        now=now,
        act=lambda session: respond(retry_decisions(session, plan_id=plan_id, policy=policy, now=now)),
    )


async def run_retry_worker(
    call: DeliveryCall,
    response_type: type[M],
    *,
    plan_id: str,
    policy: retry_policy.RetryPolicy,
    dry_run: bool,
    limit: int,
    requested_by: str | None,
    clock: Callable[[], datetime],
    respond: Callable[[Sequence[retry_policy.RetryPlanDecision], int], M],
    with_results: Callable[[M, Sequence[StoredDelivery]], M],
) -> M:
    """Put up to `limit` deliveries the policy says to retry back in the outbox (unless a dry run), and
    answer with the decisions and, after one more attempt of each, the retried deliveries. The run and
    every decision (dry run or not) are stored in the transaction that changes the outbox."""

    def act(session: Session) -> M | Pending:
        decisions = retry_decisions(session, plan_id=plan_id, policy=policy, now=call.now)
        retried: list[StoredDelivery] = []
        stored: list[run_store.RetryRunDecision] = []
        for decision in decisions:
            delivery = decision.delivery
            outcome_state = delivery.state
            if not dry_run and decision.decision is retry_policy.Decision.RETRY and len(retried) < limit:
                retried.append(
                    delivery_store.start_new_round(
                        session,
                        delivery_id=delivery.delivery_id,
                        now=call.now,
                        allowed_states=(delivery_store.DEAD_LETTERED,),
                    )
                )
                outcome_state = retried[-1].state
            stored.append(
                run_store.RetryRunDecision(
                    delivery_id=delivery.delivery_id,
                    plan_id=delivery.plan_id,
                    receiver=delivery.receiver,
                    provider=delivery.provider,
                    decision=decision.decision.value,
                    reason=decision.reason,
                    attempt_number=delivery.attempt_count,
                    outcome_state=outcome_state,
                )
            )
        run_store.record_retry_run(
            session,
            trigger=run_store.RPC,
            requested_by=requested_by,
            dry_run=dry_run,
            started_at=call.now,
            finished_at=clock(),
            decisions=stored,
        )
        response = respond(decisions, len(retried))
        if not retried:
            return response
        baselines = {delivery.delivery_id: delivery.attempt_count for delivery in retried}
        return Pending({"response": encoded(response), "baselines": baselines})

    async def finish(action: Mapping[str, Any]) -> M:
        response = decoded(action["response"], response_type)
        baselines = {str(key): int(value) for key, value in action["baselines"].items()}
        return with_results(response, await deliveries_after_round(call, baselines))

    return await run_once(call.database, call.key, response_type, now=call.now, act=act, finish=finish)
