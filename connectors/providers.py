"""The explicit map from provider name to connector class, and the one way to build a connector."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from connectors.base import Connector, ConnectorConfigError
from connectors.datadog import DatadogConnector
from connectors.email import EmailConnector
from connectors.jira import JiraConnector
from connectors.pagerduty import PagerDutyConnector
from connectors.receiver import Receiver
from connectors.sentinel import SentinelConnector
from connectors.servicenow import ServiceNowConnector
from connectors.slack import SlackConnector
from connectors.splunk import SplunkConnector
from connectors.teams import TeamsConnector
from connectors.transport import HttpConnector, HttpTransport, utc_now
from connectors.webhook import WebhookConnector

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
