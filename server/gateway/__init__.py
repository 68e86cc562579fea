"""HTTP/JSON gateway driven by the google.api.http annotations (see server/gateway/README)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass
class PendingGateway:
    address: str

    async def close(self) -> None:
        return None


async def start_gateway(*, listen: str, grpc_target: str, reuse_port: bool = False) -> PendingGateway:
    # Replaced by the real gateway (issue: HTTP/JSON gateway); until then nothing listens on HTTP.
    log.warning("http gateway not implemented yet; nothing listens on %s", listen)
    return PendingGateway(address=listen)
