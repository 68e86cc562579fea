"""Loading the connector configuration file (SPEC §6): receivers, the routing policy, escalation
policies and inhibit rules (docs/escalation-policies.md).

YAML (`.yaml`, `.yml`) or TOML (`.toml`) with the same keys. Each `receivers:` entry is checked in
`connectors.receiver_config` (credentials only ever by reference, read once into `Secret`s), the
`routing:` section in `connectors.routing`. Every error names the file, the receiver (or routing
entry) and the field, never a value.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from cavra_recovery.connectors.base import ConnectorConfigError
from cavra_recovery.connectors.escalation_config import (
    EscalationPolicy,
    InhibitRule,
    parse_escalation_policies,
    parse_inhibit_rules,
)
from cavra_recovery.connectors.receiver import Receiver
from cavra_recovery.connectors.receiver_config import parse_receiver
from cavra_recovery.connectors.redaction import Redactor
from cavra_recovery.connectors.routing import (
    RoutingPolicy,
    escalation_policy_for_route,
    parse_routing_policy,
    receivers_for_route,
)

__all__ = ["ConnectorConfig", "ConnectorConfigError", "load_connector_config", "parse_connector_config"]


@dataclass(frozen=True, slots=True)
class ConnectorConfig:
    """The receivers, routing policy, escalation policies and inhibit rules of one file, validated and
    with every secret resolved."""

    source: Path
    receivers: tuple[Receiver, ...]
    routing: RoutingPolicy
    escalation_policies: tuple[EscalationPolicy, ...] = ()
    inhibit_rules: tuple[InhibitRule, ...] = ()

    def escalation_policy(self, name: str) -> EscalationPolicy:
        for policy in self.escalation_policies:
            if policy.name == name:
                return policy
        raise KeyError(name)

    def escalation_policy_for_route(self, *, severity: str, category: str, provider: str) -> str | None:
        return escalation_policy_for_route(
            self.routing, severity=severity, category=category, provider=provider
        )

    def receiver(self, name: str) -> Receiver:
        for receiver in self.receivers:
            if receiver.name == name:
                return receiver
        raise KeyError(name)

    def receiver_names(self) -> tuple[str, ...]:
        return tuple(receiver.name for receiver in self.receivers)

    def receiver_providers(self) -> dict[str, str]:
        """Receiver name → provider, in configuration order (what routing needs)."""
        return {receiver.name: receiver.provider for receiver in self.receivers}

    def receivers_for_route(self, *, severity: str, category: str, provider: str) -> tuple[str, ...]:
        return receivers_for_route(
            self.routing,
            self.receiver_providers(),
            severity=severity,
            category=category,
            provider=provider,
            policy_receivers={policy.name: policy.levels[0].receivers for policy in self.escalation_policies},
        )

    def secrets(self) -> tuple[str, ...]:
        """Every resolved secret value (and secret URL), for redaction by value anywhere."""
        return tuple(
            dict.fromkeys(value for receiver in self.receivers for value in receiver.secret_values())
        )

    def redactor(self) -> Redactor:
        return Redactor(self.secrets())


def load_connector_config(path: Path, environ: Mapping[str, str]) -> ConnectorConfig:
    """Read and validate the file at `path`; `environ` resolves every `*_env` reference."""
    suffix = path.suffix.lower()
    if suffix not in (".yaml", ".yml", ".toml"):
        raise ConnectorConfigError(f"{path}: unsupported extension {suffix!r}: use .yaml, .yml or .toml")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConnectorConfigError(
            f"{path}: cannot read the connector configuration: {exc.strerror}"
        ) from None
    try:
        document: Any = tomllib.loads(raw.decode()) if suffix == ".toml" else yaml.safe_load(raw)
    except (tomllib.TOMLDecodeError, yaml.YAMLError, UnicodeDecodeError) as exc:
        # The parser's message may quote the line, and the line may be an inline secret.
        where = getattr(exc, "problem_mark", None)
        line = f" near line {where.line + 1}" if where is not None else ""
        raise ConnectorConfigError(f"{path}: not valid {suffix.lstrip('.').upper()}{line}") from None
    return parse_connector_config(document, source=path, environ=environ)


def parse_connector_config(document: Any, *, source: Path, environ: Mapping[str, str]) -> ConnectorConfig:
    """Validate an already parsed document; `source` names the file in errors and anchors `_file` paths."""
    if not isinstance(document, Mapping):
        raise ConnectorConfigError(
            f"{source}: the top level must be a mapping with 'receivers' and 'routing'"
        )
    unknown = set(document) - {"receivers", "routing", "escalation_policies", "inhibit_rules"}
    if unknown:
        raise ConnectorConfigError(f"{source}: unknown top-level key(s) {sorted(unknown)}")
    entries = document.get("receivers")
    if not isinstance(entries, list) or not entries:
        raise ConnectorConfigError(f"{source}: field 'receivers': must be a non-empty list")
    receivers: list[Receiver] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        receiver = parse_receiver(entry, index=index, source=source, environ=environ)
        if receiver.name in seen:
            raise ConnectorConfigError(f"{source}: receiver {receiver.name!r}: field 'name': duplicate name")
        seen.add(receiver.name)
        receivers.append(receiver)
    policies = parse_escalation_policies(document.get("escalation_policies"), source=source, known=seen)
    routing = parse_routing_policy(
        document.get("routing"),
        source=source,
        known=seen,
        policies=frozenset(policy.name for policy in policies),
    )
    return ConnectorConfig(
        source=source,
        receivers=tuple(receivers),
        routing=routing,
        escalation_policies=policies,
        inhibit_rules=parse_inhibit_rules(document.get("inhibit_rules"), source=source),
    )
