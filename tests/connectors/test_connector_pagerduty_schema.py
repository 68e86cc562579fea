"""PagerDuty bodies validated against the request schemas of PagerDuty's own OpenAPI document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from cavra_recovery.connectors import HttpTransport, build_connector
from cavra_recovery.connectors.pagerduty import alert_event, change_event
from tests.connectors.connector_testkit import (
    CASES_BY_PROVIDER,
    PD_ROUTING_KEY,
    LocalReceiver,
    escalation,
    executive_report,
    load_case_config,
)

OPENAPI = json.loads((Path(__file__).parent / "data" / "pagerduty-events-v2.openapi.json").read_text())


def _request_schema(path: str) -> dict[str, Any]:
    schema = OPENAPI["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
    # Resolve "#/components/..." references against the whole document.
    return {**schema, "components": OPENAPI["components"]}


def _validate(document: dict[str, Any], path: str) -> None:
    jsonschema.validate(
        document, _request_schema(path), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


@pytest.mark.parametrize("route_index", [0, 1])
def test_trigger_event_validates_against_the_enqueue_schema(route_index: int) -> None:
    notification = escalation(2)
    event = alert_event(
        notification, notification.routes[route_index], routing_key=PD_ROUTING_KEY, source="cavra-recovery"
    )

    _validate(event, "/enqueue")
    assert event["event_action"] == "trigger"


def test_resolve_event_validates_against_the_enqueue_schema() -> None:
    notification = escalation(1, action="resolve")
    event = alert_event(notification, notification.routes[0], routing_key=PD_ROUTING_KEY, source="cavra")

    _validate(event, "/enqueue")
    assert set(event) == {"routing_key", "event_action", "dedup_key"}


def test_change_event_validates_against_the_change_enqueue_schema() -> None:
    _validate(change_event(executive_report(), routing_key=PD_ROUTING_KEY, source="cavra"), "/change/enqueue")


def test_schema_rejects_an_unknown_severity_so_the_check_can_fail() -> None:
    notification = escalation(1)
    event = alert_event(notification, notification.routes[0], routing_key=PD_ROUTING_KEY, source="cavra")
    event["payload"]["severity"] = "page-everyone"

    with pytest.raises(jsonschema.ValidationError):
        _validate(event, "/enqueue")


async def test_bodies_received_by_a_local_receiver_validate(
    local_receiver: LocalReceiver, transport: HttpTransport, tmp_path: Path
) -> None:
    case = CASES_BY_PROVIDER["pagerduty"]
    local_receiver.answer(case.path, 202, case.success_body)
    config = load_case_config(case, tmp_path, local_receiver.base_url)
    connector = build_connector(config.receiver(case.name), transport)

    assert (await connector.send(escalation(2))).ok
    assert (await connector.send(escalation(2, action="resolve"))).ok

    actions = []
    for request in local_receiver.received:
        _validate(request.json(), "/enqueue")
        actions.append(request.json()["event_action"])
    assert actions == ["trigger", "trigger", "resolve", "resolve"]
