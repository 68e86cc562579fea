"""Each provider against a real local receiver: method, path, auth and payload as its API documents."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from urllib.parse import parse_qs

from cavra_recovery.connectors import EVENT_TYPE, Connector, FailureReason, HttpTransport, build_connector
from tests.connectors.connector_testkit import (
    CASES_BY_PROVIDER,
    DATADOG_API_KEY,
    PD_ROUTING_KEY,
    SENTINEL_ACCESS_TOKEN,
    SENTINEL_CLIENT_SECRET,
    SENTINEL_STREAM_PATH,
    SENTINEL_TOKEN_PATH,
    SLACK_SECRET_PATH,
    TEAMS_SECRET_PATH,
    LocalReceiver,
    assert_no_canary,
    escalation,
    executive_report,
    load_case_config,
)


def _connector(provider: str, receiver: LocalReceiver, transport: HttpTransport, tmp_path: Path) -> Connector:
    case = CASES_BY_PROVIDER[provider]
    case.prepare(receiver)
    receiver.answer(case.path, case.success_status, case.success_body)
    config = load_case_config(case, tmp_path, receiver.base_url)
    return build_connector(config.receiver(case.name), transport)


async def test_slack_posts_block_kit_with_text_fallback_to_the_webhook_url(
    local_receiver: LocalReceiver, transport: HttpTransport, tmp_path: Path
) -> None:
    result = await _connector("slack", local_receiver, transport, tmp_path).send(escalation(3))

    assert result.ok, result.error
    [request] = local_receiver.received
    assert (request.method, request.path) == ("POST", SLACK_SECRET_PATH)
    assert request.headers["content-type"] == "application/json"
    message = request.json()
    assert "plan-0001" in message["text"]
    assert message["blocks"][0]["type"] == "header"
    assert message["blocks"][0]["text"]["type"] == "plain_text"
    assert {block["type"] for block in message["blocks"]} <= {"header", "section", "divider", "context"}
    assert len(message["blocks"]) <= 50
    route_sections = [b for b in message["blocks"] if b["type"] == "section" and "text" in b]
    assert len(route_sections) == 3
    assert all(len(b["text"]["text"]) <= 3000 for b in route_sections)
    assert "/services/REDACTED" in result.requests[0].url
    assert_no_canary(result)


async def test_slack_escapes_mrkdwn_control_characters(
    local_receiver: LocalReceiver, transport: HttpTransport, tmp_path: Path
) -> None:
    report = executive_report()
    report = dataclasses.replace(report, business_impact="a<b>&c")

    await _connector("slack", local_receiver, transport, tmp_path).send(report)

    assert "a&lt;b&gt;&amp;c" in local_receiver.received[0].body.decode()


async def test_teams_posts_an_adaptive_card_1_4_message(
    local_receiver: LocalReceiver, transport: HttpTransport, tmp_path: Path
) -> None:
    result = await _connector("teams", local_receiver, transport, tmp_path).send(escalation(2))

    assert result.ok and result.http_status == 202
    [request] = local_receiver.received
    assert (request.method, request.path) == ("POST", TEAMS_SECRET_PATH)
    message = request.json()
    assert message["type"] == "message"
    [attachment] = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert [item["type"] for item in card["body"]].count("Container") == 2
    assert "/webhookb2/REDACTED" in result.requests[0].url
    assert_no_canary(result)


async def test_pagerduty_sends_one_trigger_event_per_route_with_stable_dedup_keys(
    local_receiver: LocalReceiver, transport: HttpTransport, tmp_path: Path
) -> None:
    notification = escalation(3)

    result = await _connector("pagerduty", local_receiver, transport, tmp_path).send(notification)

    assert result.ok and result.http_status == 202
    assert [r.path for r in local_receiver.received] == ["/v2/enqueue"] * 3
    events = [r.json() for r in local_receiver.received]
    assert [e["dedup_key"] for e in events] == [route.dedup_key for route in notification.routes]
    assert all(e["routing_key"] == PD_ROUTING_KEY and e["event_action"] == "trigger" for e in events)
    assert [e["payload"]["severity"] for e in events] == ["critical", "warning", "critical"]
    first = events[0]["payload"]
    assert first["source"] == "cavra-recovery-escalation"
    assert (first["component"], first["group"], first["class"]) == ("slack", "chatops", "breached")
    assert first["timestamp"] == "2026-03-14T09:26:53.000Z"
    assert first["custom_details"]["plan_id"] == "plan-0001"
    assert len(result.requests) == 3
    assert result.external_reference is not None
    assert_no_canary(result)


async def test_pagerduty_resolve_carries_only_the_routing_key_action_and_dedup_key(
    local_receiver: LocalReceiver, transport: HttpTransport, tmp_path: Path
) -> None:
    notification = escalation(1, action="resolve")

    result = await _connector("pagerduty", local_receiver, transport, tmp_path).send(notification)

    assert result.ok
    assert local_receiver.received[0].json() == {
        "routing_key": PD_ROUTING_KEY,
        "event_action": "resolve",
        "dedup_key": notification.routes[0].dedup_key,
    }


async def test_pagerduty_stops_at_the_first_refused_event_and_reports_what_was_sent(
    local_receiver: LocalReceiver, transport: HttpTransport, tmp_path: Path
) -> None:
    case = CASES_BY_PROVIDER["pagerduty"]
    # The first event is accepted, the second rate-limited, the third never sent.
    local_receiver.server.expect_ordered_request(case.path).respond_with_json(case.success_body, status=202)
    local_receiver.server.expect_ordered_request(case.path).respond_with_data(
        "", status=429, headers={"Retry-After": "3"}
    )
    config = load_case_config(case, tmp_path, local_receiver.base_url)

    result = await build_connector(config.receiver(case.name), transport).send(escalation(3))

    assert result.failure is FailureReason.RATE_LIMITED and result.retry_after_seconds == 3.0
    assert result.http_status == 429
    assert len(result.requests) == 2
    assert len(local_receiver.server.log) == 2


async def test_pagerduty_executive_report_is_a_change_event_that_pages_nobody(
    local_receiver: LocalReceiver, transport: HttpTransport, tmp_path: Path
) -> None:
    local_receiver.answer(
        "/v2/change/enqueue", 202, {"status": "success", "message": "Change event processed"}
    )
    config = load_case_config(CASES_BY_PROVIDER["pagerduty"], tmp_path, local_receiver.base_url)

    result = await build_connector(config.receiver("test-pagerduty"), transport).send(executive_report())

    assert result.ok
    [request] = local_receiver.received
    assert request.path == "/v2/change/enqueue"
    assert "event_action" not in request.json()


async def test_jira_creates_an_issue_with_basic_auth_and_an_adf_description(
    local_receiver: LocalReceiver, transport: HttpTransport, tmp_path: Path
) -> None:
    result = await _connector("jira", local_receiver, transport, tmp_path).send(escalation(2))

    assert result.ok and result.http_status == 201
    assert result.external_reference == "OPS-7"
    [request] = local_receiver.received
    assert (request.method, request.path) == ("POST", "/rest/api/3/issue")
    assert request.headers["authorization"] == CASES_BY_PROVIDER["jira"].auth_value
    fields = request.json()["fields"]
    assert fields["project"] == {"key": "OPS"}
    assert fields["issuetype"] == {"name": "Incident"}
    assert len(fields["summary"]) <= 255
    assert fields["description"]["type"] == "doc" and fields["description"]["version"] == 1
    assert "bulletList" in {node["type"] for node in fields["description"]["content"]}
    assert "cavra-ntf-plan-0001-ops" in fields["labels"]
    assert ("authorization", "Basic REDACTED") in result.requests[0].headers
    assert_no_canary(result)


async def test_servicenow_creates_an_incident_correlated_to_the_notification(
    local_receiver: LocalReceiver, transport: HttpTransport, tmp_path: Path
) -> None:
    result = await _connector("servicenow", local_receiver, transport, tmp_path).send(escalation(2))

    assert result.ok and result.http_status == 201
    assert result.external_reference == "9d385017c611228701d22104cc95c371"
    [request] = local_receiver.received
    assert (request.method, request.path) == ("POST", "/api/now/table/incident")
    assert request.headers["authorization"] == CASES_BY_PROVIDER["servicenow"].auth_value
    assert request.headers["accept"] == "application/json"
    record = request.json()
    assert record["correlation_id"] == "ntf-plan-0001-ops"
    assert (record["urgency"], record["impact"]) == ("1", "1")
    assert record["assignment_group"] == "release-engineering"
    assert record["short_description"].startswith("CAVRA recovery escalation CRITICAL")
    assert_no_canary(result)


async def test_splunk_posts_a_hec_event_with_the_splunk_token_scheme(
    local_receiver: LocalReceiver, transport: HttpTransport, tmp_path: Path
) -> None:
    result = await _connector("splunk", local_receiver, transport, tmp_path).send(escalation(1))

    assert result.ok
    [request] = local_receiver.received
    assert (request.method, request.path) == ("POST", "/services/collector/event")
    assert request.headers["authorization"] == CASES_BY_PROVIDER["splunk"].auth_value
    event = request.json()
    assert event["sourcetype"] == "cavra:recovery:escalation"
    assert event["index"] == "cavra"
    assert event["time"] == escalation(1).generated_at.timestamp()
    assert event["event"]["event_type"] == EVENT_TYPE
    assert event["event"]["routes"][0]["dedup_key"] == "cavra:plan-0001:slack:0"
    assert ("authorization", "Splunk REDACTED") in result.requests[0].headers
    assert_no_canary(result)


async def test_sentinel_fetches_a_client_credentials_token_then_ingests_a_json_array(
    local_receiver: LocalReceiver, transport: HttpTransport, tmp_path: Path
) -> None:
    connector = _connector("sentinel", local_receiver, transport, tmp_path)

    result = await connector.send(escalation(2))
    again = await connector.send(escalation(2))

    assert result.ok and result.http_status == 204 and again.ok
    token_request, ingest, second_ingest = local_receiver.received
    assert (token_request.method, token_request.path) == ("POST", SENTINEL_TOKEN_PATH)
    assert token_request.headers["content-type"] == "application/x-www-form-urlencoded"
    form = parse_qs(token_request.body.decode())
    assert form == {
        "grant_type": ["client_credentials"],
        "client_id": ["00000000-0000-0000-0000-000000000001"],
        "client_secret": [SENTINEL_CLIENT_SECRET],
        "scope": ["https://monitor.azure.com//.default"],
    }
    assert (ingest.path, ingest.query) == (SENTINEL_STREAM_PATH, "api-version=2023-01-01")
    assert ingest.headers["authorization"] == f"Bearer {SENTINEL_ACCESS_TOKEN}"
    rows = ingest.json()
    assert isinstance(rows, list) and len(rows) == 2
    assert rows[0]["TimeGenerated"] == "2026-03-14T09:26:53.000Z"
    assert rows[0]["DedupKey"] == "cavra:plan-0001:slack:0"
    assert second_ingest.path == SENTINEL_STREAM_PATH, "the cached token is reused"
    assert len(result.requests) == 2 and len(again.requests) == 1
    assert_no_canary(result)
    assert_no_canary(again)


async def test_sentinel_token_refusal_is_an_auth_failure(
    local_receiver: LocalReceiver, transport: HttpTransport, tmp_path: Path
) -> None:
    local_receiver.answer(
        SENTINEL_TOKEN_PATH, 401, {"error": "invalid_client", "secret": SENTINEL_CLIENT_SECRET}
    )
    config = load_case_config(CASES_BY_PROVIDER["sentinel"], tmp_path, local_receiver.base_url)

    result = await build_connector(config.receiver("test-sentinel"), transport).send(escalation(1))

    assert result.failure is FailureReason.AUTH and result.retryable is False
    assert [r.path for r in local_receiver.received] == [SENTINEL_TOKEN_PATH]
    assert_no_canary(result)


async def test_datadog_posts_logs_intake_v2_with_the_api_key_header(
    local_receiver: LocalReceiver, transport: HttpTransport, tmp_path: Path
) -> None:
    result = await _connector("datadog", local_receiver, transport, tmp_path).send(escalation(2))

    assert result.ok and result.http_status == 202
    [request] = local_receiver.received
    assert (request.method, request.path) == ("POST", "/api/v2/logs")
    assert request.headers["dd-api-key"] == DATADOG_API_KEY
    [item] = request.json()
    assert item["ddsource"] == "cavra" and item["service"] == "cavra-recovery"
    assert "alert_level:critical" in item["ddtags"].split(",") and "team:release" in item["ddtags"]
    assert item["status"] == "error"
    assert item["cavra"]["plan_id"] == "plan-0001"
    assert ("dd-api-key", "REDACTED") in result.requests[0].headers
    assert_no_canary(result)


async def test_webhook_body_is_the_public_notification_in_standard_webhooks_shape(
    local_receiver: LocalReceiver, transport: HttpTransport, tmp_path: Path
) -> None:
    result = await _connector("webhook", local_receiver, transport, tmp_path).send(escalation(2, total=5))

    assert result.ok
    [request] = local_receiver.received
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"] == "ntf-plan-0001-ops"
    body = request.json()
    assert body["type"] == EVENT_TYPE
    assert body["data"]["total_route_count"] == 5 and body["data"]["omitted_route_count"] == 3
    assert len(body["data"]["routes"]) == 2
    assert result.requests[0].body_sha256 == hashlib.sha256(request.body).hexdigest()
    assert ("webhook-signature", "REDACTED") in result.requests[0].headers
    assert_no_canary(result)


async def test_every_http_provider_sends_an_executive_report(
    local_receiver: LocalReceiver, transport: HttpTransport, tmp_path: Path
) -> None:
    for provider in CASES_BY_PROVIDER:
        local_receiver.server.clear()
        if provider == "pagerduty":
            local_receiver.answer("/v2/change/enqueue", 202, {})
        connector = _connector(provider, local_receiver, transport, tmp_path)

        result = await connector.send(executive_report())

        assert result.ok, (provider, result.error)
        assert "report-0001" in local_receiver.received[-1].body.decode(), provider
