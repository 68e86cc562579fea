"""Notification connectors: one module per provider behind the one `Connector` protocol.

The delivery worker needs only what is exported here::

    config = load_connector_config(path, os.environ)           # once, in main()
    async with HttpTransport(redactor=config.redactor()) as transport:
        connector = build_connector(config.receiver("ops-webhook"), transport)
        result = await connector.send(notification)            # once; the worker retries
"""

from cavra_recovery.connectors.base import (
    BlockedDestinationError,
    Connector,
    ConnectorConfigError,
    ConnectorError,
    FailureReason,
    RecordedRequest,
    SendResult,
)
from cavra_recovery.connectors.config import ConnectorConfig, load_connector_config, parse_connector_config
from cavra_recovery.connectors.notification import (
    EVENT_TYPE,
    REPORT_EVENT_TYPE,
    EscalationNotification,
    ExecutiveReportNotification,
    KeyRisk,
    Notification,
    NotificationRoute,
    PlanSummary,
    notification_as_dict,
)
from cavra_recovery.connectors.providers import PROVIDERS, build_connector
from cavra_recovery.connectors.receiver import Receiver, Secret
from cavra_recovery.connectors.redaction import Redactor
from cavra_recovery.connectors.transport import HttpTransport, parse_retry_after

__all__ = [
    "EVENT_TYPE",
    "PROVIDERS",
    "REPORT_EVENT_TYPE",
    "BlockedDestinationError",
    "Connector",
    "ConnectorConfig",
    "ConnectorConfigError",
    "ConnectorError",
    "EscalationNotification",
    "ExecutiveReportNotification",
    "FailureReason",
    "HttpTransport",
    "KeyRisk",
    "Notification",
    "NotificationRoute",
    "PlanSummary",
    "Receiver",
    "RecordedRequest",
    "Redactor",
    "Secret",
    "SendResult",
    "build_connector",
    "load_connector_config",
    "notification_as_dict",
    "parse_connector_config",
    "parse_retry_after",
]
