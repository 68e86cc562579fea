"""ReportService delivery RPCs: delivering an executive report schedule run through receivers."""

from __future__ import annotations

from typing import Any

import grpc

from cavra.recovery.v1 import report_pb2
from cavra_recovery.server.delivery.outbox import check_receiver_names, delivery_options
from cavra_recovery.server.domain.executive_report import ScheduleRun
from cavra_recovery.server.domain.validation import Violations
from cavra_recovery.server.handlers.delivery_mapping import result_message
from cavra_recovery.server.handlers.escalation_delivery import check_receiver_fields
from cavra_recovery.server.handlers.timestamps import to_timestamp
from cavra_recovery.server.operations.delivery import (
    DeliveryCall,
    DeliveryRound,
    deliver_schedule_run,
    require_routing,
)
from cavra_recovery.server.operations.idempotency import request_key
from cavra_recovery.server.services import ServiceDependencies


def schedule_run_to_proto(run: ScheduleRun) -> report_pb2.ExecutiveReportScheduleRun:
    return report_pb2.ExecutiveReportScheduleRun(
        run_id=run.run_id,
        window_start=to_timestamp(run.window_start),
        window_end=to_timestamp(run.window_end),
        interval_minutes=run.interval_minutes,
        report_id=run.report_id,
        created_at=to_timestamp(run.created_at),
    )


def schedule_delivery_response(
    run: ScheduleRun, round: DeliveryRound
) -> report_pb2.DeliverExecutiveReportScheduleRunResponse:
    results = [result_message(delivery) for delivery in round.deliveries]
    return report_pb2.DeliverExecutiveReportScheduleRunResponse(
        run=schedule_run_to_proto(run),
        results=results,
        success=all(result.success for result in results),
        delivery_evidence_id=round.delivery_evidence_id,
    )


class ReportDeliveryHandlers:
    def __init__(self, dependencies: ServiceDependencies) -> None:
        self._deps = dependencies

    async def DeliverExecutiveReportScheduleRun(
        self,
        request: report_pb2.DeliverExecutiveReportScheduleRunRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> report_pb2.DeliverExecutiveReportScheduleRunResponse:
        violations = Violations()
        violations.require_id("run_id", request.run_id)
        check_receiver_fields(violations, request.receivers)
        options = delivery_options(
            violations,
            retries=request.retries,
            timeout_seconds=request.timeout_seconds,
            max_routes=0,
            dry_run=request.dry_run,
            request_id=request.request_id,
        )
        violations.raise_if_any()
        routing = require_routing(self._deps.connector_config)
        call = DeliveryCall(
            database=self._deps.database,
            worker=self._deps.delivery,
            key=request_key("DeliverExecutiveReportScheduleRun", request),
            now=self._deps.clock(),
            time_remaining=context.time_remaining(),
        )
        return await deliver_schedule_run(
            call,
            report_pb2.DeliverExecutiveReportScheduleRunResponse,
            run_id=request.run_id,
            routing=routing,
            receivers=check_receiver_names(routing, list(request.receivers)),
            options=options,
            respond=schedule_delivery_response,
        )
