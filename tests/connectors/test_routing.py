"""Routing policy: first match wins, `continue`, default, and never only the failing provider."""

from __future__ import annotations

from cavra_recovery.connectors.routing import RouteMatch, RoutingPolicy, RoutingRule, receivers_for_route

PROVIDERS = {
    "ops-webhook": "webhook",
    "release-pagerduty": "pagerduty",
    "ops-slack": "slack",
    "backup-slack": "slack",
    "ops-jira": "jira",
}


def _route(
    policy: RoutingPolicy, severity: str = "warning", category: str = "chatops", provider: str = "teams"
) -> tuple[str, ...]:
    return receivers_for_route(policy, PROVIDERS, severity=severity, category=category, provider=provider)


def test_an_unmatched_route_goes_to_the_default() -> None:
    policy = RoutingPolicy(
        default="ops-webhook", rules=(RoutingRule(RouteMatch(severity="critical"), ("release-pagerduty",)),)
    )

    assert _route(policy, severity="warning") == ("ops-webhook",)


def test_the_first_matching_rule_wins() -> None:
    policy = RoutingPolicy(
        default="ops-webhook",
        rules=(
            RoutingRule(RouteMatch(severity="critical"), ("release-pagerduty",)),
            RoutingRule(RouteMatch(category="chatops"), ("ops-jira",)),
        ),
    )

    assert _route(policy, severity="critical", category="chatops") == ("release-pagerduty",)


def test_continue_lets_later_rules_add_receivers_in_order_without_duplicates() -> None:
    policy = RoutingPolicy(
        default="ops-webhook",
        rules=(
            RoutingRule(
                RouteMatch(severity="critical"), ("release-pagerduty", "ops-jira"), continue_matching=True
            ),
            RoutingRule(RouteMatch(category="itsm"), ("ops-jira", "ops-webhook")),
            RoutingRule(RouteMatch(), ("ops-slack",)),
        ),
    )

    assert _route(policy, severity="critical", category="itsm") == (
        "release-pagerduty",
        "ops-jira",
        "ops-webhook",
    )


def test_a_matched_rule_without_continue_stops_after_a_continuing_one() -> None:
    policy = RoutingPolicy(
        default="ops-webhook",
        rules=(
            RoutingRule(RouteMatch(severity="critical"), ("release-pagerduty",), continue_matching=True),
            RoutingRule(RouteMatch(severity="critical"), ("ops-jira",)),
            RoutingRule(RouteMatch(), ("ops-slack",)),
        ),
    )

    assert _route(policy, severity="critical") == ("release-pagerduty", "ops-jira")


def test_match_fields_must_all_hold() -> None:
    rule = RouteMatch(severity="critical", category="siem", provider="splunk")

    assert rule.matches(severity="critical", category="siem", provider="splunk")
    assert not rule.matches(severity="critical", category="siem", provider="datadog")
    assert not rule.matches(severity="warning", category="siem", provider="splunk")
    assert RouteMatch().matches(severity="warning", category="webhook", provider="x")


def test_a_failing_provider_is_never_its_own_only_receiver_the_default_is_added() -> None:
    policy = RoutingPolicy(
        default="ops-webhook",
        rules=(RoutingRule(RouteMatch(provider="slack"), ("ops-slack", "backup-slack")),),
    )

    assert _route(policy, provider="slack") == ("ops-slack", "backup-slack", "ops-webhook")


def test_when_the_default_is_the_failing_provider_the_first_other_receiver_is_added() -> None:
    policy = RoutingPolicy(default="ops-slack")

    assert _route(policy, provider="slack") == ("ops-slack", "ops-webhook")


def test_a_selection_that_already_includes_another_provider_is_left_alone() -> None:
    policy = RoutingPolicy(
        default="ops-webhook", rules=(RoutingRule(RouteMatch(provider="slack"), ("ops-slack", "ops-jira")),)
    )

    assert _route(policy, provider="slack") == ("ops-slack", "ops-jira")


def test_with_no_other_provider_configured_the_selection_stays() -> None:
    policy = RoutingPolicy(default="ops-slack")

    assert receivers_for_route(
        policy, {"ops-slack": "slack"}, severity="critical", category="chatops", provider="slack"
    ) == ("ops-slack",)


def test_receiver_names_lists_every_named_receiver_once() -> None:
    policy = RoutingPolicy(
        default="ops-webhook",
        rules=(
            RoutingRule(RouteMatch(), ("ops-jira", "ops-webhook")),
            RoutingRule(RouteMatch(), ("ops-slack",)),
        ),
    )

    assert policy.receiver_names() == ("ops-webhook", "ops-jira", "ops-slack")
