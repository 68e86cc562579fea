"""Headers and gRPC metadata: which values may cross (printable ASCII), and response metadata as
`Grpc-Metadata-*` headers, as grpc-gateway forwards them."""

from __future__ import annotations

from typing import Any


def ascii_printable(value: str) -> bool:
    return all(0x20 <= ord(c) <= 0x7E for c in value)


def metadata_headers(metadata: Any) -> dict[str, str]:
    """Response header metadata as `Grpc-Metadata-<key>` headers, as grpc-gateway forwards them."""
    headers: dict[str, str] = {}
    for key, value in metadata or ():
        if isinstance(value, str) and ascii_printable(value):
            headers[f"Grpc-Metadata-{key}"] = value
    return headers
