"""Receiver destinations are checked when the configuration loads: a literal non-public address, in any
spelling a resolver would accept, is refused unless `allow_networks` lists its network."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from cavra_recovery.connectors import ConnectorConfigError, load_connector_config
from tests.connectors.connector_testkit import WEBHOOK_SECRET

ENVIRON = {"OPS_WEBHOOK_SECRET": WEBHOOK_SECRET}

# (URL, the network that lets the receiver reach it, what the refusal calls the address)
NON_PUBLIC_URLS = [
    ("http://127.0.0.1:8080/hook", "127.0.0.0/8", "loopback"),
    ("http://127.1/hook", "127.0.0.0/8", "loopback"),
    ("http://10.1.2.3/hook", "10.0.0.0/8", "private"),
    ("http://192.168.7.7/hook", "192.168.0.0/16", "private"),
    ("http://169.254.169.254/latest/meta-data", "169.254.169.254/32", "link-local"),
    ("http://169.254.169.254./latest/meta-data", "169.254.169.254/32", "link-local"),
    ("http://100.64.0.9/hook", "100.64.0.0/10", "carrier-grade NAT"),
    ("http://[::1]/hook", "::1/128", "loopback"),
    ("http://[fd12:3456::1]/hook", "fd12:3456::/32", "unique-local"),
    ("http://[fc00::5]/hook", "fc00::/7", "unique-local"),
    ("http://[fe80::1]/hook", "fe80::/10", "link-local"),
    ("http://[2002:a9fe:a9fe::]/", "169.254.0.0/16", "link-local (embedded in an IPv6 address)"),
    ("http://[2002:7f00:1::]/", "2002:7f00::/32", "loopback (embedded in an IPv6 address)"),
    ("http://[64:ff9b::a9fe:a9fe]/", "169.254.169.254/32", "link-local (embedded in an IPv6 address)"),
    ("http://[64:ff9b::10.0.0.1]/", "10.0.0.0/8", "private (embedded in an IPv6 address)"),
    ("http://[64:ff9b:1::a9fe:a9fe]/", "64:ff9b:1::/48", "local-use NAT64"),
    ("http://[::ffff:169.254.169.254]/", "169.254.0.0/16", "link-local (embedded in an IPv6 address)"),
    ("http://[::ffff:127.0.0.1]/", "127.0.0.0/8", "loopback (embedded in an IPv6 address)"),
    ("http://[::169.254.169.254]/", "169.254.0.0/16", "link-local (embedded in an IPv6 address)"),
    ("http://2852039166/", "169.254.169.254/32", "link-local"),
    ("http://0xa9fea9fe/", "169.254.169.254/32", "link-local"),
    ("http://0xA9.0xFE.0xA9.0xFE/", "169.254.169.254/32", "link-local"),
    ("http://2130706433/", "127.0.0.0/8", "loopback"),
    ("http://[::]/", "::/128", "unspecified"),
    ("http://0.0.0.0/", "0.0.0.0/32", "unspecified"),
]


def _load(tmp_path: Path, receiver: dict[str, Any], environ: dict[str, str] | None = None) -> Any:
    path = tmp_path / "connectors.yaml"
    document = {"receivers": [receiver], "routing": {"default": receiver["name"]}}
    path.write_text(yaml.safe_dump(document))
    return load_connector_config(path, environ or ENVIRON)


def _webhook(url: str, **fields: Any) -> dict[str, Any]:
    return {
        "name": "ops-webhook",
        "provider": "webhook",
        "url": url,
        "secret_env": "OPS_WEBHOOK_SECRET",
    } | fields


@pytest.mark.parametrize(("url", "network", "kind"), NON_PUBLIC_URLS)
def test_a_literal_non_public_url_is_refused_at_load(
    tmp_path: Path, url: str, network: str, kind: str
) -> None:
    with pytest.raises(ConnectorConfigError) as caught:
        _load(tmp_path, _webhook(url))
    message = str(caught.value)
    assert "receiver 'ops-webhook': field 'url'" in message
    assert f"the host is a {kind}" in message
    assert "allow_networks" in message


@pytest.mark.parametrize(("url", "network", "kind"), NON_PUBLIC_URLS)
def test_listing_the_exact_network_allows_the_url(tmp_path: Path, url: str, network: str, kind: str) -> None:
    config = _load(tmp_path, _webhook(url, allow_networks=[network]))
    assert [str(n) for n in config.receiver("ops-webhook").allow_networks] == [network]


@pytest.mark.parametrize("url", ["http://0251.0376.0251.0376/", "http://0177.0.0.1/"])
def test_the_octal_dotted_form_is_refused_at_load(tmp_path: Path, url: str) -> None:
    # httpx refuses to parse dotted octal (0251.0376.0251.0376 is 169.254.169.254), so it never loads.
    with pytest.raises(ConnectorConfigError) as caught:
        _load(tmp_path, _webhook(url, allow_networks=["10.0.0.0/8"]))
    assert "field 'url': not a valid URL" in str(caught.value)


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://169.254.169.254/latest", "127.0.0.0/8"),
        ("http://2852039166/", "169.254.169.0/32"),
        ("http://[2002:a9fe:a9fe::]/", "127.0.0.0/8"),
        ("http://[::1]/", "127.0.0.0/8"),
        ("http://127.0.0.1/", "::1/128"),
    ],
)
def test_another_network_does_not_allow_the_url(tmp_path: Path, url: str, allowed: str) -> None:
    with pytest.raises(ConnectorConfigError) as caught:
        _load(tmp_path, _webhook(url, allow_networks=[allowed]))
    assert "field 'url'" in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/x",
        "http://8.8.8.8/x",
        "http://[2606:4700:4700::1111]/",
        "http://134744072/",
    ],
)
def test_public_and_named_destinations_load_without_allow_networks(tmp_path: Path, url: str) -> None:
    assert _load(tmp_path, _webhook(url)).receiver("ops-webhook").allow_networks == ()


@pytest.mark.parametrize("old", [True, False])
def test_the_old_allow_private_network_flag_is_refused_with_what_to_write_instead(
    tmp_path: Path, old: bool
) -> None:
    # Refused, never mapped: the old flag would also have opened 169.254.169.254.
    with pytest.raises(ConnectorConfigError) as caught:
        _load(tmp_path, _webhook("http://169.254.169.254/latest", allow_private_network=old))
    message = str(caught.value)
    assert "field 'allow_private_network'" in message
    assert 'allow_networks: ["127.0.0.0/8"]' in message


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("127.0.0.0/8", "must be a list of CIDR networks"),
        (["127.0.0.1/8"], "entry 0 is not a CIDR network with its host bits zero"),
        (["localhost"], "entry 0 is not a CIDR network"),
        (["10.0.0.0/8", "0.0.0.0/0"], "entry 1 allows every address"),
        (["::/0"], "entry 0 allows every address"),
        ([8], "must be a list of CIDR networks"),
    ],
)
def test_a_bad_allow_networks_entry_is_refused(tmp_path: Path, value: Any, problem: str) -> None:
    with pytest.raises(ConnectorConfigError) as caught:
        _load(tmp_path, _webhook("https://hooks.example.com/x", allow_networks=value))
    assert f"field 'allow_networks': {problem}" in str(caught.value)


def test_a_secret_url_pointing_inward_is_refused_without_echoing_it(tmp_path: Path) -> None:
    secret_url = "http://10.9.8.7/services/T000/B000/s3cr3t-path-token"
    with pytest.raises(ConnectorConfigError) as caught:
        _load(
            tmp_path,
            {"name": "ops-slack", "provider": "slack", "url_env": "SLACK_URL"},
            {"SLACK_URL": secret_url},
        )
    message = str(caught.value)
    assert "receiver 'ops-slack': field 'url_env': the host is a private address" in message
    assert "10.9.8.7" not in message and "s3cr3t" not in message


def test_a_literal_smtp_host_is_checked_at_load_too(tmp_path: Path) -> None:
    entry = {
        "name": "release-email",
        "provider": "email",
        "host": "169.254.169.254",
        "from": "cavra@example.com",
        "to": ["sre@example.com"],
    }
    with pytest.raises(ConnectorConfigError) as caught:
        _load(tmp_path, entry)
    assert "receiver 'release-email': field 'host': the host is a link-local address" in str(caught.value)
    assert _load(tmp_path, entry | {"allow_networks": ["169.254.169.254/32"]}).receiver("release-email")


def test_a_literal_sentinel_token_url_is_checked_at_load_too(tmp_path: Path) -> None:
    (tmp_path / "client-secret.txt").write_text("sentinel-client-secret-value")
    entry = {
        "name": "sentinel",
        "provider": "sentinel",
        "url": "https://dce.example.com",
        "tenant_id": "tenant",
        "client_id": "00000000-0000-0000-0000-000000000001",
        "client_secret_file": "client-secret.txt",
        "dcr_immutable_id": "dcr-0001",
        "stream_name": "Custom-CavraEscalation_CL",
        "token_url": "http://0xa9fea9fe/oauth2/token",
    }
    with pytest.raises(ConnectorConfigError) as caught:
        _load(tmp_path, entry)
    assert "field 'token_url': the host is a link-local address" in str(caught.value)
    assert _load(tmp_path, entry | {"allow_networks": ["169.254.169.254/32"]}).receiver("sentinel")
