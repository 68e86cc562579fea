"""The error for a request the gateway refuses before calling the server.

`TranscodeError` is raised by query, path and JSON body decoding; the proxy answers it as HTTP 400 with
a `google.rpc.Status` of INVALID_ARGUMENT whose message is str(error), grpc-gateway's wording.
"""

from __future__ import annotations


class TranscodeError(ValueError):
    """A request the gateway rejects before calling the server: INVALID_ARGUMENT with this message."""
