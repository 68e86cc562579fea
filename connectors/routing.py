"""Which receivers get an escalation route (SPEC §5, §6), in the spirit of Alertmanager's routing tree.

Rules are tried in order; the first match wins unless it says `continue`, in which case later rules
may add receivers too. A route no rule matches goes to the default receiver.

A route about a failing provider is never sent ONLY to receivers of that same provider: a broken
Slack must not be the sole channel that reports Slack is broken. When every chosen receiver is of the
failing provider, the default receiver is added; if the default is of that provider too (or already
chosen), the first configured receiver of any other provider is added. With no receiver of another
provider configured at all, the selection stays as it is: there is nowhere else to send it.

`parse_routing_policy` reads the `routing:` section of the connector configuration file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cavra_recovery.connectors.base import ConnectorConfigError

MATCH_KEYS = frozenset({"severity", "category", "provider"})
_RULE_KEYS = frozenset({"match", "receivers", "continue", "policy"})
_ROUTING_KEYS = frozenset({"default", "rules"})
_SEVERITIES = frozenset({"critical", "warning"})
_CATEGORIES = frozenset({"siem", "itsm", "chatops", "webhook", "retry-execution"})


@dataclass(frozen=True, slots=True)
class RouteMatch:
    """Conditions on a route; a `None` field matches anything."""

    severity: str | None = None
    category: str | None = None
    provider: str | None = None

    def matches(self, *, severity: str, category: str, provider: str) -> bool:
        return (
            (self.severity is None or self.severity == severity)
            and (self.category is None or self.category == category)
            and (self.provider is None or self.provider == provider)
        )


@dataclass(frozen=True, slots=True)
class RoutingRule:
    match: RouteMatch
    receivers: tuple[str, ...]
    continue_matching: bool = False  # the `continue: true` of the configuration file
    # An escalation policy (connectors.escalation_config) whose level 1 receivers are added.
    policy: str | None = None


@dataclass(frozen=True, slots=True)
class RoutingPolicy:
    default: str
    rules: tuple[RoutingRule, ...] = ()

    def receiver_names(self) -> tuple[str, ...]:
        """Every receiver the policy names, default first, each once."""
        names = [self.default]
        for rule in self.rules:
            names.extend(rule.receivers)
        return tuple(dict.fromkeys(names))


def receivers_for_route(
    policy: RoutingPolicy,
    receiver_providers: Mapping[str, str],
    *,
    severity: str,
    category: str,
    provider: str,
    policy_receivers: Mapping[str, tuple[str, ...]] | None = None,
) -> tuple[str, ...]:
    """The receivers of one route, in rule order, without duplicates.

    `receiver_providers` maps each configured receiver name to its provider type, in configuration
    order; `provider` is the provider the route is about; `policy_receivers` maps an escalation policy
    name to its level 1 receivers (added where a matching rule names that policy).
    """
    chosen: dict[str, None] = {}
    for rule in matching_rules(policy, severity=severity, category=category, provider=provider):
        chosen.update(dict.fromkeys(rule.receivers))
        if rule.policy is not None and policy_receivers is not None:
            chosen.update(dict.fromkeys(policy_receivers.get(rule.policy, ())))
    if not chosen:
        chosen[policy.default] = None
    if all(receiver_providers.get(name) == provider for name in chosen):
        fallback = _other_provider_receiver(policy.default, receiver_providers, provider)
        if fallback is not None:
            chosen[fallback] = None
    return tuple(chosen)


def matching_rules(
    policy: RoutingPolicy, *, severity: str, category: str, provider: str
) -> tuple[RoutingRule, ...]:
    """The rules a route matches: up to and including the first one without `continue`."""
    matched = []
    for rule in policy.rules:
        if rule.match.matches(severity=severity, category=category, provider=provider):
            matched.append(rule)
            if not rule.continue_matching:
                break
    return tuple(matched)


def escalation_policy_for_route(
    policy: RoutingPolicy, *, severity: str, category: str, provider: str
) -> str | None:
    """The escalation policy of the first matching rule that names one; None when none does."""
    for rule in matching_rules(policy, severity=severity, category=category, provider=provider):
        if rule.policy is not None:
            return rule.policy
    return None


def parse_route_match(match: Any, *, where: str, field: str = "match") -> RouteMatch:
    """A `{severity, category, provider}` matcher; every key optional, each a known value."""
    if not isinstance(match, Mapping) or set(match) - MATCH_KEYS:
        raise ConnectorConfigError(f"{where}: field '{field}': keys may only be {sorted(MATCH_KEYS)}")
    for key, value in match.items():
        if not isinstance(value, str) or not value:
            raise ConnectorConfigError(f"{where}: field '{field}.{key}': must be a non-empty string")
    if match.get("severity", "critical") not in _SEVERITIES:
        raise ConnectorConfigError(
            f"{where}: field '{field}.severity': expected one of {sorted(_SEVERITIES)}"
        )
    if match.get("category", "siem") not in _CATEGORIES:
        raise ConnectorConfigError(
            f"{where}: field '{field}.category': expected one of {sorted(_CATEGORIES)}"
        )
    return RouteMatch(
        severity=match.get("severity"), category=match.get("category"), provider=match.get("provider")
    )


def _other_provider_receiver(
    default: str, receiver_providers: Mapping[str, str], provider: str
) -> str | None:
    if receiver_providers.get(default) != provider:
        return default
    for name, receiver_provider in receiver_providers.items():
        if receiver_provider != provider:
            return name
    return None


def parse_routing_policy(
    routing: Any, *, source: Path, known: set[str], policies: frozenset[str] = frozenset()
) -> RoutingPolicy:
    """Validate the `routing:` section; `known` holds the configured receiver names, `policies` the
    escalation policy names."""
    if not isinstance(routing, Mapping):
        raise ConnectorConfigError(
            f"{source}: field 'routing': required, a mapping with 'default' and 'rules'"
        )
    unknown = set(routing) - _ROUTING_KEYS
    if unknown:
        raise ConnectorConfigError(f"{source}: routing: unknown key(s) {sorted(unknown)}")
    default = routing.get("default")
    if not isinstance(default, str) or default not in known:
        raise ConnectorConfigError(f"{source}: routing: field 'default': unknown receiver {default!r}")
    raw_rules = routing.get("rules", [])
    if not isinstance(raw_rules, list):
        raise ConnectorConfigError(f"{source}: routing: field 'rules': must be a list")
    rules = []
    for index, raw in enumerate(raw_rules):
        where = f"{source}: routing.rules[{index}]"
        if not isinstance(raw, Mapping):
            raise ConnectorConfigError(f"{where}: must be a mapping with 'match' and 'receivers'")
        unknown = set(raw) - _RULE_KEYS
        if unknown:
            raise ConnectorConfigError(f"{where}: unknown key(s) {sorted(unknown)}")
        match = parse_route_match(raw.get("match", {}), where=where)
        policy_name = raw.get("policy")
        if policy_name is not None and (not isinstance(policy_name, str) or policy_name not in policies):
            raise ConnectorConfigError(f"{where}: field 'policy': unknown escalation policy {policy_name!r}")
        names = raw.get("receivers", [] if policy_name is not None else None)
        if (
            not isinstance(names, list)
            or (not names and policy_name is None)
            or not all(isinstance(name, str) for name in names)
        ):
            raise ConnectorConfigError(
                f"{where}: field 'receivers': must be a non-empty list of receiver names (or give 'policy')"
            )
        for name in names:
            if name not in known:
                raise ConnectorConfigError(f"{where}: field 'receivers': unknown receiver {name!r}")
        continue_matching = raw.get("continue", False)
        if not isinstance(continue_matching, bool):
            raise ConnectorConfigError(f"{where}: field 'continue': must be true or false")
        rules.append(
            RoutingRule(
                match=match,
                receivers=tuple(dict.fromkeys(names)),
                continue_matching=continue_matching,
                policy=policy_name,
            )
        )
    return RoutingPolicy(default=default, rules=tuple(rules))
