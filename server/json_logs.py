"""`--log-format json`: one JSON object per log line (docs/identity.md, "Structured logs").

Every line has `time`, `level`, `logger`, `message`, and inside an RPC `request_id` and `identity`
(the token's name, or null with auth off). The access line of each RPC (`rpc <method> <status> <ms> ms`) adds
`method`, `status` and `latency_ms`. With tracing on (docs/tracing.md), a line written inside a span
adds `trace_id` and `span_id`. Only these fields are written: request bodies, tokens, secrets and
free-text evidence never reach a log record in the first place, and nothing else is copied from one.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

# Attributes the access line of an RPC sets with `extra=` (server/request_context.py).
RPC_FIELDS = ("method", "status", "latency_ms")
TRACE_FIELDS = ("trace_id", "span_id")


class JsonLogFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", "-")
        if request_id != "-":
            principal = getattr(record, "principal", "-")
            document["request_id"] = request_id
            document["identity"] = None if principal == "-" else principal
        # Set by server/tracing.py's filter only when tracing is on and a span is current.
        for name in TRACE_FIELDS:
            if hasattr(record, name):
                document[name] = getattr(record, name)
        for name in RPC_FIELDS:
            if hasattr(record, name):
                document[name] = getattr(record, name)
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        return json.dumps(document, ensure_ascii=False, separators=(",", ":"))
