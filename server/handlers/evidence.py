"""EvidenceService: intake of retry executions, playbooks and closures."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc

from cavra.recovery.v1 import evidence_pb2, evidence_pb2_grpc
from cavra_recovery.server.domain.evidence import BatchOutcome, EvidenceKind, RecordOutcome
from cavra_recovery.server.domain.paging import next_page_token
from cavra_recovery.server.handlers import evidence_mapping as mapping
from cavra_recovery.server.handlers import evidence_reads as reads
from cavra_recovery.server.operations import evidence
from cavra_recovery.server.operations.idempotency import request_key
from cavra_recovery.server.request_context import caller_identity
from cavra_recovery.server.services import ServiceDependencies
from cavra_recovery.server.storage import evidence as storage

Context = grpc.aio.ServicerContext[Any, Any]


class EvidenceHandler(evidence_pb2_grpc.EvidenceServiceServicer):
    def __init__(self, dependencies: ServiceDependencies) -> None:
        self._deps = dependencies
        self._counters: dict[EvidenceKind, tuple[Any, Any]] = {}
        self._intake = evidence.EvidenceIntake(dependencies.database, counted=self._count_one)

    def _count_one(self, kind: EvidenceKind, created: bool) -> None:
        self._count(kind, int(created), int(not created))

    def _count(self, kind: EvidenceKind, created: int, unchanged: int) -> None:
        metrics = self._deps.metrics
        if metrics is None:
            return
        # The counter's children, looked up once per kind (`labels()` builds a key and takes a lock).
        children = self._counters.get(kind)
        if children is None:
            counter = metrics.evidence_records
            children = self._counters[kind] = (
                counter.labels(kind=kind.value, outcome="created"),
                counter.labels(kind=kind.value, outcome="unchanged"),
            )
        if created:
            children[0].inc(created)
        if unchanged:
            children[1].inc(unchanged)

    async def RecordRetryExecution(
        self, request: evidence_pb2.RecordRetryExecutionRequest, context: Context
    ) -> evidence_pb2.RecordRetryExecutionResponse:
        execution = mapping.retry_execution_from_request(request)

        def respond(outcome: RecordOutcome) -> evidence_pb2.RecordRetryExecutionResponse:
            assert isinstance(outcome.record, type(execution))
            return evidence_pb2.RecordRetryExecutionResponse(
                retry_execution=reads.retry_execution_to_proto(outcome.record), created=outcome.created
            )

        return await self._intake.record(
            request_key("RecordRetryExecution", request),
            evidence_pb2.RecordRetryExecutionResponse,
            now=self._deps.clock(),
            evidence=execution,
            respond=respond,
        )

    async def GetRetryExecution(
        self, request: evidence_pb2.GetRetryExecutionRequest, context: Context
    ) -> evidence_pb2.GetRetryExecutionResponse:
        execution_id = reads.execution_id_from_request(request)
        execution = await self._deps.database.read(
            lambda connection: storage.get_retry_execution(connection, execution_id=execution_id)
        )
        return evidence_pb2.GetRetryExecutionResponse(
            retry_execution=reads.retry_execution_to_proto(execution)
        )

    async def ListRetryExecutions(
        self, request: evidence_pb2.ListRetryExecutionsRequest, context: Context
    ) -> evidence_pb2.ListRetryExecutionsResponse:
        where, page = reads.retry_execution_query(request)
        result = await self._deps.database.run(
            lambda session: storage.list_retry_executions(session, where=where, page=page)
        )
        return evidence_pb2.ListRetryExecutionsResponse(
            retry_executions=[reads.retry_execution_to_proto(item) for item in result.items],
            next_page_token=next_page_token(page, result.next_cursor),
            total_size=result.total_size,
        )

    async def RecordConnectorRecoveryPlaybook(
        self, request: evidence_pb2.RecordConnectorRecoveryPlaybookRequest, context: Context
    ) -> evidence_pb2.RecordConnectorRecoveryPlaybookResponse:
        playbook = mapping.playbook_from_request(request)

        def respond(outcome: RecordOutcome) -> evidence_pb2.RecordConnectorRecoveryPlaybookResponse:
            assert isinstance(outcome.record, type(playbook))
            return evidence_pb2.RecordConnectorRecoveryPlaybookResponse(
                playbook=reads.playbook_to_proto(outcome.record), created=outcome.created
            )

        return await self._intake.record(
            request_key("RecordConnectorRecoveryPlaybook", request),
            evidence_pb2.RecordConnectorRecoveryPlaybookResponse,
            now=self._deps.clock(),
            evidence=playbook,
            respond=respond,
        )

    async def GetConnectorRecoveryPlaybook(
        self, request: evidence_pb2.GetConnectorRecoveryPlaybookRequest, context: Context
    ) -> evidence_pb2.GetConnectorRecoveryPlaybookResponse:
        playbook_id = reads.playbook_id_from_request(request)
        playbook = await self._deps.database.run(
            lambda session: storage.get_playbook(session, playbook_id=playbook_id)
        )
        return evidence_pb2.GetConnectorRecoveryPlaybookResponse(playbook=reads.playbook_to_proto(playbook))

    async def ListConnectorRecoveryPlaybooks(
        self, request: evidence_pb2.ListConnectorRecoveryPlaybooksRequest, context: Context
    ) -> evidence_pb2.ListConnectorRecoveryPlaybooksResponse:
        where, page = reads.playbook_query(request)
        result = await self._deps.database.run(
            lambda session: storage.list_playbooks(session, where=where, page=page)
        )
        return evidence_pb2.ListConnectorRecoveryPlaybooksResponse(
            playbooks=[reads.playbook_to_proto(item) for item in result.items],
            next_page_token=next_page_token(page, result.next_cursor),
            total_size=result.total_size,
        )

    async def RecordRecoveryClosure(
        self, request: evidence_pb2.RecordRecoveryClosureRequest, context: Context
    ) -> evidence_pb2.RecordRecoveryClosureResponse:
        closure = mapping.closure_from_request(request, caller_identity())

        def respond(outcome: RecordOutcome) -> evidence_pb2.RecordRecoveryClosureResponse:
            assert isinstance(outcome.record, type(closure))
            return evidence_pb2.RecordRecoveryClosureResponse(
                closure=reads.closure_to_proto(outcome.record), created=outcome.created
            )

        return await self._intake.record(
            request_key("RecordRecoveryClosure", request),
            evidence_pb2.RecordRecoveryClosureResponse,
            now=self._deps.clock(),
            evidence=closure,
            respond=respond,
        )

    async def ListRecoveryClosures(
        self, request: evidence_pb2.ListRecoveryClosuresRequest, context: Context
    ) -> evidence_pb2.ListRecoveryClosuresResponse:
        where, page = reads.closure_query(request)
        result = await self._deps.database.run(
            lambda session: storage.list_closures(session, where=where, page=page)
        )
        return evidence_pb2.ListRecoveryClosuresResponse(
            closures=[reads.closure_to_proto(item) for item in result.items],
            next_page_token=next_page_token(page, result.next_cursor),
            total_size=result.total_size,
        )

    async def BatchRecordEvidence(
        self, request: evidence_pb2.BatchRecordEvidenceRequest, context: Context
    ) -> evidence_pb2.BatchRecordEvidenceResponse:
        # Validating 5,000 records takes a while: keep the event loop serving other calls meanwhile.
        batch = await asyncio.to_thread(mapping.batch_from_request, request, caller_identity())

        def respond(outcome: BatchOutcome) -> evidence_pb2.BatchRecordEvidenceResponse:
            for kind, created, unchanged in outcome.per_kind:
                self._count(kind, created, unchanged)
            return evidence_pb2.BatchRecordEvidenceResponse(
                created_count=outcome.created_count, unchanged_count=outcome.unchanged_count
            )

        return await evidence.record_batch(
            self._deps.database,
            request_key("BatchRecordEvidence", request),
            evidence_pb2.BatchRecordEvidenceResponse,
            now=self._deps.clock(),
            records=batch.records,
            paths=batch.paths,
            respond=respond,
        )
