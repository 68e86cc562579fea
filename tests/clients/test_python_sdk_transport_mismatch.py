"""A plaintext/TLS mismatch with a real server fails both Python clients in under 2 s with the cause
and the option to use, in both directions, instead of waiting out the 30 s deadline; a server that is
down is still waited for (its probe finds nothing to name)."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import trustme

from cavra_recovery_client import AsyncRecoveryClient, RecoveryClient, RecoveryError, StatusCode
from cavra_recovery_client._transport import mismatch_message, probe_address
from tests.conftest import ServerProcess

ServerFactory = Callable[..., ServerProcess]

FAST = 2.0  # seconds: the acceptance bound for a mismatch


@pytest.fixture
def plaintext_server(server_factory: ServerFactory, sqlite_url: str) -> ServerProcess:
    return server_factory(database_url=sqlite_url, http=False)


@pytest.fixture
def tls_server(server_factory: ServerFactory, sqlite_url: str, tmp_path: Path) -> tuple[ServerProcess, bytes]:
    """A real server serving TLS only (`--tls-cert/--tls-key`), and its CA's PEM."""
    ca = trustme.CA()
    issued = ca.issue_cert("127.0.0.1", "localhost")
    cert, key = tmp_path / "server.pem", tmp_path / "server.key"
    cert.write_bytes(issued.cert_chain_pems[0].bytes())
    key.write_bytes(issued.private_key_pem.bytes())
    server = server_factory(
        database_url=sqlite_url, http=False, extra_args=["--tls-cert", str(cert), "--tls-key", str(key)]
    )
    return server, ca.cert_pem.bytes()


def assert_plaintext_cause(error: RecoveryError, address: str) -> None:
    assert error.code is StatusCode.UNAVAILABLE
    assert error.reason == "TRANSPORT_MISMATCH"
    assert error.message == (
        f"the server at {address} speaks plaintext gRPC but the client uses TLS: "
        "dial with plaintext=True, or serve with --tls-cert/--tls-key"
    )


def assert_tls_cause(error: RecoveryError, address: str) -> None:
    assert error.code is StatusCode.UNAVAILABLE
    assert error.reason == "TRANSPORT_MISMATCH"
    assert error.message == (
        f"the server at {address} speaks TLS but the client uses plaintext: "
        "dial without plaintext=True (TLS; root_certificates= for a private CA)"
    )


def test_sync_tls_client_to_a_plaintext_server_fails_fast(plaintext_server: ServerProcess) -> None:
    with RecoveryClient(plaintext_server.grpc_address) as client:
        started = time.monotonic()
        with pytest.raises(RecoveryError) as failed:
            client.get_rollback_drill_dashboard()
        assert time.monotonic() - started < FAST
        assert_plaintext_cause(failed.value, plaintext_server.grpc_address)
        # Later calls fail at once with the same cause, writes included.
        started = time.monotonic()
        with pytest.raises(RecoveryError) as again:
            client.create_recovery_escalation_plan(generated_by="mismatch")
        assert time.monotonic() - started < 0.5
        assert_plaintext_cause(again.value, plaintext_server.grpc_address)
    # The right option works against the same server.
    with RecoveryClient(plaintext_server.grpc_address, plaintext=True) as client:
        assert client.get_rollback_drill_dashboard() is not None


def test_sync_plaintext_client_to_a_tls_server_fails_fast(tls_server: tuple[ServerProcess, bytes]) -> None:
    server, ca = tls_server
    with RecoveryClient(server.grpc_address, plaintext=True) as client:
        started = time.monotonic()
        with pytest.raises(RecoveryError) as failed:
            client.get_rollback_drill_dashboard()
        assert time.monotonic() - started < FAST
        assert_tls_cause(failed.value, server.grpc_address)
    # TLS with roots that do not trust the server fails too (the sync client probes while it waits),
    # but names no transport mismatch.
    with (
        RecoveryClient(server.grpc_address, timeout=2.0) as client,
        pytest.raises(RecoveryError) as untrusted,
    ):
        client.get_rollback_drill_dashboard()
    assert untrusted.value.reason != "TRANSPORT_MISMATCH"
    assert untrusted.value.code is StatusCode.DEADLINE_EXCEEDED
    with RecoveryClient(server.grpc_address, root_certificates=ca) as client:
        assert client.get_rollback_drill_dashboard() is not None


def test_sync_fail_fast_calls_name_the_cause_too(plaintext_server: ServerProcess) -> None:
    # Without wait_for_ready a call fails UNAVAILABLE at once; the mismatch stops the retries early.
    with RecoveryClient(plaintext_server.grpc_address, wait_for_ready=False) as client:
        started = time.monotonic()
        with pytest.raises(RecoveryError) as failed:
            client.get_rollback_drill_dashboard()
        assert time.monotonic() - started < FAST
        assert_plaintext_cause(failed.value, plaintext_server.grpc_address)


async def test_async_tls_client_to_a_plaintext_server_fails_fast(plaintext_server: ServerProcess) -> None:
    async with AsyncRecoveryClient(plaintext_server.grpc_address) as client:
        started = time.monotonic()
        with pytest.raises(RecoveryError) as failed:
            await client.get_rollback_drill_dashboard()
        assert time.monotonic() - started < FAST
        assert_plaintext_cause(failed.value, plaintext_server.grpc_address)
        # Concurrent calls waiting for the connection all fail with the cause, none waits it out.
        started = time.monotonic()
        results = await asyncio.gather(
            *(client.get_rollback_drill_dashboard() for _ in range(3)), return_exceptions=True
        )
        assert time.monotonic() - started < FAST
        for result in results:
            assert isinstance(result, RecoveryError)
            assert_plaintext_cause(result, plaintext_server.grpc_address)
    async with AsyncRecoveryClient(plaintext_server.grpc_address, plaintext=True) as client:
        assert await client.get_rollback_drill_dashboard() is not None


async def test_async_plaintext_client_to_a_tls_server_fails_fast(
    tls_server: tuple[ServerProcess, bytes],
) -> None:
    server, ca = tls_server
    async with AsyncRecoveryClient(server.grpc_address, plaintext=True) as client:
        started = time.monotonic()
        with pytest.raises(RecoveryError) as failed:
            await client.get_rollback_drill_dashboard()
        assert time.monotonic() - started < FAST
        assert_tls_cause(failed.value, server.grpc_address)
    async with AsyncRecoveryClient(server.grpc_address, root_certificates=ca) as client:
        assert await client.get_rollback_drill_dashboard() is not None


def test_a_server_that_is_down_is_still_waited_for() -> None:
    # Nothing listens: the probe names no cause, and the call waits out its deadline as documented.
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{placeholder.getsockname()[1]}"
    assert mismatch_message(address, uses_tls=True) is None
    assert mismatch_message(address, uses_tls=False) is None
    with RecoveryClient(address, plaintext=True, timeout=2.5) as client:
        started = time.monotonic()
        with pytest.raises(RecoveryError) as failed:
            client.get_rollback_drill_dashboard()
        assert time.monotonic() - started >= 2.0
        assert failed.value.code is StatusCode.DEADLINE_EXCEEDED


def test_the_probe_finds_no_mismatch_on_a_matching_server(
    plaintext_server: ServerProcess, tls_server: tuple[ServerProcess, bytes]
) -> None:
    server, _ = tls_server
    assert mismatch_message(plaintext_server.grpc_address, uses_tls=False) is None
    assert mismatch_message(server.grpc_address, uses_tls=True) is None


@pytest.mark.parametrize(
    ("target", "address"),
    [
        ("127.0.0.1:50051", ("127.0.0.1", 50051)),
        ("dns:///localhost:7000", ("localhost", 7000)),
        ("dns://8.8.8.8/example.com:7000", ("example.com", 7000)),
        ("ipv4:10.0.0.1:81,10.0.0.2:81", ("10.0.0.1", 81)),
        ("ipv6:[::1]:7000", ("::1", 7000)),
        ("[::1]:7000", ("::1", 7000)),
        ("example.com", ("example.com", 443)),
        ("unix:/tmp/cavra.sock", None),
    ],
)
def test_probe_address(target: str, address: tuple[str, int] | None) -> None:
    assert probe_address(target) == address
