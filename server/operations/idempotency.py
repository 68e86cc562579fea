"""The one idempotency rule for every mutating RPC (AIP-155): a key is (method, request_id, request digest).

- Same key, same request: the first response, byte for byte, even after a restart.
- Same key, another request: INVALID_ARGUMENT, reason REQUEST_ID_REUSED, a violation on `request_id`.
- Concurrent duplicates: the key is reserved in the action's own transaction, so one call acts; the
  other waits for that transaction and answers the same response.

An action either answers inside its transaction (`act` returns the response) or commits what it did
and answers afterwards (`act` returns `Pending`, `finish` builds the response, e.g. after the sends of
a deliver call). A replay of a pending key finishes the same action; the first response kept wins.
See docs/idempotency.md.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message
from sqlalchemy.orm import Session

from cavra_recovery.server.domain.errors import FailedPrecondition, FieldViolation, InvalidArgument
from cavra_recovery.server.domain.reasons import Reason
from cavra_recovery.server.storage import idempotency as keys
from cavra_recovery.server.storage.database import Database

M = TypeVar("M", bound=Message)


@dataclass(frozen=True, slots=True)
class RequestKey:
    method: str
    request_id: str
    digest: str


def request_key(method: str, request: Message) -> RequestKey | None:
    """The key of a request, or None when it carries no request_id (then every call acts)."""
    request_id = str(getattr(request, "request_id", ""))
    if not request_id:
        return None
    canonical = type(request)()
    canonical.CopyFrom(request)
    canonical.ClearField("request_id")
    digest = hashlib.sha256(canonical.SerializeToString(deterministic=True)).hexdigest()
    return RequestKey(method=method, request_id=request_id, digest=digest)


@dataclass(frozen=True, slots=True)
class Pending:
    """What an action committed, for `finish` to build the response from after the commit."""

    document: Mapping[str, Any]


def request_id_reused() -> InvalidArgument:
    return InvalidArgument(
        [
            FieldViolation(
                "request_id", "was already used for a request with different parameters; use a new request_id"
            )
        ],
        reason=Reason.REQUEST_ID_REUSED,
    )


def encoded(response: Message) -> dict[str, Any]:
    return {"proto": base64.b64encode(response.SerializeToString(deterministic=True)).decode()}


def decoded(document: Mapping[str, Any], response_type: type[M]) -> M:
    encoded = document.get("proto")
    if isinstance(encoded, str):
        try:
            return response_type.FromString(base64.b64decode(encoded, validate=True))
        except (binascii.Error, DecodeError):
            pass
    # Responses kept before responses were stored as bytes were kept as proto JSON.
    return json_format.ParseDict(dict(document), response_type(), ignore_unknown_fields=True)


def reserve(
    session: Session, key: RequestKey, response_type: type[M], *, now: datetime
) -> M | Pending | None:
    """Reserve `key` in this transaction. None: this call holds it and acts; otherwise what the key's
    first call left: its response, or its committed action for `finish`. Raises REQUEST_ID_REUSED for
    another request under the key, REQUEST_ID_INCOMPLETE for a key that holds neither."""
    held = keys.reserve(
        session, method=key.method, request_id=key.request_id, request_digest=key.digest, now=now
    )
    if held is None:
        return None
    if held.request_digest != key.digest:
        raise request_id_reused()
    if held.response_document is not None:
        return decoded(held.response_document, response_type)
    if held.action_document is not None:
        return Pending(held.action_document)
    raise FailedPrecondition(
        f"request_id {key.request_id!r} holds no recorded action; use a new request_id",
        reason=Reason.REQUEST_ID_INCOMPLETE,
    )


def keep(session: Session, key: RequestKey | None, response: M) -> M:
    """The response every call with `key` answers: these bytes, kept with the key (the first call too).
    Without a key nothing is kept, and the response is answered as built."""
    if key is None:
        return response
    document = encoded(response)
    keys.keep_response(session, method=key.method, request_id=key.request_id, document=document)
    return decoded(document, type(response))


async def run_once(
    database: Database,
    key: RequestKey | None,
    response_type: type[M],
    *,
    now: datetime,
    act: Callable[[Session], M | Pending],
    finish: Callable[[Mapping[str, Any]], Awaitable[M]] | None = None,
) -> M:
    """Run `act` once per key, in one transaction with the key's reservation; answer every call alike."""

    def reserve_and_act(session: Session) -> M | Pending:
        if key is not None:
            held = reserve(session, key, response_type, now=now)
            if held is not None:
                return held
        step = act(session)
        if isinstance(step, Pending):
            if key is not None:
                keys.record_action(
                    session, method=key.method, request_id=key.request_id, document=step.document
                )
            return step
        return keep(session, key, step)

    step = await database.run(reserve_and_act)
    if not isinstance(step, Pending):
        return step
    if finish is None:
        raise AssertionError(f"{response_type.__name__}: a pending action needs `finish`")
    response = await finish(step.document)
    if key is None:
        return response
    document = encoded(response)
    kept = await database.run(
        lambda session: keys.keep_response(
            session, method=key.method, request_id=key.request_id, document=document
        )
    )
    return decoded(kept, response_type)
