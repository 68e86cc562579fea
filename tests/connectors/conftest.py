"""Fixtures for the connector tests: real receivers on 127.0.0.1 and the shared transport."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import trustme
from pytest_httpserver import HTTPServer

from cavra_recovery.connectors import HttpTransport
from tests.connectors.connector_testkit import LocalReceiver
from tests.connectors.smtp_testkit import Mailbox, SmtpServer, start_smtp


@pytest.fixture(scope="session")
def _http_server() -> Iterator[HTTPServer]:
    # One server for the session: stopping a werkzeug server takes up to half a second.
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def local_receiver(_http_server: HTTPServer) -> Iterator[LocalReceiver]:
    _http_server.clear()
    yield LocalReceiver(_http_server)
    _http_server.clear()


@pytest.fixture
async def transport() -> AsyncIterator[HttpTransport]:
    async with HttpTransport() as shared:
        yield shared


@pytest.fixture
def refused_port() -> int:
    """A loopback port nothing listens on: connecting is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def silent_port() -> AsyncIterator[int]:
    """A loopback server that accepts and reads but never answers: a slow receiver."""
    writers: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        await reader.read(65536)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        for writer in writers:
            writer.close()
        server.close()
        await server.wait_closed()


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory: pytest.TempPathFactory) -> tuple[trustme.CA, Path]:
    ca = trustme.CA()
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return ca, path


@pytest.fixture
def smtp_server(test_ca: tuple[trustme.CA, Path]) -> Iterator[SmtpServer]:
    ca, ca_file = test_ca
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(tls)
    mailbox = Mailbox()
    controller, port = start_smtp(mailbox, tls)
    try:
        yield SmtpServer(port=port, mailbox=mailbox, ca_file=ca_file)
    finally:
        controller.stop()
