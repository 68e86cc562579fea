"""Every public method of both Python clients raises RecoveryError and nothing from grpc: after close(),
and against a server that is gone."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from typing import Any

import pytest
from google.protobuf.message import Message

from cavra_recovery_client import (
    AsyncRecoveryClient,
    RecoveryClient,
    RecoveryError,
    RetryPolicy,
    StatusCode,
)
from tests.conftest import ServerProcess

LIFECYCLE_METHODS = {"close"}


def _argument(annotation: Any) -> Any:
    """A valid placeholder for a required parameter: empty message, empty string, zero or no records."""
    if inspect.isclass(annotation) and issubclass(annotation, Message):
        return annotation()
    if annotation is str:
        return "x"
    if annotation is int:
        return 0
    if typing.get_origin(annotation) is not None:
        return []
    raise AssertionError(f"no placeholder for {annotation!r}")


def public_calls(client_type: type[Any]) -> list[tuple[str, dict[str, Any]]]:
    """(method name, required arguments by name) for every public RPC method of client_type."""
    calls = []
    for name, function in inspect.getmembers(client_type, inspect.isfunction):
        if name.startswith("_") or name in LIFECYCLE_METHODS:
            continue
        hints = typing.get_type_hints(function)
        required = [
            p.name
            for p in inspect.signature(function).parameters.values()
            if p.name != "self" and p.default is inspect.Parameter.empty
        ]
        calls.append((name, {p: _argument(hints[p]) for p in required}))
    assert len(calls) >= 25, "the clients lost their RPC methods"
    return calls


def test_both_clients_have_the_same_public_methods() -> None:
    assert public_calls(RecoveryClient) == public_calls(AsyncRecoveryClient)


def test_sync_calls_after_close_raise_recovery_error(grpc_server: ServerProcess) -> None:
    client = RecoveryClient(grpc_server.grpc_address, plaintext=True)
    client.get_rollback_drill_dashboard()
    client.close()
    for name, arguments in public_calls(RecoveryClient):
        with pytest.raises(RecoveryError) as caught:
            getattr(client, name)(**arguments)
        assert caught.value.code is StatusCode.CANCELLED, name
        assert caught.value.message == "client is closed"
    client.close()  # closing twice is harmless


async def test_async_calls_after_close_raise_recovery_error(grpc_server: ServerProcess) -> None:
    client = AsyncRecoveryClient(grpc_server.grpc_address, plaintext=True)
    await client.get_rollback_drill_dashboard()
    await client.close()
    for name, arguments in public_calls(AsyncRecoveryClient):
        with pytest.raises(RecoveryError) as caught:
            await getattr(client, name)(**arguments)
        assert caught.value.code is StatusCode.CANCELLED, name
        assert caught.value.message == "client is closed"
    await client.close()


def _fail_fast(address: str, client_type: Callable[..., Any]) -> Any:
    return client_type(
        address, plaintext=True, wait_for_ready=False, retry=RetryPolicy(max_attempts=1), timeout=10.0
    )


def test_sync_calls_to_a_stopped_server_raise_recovery_error(grpc_server: ServerProcess) -> None:
    with _fail_fast(grpc_server.grpc_address, RecoveryClient) as client:
        client.get_rollback_drill_dashboard()
        grpc_server.stop()
        for name, arguments in public_calls(RecoveryClient):
            with pytest.raises(RecoveryError) as caught:
                getattr(client, name)(**arguments)
            assert caught.value.code is StatusCode.UNAVAILABLE, name


async def test_async_calls_to_a_stopped_server_raise_recovery_error(grpc_server: ServerProcess) -> None:
    async with _fail_fast(grpc_server.grpc_address, AsyncRecoveryClient) as client:
        await client.get_rollback_drill_dashboard()
        grpc_server.stop()
        for name, arguments in public_calls(AsyncRecoveryClient):
            with pytest.raises(RecoveryError) as caught:
                await getattr(client, name)(**arguments)
            assert caught.value.code is StatusCode.UNAVAILABLE, name
