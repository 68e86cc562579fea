"""The one way delivery tests start a server: `delivery_server`, built on the delivery kit."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ServerProcess
from tests.delivery.delivery_kit import DeliveryServerFactory, delivery_env, write_connector_file


@pytest.fixture
def delivery_server(server_factory: Callable[..., ServerProcess], tmp_path: Path) -> DeliveryServerFactory:
    """Start real servers for a test (stopped afterwards); see `DeliveryServerFactory`."""

    def start(
        database_url: str, *receivers: dict[str, Any], rules: Sequence[dict[str, Any]] = (), **env: str
    ) -> ServerProcess:
        extra_args = []
        if receivers:
            extra_args = ["--connectors", str(write_connector_file(tmp_path, receivers, rules=rules))]
        return server_factory(
            database_url=database_url, extra_args=extra_args, env=delivery_env(**env), http=False
        )

    return start
