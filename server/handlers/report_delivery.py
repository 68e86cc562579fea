"""ReportService delivery RPCs: delivering an executive report schedule run through receivers."""

from __future__ import annotations

from typing import Any

import grpc
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cavra.recovery.v1 import report_pb2
from server.delivery.outbox import check_receiver_names, delivery_options, enqueue_report, report_for_delivery
from server.domain.executive_report import ScheduleRun
from server.domain.rendering import render_markdown
from server.domain.validation import Violations
from server.handlers.delivery_mapping import result_message
from server.handlers.escalation_delivery import (
    check_receiver_fields,
    check_same_request,
    from_document,
    keep_first_response,
    request_digest,
    require_config,
    round_deadline,
)
from server.handlers.timestamps import to_timestamp
from server.services import ServiceDependencies
from server.storage import deliveries as store
from server.storage import reports as report_storage
from server.storage import schedule as schedule_storage


def schedule_run_to_proto(run: ScheduleRun) -> report_pb2.ExecutiveReportScheduleRun:
    return report_pb2.ExecutiveReportScheduleRun(
        run_id=run.run_id,
        window_start=to_timestamp(run.window_start),
        window_end=to_timestamp(run.window_end),
        interval_minutes=run.interval_minutes,
        report_id=run.report_id,
        created_at=to_timestamp(run.created_at),
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
            request_digest=request_digest(request),
        )
        violations.raise_if_any()
        config = require_config(self._deps.connector_config)
        receivers = check_receiver_names(config, list(request.receivers))
        delivery = self._deps.delivery
        now = self._deps.clock()

        def replay(session: Session) -> store.StoredDeliveryRequest | None:
            existing = store.find_delivery_request(session, request_id=str(options.request_id))
            if existing is not None:
                check_same_request(existing.request_digest, str(options.request_digest))
            return existing

        def enqueue(session: Session) -> store.StoredDeliveryRequest:
            # The unique request_id goes in with the outbox rows: key and action commit together.
            if options.request_id:
                existing = replay(session)
                if existing is not None:
                    return existing
            run = schedule_storage.get_schedule_run(session, run_id=request.run_id)
            report = report_storage.get_executive_report(session, report_id=run.report_id)
            enqueued = enqueue_report(
                session,
                schedule_run_id=run.run_id,
                report=report_for_delivery(report, render_markdown(report)),
                config=config,
                receivers=receivers,
                options=options,
                now=now,
            )
            return store.get_delivery_request(session, delivery_evidence_id=enqueued.delivery_evidence_id)

        try:
            delivery_request = await self._deps.database.run(enqueue)
        except IntegrityError:
            found = await self._deps.database.run(replay) if options.request_id else None
            if found is None:
                raise
            delivery_request = found
        if delivery_request.response_document is not None:
            return from_document(
                delivery_request.response_document, report_pb2.DeliverExecutiveReportScheduleRunResponse()
            )
        if not delivery_request.dry_run:
            delivery.wake()
            await delivery.wait_for_first_round(delivery_request.delivery_ids, round_deadline(context))

        def answer(session: Session) -> report_pb2.DeliverExecutiveReportScheduleRunResponse:
            assert delivery_request.schedule_run_id is not None
            run = schedule_storage.get_schedule_run(session, run_id=delivery_request.schedule_run_id)
            deliveries = store.get_deliveries(
                session, delivery_ids=delivery_request.delivery_ids, with_attempts=False
            )
            results = [result_message(found) for found in deliveries]
            response = report_pb2.DeliverExecutiveReportScheduleRunResponse(
                run=schedule_run_to_proto(run),
                results=results,
                success=all(result.success for result in results),
                delivery_evidence_id=delivery_request.delivery_evidence_id,
            )
            return keep_first_response(
                session, delivery_evidence_id=delivery_request.delivery_evidence_id, response=response
            )

        return await self._deps.database.run(answer)
