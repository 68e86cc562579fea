"""Shopify's toxiproxy as a test tool: a real `toxiproxy-server` on 127.0.0.1 and a proxy per upstream.

The binary is the one `make tools` installs (`$CAVRA_TOOLS_BIN/toxiproxy-server`, else
`.tools/bin/toxiproxy-server`). Everything goes through toxiproxy's HTTP API: `POST /proxies` creates
a proxy, `POST /proxies/{name}` enables or disables it, `POST /proxies/{name}/toxics` adds a toxic.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import REPO_ROOT, free_port, in_ci


def toxiproxy_binary() -> Path:
    """$CAVRA_TOOLS_BIN/toxiproxy-server, else .tools/bin/toxiproxy-server; missing fails under CI."""
    tools = os.environ.get("CAVRA_TOOLS_BIN")
    binary = Path(tools) / "toxiproxy-server" if tools else REPO_ROOT / ".tools" / "bin" / "toxiproxy-server"
    if not binary.is_file():
        if in_ci():
            pytest.fail(f"CI=true but toxiproxy is not installed at {binary} (run `make tools`)")
        pytest.skip(f"toxiproxy is not installed at {binary} (run `make tools`)")
    return binary


@dataclass
class ProxyControl:
    """One toxiproxy proxy: the faults a test injects between the server and its upstream."""

    api: httpx.Client
    name: str
    listen: str
    upstream: str

    @property
    def port(self) -> int:
        return int(self.listen.rsplit(":", 1)[1])

    def cut(self) -> None:
        """Close every connection and refuse new ones (the upstream is unreachable)."""
        self._update(enabled=False)

    def restore(self) -> None:
        """Remove every toxic and accept connections again."""
        self.remove_toxics()
        self._update(enabled=True)

    def add_latency(self, milliseconds: int, *, jitter_milliseconds: int = 0) -> None:
        """Delay everything the upstream sends by `milliseconds` (so each round trip takes that longer)."""
        self._add_toxic("latency", "downstream", {"latency": milliseconds, "jitter": jitter_milliseconds})

    def reset_peer(self, *, after_milliseconds: int = 0) -> None:
        """Reset (TCP RST) every connection, open or new, after `after_milliseconds` of data."""
        self._add_toxic("reset_peer", "downstream", {"timeout": after_milliseconds})

    def remove_toxics(self) -> None:
        listed = self.api.get(f"/proxies/{self.name}/toxics")
        listed.raise_for_status()
        for toxic in listed.json():
            self.api.delete(f"/proxies/{self.name}/toxics/{toxic['name']}").raise_for_status()

    def _update(self, **fields: Any) -> None:
        self.api.post(f"/proxies/{self.name}", json=fields).raise_for_status()

    def _add_toxic(self, kind: str, stream: str, attributes: dict[str, Any]) -> None:
        toxic = {"name": f"{kind}_{stream}", "type": kind, "stream": stream, "toxicity": 1.0}
        self.api.post(
            f"/proxies/{self.name}/toxics", json={**toxic, "attributes": attributes}
        ).raise_for_status()


@dataclass
class Toxiproxy:
    """A running toxiproxy-server and the client of its HTTP API."""

    process: subprocess.Popen[bytes]
    api: httpx.Client

    def create_proxy(self, name: str, upstream: str) -> ProxyControl:
        """A proxy on a free 127.0.0.1 port forwarding to `upstream` (HOST:PORT)."""
        created = self.api.post(
            "/proxies", json={"name": name, "listen": "127.0.0.1:0", "upstream": upstream, "enabled": True}
        )
        created.raise_for_status()
        listen = str(created.json()["listen"])
        return ProxyControl(api=self.api, name=name, listen=listen, upstream=upstream)


@contextmanager
def running_toxiproxy(log_path: Path, *, timeout: float = 20) -> Iterator[Toxiproxy]:
    """Start toxiproxy-server on a free loopback port, yield it once its API answers, stop it after."""
    binary = toxiproxy_binary()
    port = free_port()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(binary), "-host", "127.0.0.1", "-port", str(port)], stdout=log, stderr=subprocess.STDOUT
        )
    api = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"toxiproxy-server exited:\n{log_path.read_text()}")
            try:
                if api.get("/version").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"toxiproxy-server did not answer within {timeout} s:\n{log_path.read_text()}"
                )
            time.sleep(0.05)
        yield Toxiproxy(process=process, api=api)
    finally:
        api.close()
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
