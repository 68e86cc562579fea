"""Bearer-token authentication and role checks for every RPC (SPEC §6 "Authentication", §9).

The `--auth-config` file (YAML, or TOML by its `.toml` suffix) lists tokens by the hex SHA-256 of the
bearer token, never the token itself:

    tokens:
      - name: go-backend
        sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
        roles: [ingest]

A token may carry `subject: "CN=release-bot"`: then it is accepted only on a mutual-TLS connection
whose client certificate subject has each listed attribute with that value (docs/identity.md).

Roles: `ingest` records evidence (and may read it back); `viewer` and `auditor` read everything;
`operator` reads everything and runs the mutating escalation and schedule RPCs; `metrics` (and
`auditor`) may read the gateway's `/metrics`; only `auditor` reads the ledger's checkpoints and proofs
(LedgerService). Health and reflection stay open. A missing or unknown
token answers UNAUTHENTICATED, a known token without a role the method needs PERMISSION_DENIED, both
with a google.rpc.ErrorInfo. Tokens are compared as SHA-256 digests in constant time and never
logged. A refused call is answered before its request message is read.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import tomllib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, cast

import grpc
import yaml
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2

from cavra_recovery.server.certificate_subject import parse_subject, peer_subject, subject_matches
from cavra_recovery.server.domain.reasons import ERROR_DOMAIN, Reason
from cavra_recovery.server.request_context import principal_var
from cavra_recovery.server.rpc_status import abort_with
from cavra_recovery.server.setting_values import SettingsError

log = logging.getLogger("cavra-recovery.auth")

AUTHORIZATION_HEADER = "authorization"
_SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")
_TOKEN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,127}")


class Role(StrEnum):
    INGEST = "ingest"
    OPERATOR = "operator"
    VIEWER = "viewer"
    AUDITOR = "auditor"
    METRICS = "metrics"


class AuthConfigError(SettingsError):
    """The auth config cannot be used; the message names the file and the field, never a value."""


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """One configured token: its name (logged as the principal), digest and roles."""

    name: str
    token_sha256: bytes = field(repr=False)
    roles: frozenset[Role]
    # (TYPE, value) pairs the client certificate subject must carry; None: any connection.
    subject: tuple[tuple[str, str], ...] | None = None

    def subject_matches(self, presented: str | None) -> bool:
        return self.subject is None or subject_matches(self.subject, presented)


@dataclass(frozen=True, slots=True)
class AuthConfig:
    tokens: tuple[TokenGrant, ...]

    def authenticate(self, bearer_token: str) -> TokenGrant | None:
        """The grant whose digest matches, comparing against every grant so timing reveals nothing."""
        digest = hashlib.sha256(bearer_token.encode("utf-8")).digest()
        found: TokenGrant | None = None
        for grant in self.tokens:
            if hmac.compare_digest(digest, grant.token_sha256):
                found = grant
        return found


_READERS = frozenset({Role.VIEWER, Role.OPERATOR, Role.AUDITOR})
_EVIDENCE_READERS = _READERS | {Role.INGEST}
_INGEST = frozenset({Role.INGEST})
_OPERATOR = frozenset({Role.OPERATOR})
_AUDITOR = frozenset({Role.AUDITOR})

# Roles that may call each method; a method of ours missing here is denied to everyone (fail closed).
METHOD_ROLES: dict[str, frozenset[Role]] = {
    "/cavra.recovery.v1.EvidenceService/RecordRetryExecution": _INGEST,
    "/cavra.recovery.v1.EvidenceService/RecordConnectorRecoveryPlaybook": _INGEST,
    "/cavra.recovery.v1.EvidenceService/RecordRecoveryClosure": _INGEST,
    "/cavra.recovery.v1.EvidenceService/BatchRecordEvidence": _INGEST,
    "/cavra.recovery.v1.EvidenceService/GetRetryExecution": _EVIDENCE_READERS,
    "/cavra.recovery.v1.EvidenceService/ListRetryExecutions": _EVIDENCE_READERS,
    "/cavra.recovery.v1.EvidenceService/GetConnectorRecoveryPlaybook": _EVIDENCE_READERS,
    "/cavra.recovery.v1.EvidenceService/ListConnectorRecoveryPlaybooks": _EVIDENCE_READERS,
    "/cavra.recovery.v1.EvidenceService/ListRecoveryClosures": _EVIDENCE_READERS,
    "/cavra.recovery.v1.EscalationService/CreateRecoveryEscalationPlan": _OPERATOR,
    "/cavra.recovery.v1.EscalationService/GetRecoveryEscalationPlan": _READERS,
    "/cavra.recovery.v1.EscalationService/ListRecoveryEscalationPlans": _READERS,
    "/cavra.recovery.v1.EscalationService/ListRecoveryEscalationRoutes": _READERS,
    "/cavra.recovery.v1.EscalationService/DeliverRecoveryEscalation": _OPERATOR,
    "/cavra.recovery.v1.EscalationService/AcknowledgeRecoveryEscalation": _OPERATOR,
    "/cavra.recovery.v1.EscalationService/PlanRecoveryEscalationRetries": _OPERATOR,
    "/cavra.recovery.v1.EscalationService/RunRecoveryEscalationRetryWorker": _OPERATOR,
    "/cavra.recovery.v1.EscalationService/GetRecoveryEscalationDelivery": _READERS,
    "/cavra.recovery.v1.EscalationService/ListRecoveryEscalationDeliveries": _READERS,
    "/cavra.recovery.v1.EscalationService/ReplayRecoveryEscalationDelivery": _OPERATOR,
    "/cavra.recovery.v1.EscalationService/ListRecoveryEscalationAcknowledgements": _READERS,
    "/cavra.recovery.v1.EscalationService/GetRecoveryEvidenceTrail": _READERS,
    "/cavra.recovery.v1.EscalationService/ListEscalationReceivers": _READERS,
    "/cavra.recovery.v1.EscalationService/CreateRecoveryEscalationSilence": _OPERATOR,
    "/cavra.recovery.v1.EscalationService/ListRecoveryEscalationSilences": _READERS,
    "/cavra.recovery.v1.EscalationService/ExpireRecoveryEscalationSilence": _OPERATOR,
    "/cavra.recovery.v1.EscalationService/GetRecoveryEscalationState": _READERS,
    "/cavra.recovery.v1.ReportService/GetRetryRecoveryReport": _READERS,
    "/cavra.recovery.v1.ReportService/GetRecoveryExecutiveReport": _READERS,
    "/cavra.recovery.v1.ReportService/RenderRecoveryExecutiveReport": _READERS,
    "/cavra.recovery.v1.ReportService/GetRollbackDrillDashboard": _READERS,
    "/cavra.recovery.v1.ReportService/RunExecutiveReportSchedule": _OPERATOR,
    "/cavra.recovery.v1.ReportService/ListExecutiveReportScheduleRuns": _READERS,
    "/cavra.recovery.v1.ReportService/DeliverExecutiveReportScheduleRun": _OPERATOR,
    "/cavra.recovery.v1.ReportService/ListRetryRecoveryReports": _READERS,
    "/cavra.recovery.v1.ReportService/ListRecoveryExecutiveReports": _READERS,
    "/cavra.recovery.v1.LedgerService/GetLedgerCheckpoint": _AUDITOR,
    "/cavra.recovery.v1.LedgerService/GetLedgerInclusionProof": _AUDITOR,
    "/cavra.recovery.v1.LedgerService/GetLedgerConsistencyProof": _AUDITOR,
}

# HTTP paths the gateway serves itself that need a token when auth is on (checked like a method).
METRICS_PATH = "/metrics"
PATH_ROLES: dict[str, frozenset[Role]] = {METRICS_PATH: frozenset({Role.METRICS, Role.AUDITOR})}
_ROLE_NAMES = ", ".join(role.value for role in Role)

OPEN_SERVICE_PREFIXES = (
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1alpha.ServerReflection/",
    "/grpc.reflection.v1.ServerReflection/",
)


def is_open_method(method: str) -> bool:
    return method.startswith(OPEN_SERVICE_PREFIXES)


def _error(path: Path, field_path: str, problem: str) -> AuthConfigError:
    return AuthConfigError(f"auth config {path}: {field_path}: {problem}")


def _parse(path: Path, text: str) -> Any:
    if path.suffix.lower() == ".toml":
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            # The decoder's message names a line and column, not the file's content.
            raise AuthConfigError(f"auth config {path}: not valid TOML: {error}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        # YAML error text quotes the offending line, which may hold a secret: report only its position.
        raise AuthConfigError(f"auth config {path}: not valid YAML{where}") from None


def _grant(path: Path, index: int, entry: object, names: set[str], digests: set[bytes]) -> TokenGrant:
    where = f"tokens[{index}]"
    if not isinstance(entry, Mapping):
        raise _error(path, where, "must be a mapping with name, sha256 and roles")
    unknown = sorted(set(map(str, entry)) - {"name", "sha256", "roles", "subject"})
    if unknown:
        raise _error(path, f"{where}.{unknown[0]}", "unknown key (allowed: name, sha256, roles, subject)")
    subject = None
    if "subject" in entry:
        text = entry.get("subject")
        subject = parse_subject(text) if isinstance(text, str) else None
        if not subject:
            raise _error(path, f"{where}.subject", 'must be a certificate subject such as "CN=release-bot"')
    name = entry.get("name")
    if not isinstance(name, str) or _TOKEN_NAME.fullmatch(name) is None:
        raise _error(path, f"{where}.name", "must be a name of letters, digits and ._@- (at most 128)")
    if name in names:
        raise _error(path, f"{where}.name", f"duplicates the name {name!r} of an earlier token")
    sha256 = entry.get("sha256")
    if not isinstance(sha256, str) or _SHA256_HEX.fullmatch(sha256) is None:
        raise _error(
            path,
            f"{where}.sha256",
            "must be 64 hexadecimal characters: the SHA-256 of the token, not the token",
        )
    digest = bytes.fromhex(sha256)
    if digest in digests:
        raise _error(path, f"{where}.sha256", "duplicates the sha256 of an earlier token")
    roles = entry.get("roles")
    if not isinstance(roles, list) or not roles:
        raise _error(path, f"{where}.roles", f"must be a non-empty list of {_ROLE_NAMES}")
    parsed: set[Role] = set()
    for role_index, role in enumerate(roles):
        try:
            parsed.add(Role(role))
        except ValueError:
            raise _error(path, f"{where}.roles[{role_index}]", f"must be one of {_ROLE_NAMES}") from None
    names.add(name)
    digests.add(digest)
    return TokenGrant(name=name, token_sha256=digest, roles=frozenset(parsed), subject=subject)


def load_auth_config(path: Path) -> AuthConfig:
    """Read and check the whole file once at start-up; any problem raises AuthConfigError."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise AuthConfigError(f"auth config {path}: cannot read: {reason}") from None
    document = _parse(path, text)
    if not isinstance(document, Mapping):
        raise _error(path, "tokens", "the file must be a mapping with a `tokens` list")
    unknown = sorted(set(map(str, document)) - {"tokens"})
    if unknown:
        raise _error(path, unknown[0], "unknown key (allowed: tokens)")
    entries = document.get("tokens")
    if not isinstance(entries, list) or not entries:
        raise _error(path, "tokens", "must be a non-empty list")
    names: set[str] = set()
    digests: set[bytes] = set()
    return AuthConfig(tuple(_grant(path, i, entry, names, digests) for i, entry in enumerate(entries)))


def _denial(code: int, message: str, reason: Reason, metadata: Mapping[str, str]) -> status_pb2.Status:
    info = any_pb2.Any()
    info.Pack(error_details_pb2.ErrorInfo(reason=reason, domain=ERROR_DOMAIN, metadata=dict(metadata)))
    return status_pb2.Status(code=code, message=message, details=[info])


def _bearer(metadata: Sequence[tuple[str, str | bytes]] | None) -> str | None:
    """The raw Authorization value, or None when absent."""
    for key, value in metadata or ():
        if key.lower() == AUTHORIZATION_HEADER:
            return value if isinstance(value, str) else ""
    return None


def authorize(
    config: AuthConfig, method: str, metadata: Sequence[tuple[str, str | bytes]] | None
) -> TokenGrant | status_pb2.Status:
    """The caller's grant when it may call `method`; otherwise the status to answer with."""
    header = _bearer(metadata)
    short_method = method.rsplit("/", 1)[-1]
    if header is None:
        return _denial(
            code_pb2.UNAUTHENTICATED,
            "missing bearer token (metadata `authorization: Bearer <token>`)",
            Reason.CREDENTIALS_MISSING,
            {"method": short_method},
        )
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _denial(
            code_pb2.UNAUTHENTICATED,
            "authorization metadata must be `Bearer <token>`",
            Reason.CREDENTIALS_MALFORMED,
            {"method": short_method},
        )
    grant = config.authenticate(token.strip())
    if grant is None:
        return _denial(
            code_pb2.UNAUTHENTICATED,
            "unknown bearer token",
            Reason.CREDENTIALS_INVALID,
            {"method": short_method},
        )
    allowed = METHOD_ROLES.get(method) or PATH_ROLES.get(method, frozenset())
    if not allowed & grant.roles:
        return _denial(
            code_pb2.PERMISSION_DENIED,
            f"token {grant.name!r} lacks a role allowed to call {short_method}",
            Reason.ROLE_REQUIRED,
            {
                "method": short_method,
                "principal": grant.name,
                "required_roles": ",".join(sorted(allowed)) or "none",
            },
        )
    return grant


Behavior = Callable[[Any, grpc.aio.ServicerContext[Any, Any]], Awaitable[Any]]


class AuthInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[type-arg]  # generic only in the stubs
    """Authenticates and authorizes every RPC except health and reflection.

    A granted call's guarded handler is built once per (method, token) and reused, so the interceptors
    outside this one (request context, metrics) see the same handler and keep their own per-method cache.
    """

    def __init__(self, config: AuthConfig) -> None:
        self._config = config
        self._granted: dict[
            tuple[str, bytes], tuple[grpc.RpcMethodHandler[Any, Any], grpc.RpcMethodHandler[Any, Any]]
        ] = {}

    # grpc itself answers UNIMPLEMENTED for a None handler; the stub does not allow for it.
    async def intercept_service(  # type: ignore[override]
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any]]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        method: str = handler_call_details.method
        handler = await continuation(handler_call_details)
        if handler is None or is_open_method(method):
            return handler
        decision = authorize(self._config, method, handler_call_details.invocation_metadata)
        if isinstance(decision, status_pb2.Status):
            # A request-streaming handler lets the refusal go out before grpc reads the message: a
            # caller without a token never gets its bytes buffered or parsed.
            return grpc.stream_unary_rpc_method_handler(
                self._refuse(method, decision),
                request_deserializer=None,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_unary is not None:
            key = (method, decision.token_sha256)
            cached = self._granted.get(key)
            if cached is None or cached[0] is not handler:
                guarded = grpc.unary_unary_rpc_method_handler(
                    self._guard(cast(Behavior, handler.unary_unary), method, decision),
                    request_deserializer=handler.request_deserializer,
                    response_serializer=handler.response_serializer,
                )
                cached = self._granted[key] = (handler, guarded)
            return cached[1]
        # Every RPC of ours is unary; a streaming one that is not open is refused (UNIMPLEMENTED), not served.
        log.warning("refusing non-unary method %s", method)
        return None

    @staticmethod
    def _refuse(method: str, decision: status_pb2.Status) -> Behavior:
        async def refused(_requests: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            info = error_details_pb2.ErrorInfo()
            decision.details[0].Unpack(info)
            # A known token without the role: its name is the identity of the access line.
            principal_var.set(info.metadata.get("principal") or None)
            log.info("denied %s: %s %s", method, info.reason, info.metadata.get("principal", ""))
            await abort_with(context, decision)
            raise AssertionError("unreachable: abort raises")

        return refused

    @staticmethod
    def _guard(behavior: Behavior, method: str, decision: TokenGrant) -> Behavior:
        async def guarded(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            if not decision.subject_matches(peer_subject(context)):
                log.info("denied %s: %s %s", method, Reason.CLIENT_CERTIFICATE_MISMATCH, decision.name)
                await abort_with(
                    context,
                    _denial(
                        code_pb2.PERMISSION_DENIED,
                        f"token {decision.name!r} is bound to a client certificate subject that this "
                        "connection did not present",
                        Reason.CLIENT_CERTIFICATE_MISMATCH,
                        {"method": method.rsplit("/", 1)[-1], "principal": decision.name},
                    ),
                )
                raise AssertionError("unreachable: abort raises")
            principal_var.set(decision.name)
            return await behavior(request, context)

        return guarded
