"""The explicit map from provider name to connector class, and the one way to build a connector."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from cavra_recovery.connectors.base import Connector, ConnectorConfigError
from cavra_recovery.connectors.datadog import DatadogConnector
from cavra_recovery.connectors.email import EmailConnector
from cavra_recovery.connectors.jira import JiraConnector
from cavra_recovery.connectors.pagerduty import PagerDutyConnector
from cavra_recovery.connectors.receiver import Receiver
from cavra_recovery.connectors.sentinel import SentinelConnector
from cavra_recovery.connectors.servicenow import ServiceNowConnector
from cavra_recovery.connectors.slack import SlackConnector
from cavra_recovery.connectors.splunk import SplunkConnector
from cavra_recovery.connectors.teams import TeamsConnector
from cavra_recovery.connectors.transport import HttpConnector, HttpTransport, utc_now
from cavra_recovery.connectors.webhook import WebhookConnector

PROVIDERS: dict[str, type[HttpConnector]] = {
    "webhook": WebhookConnector,
    "slack": SlackConnector,
    "teams": TeamsConnector,
    "pagerduty": PagerDutyConnector,
    "jira": JiraConnector,
    "servicenow": ServiceNowConnector,
    "email": EmailConnector,
    "splunk": SplunkConnector,
    "sentinel": SentinelConnector,
    "datadog": DatadogConnector,
}


def build_connector(
    receiver: Receiver, transport: HttpTransport, *, clock: Callable[[], datetime] = utc_now
) -> Connector:
    """The connector for `receiver`, sending through the shared `transport`."""
    try:
        connector_class = PROVIDERS[receiver.provider]
    except KeyError:
        raise ConnectorConfigError(
            f"receiver {receiver.name!r}: field 'provider': unknown provider {receiver.provider!r}"
        ) from None
    connector: Connector = connector_class(receiver, transport, clock=clock)
    return connector
