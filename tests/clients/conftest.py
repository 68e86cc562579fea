"""Fixtures for the SDK and grpcurl tests: a real local webhook receiver and connector configuration."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.conftest import ServerProcess

WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw2n0CKZLa4vc="


@pytest.fixture(scope="session")
def httpserver_listen_address() -> tuple[str, int]:
    # The receiver binds loopback only, like every test server.
    return ("127.0.0.1", 0)


def write_webhook_config(directory: Path, url: str) -> Path:
    """A connector configuration with one webhook receiver at `url` (loopback allowed) as the default."""
    secret = directory / "webhook-secret"
    secret.write_text(WEBHOOK_SECRET)
    config = directory / "connectors.yaml"
    config.write_text(
        "receivers:\n"
        "  - name: local-webhook\n"
        "    provider: webhook\n"
        f"    url: {url}\n"
        f"    secret_file: {secret}\n"
        "    timeout_seconds: 5\n"
        "    allow_networks: ['127.0.0.0/8', '::1/128']\n"
        "routing:\n"
        "  default: local-webhook\n"
    )
    return config


@pytest.fixture
def webhook_config(tmp_path: Path, httpserver: HTTPServer) -> Path:
    """Connector configuration whose default receiver is the local `httpserver` answering 204."""
    httpserver.expect_request("/cavra", method="POST").respond_with_data("", status=204)
    return write_webhook_config(tmp_path, httpserver.url_for("/cavra"))


@pytest.fixture
def grpc_server(server_factory: Callable[..., ServerProcess], sqlite_url: str) -> ServerProcess:
    """One real server on SQLite, gRPC only: the clients never need the HTTP gateway."""
    return server_factory(database_url=sqlite_url, http=False)
