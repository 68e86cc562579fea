"""Gateway fixtures: the real server (with our gateway) and the real Go grpc-gateway in front of it.

The Go gateway (tests/gateway/gogateway) is built with `go build` once per source hash into a cache
directory under the system temp dir. Without a Go toolchain the Go-backed tests skip locally and
fail under CI=true.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import REPO_ROOT, ServerProcess, free_port, in_ci

GO_GATEWAY_SOURCE = Path(__file__).resolve().parent / "gogateway"
PREFIX = "/runtime/go-pilot/rollback-drill-notifications/acknowledgements/audit-delivery"
DASHBOARD = "/runtime/go-pilot/rollback-drill-notifications/dashboard"


def _source_hash() -> str:
    digest = hashlib.sha256()
    roots = [GO_GATEWAY_SOURCE, REPO_ROOT / "generated" / "go"]
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.suffix in {".go", ".mod", ".sum"}:
                digest.update(str(path.relative_to(REPO_ROOT)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def build_go_gateway() -> Path:
    """The Go grpc-gateway binary, built once per source hash (cached in the temp dir)."""
    go = shutil.which("go")
    if go is None:
        if in_ci():
            pytest.fail("CI=true but the Go toolchain is missing: the gateway compatibility suite must run")
        pytest.skip("the Go toolchain is not on PATH")
    cache = Path(tempfile.gettempdir()) / "cavra-gogateway"
    binary = cache / f"gogateway-{_source_hash()}"
    if not binary.exists():
        cache.mkdir(parents=True, exist_ok=True)
        partial = cache / f".{binary.name}.{os.getpid()}"
        subprocess.run([go, "build", "-o", str(partial), "."], cwd=GO_GATEWAY_SOURCE, check=True, timeout=600)
        partial.replace(binary)
    return binary


@dataclass
class GoGatewayProcess:
    process: subprocess.Popen[str]
    address: str

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.process.stderr is not None:
            self.process.stderr.close()


def start_go_gateway(binary: Path, grpc_target: str, timeout: float = 30) -> GoGatewayProcess:
    port = free_port()
    process = subprocess.Popen(
        [str(binary), "--grpc-target", grpc_target, "--http-listen", f"127.0.0.1:{port}"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert process.stderr is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        line = process.stderr.readline()
        if "http listening on" in line:
            return GoGatewayProcess(process=process, address=line.rsplit(" ", 1)[1].strip())
    process.kill()
    raise RuntimeError("the Go gateway did not start")


@pytest.fixture(scope="session")
def go_gateway_binary() -> Path:
    return build_go_gateway()


@dataclass
class Reply:
    status: int
    headers: httpx.Headers
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content)


@dataclass
class GatewayPair:
    """Our gateway and the Go grpc-gateway, both in front of the same real server."""

    server: ServerProcess
    ours: httpx.Client
    go: httpx.Client

    def both(self, method: str, path: str, **kwargs: Any) -> tuple[Reply, Reply]:
        return self.send_ours(method, path, **kwargs), self.send_go(method, path, **kwargs)

    def send_ours(self, method: str, path: str, **kwargs: Any) -> Reply:
        response = self.ours.request(method, path, **kwargs)
        return Reply(response.status_code, response.headers, response.content)

    def send_go(self, method: str, path: str, **kwargs: Any) -> Reply:
        response = self.go.request(method, path, **kwargs)
        return Reply(response.status_code, response.headers, response.content)


@pytest.fixture
def gateway_pair(
    server_factory: Callable[..., ServerProcess], sqlite_url: str, go_gateway_binary: Path
) -> Iterator[GatewayPair]:
    server = server_factory(database_url=sqlite_url)
    go = start_go_gateway(go_gateway_binary, server.grpc_address)
    try:
        with (
            httpx.Client(base_url=f"http://{server.http_address}", timeout=30) as ours,
            httpx.Client(base_url=f"http://{go.address}", timeout=30) as go_client,
        ):
            yield GatewayPair(server=server, ours=ours, go=go_client)
    finally:
        go.stop()
