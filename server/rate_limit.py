"""A token bucket per identity on the RPCs that send or run work: deliver, retry worker, schedule run.

The identity is the authenticated token's name (`--auth-config`), or the peer's address when auth is
off (every gateway caller then shares the gateway's address). Each server process keeps its own
buckets, so `--workers N` allows up to N times the rate. Over the limit the call answers
RESOURCE_EXHAUSTED, reason RATE_LIMITED, with a google.rpc.RetryInfo saying when a token is back;
the gateway turns that into 429 with `Retry-After`.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

import grpc

from cavra_recovery.server.domain.errors import ResourceExhausted
from cavra_recovery.server.domain.reasons import Reason
from cavra_recovery.server.request_context import principal_var
from cavra_recovery.server.rpc_status import abort_with, status_for

RATE_LIMITED_METHODS = frozenset(
    {
        "/cavra.recovery.v1.EscalationService/DeliverRecoveryEscalation",
        "/cavra.recovery.v1.EscalationService/RunRecoveryEscalationRetryWorker",
        "/cavra.recovery.v1.ReportService/RunExecutiveReportSchedule",
        "/cavra.recovery.v1.ReportService/DeliverExecutiveReportScheduleRun",
    }
)
# Buckets kept; the least recently used identity is forgotten first (it starts again with a full bucket).
MAX_IDENTITIES = 10_000


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """`per_minute` tokens a minute per key, at most `burst` saved up."""

    def __init__(self, *, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = per_minute / 60.0
        self._burst = float(burst)
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, key: str) -> float:
        """0 when `key` may go ahead (a token is spent), else the seconds until it may."""
        now = self._clock()
        bucket = self._buckets.pop(key, None) or _Bucket(tokens=self._burst, updated=now)
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        self._buckets[key] = bucket
        if len(self._buckets) > MAX_IDENTITIES:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self._rate


def peer_host(peer: str) -> str:
    """'ipv4:127.0.0.1:5000' -> '127.0.0.1', 'ipv6:[::1]:5000' -> '::1'; anything else as is."""
    kind, _, rest = peer.partition(":")
    if kind in ("ipv4", "ipv6"):
        return rest.rpartition(":")[0].strip("[]") or rest
    return peer


Behavior = Callable[[Any, grpc.aio.ServicerContext[Any, Any]], Awaitable[Any]]


class RateLimitInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[type-arg]  # generic only in the stubs
    """Inside the auth interceptor (the principal is known), outside the handlers."""

    def __init__(self, buckets: TokenBuckets) -> None:
        self._buckets = buckets

    async def intercept_service(  # type: ignore[override]
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any]]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = await continuation(handler_call_details)
        method: str = handler_call_details.method
        if handler is None or handler.unary_unary is None or method not in RATE_LIMITED_METHODS:
            return handler
        return grpc.unary_unary_rpc_method_handler(
            self._limited(cast(Behavior, handler.unary_unary), method),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )

    def _limited(self, behavior: Behavior, method: str) -> Behavior:
        short_method = method.rsplit("/", 1)[-1]

        async def limited(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            identity = principal_var.get() or peer_host(context.peer() or "unknown")
            wait = self._buckets.take(identity)
            if wait > 0:
                seconds = max(1, math.ceil(wait))
                error = ResourceExhausted(
                    f"rate limit: too many {short_method} calls; retry in {seconds} s",
                    reason=Reason.RATE_LIMITED,
                    retry_after_seconds=seconds,
                    metadata={"method": short_method, "retry_after_seconds": str(seconds)},
                )
                await abort_with(context, status_for(error))
            return await behavior(request, context)

        return limited
