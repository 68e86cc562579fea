"""Loading the connector configuration: shapes, credential references and the errors they raise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from cavra_recovery.connectors import ConnectorConfigError, Secret, load_connector_config
from cavra_recovery.connectors.routing import RouteMatch, RoutingRule
from tests.connectors.connector_testkit import JIRA_API_TOKEN, PD_ROUTING_KEY, WEBHOOK_SECRET

ENVIRON = {
    "OPS_WEBHOOK_SECRET": WEBHOOK_SECRET,
    "PD_ROUTING_KEY": PD_ROUTING_KEY,
    "JIRA_TOKEN": JIRA_API_TOKEN,
}

SPEC_EXAMPLE = """
receivers:
  - name: ops-webhook
    provider: webhook
    url: https://hooks.example.com/cavra
    secret_env: OPS_WEBHOOK_SECRET
    timeout_seconds: 10
    allow_networks: []
  - name: release-pagerduty
    provider: pagerduty
    routing_key_env: PD_ROUTING_KEY
routing:
  default: ops-webhook
  rules:
    - match: {severity: critical}
      receivers: [release-pagerduty, ops-webhook]
    - match: {category: itsm}
      receivers: [ops-webhook]
      continue: true
"""

SPEC_EXAMPLE_TOML = """
[[receivers]]
name = "ops-webhook"
provider = "webhook"
url = "https://hooks.example.com/cavra"
secret_env = "OPS_WEBHOOK_SECRET"
timeout_seconds = 10
allow_networks = []

[[receivers]]
name = "release-pagerduty"
provider = "pagerduty"
routing_key_env = "PD_ROUTING_KEY"

[routing]
default = "ops-webhook"

[[routing.rules]]
match = { severity = "critical" }
receivers = ["release-pagerduty", "ops-webhook"]

[[routing.rules]]
match = { category = "itsm" }
receivers = ["ops-webhook"]
continue = true
"""


def _write(tmp_path: Path, text: str, name: str = "connectors.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _load_document(tmp_path: Path, document: dict[str, Any], environ: dict[str, str] | None = None) -> Any:
    return load_connector_config(_write(tmp_path, yaml.safe_dump(document)), environ or ENVIRON)


def _receiver(**fields: Any) -> dict[str, Any]:
    return {"name": "ops-webhook", "provider": "webhook", "url": "https://hooks.example.com/x"} | fields


def _error(tmp_path: Path, receiver: dict[str, Any], environ: dict[str, str] | None = None) -> str:
    document = {"receivers": [receiver], "routing": {"default": receiver.get("name", "x")}}
    with pytest.raises(ConnectorConfigError) as caught:
        _load_document(tmp_path, document, environ)
    return str(caught.value)


@pytest.mark.parametrize(
    ("name", "text"), [("connectors.yaml", SPEC_EXAMPLE), ("connectors.toml", SPEC_EXAMPLE_TOML)]
)
def test_the_spec_example_loads_from_yaml_and_toml_alike(tmp_path: Path, name: str, text: str) -> None:
    config = load_connector_config(_write(tmp_path, text, name), ENVIRON)

    assert config.receiver_names() == ("ops-webhook", "release-pagerduty")
    assert config.receiver_providers() == {"ops-webhook": "webhook", "release-pagerduty": "pagerduty"}
    assert config.routing.default == "ops-webhook"
    assert config.routing.rules == (
        RoutingRule(RouteMatch(severity="critical"), ("release-pagerduty", "ops-webhook")),
        RoutingRule(RouteMatch(category="itsm"), ("ops-webhook",), continue_matching=True),
    )
    assert config.receiver("release-pagerduty").secret("routing_key") == Secret(PD_ROUTING_KEY)
    assert config.receiver("ops-webhook").timeout_seconds == 10.0
    assert set(config.secrets()) == {WEBHOOK_SECRET, PD_ROUTING_KEY}


def test_config_routes_through_the_domain_policy(tmp_path: Path) -> None:
    config = load_connector_config(_write(tmp_path, SPEC_EXAMPLE), ENVIRON)

    assert config.receivers_for_route(severity="critical", category="chatops", provider="slack") == (
        "release-pagerduty",
        "ops-webhook",
    )
    assert config.receivers_for_route(severity="warning", category="siem", provider="splunk") == (
        "ops-webhook",
    )


def test_no_secret_appears_in_the_repr_of_config_receivers_or_secrets(tmp_path: Path) -> None:
    config = load_connector_config(_write(tmp_path, SPEC_EXAMPLE), ENVIRON)

    shown = repr(config) + str(config.receivers) + repr(config.receiver("ops-webhook").secret("secret"))
    assert WEBHOOK_SECRET not in shown and PD_ROUTING_KEY not in shown
    assert "**********" in shown


def test_file_references_are_read_relative_to_the_config_file_and_stripped(tmp_path: Path) -> None:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "jira-token").write_text(JIRA_API_TOKEN + "\n")
    receiver = {
        "name": "ops-jira",
        "provider": "jira",
        "url": "https://example.atlassian.net",
        "email": "bot@example.com",
        "project_key": "OPS",
        "api_token_file": "secrets/jira-token",
    }

    config = _load_document(tmp_path, {"receivers": [receiver], "routing": {"default": "ops-jira"}})

    assert config.receiver("ops-jira").secret("api_token").reveal() == JIRA_API_TOKEN


def test_url_env_makes_the_whole_url_a_secret(tmp_path: Path) -> None:
    slack_url = "https://hooks.slack.com/services/T000/B000/canarySlackPathToken"
    receiver = {"name": "chat", "provider": "slack", "url_env": "SLACK_URL"}

    config = _load_document(
        tmp_path, {"receivers": [receiver], "routing": {"default": "chat"}}, {"SLACK_URL": slack_url}
    )

    assert slack_url in config.secrets()
    assert "canarySlackPathToken" not in repr(config.receiver("chat"))


@pytest.mark.parametrize("key", ["secret", "token", "password", "routing_key", "api_key", "client_secret"])
def test_inline_credentials_are_rejected_naming_the_field_but_not_the_value(tmp_path: Path, key: str) -> None:
    message = _error(tmp_path, _receiver(secret_env="OPS_WEBHOOK_SECRET", **{key: "inline-canary-value"}))

    assert "connectors.yaml" in message and "'ops-webhook'" in message and repr(key) in message
    assert "inline-canary-value" not in message


def test_inline_userinfo_in_a_url_is_rejected(tmp_path: Path) -> None:
    message = _error(
        tmp_path,
        _receiver(url="https://bot:inline-canary@hooks.example.com/x", secret_env="OPS_WEBHOOK_SECRET"),
    )

    assert "'url'" in message and "inline-canary" not in message


@pytest.mark.parametrize(
    ("receiver", "environ", "expected"),
    [
        (_receiver(provider="opsgenie"), None, "field 'provider': unknown provider 'opsgenie'"),
        (_receiver(), None, "field 'secret_env': missing"),
        (_receiver(secret_env="NOT_SET"), None, "environment variable 'NOT_SET' is not set"),
        (_receiver(secret_env="EMPTY"), {"EMPTY": " "}, "environment variable 'EMPTY' is empty"),
        (_receiver(secret_file="missing.txt"), None, "field 'secret_file': cannot read file"),
        (_receiver(secret_env="SHORT"), {"SHORT": "abc"}, "shorter than 6 characters"),
        (_receiver(secret_env="BAD"), {"BAD": "whsec_***not-base64***"}, "not whsec_-prefixed base64"),
        (_receiver(secret_env="OPS_WEBHOOK_SECRET", timeout_seconds=0), None, "field 'timeout_seconds'"),
        (_receiver(secret_env="OPS_WEBHOOK_SECRET", timeout_seconds="10"), None, "field 'timeout_seconds'"),
        (_receiver(secret_env="OPS_WEBHOOK_SECRET", timeout_seconds=True), None, "field 'timeout_seconds'"),
        (
            _receiver(secret_env="OPS_WEBHOOK_SECRET", allow_networks="127.0.0.0/8"),
            None,
            "field 'allow_networks': must be a list",
        ),
        (_receiver(secret_env="OPS_WEBHOOK_SECRET", url="ftp://files.example.com"), None, "field 'url'"),
        (_receiver(secret_env="OPS_WEBHOOK_SECRET", colour="blue"), None, "field 'colour': unknown key"),
        ({"name": "pd", "provider": "pagerduty"}, None, "field 'routing_key_env': missing"),
        (
            {
                "name": "j",
                "provider": "jira",
                "url": "https://x.atlassian.net",
                "api_token_env": "JIRA_TOKEN",
            },
            None,
            "field 'email': required",
        ),
        ({"name": "s", "provider": "slack"}, None, "field 'url': required"),
        (
            {
                "name": "m",
                "provider": "email",
                "host": "smtp.example.com",
                "from": "a@example.com",
                "to": "b@x.io",
                "url": "https://x",
            },
            None,
            "takes no URL",
        ),
        (
            {
                "name": "m",
                "provider": "email",
                "host": "smtp.example.com",
                "from": "a@example.com",
                "to": "b@x.io",
                "port": 0,
            },
            None,
            "field 'port'",
        ),
        (
            {
                "name": "m",
                "provider": "email",
                "host": "smtp.example.com",
                "from": "a@x.io",
                "to": "b@x.io",
                "ca_file": "nope.pem",
            },
            None,
            "field 'ca_file'",
        ),
        (
            _receiver(url_env="A", url="https://x.example.com", secret_env="OPS_WEBHOOK_SECRET"),
            None,
            "only one of url",
        ),
        (
            {"name": "pd", "provider": "pagerduty", "routing_key_env": ["PD_ROUTING_KEY", "PD_ROUTING_KEY"]},
            None,
            "takes one reference",
        ),
    ],
)
def test_invalid_receivers_name_the_file_receiver_and_field(
    tmp_path: Path, receiver: dict[str, Any], environ: dict[str, str] | None, expected: str
) -> None:
    message = _error(tmp_path, receiver, ENVIRON | (environ or {}))

    assert str(tmp_path / "connectors.yaml") in message
    assert f"receiver {receiver['name']!r}" in message
    assert expected in message


def test_duplicate_receiver_names_are_rejected(tmp_path: Path) -> None:
    receiver = _receiver(secret_env="OPS_WEBHOOK_SECRET")
    with pytest.raises(ConnectorConfigError, match="receiver 'ops-webhook': field 'name': duplicate name"):
        _load_document(tmp_path, {"receivers": [receiver, receiver], "routing": {"default": "ops-webhook"}})


@pytest.mark.parametrize(
    ("routing", "expected"),
    [
        ({"default": "nobody"}, "field 'default': unknown receiver 'nobody'"),
        (
            {"default": "ops-webhook", "rules": [{"match": {}, "receivers": ["ghost"]}]},
            "routing.rules[0]: field 'receivers': unknown receiver 'ghost'",
        ),
        (
            {
                "default": "ops-webhook",
                "rules": [{"match": {"severity": "urgent"}, "receivers": ["ops-webhook"]}],
            },
            "match.severity",
        ),
        (
            {
                "default": "ops-webhook",
                "rules": [{"match": {"category": "email"}, "receivers": ["ops-webhook"]}],
            },
            "match.category",
        ),
        (
            {"default": "ops-webhook", "rules": [{"match": {"team": "x"}, "receivers": ["ops-webhook"]}]},
            "field 'match'",
        ),
        ({"default": "ops-webhook", "rules": [{"match": {}, "receivers": []}]}, "field 'receivers'"),
        (
            {"default": "ops-webhook", "rules": [{"receivers": ["ops-webhook"], "continue": "yes"}]},
            "field 'continue'",
        ),
    ],
)
def test_invalid_routing_names_the_rule_and_field(
    tmp_path: Path, routing: dict[str, Any], expected: str
) -> None:
    document = {"receivers": [_receiver(secret_env="OPS_WEBHOOK_SECRET")], "routing": routing}
    with pytest.raises(ConnectorConfigError) as caught:
        _load_document(tmp_path, document)
    assert expected in str(caught.value)


def test_unparsable_yaml_does_not_echo_its_lines(tmp_path: Path) -> None:
    path = _write(tmp_path, "receivers: [\n  secret: 'canary-inline-value\n")
    with pytest.raises(ConnectorConfigError) as caught:
        load_connector_config(path, {})
    assert "canary-inline-value" not in str(caught.value)
    assert "not valid YAML" in str(caught.value)


def test_unsupported_extension_and_missing_file_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConnectorConfigError, match="unsupported extension"):
        load_connector_config(tmp_path / "connectors.json", {})
    with pytest.raises(ConnectorConfigError, match="cannot read"):
        load_connector_config(tmp_path / "absent.yaml", {})


def test_loader_reads_only_the_environ_it_is_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPS_WEBHOOK_SECRET", WEBHOOK_SECRET)
    with pytest.raises(ConnectorConfigError, match="is not set"):
        _load_document(
            tmp_path,
            {
                "receivers": [_receiver(secret_env="OPS_WEBHOOK_SECRET")],
                "routing": {"default": "ops-webhook"},
            },
            {"X": "y"},
        )
