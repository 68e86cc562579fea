"""The shared connector test kit: sample notifications, canary credentials, a recording local HTTP
receiver, and one `ProviderCase` per HTTP provider describing where its real API is called and what
it answers. Every server here binds 127.0.0.1 only."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from cavra_recovery.connectors import (
    ConnectorConfig,
    EscalationNotification,
    ExecutiveReportNotification,
    KeyRisk,
    NotificationRoute,
    PlanSummary,
    SendResult,
    load_connector_config,
)

GENERATED_AT = datetime(2026, 3, 14, 9, 26, 53, tzinfo=UTC)

WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"canary-webhook-signing-key-0001").decode()
WEBHOOK_SECRET_OLD = "whsec_" + base64.b64encode(b"canary-webhook-signing-key-0000").decode()
PD_ROUTING_KEY = "canaryPdRoutingKey00000000000001"
JIRA_API_TOKEN = "canary-jira-api-token-0001"
SERVICENOW_PASSWORD = "canary-servicenow-password-0001"
SPLUNK_TOKEN = "canary-splunk-hec-token-0001"
SENTINEL_CLIENT_SECRET = "canary~sentinel+client/secret=0001"
DATADOG_API_KEY = "canarydatadogapikey00000000000001"
SLACK_SECRET_PATH = "/services/T0CANARY1/B0CANARY1/canarySlackWebhookToken0001"
TEAMS_SECRET_PATH = (
    "/webhookb2/canary-teams-group-0001@canary-tenant/IncomingWebhook/canaryTeamsHook0001/owner"
)
SMTP_USERNAME = "canary-smtp-user-0001"
SMTP_PASSWORD = "canary-smtp-password-0001"
SENTINEL_ACCESS_TOKEN = "canary-entra-access-token-0001"

CANARIES = (
    WEBHOOK_SECRET,
    WEBHOOK_SECRET_OLD,
    PD_ROUTING_KEY,
    JIRA_API_TOKEN,
    SERVICENOW_PASSWORD,
    SPLUNK_TOKEN,
    SENTINEL_CLIENT_SECRET,
    DATADOG_API_KEY,
    "canarySlackWebhookToken0001",
    "canaryTeamsHook0001",
    SMTP_USERNAME,
    SMTP_PASSWORD,
    SENTINEL_ACCESS_TOKEN,
)


def escalation(
    route_count: int = 2, *, action: str = "trigger", total: int | None = None
) -> EscalationNotification:
    providers = ["slack", "jira", "splunk", "pagerduty"]
    routes = tuple(
        NotificationRoute(
            dedup_key=f"cavra:plan-0001:{providers[index % 4]}:{index}",
            severity="critical" if index % 2 == 0 else "warning",
            category="chatops" if index % 2 == 0 else "itsm",
            provider=providers[index % 4],
            status="breached" if index % 2 == 0 else "open",
            playbook_id=f"playbook-{index:04d}",
            failure_count=5 - index % 5,
            age_minutes=300 + index,
            reason="recovery SLO breached" if index % 2 == 0 else "connector recovery remains open",
            action="page the release owner and require executive visibility",
        )
        for index in range(route_count)
    )
    return EscalationNotification(
        notification_id="ntf-plan-0001-ops",
        plan_id="plan-0001",
        generated_at=GENERATED_AT,
        alert_level="critical" if route_count else "healthy",
        summary=PlanSummary(
            tracked_providers=4, executions=40, failures=3, open=2, breached=1, closure_rate=0.5
        ),
        routes=routes,
        total_route_count=route_count if total is None else total,
        action=action,
    )


def executive_report() -> ExecutiveReportNotification:
    return ExecutiveReportNotification(
        notification_id="ntf-report-0001-ops",
        report_id="report-0001",
        generated_at=GENERATED_AT,
        status="critical",
        business_impact="Connector recovery requires leadership attention",
        key_risks=(
            KeyRisk("critical", "Retry execution failed or was skipped", 3, "release-engineering"),
            KeyRisk("critical", "Connector recovery SLO breached", 1, "release-engineering"),
        ),
        recommended_actions=(
            "deliver recovery escalation notifications to the selected operations channels",
            "review retry trends before enabling promoted Go backend mode",
        ),
        markdown="# Executive recovery report\n\n**Status:** critical\n",
    )


@dataclass
class ReceivedRequest:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class LocalReceiver:
    """A real HTTP server on 127.0.0.1 that records every request and answers as told per path."""

    server: HTTPServer
    received: list[ReceivedRequest] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def answer(
        self,
        path: str,
        status: int = 200,
        body: Any = "",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if isinstance(body, str | bytes):
            payload, content_type = body, "text/plain"
        else:
            payload, content_type = json.dumps(body), "application/json"

        def handle(request: Request) -> Response:
            with self._lock:
                self.received.append(
                    ReceivedRequest(
                        method=request.method,
                        path=request.path,
                        query=request.query_string.decode(),
                        headers={name.lower(): value for name, value in request.headers.items()},
                        body=request.get_data(),
                    )
                )
            return Response(payload, status=status, headers=dict(headers or {}), content_type=content_type)

        self.server.expect_request(path).respond_with_handler(handle)


@dataclass(frozen=True)
class ProviderCase:
    """How one HTTP provider is configured against a local receiver and what its API answers."""

    provider: str
    path: str  # where the real API is called
    success_status: int
    success_body: Any = ""
    auth_header: str | None = None  # the header that must carry the credential
    auth_value: str | None = None  # its exact expected value

    @property
    def name(self) -> str:
        return f"test-{self.provider}"

    def receiver_entry(self, base_url: str) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "name": self.name,
            "provider": self.provider,
            "timeout_seconds": 2,
            "allow_networks": ["127.0.0.0/8", "::1/128"],
        }
        entry.update(_PROVIDER_ENTRIES[self.provider](base_url))
        return entry

    def prepare(self, receiver: LocalReceiver) -> None:
        """Answers the requests a send makes before the one under test (Sentinel's token)."""
        if self.provider == "sentinel":
            receiver.answer(
                SENTINEL_TOKEN_PATH,
                200,
                {"token_type": "Bearer", "expires_in": 3599, "access_token": SENTINEL_ACCESS_TOKEN},
            )


SENTINEL_TOKEN_PATH = "/canary-tenant/oauth2/v2.0/token"
SENTINEL_STREAM_PATH = "/dataCollectionRules/dcr-0001/streams/Custom-CavraEscalation_CL"


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


_PROVIDER_ENTRIES: dict[str, Any] = {
    "webhook": lambda base: {"url": f"{base}/hooks/cavra", "secret_env": ["CANARY_WEBHOOK_SECRET"]},
    "slack": lambda base: {"url_env": "CANARY_SLACK_URL"},
    "teams": lambda base: {"url_env": "CANARY_TEAMS_URL"},
    "pagerduty": lambda base: {"url": base, "routing_key_env": "CANARY_PD_ROUTING_KEY"},
    "jira": lambda base: {
        "url": base,
        "email": "release-bot@example.com",
        "project_key": "OPS",
        "issue_type": "Incident",
        "api_token_env": "CANARY_JIRA_API_TOKEN",
    },
    "servicenow": lambda base: {
        "url": base,
        "username": "cavra.integration",
        "password_file": "servicenow-password.txt",
        "assignment_group": "release-engineering",
    },
    "splunk": lambda base: {"url": base, "token_env": "CANARY_SPLUNK_TOKEN", "index": "cavra"},
    "sentinel": lambda base: {
        "url": base,
        "tenant_id": "canary-tenant",
        "client_id": "00000000-0000-0000-0000-000000000001",
        "client_secret_file": "sentinel-client-secret.txt",
        "dcr_immutable_id": "dcr-0001",
        "stream_name": "Custom-CavraEscalation_CL",
        "token_url": f"{base}{SENTINEL_TOKEN_PATH}",
    },
    "datadog": lambda base: {"url": base, "api_key_env": "CANARY_DATADOG_API_KEY", "tags": ["team:release"]},
}

HTTP_CASES = (
    ProviderCase("webhook", "/hooks/cavra", 200),
    ProviderCase("slack", SLACK_SECRET_PATH, 200, "ok"),
    ProviderCase("teams", TEAMS_SECRET_PATH, 202),
    ProviderCase(
        "pagerduty",
        "/v2/enqueue",
        202,
        {"status": "success", "message": "Event processed", "dedup_key": "cavra:plan-0001:slack:0"},
    ),
    ProviderCase(
        "jira",
        "/rest/api/3/issue",
        201,
        {"id": "10007", "key": "OPS-7", "self": "https://example.atlassian.net/rest/api/3/issue/10007"},
        "authorization",
        _basic("release-bot@example.com", JIRA_API_TOKEN),
    ),
    ProviderCase(
        "servicenow",
        "/api/now/table/incident",
        201,
        {"result": {"sys_id": "9d385017c611228701d22104cc95c371", "number": "INC0010001"}},
        "authorization",
        _basic("cavra.integration", SERVICENOW_PASSWORD),
    ),
    ProviderCase(
        "splunk",
        "/services/collector/event",
        200,
        {"text": "Success", "code": 0},
        "authorization",
        f"Splunk {SPLUNK_TOKEN}",
    ),
    ProviderCase(
        "sentinel", SENTINEL_STREAM_PATH, 204, "", "authorization", f"Bearer {SENTINEL_ACCESS_TOKEN}"
    ),
    ProviderCase("datadog", "/api/v2/logs", 202, {}, "dd-api-key", DATADOG_API_KEY),
)
CASES_BY_PROVIDER = {case.provider: case for case in HTTP_CASES}


def canary_environ(base_url: str) -> dict[str, str]:
    return {
        "CANARY_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "CANARY_SLACK_URL": base_url + SLACK_SECRET_PATH,
        "CANARY_TEAMS_URL": base_url + TEAMS_SECRET_PATH,
        "CANARY_PD_ROUTING_KEY": PD_ROUTING_KEY,
        "CANARY_JIRA_API_TOKEN": JIRA_API_TOKEN,
        "CANARY_SPLUNK_TOKEN": SPLUNK_TOKEN,
        "CANARY_DATADOG_API_KEY": DATADOG_API_KEY,
        "CANARY_SMTP_USERNAME": SMTP_USERNAME,
        "CANARY_SMTP_PASSWORD": SMTP_PASSWORD,
    }


def write_config(directory: Path, receivers: list[dict[str, Any]], *, default: str | None = None) -> Path:
    (directory / "servicenow-password.txt").write_text(SERVICENOW_PASSWORD + "\n")
    (directory / "sentinel-client-secret.txt").write_text(SENTINEL_CLIENT_SECRET + "\n")
    path = directory / "connectors.yaml"
    document = {"receivers": receivers, "routing": {"default": default or receivers[0]["name"]}}
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def load_case_config(case: ProviderCase, directory: Path, base_url: str) -> ConnectorConfig:
    path = write_config(directory, [case.receiver_entry(base_url)])
    return load_connector_config(path, canary_environ(base_url))


def assert_no_canary(result: SendResult, *extra_texts: str) -> None:
    """No credential anywhere in what a send reports or records (the delivery evidence)."""
    texts = [repr(result), result.error, result.external_reference or "", *extra_texts]
    for recorded in result.requests:
        texts.append(recorded.url)
        texts.extend(f"{name}: {value}" for name, value in recorded.headers)
    for text in texts:
        for canary in CANARIES:
            assert canary not in text, f"canary {canary!r} leaked into {text!r}"
