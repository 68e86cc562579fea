"""One `receivers:` entry of the connector configuration file (SPEC §6) → a `Receiver`.

Credentials are only ever references: `<name>_env` names an environment variable, `<name>_file` a
file (relative to the configuration file); both are read here, once, into `Secret`s. An inline
credential (`secret:`, `token:`…) is an error. Every error names the file, the receiver and the
field, never a value.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from cavra_recovery.connectors.base import ConnectorConfigError
from cavra_recovery.connectors.providers import PROVIDERS
from cavra_recovery.connectors.receiver import OptionKind, ProviderSpec, Receiver, Secret
from cavra_recovery.connectors.redaction import MIN_SECRET_LENGTH
from cavra_recovery.connectors.signing import decode_secret
from cavra_recovery.connectors.ssrf_guard import IPNetwork, literal_address, parse_allow_networks, refusal

DEFAULT_TIMEOUT_SECONDS = 10.0
MAX_TIMEOUT_SECONDS = 300.0
_COMMON_KEYS = frozenset(
    {"name", "provider", "url", "url_env", "url_file", "timeout_seconds", "allow_networks"}
)
# Keys that hold a credential when written inline; rejected whatever the provider.
_INLINE_CREDENTIAL_KEYS = frozenset(
    {
        "secret",
        "secrets",
        "token",
        "password",
        "routing_key",
        "integration_key",
        "api_key",
        "api_token",
        "app_key",
        "client_secret",
        "access_token",
        "username",
        "webhook_secret",
    }
)


class _ReceiverErrors:
    """Formats errors for one receiver: file, receiver and field, never the value."""

    def __init__(self, source: Path, label: str) -> None:
        self.source = source
        self.label = label

    def __call__(self, field: str, problem: str) -> ConnectorConfigError:
        return ConnectorConfigError(f"{self.source}: receiver {self.label}: field {field!r}: {problem}")


def parse_receiver(entry: Any, *, index: int, source: Path, environ: Mapping[str, str]) -> Receiver:
    """Validate `receivers[index]` and resolve its credential references into `Secret`s."""
    if not isinstance(entry, Mapping):
        raise ConnectorConfigError(f"{source}: receivers[{index}]: must be a mapping")
    name = entry.get("name")
    error = _ReceiverErrors(source, repr(name) if isinstance(name, str) and name else f"#{index}")
    if not isinstance(name, str) or not name.strip():
        raise error("name", "required, a non-empty string")
    provider = entry.get("provider")
    if not isinstance(provider, str) or provider not in PROVIDERS:
        raise error("provider", f"unknown provider {provider!r}; expected one of {sorted(PROVIDERS)}")
    spec = PROVIDERS[provider].spec

    credential_keys = {
        f"{credential}_{kind}" for credential in spec.credential_names() for kind in ("env", "file")
    }
    for key in entry:
        if not isinstance(key, str):
            raise error(str(key), "keys must be strings")
        if key == "allow_private_network":
            raise error(
                key,
                "was replaced by allow_networks: list the exact networks this receiver may reach, "
                'for example allow_networks: ["127.0.0.0/8"] (docs/connectors.md)',
            )
        if (key in _INLINE_CREDENTIAL_KEYS and key not in spec.options) or key in spec.credential_names():
            raise error(key, f"credentials may not be written inline: use {key}_env or {key}_file")
        if key not in _COMMON_KEYS and key not in credential_keys and key not in spec.options:
            allowed = sorted(_COMMON_KEYS | credential_keys | set(spec.options))
            raise error(key, f"unknown key for provider {provider!r}; allowed: {allowed}")

    url, url_is_secret = _parse_url(entry, spec, error=error, source=source, environ=environ)
    credentials: dict[str, tuple[Secret, ...]] = {}
    for credential in sorted(spec.credential_names()):
        resolved = _resolve_credential(entry, credential, spec, error=error, source=source, environ=environ)
        if resolved:
            credentials[credential] = resolved
        elif credential in spec.credentials:
            raise error(f"{credential}_env", f"missing: give {credential}_env or {credential}_file")
    if provider == "webhook":
        for secret in credentials.get("secret", ()):
            try:
                decode_secret(secret.reveal())
            except ValueError as exc:
                raise error("secret_env", str(exc)) from None

    options: dict[str, str | int | bool | tuple[str, ...] | Path] = {}
    for key, kind in spec.options.items():
        if key in entry:
            options[key] = _parse_option(entry[key], kind, key, error=error, source=source)
        elif key in spec.required_options:
            raise error(key, f"required for provider {provider!r}")

    timeout = entry.get("timeout_seconds", DEFAULT_TIMEOUT_SECONDS)
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not 0 < timeout <= MAX_TIMEOUT_SECONDS
    ):
        raise error(
            "timeout_seconds",
            f"must be a number of seconds, greater than 0 and at most {MAX_TIMEOUT_SECONDS:g}",
        )
    try:
        allow_networks = parse_allow_networks(entry.get("allow_networks", []))
    except ValueError as exc:
        raise error("allow_networks", str(exc)) from None
    url_key = next((key for key in ("url", "url_env", "url_file") if key in entry), "url")
    _check_literal_destination(url, url_key, options, allow_networks, error=error)
    return Receiver(
        name=name,
        provider=provider,
        url=url,
        credentials=credentials,
        options=options,
        timeout_seconds=float(timeout),
        allow_networks=allow_networks,
        url_is_secret=url_is_secret,
    )


def _check_literal_destination(
    url: str | None,
    url_key: str,
    options: Mapping[str, object],
    allow_networks: tuple[IPNetwork, ...],
    *,
    error: _ReceiverErrors,
) -> None:
    """A URL, Sentinel `token_url` or SMTP `host` that is a literal non-public address is refused now,
    not at the first send. The message names the kind of address, never the URL (it may be secret)."""
    hosts = [(url_key, httpx.URL(url).host)] if url is not None else []
    if isinstance(options.get("host"), str):
        hosts.append(("host", str(options["host"])))
    token_url = options.get("token_url")
    if isinstance(token_url, str):
        try:
            hosts.append(("token_url", httpx.URL(token_url).host))
        except httpx.InvalidURL:
            pass  # not an address at all; the first token request reports it
    for key, host in hosts:
        address = literal_address(host)
        kind = None if address is None else refusal(address, allow_networks)
        if kind is not None:
            raise error(
                key,
                f"the host is a {kind} address; list its network in allow_networks "
                '(for example allow_networks: ["127.0.0.0/8"]) to allow it',
            )


def _parse_url(
    entry: Mapping[str, Any],
    spec: ProviderSpec,
    *,
    error: _ReceiverErrors,
    source: Path,
    environ: Mapping[str, str],
) -> tuple[str | None, bool]:
    given = [key for key in ("url", "url_env", "url_file") if key in entry]
    if len(given) > 1:
        raise error(given[1], f"give only one of url, url_env, url_file (found {given})")
    if not given:
        if spec.url == "required":
            raise error("url", "required: give url, url_env or url_file")
        return None, False
    if spec.url == "none":
        raise error(given[0], "this provider takes no URL")
    key = given[0]
    if key == "url":
        value = entry["url"]
        if not isinstance(value, str):
            raise error("url", "must be a string")
        url, is_secret = value.strip(), False
        if "@" in url.split("//", 1)[-1].split("/", 1)[0]:
            raise error("url", "credentials may not be written inline in the URL: use url_env or url_file")
    else:
        url, is_secret = _read_reference(key, entry[key], error=error, source=source, environ=environ), True
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        raise error(key, "not a valid URL") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise error(key, "must be an absolute http:// or https:// URL")
    return url, is_secret


def _resolve_credential(
    entry: Mapping[str, Any],
    credential: str,
    spec: ProviderSpec,
    *,
    error: _ReceiverErrors,
    source: Path,
    environ: Mapping[str, str],
) -> tuple[Secret, ...]:
    given = [f"{credential}_{kind}" for kind in ("env", "file") if f"{credential}_{kind}" in entry]
    if len(given) > 1:
        raise error(given[1], f"give only one of {credential}_env and {credential}_file")
    if not given:
        return ()
    key = given[0]
    references = entry[key]
    if isinstance(references, list):
        if credential not in spec.rotating_credentials:
            raise error(key, "takes one reference, not a list")
        if not references:
            raise error(key, "must name at least one reference")
    else:
        references = [references]
    secrets = []
    for reference in references:
        value = _read_reference(key, reference, error=error, source=source, environ=environ)
        if len(value) < MIN_SECRET_LENGTH:
            raise error(key, f"the credential is shorter than {MIN_SECRET_LENGTH} characters")
        secrets.append(Secret(value))
    return tuple(secrets)


def _read_reference(
    key: str, reference: Any, *, error: _ReceiverErrors, source: Path, environ: Mapping[str, str]
) -> str:
    if not isinstance(reference, str) or not reference.strip():
        raise error(key, "must name an environment variable or a file")
    if key.endswith("_env"):
        value = environ.get(reference)
        if value is None:
            raise error(key, f"environment variable {reference!r} is not set")
        value = value.strip()
        if not value:
            raise error(key, f"environment variable {reference!r} is empty")
        return value
    path = _relative_to(source, reference)
    try:
        value = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        problem = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise error(key, f"cannot read file {str(path)!r}: {problem}") from None
    if not value:
        raise error(key, f"file {str(path)!r} is empty")
    return value


def _relative_to(source: Path, reference: str) -> Path:
    path = Path(reference).expanduser()
    return path if path.is_absolute() else source.parent / path


def _parse_option(
    value: Any, kind: OptionKind, key: str, *, error: _ReceiverErrors, source: Path
) -> str | int | bool | tuple[str, ...] | Path:
    if kind is OptionKind.TEXT:
        if not isinstance(value, str) or not value.strip():
            raise error(key, "must be a non-empty string")
        return value.strip()
    if kind is OptionKind.INTEGER:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
            raise error(key, "must be a positive whole number below 65536")
        return value
    if kind is OptionKind.BOOLEAN:
        if not isinstance(value, bool):
            raise error(key, "must be true or false")
        return value
    if kind is OptionKind.TEXT_LIST:
        items = [value] if isinstance(value, str) else value
        if (
            not isinstance(items, list)
            or not items
            or not all(isinstance(item, str) and item.strip() for item in items)
        ):
            raise error(key, "must be a string or a non-empty list of strings")
        return tuple(item.strip() for item in items)
    if not isinstance(value, str) or not value.strip():
        raise error(key, "must be a file path")
    path = _relative_to(source, value.strip())
    if not path.is_file():
        raise error(key, f"file {str(path)!r} does not exist")
    return path
