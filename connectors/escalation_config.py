"""Escalation policies and inhibit rules of the connector configuration file (docs/escalation-policies.md).

```yaml
escalation_policies:
  - name: release-critical
    levels:
      - {receivers: [ops-slack], ack_timeout: 15m}
      - {receivers: [release-pagerduty], ack_timeout: 30m}
    repeat: 1
inhibit_rules:
  - {source: {severity: critical}, target: {severity: warning}, equal: [provider]}
```

Durations are Prometheus/Go style (`30s`, `15m`, `2h`, `1h30m`). Every error names the file, the
policy (or inhibit rule) and the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from cavra_recovery.connectors.base import ConnectorConfigError
from cavra_recovery.connectors.routing import MATCH_KEYS, RouteMatch, parse_route_match

MAX_REPEAT = 100
_POLICY_KEYS = frozenset({"name", "levels", "repeat"})
_LEVEL_KEYS = frozenset({"receivers", "ack_timeout"})
_INHIBIT_KEYS = frozenset({"source", "target", "equal"})
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"^(?:\d+(?:ms|s|m|h|d|w))+$")
_DURATION_PART = re.compile(r"(\d+)(ms|s|m|h|d|w)")


def parse_duration(text: str) -> timedelta:
    """`30s`, `15m`, `2h`, `1h30m` (units ms, s, m, h, d, w) → a timedelta; ValueError otherwise."""
    if not isinstance(text, str) or not _DURATION.match(text.strip()):
        raise ValueError("must be a duration such as 30s, 15m, 2h or 1h30m")
    seconds = sum(int(number) * _UNIT_SECONDS[unit] for number, unit in _DURATION_PART.findall(text.strip()))
    return timedelta(seconds=seconds)


@dataclass(frozen=True, slots=True)
class EscalationLevel:
    receivers: tuple[str, ...]
    ack_timeout: timedelta


@dataclass(frozen=True, slots=True)
class EscalationPolicy:
    """Levels notified in turn until an acknowledgement; the whole chain runs `repeat` more times."""

    name: str
    levels: tuple[EscalationLevel, ...]
    repeat: int = 0


@dataclass(frozen=True, slots=True)
class InhibitRule:
    """A route matching `target` is not sent while another route of the plan matches `source` with the
    same values for every label in `equal` (labels: severity, category, provider)."""

    source: RouteMatch
    target: RouteMatch
    equal: tuple[str, ...] = ()


def parse_escalation_policies(raw: Any, *, source: Path, known: set[str]) -> tuple[EscalationPolicy, ...]:
    """Validate `escalation_policies:`; `known` holds the configured receiver names."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ConnectorConfigError(f"{source}: field 'escalation_policies': must be a list")
    policies: list[EscalationPolicy] = []
    for index, entry in enumerate(raw):
        if not isinstance(entry, Mapping):
            raise ConnectorConfigError(f"{source}: escalation_policies[{index}]: must be a mapping")
        name = entry.get("name")
        label = repr(name) if isinstance(name, str) and name else f"#{index}"
        where = f"{source}: escalation policy {label}"
        if not isinstance(name, str) or not name.strip():
            raise ConnectorConfigError(f"{where}: field 'name': required, a non-empty string")
        if any(policy.name == name for policy in policies):
            raise ConnectorConfigError(f"{where}: field 'name': duplicate name")
        unknown = set(entry) - _POLICY_KEYS
        if unknown:
            raise ConnectorConfigError(f"{where}: unknown key(s) {sorted(map(str, unknown))}")
        repeat = entry.get("repeat", 0)
        if isinstance(repeat, bool) or not isinstance(repeat, int) or not 0 <= repeat <= MAX_REPEAT:
            raise ConnectorConfigError(
                f"{where}: field 'repeat': must be a whole number from 0 to {MAX_REPEAT}"
            )
        levels = entry.get("levels")
        if not isinstance(levels, list) or not levels:
            raise ConnectorConfigError(f"{where}: field 'levels': must be a non-empty list")
        parsed = tuple(
            _parse_level(level, where=where, field=f"levels[{number}]", known=known)
            for number, level in enumerate(levels)
        )
        policies.append(EscalationPolicy(name=name, levels=parsed, repeat=repeat))
    return tuple(policies)


def _parse_level(raw: Any, *, where: str, field: str, known: set[str]) -> EscalationLevel:
    if not isinstance(raw, Mapping):
        raise ConnectorConfigError(
            f"{where}: field '{field}': must be a mapping with receivers and ack_timeout"
        )
    unknown = set(raw) - _LEVEL_KEYS
    if unknown:
        raise ConnectorConfigError(f"{where}: field '{field}': unknown key(s) {sorted(map(str, unknown))}")
    names = raw.get("receivers")
    if not isinstance(names, list) or not names or not all(isinstance(name, str) for name in names):
        raise ConnectorConfigError(
            f"{where}: field '{field}.receivers': an empty level: give a non-empty list of receiver names"
        )
    for name in names:
        if name not in known:
            raise ConnectorConfigError(f"{where}: field '{field}.receivers': unknown receiver {name!r}")
    timeout = raw.get("ack_timeout")
    if timeout is None:
        raise ConnectorConfigError(f"{where}: field '{field}.ack_timeout': required, e.g. 15m")
    try:
        ack_timeout = parse_duration(str(timeout)) if isinstance(timeout, str) else None
    except ValueError as exc:
        raise ConnectorConfigError(f"{where}: field '{field}.ack_timeout': {exc}") from None
    if ack_timeout is None:
        raise ConnectorConfigError(f"{where}: field '{field}.ack_timeout': must be a duration such as 15m")
    if ack_timeout <= timedelta(0):
        raise ConnectorConfigError(f"{where}: field '{field}.ack_timeout': must be greater than zero")
    return EscalationLevel(receivers=tuple(dict.fromkeys(names)), ack_timeout=ack_timeout)


def parse_inhibit_rules(raw: Any, *, source: Path) -> tuple[InhibitRule, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ConnectorConfigError(f"{source}: field 'inhibit_rules': must be a list")
    rules = []
    for index, entry in enumerate(raw):
        where = f"{source}: inhibit_rules[{index}]"
        if not isinstance(entry, Mapping):
            raise ConnectorConfigError(f"{where}: must be a mapping with source, target and equal")
        unknown = set(entry) - _INHIBIT_KEYS
        if unknown:
            raise ConnectorConfigError(f"{where}: unknown key(s) {sorted(map(str, unknown))}")
        if "source" not in entry or "target" not in entry:
            raise ConnectorConfigError(f"{where}: fields 'source' and 'target' are required")
        equal = entry.get("equal", [])
        if not isinstance(equal, list) or not all(
            isinstance(label, str) and label in MATCH_KEYS for label in equal
        ):
            raise ConnectorConfigError(f"{where}: field 'equal': labels may only be {sorted(MATCH_KEYS)}")
        rules.append(
            InhibitRule(
                source=parse_route_match(entry["source"], where=where, field="source"),
                target=parse_route_match(entry["target"], where=where, field="target"),
                equal=tuple(dict.fromkeys(equal)),
            )
        )
    return tuple(rules)
