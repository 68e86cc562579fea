"""Identifiers the service mints for what it stores: a short kind prefix and a random UUID."""

from __future__ import annotations

import uuid


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"
