"""Watching a real server through a database outage: steady intake, health and readiness, the verdict.

`IntakeLoad` runs client threads recording retry executions with unique ids back to back and keeps
every call's outcome with its start and end (monotonic seconds). `HealthWatch` samples the gRPC health
service (overall and per service) and, with the gateway on, `/readyz` and `/livez`. `Outage` marks when
the fault started and ended so the tests can ask what happened in each phase.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from functools import partial

import grpc
import httpx
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status

from cavra.recovery.v1 import evidence_pb2, evidence_pb2_grpc
from tests.faults.toxiproxy_kit import ProxyControl
from tests.platform.evidence_builders import retry_execution

ERROR_DOMAIN = "recovery.cavra.dev"
DATABASE_UNAVAILABLE = "DATABASE_UNAVAILABLE"
SERVICE_NAMES = (
    "cavra.recovery.v1.EvidenceService",
    "cavra.recovery.v1.EscalationService",
    "cavra.recovery.v1.ReportService",
)
# The server's background database check, fast enough for a test: 2 failures 0.5 s apart.
FAST_DATABASE_CHECK_ENV = {"CAVRA_DATABASE_CHECK_SECONDS": "0.5", "CAVRA_DATABASE_CHECK_FAILURES": "2"}
# "database unavailable: connection refused": the message names the cause class after the colon.
CAUSE_NAMED = re.compile(r"database unavailable: \w", re.IGNORECASE)


@dataclass(frozen=True)
class CallFailure:
    """A failed call: its code name, message and the decoded ErrorInfo and RetryInfo details."""

    code: str
    message: str
    reason: str = ""
    domain: str = ""
    retry_delay: float | None = None


def call_failure(error: grpc.RpcError) -> CallFailure:
    code = error.code().name
    message = error.details() or ""
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    reason = domain = ""
    retry_delay = None
    for detail in status.details if status is not None else ():
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            reason, domain = info.reason, info.domain
        elif detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            retry = error_details_pb2.RetryInfo()
            detail.Unpack(retry)
            retry_delay = retry.retry_delay.ToTimedelta().total_seconds()
    return CallFailure(code, message, reason, domain, retry_delay)


def database_unavailable_problems(failure: CallFailure, *, secrets: Sequence[str]) -> list[str]:
    """What is wrong with `failure` as the answer to a lost database (empty: nothing)."""
    problems = []
    if failure.code != "UNAVAILABLE":
        problems.append(f"code {failure.code}, not UNAVAILABLE")
    if (failure.reason, failure.domain) != (DATABASE_UNAVAILABLE, ERROR_DOMAIN):
        problems.append(f"ErrorInfo {failure.reason!r}/{failure.domain!r}, not {DATABASE_UNAVAILABLE}")
    if failure.retry_delay is None:
        problems.append("no RetryInfo detail")
    if not CAUSE_NAMED.search(failure.message):
        problems.append(f"message {failure.message!r} is not 'database unavailable: <cause>'")
    problems.extend(f"message leaks {secret!r}" for secret in secrets if secret in failure.message)
    return problems


@dataclass(frozen=True)
class CallOutcome:
    started: float
    finished: float
    execution_id: str
    failure: CallFailure | None = None

    @property
    def code(self) -> str:
        return "OK" if self.failure is None else self.failure.code


Recorder = Callable[[str], None]
RecorderFactory = Callable[[int], AbstractContextManager[Recorder]]


class IntakeLoad:
    """`threads` clients, each recording retry executions with unique ids until stopped.

    `recorder(thread_index)` opens each thread's client and yields its call: it records the execution
    id it is given and raises on failure (`describe` turns the exception into a CallFailure).
    """

    def __init__(
        self,
        recorder: RecorderFactory,
        *,
        threads: int = 4,
        prefix: str = "exec-fault",
        pause: float = 0.02,
        describe: Callable[[Exception], CallFailure | None] | None = None,
    ) -> None:
        self.outcomes: list[CallOutcome] = []
        self._recorder = recorder
        self._prefix = prefix
        self._pause = pause
        self._describe = describe or _describe_rpc_error
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=(index,)) for index in range(threads)]

    def _run(self, index: int) -> None:
        with self._recorder(index) as record:
            self._record_until_stopped(index, record)

    def _record_until_stopped(self, index: int, record: Recorder) -> None:
        sequence = 0
        while not self._stop.is_set():
            execution_id = f"{self._prefix}-{index}-{sequence:06d}"
            sequence += 1
            started = time.monotonic()
            failure = None
            try:
                record(execution_id)
            except Exception as error:
                failure = self._describe(error)
                if failure is None:
                    raise
            with self._lock:
                self.outcomes.append(CallOutcome(started, time.monotonic(), execution_id, failure))
            self._stop.wait(self._pause)

    @contextmanager
    def running(self) -> Iterator[IntakeLoad]:
        for thread in self._threads:
            thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            for thread in self._threads:
                thread.join(60)

    def between(self, start: float, end: float) -> list[CallOutcome]:
        """Calls that started at or after `start` and finished before `end`."""
        return [o for o in self.outcomes if o.started >= start and o.finished <= end]

    def acknowledged(self) -> set[str]:
        return {o.execution_id for o in self.outcomes if o.failure is None}

    def codes(self, outcomes: Iterable[CallOutcome] | None = None) -> Counter[str]:
        return Counter(o.code for o in (self.outcomes if outcomes is None else outcomes))


def _describe_rpc_error(error: Exception) -> CallFailure | None:
    return call_failure(error) if isinstance(error, grpc.RpcError) else None


def grpc_recorder(address: str, *, deadline: float = 2.0) -> RecorderFactory:
    """Each thread its own channel, calling RecordRetryExecution with a `deadline`-second deadline."""

    @contextmanager
    def for_thread(index: int) -> Iterator[Recorder]:
        with grpc.insecure_channel(address) as channel:
            stub = evidence_pb2_grpc.EvidenceServiceStub(channel)

            def record(execution_id: str) -> None:
                stub.RecordRetryExecution(
                    evidence_pb2.RecordRetryExecutionRequest(
                        retry_execution=retry_execution(index, execution_id=execution_id)
                    ),
                    timeout=deadline,
                )

            yield record

    return for_thread


def stored_execution_ids(address: str) -> set[str]:
    """Every retry execution id the server lists (all pages, 1,000 a page)."""
    ids: set[str] = set()
    with grpc.insecure_channel(address) as channel:
        stub = evidence_pb2_grpc.EvidenceServiceStub(channel)
        token = ""
        while True:
            page = stub.ListRetryExecutions(
                evidence_pb2.ListRetryExecutionsRequest(page_size=1000, page_token=token), timeout=30
            )
            ids.update(execution.execution_id for execution in page.retry_executions)
            token = page.next_page_token
            if not token:
                return ids


@dataclass(frozen=True)
class Sample:
    at: float
    target: str
    value: str


class HealthWatch:
    """Samples health every `interval` seconds: `grpc:<service>` ("" overall) and `readyz`/`livez`."""

    def __init__(self, grpc_address: str, http_address: str | None, *, interval: float = 0.25) -> None:
        self.samples: list[Sample] = []
        self._grpc_address = grpc_address
        self._http_address = http_address
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="health-watch")

    def _run(self) -> None:
        with grpc.insecure_channel(self._grpc_address) as channel, httpx.Client(timeout=1.0) as http:
            health = health_pb2_grpc.HealthStub(channel)
            while not self._stop.is_set():
                for service in ("", *SERVICE_NAMES):
                    self._sample(f"grpc:{service}", partial(_health_status, health, service))
                if self._http_address is not None:
                    for path in ("readyz", "livez"):
                        self._sample(path, partial(_http_status, http, f"http://{self._http_address}/{path}"))
                self._stop.wait(self._interval)

    def _sample(self, target: str, probe: Callable[[], str]) -> None:
        try:
            value = probe()
        except grpc.RpcError as error:
            value = f"error:{error.code().name}"
        except httpx.HTTPError as error:
            value = f"error:{type(error).__name__}"
        self.samples.append(Sample(time.monotonic(), target, value))

    @contextmanager
    def running(self) -> Iterator[HealthWatch]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join(30)

    def first(self, target: str, value: str, *, after: float) -> float | None:
        """When `target` first showed `value` at or after `after` (None: never)."""
        return next(
            (s.at for s in self.samples if s.target == target and s.at >= after and s.value == value), None
        )

    def values(self, target: str, *, start: float = 0.0, end: float = float("inf")) -> list[str]:
        return [s.value for s in self.samples if s.target == target and start <= s.at < end]


def _http_status(client: httpx.Client, url: str) -> str:
    return str(client.get(url).status_code)


def _health_status(stub: health_pb2_grpc.HealthStub, service: str) -> str:
    response = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=1.0)
    return str(health_pb2.HealthCheckResponse.ServingStatus.Name(response.status))


@dataclass
class Outage:
    """When the fault began and ended (monotonic seconds) and where the server log stood at its start."""

    log_lines: list[str]
    began: float = 0.0
    ended: float = 0.0
    log_mark: int = 0

    def begin(self) -> None:
        self.log_mark = len(self.log_lines)
        self.began = time.monotonic()

    def end(self) -> None:
        self.ended = time.monotonic()

    def log_since_begin(self) -> list[str]:
        return self.log_lines[self.log_mark :]

    def cut(self, proxy: ProxyControl, *, seconds: float) -> None:
        """Cut `proxy` for `seconds`, marking the outage's start and its end (just before the restore)."""
        self.begin()
        proxy.cut()
        time.sleep(seconds)
        self.end()
        proxy.restore()
