"""Shared by the security tests: an auth config with one token per role, raw HTTP over a socket."""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path

TOKENS = {
    "ingest": "sec-ingest-token",
    "viewer": "sec-viewer-token",
    "operator": "sec-operator-token",
    "operator2": "sec-operator2-token",
    "auditor": "sec-auditor-token",
    "metrics": "sec-metrics-token",
}
_ROLES = {"operator2": "operator"}


def write_auth_config(directory: Path) -> Path:
    """One token per role (and a second operator), named after its role."""
    config = directory / "auth.yaml"
    lines = ["tokens:"]
    for name, token in TOKENS.items():
        digest = hashlib.sha256(token.encode()).hexdigest()
        lines.append(f"  - {{name: {name}, sha256: {digest}, roles: [{_ROLES.get(name, name)}]}}")
    config.write_text("\n".join(lines) + "\n")
    return config


def bearer(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[role]}"}


def raw_http(address: str, request: bytes, *, timeout: float = 10) -> bytes:
    """Send `request` as is and read the answer until the server closes or a response is complete."""
    host, _, port = address.rpartition(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as connection:
        connection.sendall(request)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = connection.recv(65536)
            if not chunk:
                break
            received += chunk
        head, _, body = received.partition(b"\r\n\r\n")
        length = next(
            (
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            ),
            0,
        )
        while len(body) < length:
            chunk = connection.recv(65536)
            if not chunk:
                break
            body += chunk
        return head + b"\r\n\r\n" + body


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])
