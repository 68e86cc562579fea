"""AsyncRecoveryClient: the asyncio client (grpc.aio)."""

# `timeout` is the gRPC deadline sent to the server, not a local asyncio timeout.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import Any, Self

import grpc
from google.api import httpbody_pb2

from cavra.recovery.v1 import common_pb2 as common
from cavra.recovery.v1 import delivery_pb2 as dlv
from cavra.recovery.v1 import escalation_pb2 as esc
from cavra.recovery.v1 import evidence_pb2 as ev
from cavra.recovery.v1 import ledger_pb2 as led
from cavra.recovery.v1 import policy_pb2 as pol
from cavra.recovery.v1 import report_pb2 as rep
from cavra.recovery.v1 import trail_pb2 as trl
from cavra_recovery_client import _methods as m
from cavra_recovery_client._channel import (
    DEFAULT_RETRY,
    DEFAULT_TIMEOUT,
    Request,
    Response,
    RetryPolicy,
    UnaryMethod,
    channel_settings,
    fill_request_id,
    retry_delay,
)
from cavra_recovery_client._errors import RecoveryError, StatusCode, closed_client_error, error_from_rpc
from cavra_recovery_client._transport import MismatchWatch


class AsyncRecoveryClient:
    """An asyncio client for the recovery service, with the same defaults as RecoveryClient.

    Every call has a deadline (`timeout`, default 30 s), mutating calls get a UUID request_id when
    they have none, every call waits for a ready connection (unless `wait_for_ready=False`: then it
    fails fast while the server is unreachable) and is retried on UNAVAILABLE with backoff (`retry`;
    a write resends the same bytes, request_id included, so the server acts on it once), and every
    failure is raised as RecoveryError. Use it as an async context manager or await close().

    A plaintext/TLS mismatch with the server fails calls at once with UNAVAILABLE and a message naming
    the cause (reason TRANSPORT_MISMATCH) instead of waiting out the deadline (docs/clients.md).
    """

    def __init__(
        self,
        target: str,
        *,
        plaintext: bool = False,
        root_certificates: bytes | None = None,
        private_key: bytes | None = None,
        certificate_chain: bytes | None = None,
        token: str | None = None,
        allow_insecure_token: bool = False,
        timeout: float | None = DEFAULT_TIMEOUT,
        retry: RetryPolicy = DEFAULT_RETRY,
        wait_for_ready: bool = True,
        options: Sequence[tuple[str, Any]] = (),
    ) -> None:
        self._settings = channel_settings(
            target,
            plaintext=plaintext,
            root_certificates=root_certificates,
            private_key=private_key,
            certificate_chain=certificate_chain,
            token=token,
            allow_insecure_token=allow_insecure_token,
            timeout=timeout,
            retry=retry,
            wait_for_ready=wait_for_ready,
            options=options,
        )
        self._closed = False
        if self._settings.credentials is None:
            self._channel = grpc.aio.insecure_channel(target, options=self._settings.options)
        else:
            self._channel = grpc.aio.secure_channel(
                target, self._settings.credentials, options=self._settings.options
            )
        self._mismatch = MismatchWatch(target, uses_tls=self._settings.credentials is not None)
        self._watcher: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"AsyncRecoveryClient(target={self._settings.target!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the channel; later calls raise RecoveryError(CANCELLED, "client is closed")."""
        self._closed = True
        if self._watcher is not None:
            self._watcher.cancel()
        await self._channel.close(None)

    async def _call(
        self, method: UnaryMethod[Request, Response], request: Request, timeout: float | None
    ) -> Response:
        if self._closed:
            raise closed_client_error(method.name)
        fill_request_id(request)
        # Serialized once: every attempt sends these bytes, so a retried write keeps its request_id.
        payload = request.SerializeToString()
        budget = timeout if timeout is not None else self._settings.timeout
        deadline = None if budget is None else time.monotonic() + budget
        callable_ = self._channel.unary_unary(
            method.path, request_serializer=None, response_deserializer=method.deserialize
        )
        attempt = 0
        while True:
            attempt += 1
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            if self._watcher is None:
                self._watcher = asyncio.get_running_loop().create_task(self._mismatch.follow(self._channel))
            if (mismatch := self._mismatch.error(method.name)) is not None:
                raise mismatch
            call = None
            try:
                call = callable_(
                    payload,
                    timeout=remaining,
                    metadata=self._settings.call_metadata,
                    wait_for_ready=self._settings.wait_for_ready,
                )
                self._mismatch.track(call)
                response: Response = await call
                return response
            except grpc.RpcError as error:
                failure = error_from_rpc(error, method.name)
            except (grpc.aio.UsageError, ValueError) as error:
                # grpc's exception for a call on a closed channel: close() raced with this call.
                if self._closed:
                    raise closed_client_error(method.name) from None
                raise RecoveryError(StatusCode.INTERNAL, str(error), method=method.name) from error
            except asyncio.CancelledError:
                # A call the mismatch watch cancelled raises CancelledError: fail it with the cause.
                if call is None or not self._mismatch.untrack(call):
                    raise
                failure = RecoveryError(StatusCode.CANCELLED, "call cancelled", method=method.name)
            finally:
                if call is not None:
                    self._mismatch.untrack(call)
            if failure.code in (StatusCode.UNAVAILABLE, StatusCode.CANCELLED):
                if (mismatch := self._mismatch.error(method.name)) is not None:
                    raise mismatch from None
            delay = retry_delay(self._settings.retry, failure.code, attempt, deadline)
            if delay is None:
                raise failure
            await asyncio.sleep(delay)

    async def record_retry_execution(
        self, execution: ev.RetryExecution, *, request_id: str | None = None, timeout: float | None = None
    ) -> ev.RecordRetryExecutionResponse:
        """Record one retry execution; `created` is False when an identical record was already stored."""
        request = ev.RecordRetryExecutionRequest(retry_execution=execution, request_id=request_id or "")
        return await self._call(m.RECORD_RETRY_EXECUTION, request, timeout)

    async def get_retry_execution(
        self, execution_id: str, *, timeout: float | None = None
    ) -> ev.RetryExecution:
        request = ev.GetRetryExecutionRequest(execution_id=execution_id)
        response = await self._call(m.GET_RETRY_EXECUTION, request, timeout)
        return response.retry_execution

    async def list_retry_executions(
        self, request: ev.ListRetryExecutionsRequest | None = None, *, timeout: float | None = None
    ) -> ev.ListRetryExecutionsResponse:
        return await self._call(m.LIST_RETRY_EXECUTIONS, request or ev.ListRetryExecutionsRequest(), timeout)

    async def record_connector_recovery_playbook(
        self,
        playbook: ev.ConnectorRecoveryPlaybook,
        *,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> ev.RecordConnectorRecoveryPlaybookResponse:
        request = ev.RecordConnectorRecoveryPlaybookRequest(playbook=playbook, request_id=request_id or "")
        return await self._call(m.RECORD_PLAYBOOK, request, timeout)

    async def get_connector_recovery_playbook(
        self, playbook_id: str, *, timeout: float | None = None
    ) -> ev.ConnectorRecoveryPlaybook:
        request = ev.GetConnectorRecoveryPlaybookRequest(playbook_id=playbook_id)
        response = await self._call(m.GET_PLAYBOOK, request, timeout)
        return response.playbook

    async def list_connector_recovery_playbooks(
        self, request: ev.ListConnectorRecoveryPlaybooksRequest | None = None, *, timeout: float | None = None
    ) -> ev.ListConnectorRecoveryPlaybooksResponse:
        return await self._call(
            m.LIST_PLAYBOOKS, request or ev.ListConnectorRecoveryPlaybooksRequest(), timeout
        )

    async def record_recovery_closure(
        self, closure: ev.RecoveryClosure, *, request_id: str | None = None, timeout: float | None = None
    ) -> ev.RecordRecoveryClosureResponse:
        """Record a closure of the stored playbook `closure.playbook_id`."""
        request = ev.RecordRecoveryClosureRequest(
            playbook_id=closure.playbook_id, closure=closure, request_id=request_id or ""
        )
        return await self._call(m.RECORD_CLOSURE, request, timeout)

    async def list_recovery_closures(
        self, request: ev.ListRecoveryClosuresRequest | None = None, *, timeout: float | None = None
    ) -> ev.ListRecoveryClosuresResponse:
        """List closures; without a request, of every playbook ("-")."""
        return await self._call(
            m.LIST_CLOSURES, request or ev.ListRecoveryClosuresRequest(playbook_id="-"), timeout
        )

    async def batch_record_evidence(
        self,
        records: Iterable[m.EvidenceInput],
        *,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> ev.BatchRecordEvidenceResponse:
        """Record up to 5,000 executions, playbooks and closures in one all-or-nothing transaction."""
        return await self._call(m.BATCH_RECORD_EVIDENCE, m.batch_request(records, request_id), timeout)

    async def create_recovery_escalation_plan(
        self,
        *,
        recovery_slo_minutes: int = 0,
        generated_by: str = "",
        route_limit: int = 0,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> esc.RecoveryEscalationPlan:
        """Build and store a plan; `route_limit` caps the routes listed in the answer (0 means 1,000)."""
        request = esc.CreateRecoveryEscalationPlanRequest(
            recovery_slo_minutes=recovery_slo_minutes,
            generated_by=generated_by,
            route_limit=route_limit,
            request_id=request_id or "",
        )
        response = await self._call(m.CREATE_PLAN, request, timeout)
        return response.plan

    async def get_recovery_escalation_plan(
        self, plan_id: str, *, timeout: float | None = None
    ) -> esc.RecoveryEscalationPlan:
        response = await self._call(
            m.GET_PLAN, esc.GetRecoveryEscalationPlanRequest(plan_id=plan_id), timeout
        )
        return response.plan

    async def list_recovery_escalation_plans(
        self, request: esc.ListRecoveryEscalationPlansRequest | None = None, *, timeout: float | None = None
    ) -> esc.ListRecoveryEscalationPlansResponse:
        return await self._call(m.LIST_PLANS, request or esc.ListRecoveryEscalationPlansRequest(), timeout)

    async def list_recovery_escalation_routes(
        self, request: esc.ListRecoveryEscalationRoutesRequest, *, timeout: float | None = None
    ) -> esc.ListRecoveryEscalationRoutesResponse:
        """One page of a plan's routes (plans list at most route_limit routes themselves)."""
        return await self._call(m.LIST_ROUTES, request, timeout)

    async def deliver_recovery_escalation(
        self,
        plan_id: str,
        *,
        receivers: Sequence[str] = (),
        dry_run: bool = False,
        retries: int = 0,
        timeout_seconds: int = 0,
        max_routes: int = 0,
        recovery_slo_minutes: int = 0,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> esc.DeliverRecoveryEscalationResponse:
        """Send a plan ("latest": a fresh one) to its receivers; a failing receiver gives success False."""
        request = esc.DeliverRecoveryEscalationRequest(
            plan_id=plan_id,
            receivers=list(receivers),
            dry_run=dry_run,
            retries=retries,
            timeout_seconds=timeout_seconds,
            max_routes=max_routes,
            recovery_slo_minutes=recovery_slo_minutes,
            request_id=request_id or "",
        )
        return await self._call(m.DELIVER, request, timeout)

    async def acknowledge_recovery_escalation(
        self,
        plan_id: str,
        *,
        provider: str,
        state: common.AcknowledgementState.ValueType,
        acknowledged_by: str,
        note: str = "",
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> esc.RecoveryEscalationAcknowledgement:
        request = esc.AcknowledgeRecoveryEscalationRequest(
            plan_id=plan_id,
            provider=provider,
            state=state,
            acknowledged_by=acknowledged_by,
            note=note,
            request_id=request_id or "",
        )
        response = await self._call(m.ACKNOWLEDGE, request, timeout)
        return response.acknowledgement

    async def plan_recovery_escalation_retries(
        self, request: esc.PlanRecoveryEscalationRetriesRequest | None = None, *, timeout: float | None = None
    ) -> esc.PlanRecoveryEscalationRetriesResponse:
        return await self._call(
            m.PLAN_RETRIES, request or esc.PlanRecoveryEscalationRetriesRequest(), timeout
        )

    async def run_recovery_escalation_retry_worker(
        self,
        request: esc.RunRecoveryEscalationRetryWorkerRequest | None = None,
        *,
        timeout: float | None = None,
    ) -> esc.RunRecoveryEscalationRetryWorkerResponse:
        """Run the retry worker; a dry run unless request.dry_run is explicitly False."""
        return await self._call(
            m.RUN_RETRY_WORKER, request or esc.RunRecoveryEscalationRetryWorkerRequest(), timeout
        )

    async def get_recovery_escalation_delivery(
        self, delivery_id: str, *, timeout: float | None = None
    ) -> dlv.Delivery:
        request = esc.GetRecoveryEscalationDeliveryRequest(delivery_id=delivery_id)
        response = await self._call(m.GET_DELIVERY, request, timeout)
        return response.delivery

    async def list_recovery_escalation_deliveries(
        self,
        request: esc.ListRecoveryEscalationDeliveriesRequest | None = None,
        *,
        timeout: float | None = None,
    ) -> esc.ListRecoveryEscalationDeliveriesResponse:
        return await self._call(
            m.LIST_DELIVERIES, request or esc.ListRecoveryEscalationDeliveriesRequest(), timeout
        )

    async def replay_recovery_escalation_delivery(
        self, delivery_id: str, *, request_id: str | None = None, timeout: float | None = None
    ) -> dlv.Delivery:
        request = esc.ReplayRecoveryEscalationDeliveryRequest(
            delivery_id=delivery_id, request_id=request_id or ""
        )
        response = await self._call(m.REPLAY_DELIVERY, request, timeout)
        return response.delivery

    async def create_recovery_escalation_silence(
        self, request: pol.CreateRecoveryEscalationSilenceRequest, *, timeout: float | None = None
    ) -> pol.RecoveryEscalationSilence:
        """Create a silence (matchers, ends_at, comment); give request.request_id to retry safely."""
        response = await self._call(m.CREATE_SILENCE, request, timeout)
        return response.silence

    async def list_recovery_escalation_silences(
        self,
        request: pol.ListRecoveryEscalationSilencesRequest | None = None,
        *,
        timeout: float | None = None,
    ) -> pol.ListRecoveryEscalationSilencesResponse:
        return await self._call(
            m.LIST_SILENCES, request or pol.ListRecoveryEscalationSilencesRequest(), timeout
        )

    async def expire_recovery_escalation_silence(
        self, silence_id: str, *, request_id: str | None = None, timeout: float | None = None
    ) -> pol.RecoveryEscalationSilence:
        request = pol.ExpireRecoveryEscalationSilenceRequest(
            silence_id=silence_id, request_id=request_id or ""
        )
        response = await self._call(m.EXPIRE_SILENCE, request, timeout)
        return response.silence

    async def get_recovery_escalation_state(
        self, plan_id: str, *, timeout: float | None = None
    ) -> pol.GetRecoveryEscalationStateResponse:
        """Per route of the plan: policy, level, next step time, steps with reasons, what holds it."""
        request = pol.GetRecoveryEscalationStateRequest(plan_id=plan_id)
        return await self._call(m.GET_ESCALATION_STATE, request, timeout)

    async def get_retry_recovery_report(
        self,
        *,
        recovery_slo_minutes: int = 0,
        row_limit: int = 0,
        report_id: str = "",
        timeout: float | None = None,
    ) -> rep.RetryRecoveryReport:
        request = rep.GetRetryRecoveryReportRequest(
            recovery_slo_minutes=recovery_slo_minutes, row_limit=row_limit, report_id=report_id
        )
        response = await self._call(m.GET_RETRY_RECOVERY_REPORT, request, timeout)
        return response.report

    async def get_recovery_executive_report(
        self,
        *,
        recovery_slo_minutes: int = 0,
        generated_by: str = "",
        report_id: str = "",
        timeout: float | None = None,
    ) -> rep.RecoveryExecutiveReport:
        request = rep.GetRecoveryExecutiveReportRequest(
            recovery_slo_minutes=recovery_slo_minutes, generated_by=generated_by, report_id=report_id
        )
        response = await self._call(m.GET_EXECUTIVE_REPORT, request, timeout)
        return response.report

    async def render_recovery_executive_report(
        self,
        *,
        format: common.ReportFormat.ValueType = common.REPORT_FORMAT_MARKDOWN,
        report_id: str = "",
        recovery_slo_minutes: int = 0,
        generated_by: str = "",
        timeout: float | None = None,
    ) -> httpbody_pb2.HttpBody:
        """The executive report as Markdown or HTML: `.content_type` and `.data` (bytes)."""
        request = rep.RenderRecoveryExecutiveReportRequest(
            format=format,
            report_id=report_id,
            recovery_slo_minutes=recovery_slo_minutes,
            generated_by=generated_by,
        )
        return await self._call(m.RENDER_EXECUTIVE_REPORT, request, timeout)

    async def get_ledger_checkpoint(
        self, *, tree_size: int = 0, timeout: float | None = None
    ) -> led.LedgerCheckpoint:
        """The latest ledger checkpoint, or the one of `tree_size` (auditor role; docs/ledger.md)."""
        request = led.GetLedgerCheckpointRequest(tree_size=tree_size)
        response = await self._call(m.GET_LEDGER_CHECKPOINT, request, timeout)
        return response.checkpoint

    async def get_ledger_inclusion_proof(
        self, *, kind: str, record_id: str, tree_size: int = 0, timeout: float | None = None
    ) -> led.GetLedgerInclusionProofResponse:
        """One record's leaf and RFC 9162 audit path to a checkpoint."""
        request = led.GetLedgerInclusionProofRequest(kind=kind, record_id=record_id, tree_size=tree_size)
        return await self._call(m.GET_LEDGER_INCLUSION_PROOF, request, timeout)

    async def get_ledger_consistency_proof(
        self, *, from_size: int, to_size: int = 0, timeout: float | None = None
    ) -> led.GetLedgerConsistencyProofResponse:
        """The RFC 9162 consistency proof between two checkpoints."""
        request = led.GetLedgerConsistencyProofRequest(from_size=from_size, to_size=to_size)
        return await self._call(m.GET_LEDGER_CONSISTENCY_PROOF, request, timeout)

    async def get_rollback_drill_dashboard(
        self, *, timeout: float | None = None
    ) -> rep.GetRollbackDrillDashboardResponse:
        return await self._call(m.GET_DASHBOARD, rep.GetRollbackDrillDashboardRequest(), timeout)

    async def run_executive_report_schedule(
        self, request: rep.RunExecutiveReportScheduleRequest | None = None, *, timeout: float | None = None
    ) -> rep.RunExecutiveReportScheduleResponse:
        return await self._call(
            m.RUN_REPORT_SCHEDULE, request or rep.RunExecutiveReportScheduleRequest(), timeout
        )

    async def list_executive_report_schedule_runs(
        self,
        request: rep.ListExecutiveReportScheduleRunsRequest | None = None,
        *,
        timeout: float | None = None,
    ) -> rep.ListExecutiveReportScheduleRunsResponse:
        return await self._call(
            m.LIST_SCHEDULE_RUNS, request or rep.ListExecutiveReportScheduleRunsRequest(), timeout
        )

    async def deliver_executive_report_schedule_run(
        self, request: rep.DeliverExecutiveReportScheduleRunRequest, *, timeout: float | None = None
    ) -> rep.DeliverExecutiveReportScheduleRunResponse:
        return await self._call(m.DELIVER_SCHEDULE_RUN, request, timeout)

    async def list_retry_recovery_reports(
        self, request: trl.ListRetryRecoveryReportsRequest | None = None, *, timeout: float | None = None
    ) -> trl.ListRetryRecoveryReportsResponse:
        return await self._call(
            m.LIST_RECOVERY_REPORTS, request or trl.ListRetryRecoveryReportsRequest(), timeout
        )

    async def list_recovery_executive_reports(
        self, request: trl.ListRecoveryExecutiveReportsRequest | None = None, *, timeout: float | None = None
    ) -> trl.ListRecoveryExecutiveReportsResponse:
        return await self._call(
            m.LIST_EXECUTIVE_REPORTS, request or trl.ListRecoveryExecutiveReportsRequest(), timeout
        )

    async def list_recovery_escalation_acknowledgements(
        self,
        request: trl.ListRecoveryEscalationAcknowledgementsRequest | None = None,
        *,
        timeout: float | None = None,
    ) -> trl.ListRecoveryEscalationAcknowledgementsResponse:
        return await self._call(
            m.LIST_ACKNOWLEDGEMENTS, request or trl.ListRecoveryEscalationAcknowledgementsRequest(), timeout
        )

    async def get_recovery_evidence_trail(
        self, plan_id: str, *, timeout: float | None = None
    ) -> trl.RecoveryEvidenceTrail:
        request = trl.GetRecoveryEvidenceTrailRequest(plan_id=plan_id)
        response = await self._call(m.GET_EVIDENCE_TRAIL, request, timeout)
        return response.trail

    async def list_escalation_receivers(
        self, request: trl.ListEscalationReceiversRequest | None = None, *, timeout: float | None = None
    ) -> trl.ListEscalationReceiversResponse:
        return await self._call(m.LIST_RECEIVERS, request or trl.ListEscalationReceiversRequest(), timeout)
