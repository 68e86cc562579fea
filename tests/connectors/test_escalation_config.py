"""Escalation policies and inhibit rules in the connector configuration: durations, and every refusal
naming the file, the policy and the field (never a value)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from cavra_recovery.connectors import ConnectorConfigError, load_connector_config
from cavra_recovery.connectors.escalation_config import parse_duration

SECRET = {"POLICY_CONFIG_SECRET": "whsec_cG9saWN5LWNvbmZpZy13ZWJob29rLXNlY3JldC0zMg=="}


def receiver(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "provider": "webhook",
        "url": f"https://hooks.example.invalid/{name}",
        "secret_env": "POLICY_CONFIG_SECRET",
    }


def write(tmp_path: Path, policies: Any, rules: Any = None, inhibit: Any = None) -> Path:
    import yaml

    document: dict[str, Any] = {
        "receivers": [receiver("ops-slack"), receiver("release-pagerduty")],
        "escalation_policies": policies,
        "routing": {"default": "ops-slack", "rules": rules or []},
    }
    if inhibit is not None:
        document["inhibit_rules"] = inhibit
    path = tmp_path / "connectors.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("15m", timedelta(minutes=15)),
        ("2h", timedelta(hours=2)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1d", timedelta(days=1)),
        ("1500ms", timedelta(seconds=1.5)),
    ],
)
def test_durations_are_read_in_the_prometheus_style(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["15", "15 minutes", "m15", "-5m", "1.5h", "", "15M"])
def test_other_duration_spellings_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_a_valid_policy_is_loaded_and_a_rule_may_name_it_instead_of_receivers(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        [
            {
                "name": "release-critical",
                "levels": [
                    {"receivers": ["ops-slack"], "ack_timeout": "15m"},
                    {"receivers": ["release-pagerduty"], "ack_timeout": "30m"},
                ],
                "repeat": 1,
            }
        ],
        rules=[{"match": {"severity": "critical"}, "policy": "release-critical"}],
        inhibit=[
            {"source": {"severity": "critical"}, "target": {"severity": "warning"}, "equal": ["provider"]}
        ],
    )
    config = load_connector_config(path, SECRET)
    (policy,) = config.escalation_policies
    assert [level.ack_timeout for level in policy.levels] == [timedelta(minutes=15), timedelta(minutes=30)]
    assert policy.repeat == 1
    assert config.escalation_policy_for_route(severity="critical", category="chatops", provider="jira") == (
        "release-critical"
    )
    # Level 1's receivers are the route's receivers at delivery.
    assert config.receivers_for_route(severity="critical", category="chatops", provider="jira") == (
        "ops-slack",
    )
    assert config.escalation_policy_for_route(severity="warning", category="chatops", provider="jira") is None
    assert config.inhibit_rules[0].equal == ("provider",)


@pytest.mark.parametrize(
    ("policies", "rules", "message"),
    [
        (
            [{"name": "p1", "levels": [{"receivers": ["nobody"], "ack_timeout": "15m"}]}],
            None,
            "escalation policy 'p1': field 'levels[0].receivers': unknown receiver 'nobody'",
        ),
        (
            [{"name": "p1", "levels": [{"receivers": [], "ack_timeout": "15m"}]}],
            None,
            "escalation policy 'p1': field 'levels[0].receivers': an empty level",
        ),
        (
            [{"name": "p1", "levels": []}],
            None,
            "escalation policy 'p1': field 'levels': must be a non-empty list",
        ),
        (
            [{"name": "p1", "levels": [{"receivers": ["ops-slack"], "ack_timeout": "0s"}]}],
            None,
            "escalation policy 'p1': field 'levels[0].ack_timeout': must be greater than zero",
        ),
        (
            [{"name": "p1", "levels": [{"receivers": ["ops-slack"], "ack_timeout": "-5m"}]}],
            None,
            "escalation policy 'p1': field 'levels[0].ack_timeout': must be a duration",
        ),
        (
            [{"name": "p1", "levels": [{"receivers": ["ops-slack"], "ack_timeout": 900}]}],
            None,
            "escalation policy 'p1': field 'levels[0].ack_timeout': must be a duration",
        ),
        (
            [{"name": "p1", "levels": [{"receivers": ["ops-slack"], "ack_timeout": "5m"}], "repeat": -1}],
            None,
            "escalation policy 'p1': field 'repeat'",
        ),
        (
            [{"name": "p1", "levels": [{"receivers": ["ops-slack"], "ack_timeout": "5m"}]}],
            [{"match": {"severity": "critical"}, "policy": "p2"}],
            "routing.rules[0]: field 'policy': unknown escalation policy 'p2'",
        ),
    ],
)
def test_bad_policies_are_refused_naming_the_file_the_policy_and_the_field(
    tmp_path: Path, policies: Any, rules: Any, message: str
) -> None:
    path = write(tmp_path, policies, rules)
    with pytest.raises(ConnectorConfigError) as refused:
        load_connector_config(path, SECRET)
    assert str(refused.value).startswith(f"{path}: ")
    assert message in str(refused.value)


def test_a_bad_inhibit_rule_is_refused_naming_the_rule_and_field(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        [],
        inhibit=[{"source": {"severity": "critical"}, "target": {"severity": "warning"}, "equal": ["team"]}],
    )
    with pytest.raises(ConnectorConfigError, match=r"inhibit_rules\[0\]: field 'equal'"):
        load_connector_config(path, SECRET)
