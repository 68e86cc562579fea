"""RecoveryClient: the blocking client."""

from __future__ import annotations

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
from cavra_recovery_client._transport import NOT_ANSWERED, MismatchWatch


class RecoveryClient:
    """A blocking client for the recovery service.

    Every call has a deadline (`timeout`, default 30 s), mutating calls get a UUID request_id when
    they have none, every call waits for a ready connection (unless `wait_for_ready=False`: then it
    fails fast while the server is unreachable) and is retried on UNAVAILABLE with backoff (`retry`;
    a write resends the same bytes, request_id included, so the server acts on it once), and every
    failure is raised as RecoveryError. Use it as a context manager or call close().

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
            self._channel = grpc.insecure_channel(target, options=self._settings.options)
        else:
            self._channel = grpc.secure_channel(
                target, self._settings.credentials, options=self._settings.options
            )
        self._mismatch = MismatchWatch(target, uses_tls=self._settings.credentials is not None)

    def __repr__(self) -> str:
        return f"RecoveryClient(target={self._settings.target!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the channel; later calls raise RecoveryError(CANCELLED, "client is closed")."""
        self._closed = True
        self._channel.close()

    def _call(
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
            if (mismatch := self._mismatch.error(method.name)) is not None:
                raise mismatch
            try:
                future = callable_.future(
                    payload,
                    timeout=remaining,
                    metadata=self._settings.call_metadata,
                    wait_for_ready=self._settings.wait_for_ready,
                )
            except ValueError as error:
                # grpc's exception for a call on a closed channel: close() raced with this call.
                if self._closed:
                    raise closed_client_error(method.name) from None
                raise RecoveryError(StatusCode.INTERNAL, str(error), method=method.name) from error
            self._mismatch.track(future)
            try:
                response: Response = self._mismatch.result(future)
                self._mismatch.connected()
                return response
            except grpc.FutureCancelledError:
                # Only the mismatch watch cancels a call's future (close() fails it with CANCELLED).
                failure = RecoveryError(StatusCode.CANCELLED, "call cancelled", method=method.name)
            except grpc.RpcError as error:
                failure = error_from_rpc(error, method.name)
                if failure.code not in NOT_ANSWERED:
                    self._mismatch.connected()
            finally:
                self._mismatch.untrack(future)
            if failure.code is StatusCode.UNAVAILABLE and self._mismatch.needs_probe():
                self._mismatch.probe()
            if failure.code in (StatusCode.UNAVAILABLE, StatusCode.CANCELLED):
                if (mismatch := self._mismatch.error(method.name)) is not None:
                    raise mismatch from None
            delay = retry_delay(self._settings.retry, failure.code, attempt, deadline)
            if delay is None:
                raise failure
            time.sleep(delay)

    def record_retry_execution(
        self, execution: ev.RetryExecution, *, request_id: str | None = None, timeout: float | None = None
    ) -> ev.RecordRetryExecutionResponse:
        """Record one retry execution; `created` is False when an identical record was already stored."""
        request = ev.RecordRetryExecutionRequest(retry_execution=execution, request_id=request_id or "")
        return self._call(m.RECORD_RETRY_EXECUTION, request, timeout)

    def get_retry_execution(self, execution_id: str, *, timeout: float | None = None) -> ev.RetryExecution:
        request = ev.GetRetryExecutionRequest(execution_id=execution_id)
        response = self._call(m.GET_RETRY_EXECUTION, request, timeout)
        return response.retry_execution

    def list_retry_executions(
        self, request: ev.ListRetryExecutionsRequest | None = None, *, timeout: float | None = None
    ) -> ev.ListRetryExecutionsResponse:
        return self._call(m.LIST_RETRY_EXECUTIONS, request or ev.ListRetryExecutionsRequest(), timeout)

    def record_connector_recovery_playbook(
        self,
        playbook: ev.ConnectorRecoveryPlaybook,
        *,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> ev.RecordConnectorRecoveryPlaybookResponse:
        request = ev.RecordConnectorRecoveryPlaybookRequest(playbook=playbook, request_id=request_id or "")
        return self._call(m.RECORD_PLAYBOOK, request, timeout)

    def get_connector_recovery_playbook(
        self, playbook_id: str, *, timeout: float | None = None
    ) -> ev.ConnectorRecoveryPlaybook:
        request = ev.GetConnectorRecoveryPlaybookRequest(playbook_id=playbook_id)
        response = self._call(m.GET_PLAYBOOK, request, timeout)
        return response.playbook

    def list_connector_recovery_playbooks(
        self, request: ev.ListConnectorRecoveryPlaybooksRequest | None = None, *, timeout: float | None = None
    ) -> ev.ListConnectorRecoveryPlaybooksResponse:
        return self._call(m.LIST_PLAYBOOKS, request or ev.ListConnectorRecoveryPlaybooksRequest(), timeout)

    def record_recovery_closure(
        self, closure: ev.RecoveryClosure, *, request_id: str | None = None, timeout: float | None = None
    ) -> ev.RecordRecoveryClosureResponse:
        """Record a closure of the stored playbook `closure.playbook_id`."""
        request = ev.RecordRecoveryClosureRequest(
            playbook_id=closure.playbook_id, closure=closure, request_id=request_id or ""
        )
        return self._call(m.RECORD_CLOSURE, request, timeout)

    def list_recovery_closures(
        self, request: ev.ListRecoveryClosuresRequest | None = None, *, timeout: float | None = None
    ) -> ev.ListRecoveryClosuresResponse:
        """List closures; without a request, of every playbook ("-")."""
        return self._call(
            m.LIST_CLOSURES, request or ev.ListRecoveryClosuresRequest(playbook_id="-"), timeout
        )

    def batch_record_evidence(
        self,
        records: Iterable[m.EvidenceInput],
        *,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> ev.BatchRecordEvidenceResponse:
        """Record up to 5,000 executions, playbooks and closures in one all-or-nothing transaction."""
        return self._call(m.BATCH_RECORD_EVIDENCE, m.batch_request(records, request_id), timeout)

    def create_recovery_escalation_plan(
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
        response = self._call(m.CREATE_PLAN, request, timeout)
        return response.plan

    def get_recovery_escalation_plan(
        self, plan_id: str, *, timeout: float | None = None
    ) -> esc.RecoveryEscalationPlan:
        response = self._call(m.GET_PLAN, esc.GetRecoveryEscalationPlanRequest(plan_id=plan_id), timeout)
        return response.plan

    def list_recovery_escalation_plans(
        self, request: esc.ListRecoveryEscalationPlansRequest | None = None, *, timeout: float | None = None
    ) -> esc.ListRecoveryEscalationPlansResponse:
        return self._call(m.LIST_PLANS, request or esc.ListRecoveryEscalationPlansRequest(), timeout)

    def list_recovery_escalation_routes(
        self, request: esc.ListRecoveryEscalationRoutesRequest, *, timeout: float | None = None
    ) -> esc.ListRecoveryEscalationRoutesResponse:
        """One page of a plan's routes (plans list at most route_limit routes themselves)."""
        return self._call(m.LIST_ROUTES, request, timeout)

    def deliver_recovery_escalation(
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
        return self._call(m.DELIVER, request, timeout)

    def acknowledge_recovery_escalation(
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
        response = self._call(m.ACKNOWLEDGE, request, timeout)
        return response.acknowledgement

    def plan_recovery_escalation_retries(
        self, request: esc.PlanRecoveryEscalationRetriesRequest | None = None, *, timeout: float | None = None
    ) -> esc.PlanRecoveryEscalationRetriesResponse:
        return self._call(m.PLAN_RETRIES, request or esc.PlanRecoveryEscalationRetriesRequest(), timeout)

    def run_recovery_escalation_retry_worker(
        self,
        request: esc.RunRecoveryEscalationRetryWorkerRequest | None = None,
        *,
        timeout: float | None = None,
    ) -> esc.RunRecoveryEscalationRetryWorkerResponse:
        """Run the retry worker; a dry run unless request.dry_run is explicitly False."""
        return self._call(
            m.RUN_RETRY_WORKER, request or esc.RunRecoveryEscalationRetryWorkerRequest(), timeout
        )

    def get_recovery_escalation_delivery(
        self, delivery_id: str, *, timeout: float | None = None
    ) -> dlv.Delivery:
        request = esc.GetRecoveryEscalationDeliveryRequest(delivery_id=delivery_id)
        response = self._call(m.GET_DELIVERY, request, timeout)
        return response.delivery

    def list_recovery_escalation_deliveries(
        self,
        request: esc.ListRecoveryEscalationDeliveriesRequest | None = None,
        *,
        timeout: float | None = None,
    ) -> esc.ListRecoveryEscalationDeliveriesResponse:
        return self._call(
            m.LIST_DELIVERIES, request or esc.ListRecoveryEscalationDeliveriesRequest(), timeout
        )

    def replay_recovery_escalation_delivery(
        self, delivery_id: str, *, request_id: str | None = None, timeout: float | None = None
    ) -> dlv.Delivery:
        request = esc.ReplayRecoveryEscalationDeliveryRequest(
            delivery_id=delivery_id, request_id=request_id or ""
        )
        response = self._call(m.REPLAY_DELIVERY, request, timeout)
        return response.delivery

    def create_recovery_escalation_silence(
        self, request: pol.CreateRecoveryEscalationSilenceRequest, *, timeout: float | None = None
    ) -> pol.RecoveryEscalationSilence:
        """Create a silence (matchers, ends_at, comment); give request.request_id to retry safely."""
        response = self._call(m.CREATE_SILENCE, request, timeout)
        return response.silence

    def list_recovery_escalation_silences(
        self,
        request: pol.ListRecoveryEscalationSilencesRequest | None = None,
        *,
        timeout: float | None = None,
    ) -> pol.ListRecoveryEscalationSilencesResponse:
        return self._call(m.LIST_SILENCES, request or pol.ListRecoveryEscalationSilencesRequest(), timeout)

    def expire_recovery_escalation_silence(
        self, silence_id: str, *, request_id: str | None = None, timeout: float | None = None
    ) -> pol.RecoveryEscalationSilence:
        request = pol.ExpireRecoveryEscalationSilenceRequest(
            silence_id=silence_id, request_id=request_id or ""
        )
        response = self._call(m.EXPIRE_SILENCE, request, timeout)
        return response.silence

    def get_recovery_escalation_state(
        self, plan_id: str, *, timeout: float | None = None
    ) -> pol.GetRecoveryEscalationStateResponse:
        """Per route of the plan: policy, level, next step time, steps with reasons, what holds it."""
        request = pol.GetRecoveryEscalationStateRequest(plan_id=plan_id)
        return self._call(m.GET_ESCALATION_STATE, request, timeout)

    def get_retry_recovery_report(
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
        response = self._call(m.GET_RETRY_RECOVERY_REPORT, request, timeout)
        return response.report

    def get_recovery_executive_report(
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
        response = self._call(m.GET_EXECUTIVE_REPORT, request, timeout)
        return response.report

    def render_recovery_executive_report(
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
        return self._call(m.RENDER_EXECUTIVE_REPORT, request, timeout)

    def get_ledger_checkpoint(
        self, *, tree_size: int = 0, timeout: float | None = None
    ) -> led.LedgerCheckpoint:
        """The latest ledger checkpoint, or the one of `tree_size` (auditor role; docs/ledger.md)."""
        request = led.GetLedgerCheckpointRequest(tree_size=tree_size)
        response = self._call(m.GET_LEDGER_CHECKPOINT, request, timeout)
        return response.checkpoint

    def get_ledger_inclusion_proof(
        self, *, kind: str, record_id: str, tree_size: int = 0, timeout: float | None = None
    ) -> led.GetLedgerInclusionProofResponse:
        """One record's leaf and RFC 9162 audit path to a checkpoint."""
        request = led.GetLedgerInclusionProofRequest(kind=kind, record_id=record_id, tree_size=tree_size)
        return self._call(m.GET_LEDGER_INCLUSION_PROOF, request, timeout)

    def get_ledger_consistency_proof(
        self, *, from_size: int, to_size: int = 0, timeout: float | None = None
    ) -> led.GetLedgerConsistencyProofResponse:
        """The RFC 9162 consistency proof between two checkpoints."""
        request = led.GetLedgerConsistencyProofRequest(from_size=from_size, to_size=to_size)
        return self._call(m.GET_LEDGER_CONSISTENCY_PROOF, request, timeout)

    def get_rollback_drill_dashboard(
        self, *, timeout: float | None = None
    ) -> rep.GetRollbackDrillDashboardResponse:
        return self._call(m.GET_DASHBOARD, rep.GetRollbackDrillDashboardRequest(), timeout)

    def run_executive_report_schedule(
        self, request: rep.RunExecutiveReportScheduleRequest | None = None, *, timeout: float | None = None
    ) -> rep.RunExecutiveReportScheduleResponse:
        return self._call(m.RUN_REPORT_SCHEDULE, request or rep.RunExecutiveReportScheduleRequest(), timeout)

    def list_executive_report_schedule_runs(
        self,
        request: rep.ListExecutiveReportScheduleRunsRequest | None = None,
        *,
        timeout: float | None = None,
    ) -> rep.ListExecutiveReportScheduleRunsResponse:
        return self._call(
            m.LIST_SCHEDULE_RUNS, request or rep.ListExecutiveReportScheduleRunsRequest(), timeout
        )

    def deliver_executive_report_schedule_run(
        self, request: rep.DeliverExecutiveReportScheduleRunRequest, *, timeout: float | None = None
    ) -> rep.DeliverExecutiveReportScheduleRunResponse:
        return self._call(m.DELIVER_SCHEDULE_RUN, request, timeout)

    def list_retry_recovery_reports(
        self, request: trl.ListRetryRecoveryReportsRequest | None = None, *, timeout: float | None = None
    ) -> trl.ListRetryRecoveryReportsResponse:
        return self._call(m.LIST_RECOVERY_REPORTS, request or trl.ListRetryRecoveryReportsRequest(), timeout)

    def list_recovery_executive_reports(
        self, request: trl.ListRecoveryExecutiveReportsRequest | None = None, *, timeout: float | None = None
    ) -> trl.ListRecoveryExecutiveReportsResponse:
        return self._call(
            m.LIST_EXECUTIVE_REPORTS, request or trl.ListRecoveryExecutiveReportsRequest(), timeout
        )

    def list_recovery_escalation_acknowledgements(
        self,
        request: trl.ListRecoveryEscalationAcknowledgementsRequest | None = None,
        *,
        timeout: float | None = None,
    ) -> trl.ListRecoveryEscalationAcknowledgementsResponse:
        return self._call(
            m.LIST_ACKNOWLEDGEMENTS, request or trl.ListRecoveryEscalationAcknowledgementsRequest(), timeout
        )

    def get_recovery_evidence_trail(
        self, plan_id: str, *, timeout: float | None = None
    ) -> trl.RecoveryEvidenceTrail:
        request = trl.GetRecoveryEvidenceTrailRequest(plan_id=plan_id)
        response = self._call(m.GET_EVIDENCE_TRAIL, request, timeout)
        return response.trail

    def list_escalation_receivers(
        self, request: trl.ListEscalationReceiversRequest | None = None, *, timeout: float | None = None
    ) -> trl.ListEscalationReceiversResponse:
        return self._call(m.LIST_RECEIVERS, request or trl.ListEscalationReceiversRequest(), timeout)
