"""The checkpoint note (docs/ledger.md): a C2SP tlog-checkpoint body with two extension lines, and the
leaf data of a ledger entry.

    cavra-recovery/ledger
    <tree size>
    <base64 root hash>
    previous <hex SHA-256 of the previous checkpoint's body, or 64 zeros>
    time <RFC 3339 UTC>

Signed, it is a C2SP signed note: the body, a blank line, then `— <key name> <base64(key id || signature)>`.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

ORIGIN = "cavra-recovery/ledger"
NO_PREVIOUS = "0" * 64
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class CheckpointBody:
    tree_size: int
    root_hash: bytes
    previous_hash: str
    created_at: datetime

    def text(self) -> str:
        moment = self.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        root = base64.b64encode(self.root_hash).decode()
        return f"{ORIGIN}\n{self.tree_size}\n{root}\nprevious {self.previous_hash}\ntime {moment}\n"

    def digest(self) -> str:
        return hashlib.sha256(self.text().encode()).hexdigest()


def parse_body(text: str) -> CheckpointBody:
    """The body of a note (the signature lines, if any, are ignored); ValueError when malformed."""
    lines = text.split("\n\n", 1)[0].rstrip("\n").split("\n")
    if len(lines) != 5 or lines[0] != ORIGIN:
        raise ValueError("not a cavra-recovery ledger checkpoint")
    previous = lines[3].removeprefix("previous ")
    moment = lines[4].removeprefix("time ")
    created = datetime.strptime(moment, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    return CheckpointBody(int(lines[1]), base64.b64decode(lines[2], validate=True), previous, created)


def body_of_note(note: str) -> str:
    return note.split("\n\n", 1)[0] + "\n"


def leaf_data(*, index: int, seq: int, kind: str, record_key: str, digest: str) -> bytes:
    """The bytes a leaf hashes: the entry's place (index, seq) and what it commits to (kind, key, digest)."""
    document = {"digest": digest, "index": index, "key": record_key, "kind": kind, "seq": seq}
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def checkpoint_window(now: datetime, period_seconds: int) -> datetime:
    """Start of the checkpoint window holding `now` (windows aligned to the Unix epoch)."""
    period = timedelta(seconds=period_seconds)
    return _EPOCH + ((now - _EPOCH) // period) * period
