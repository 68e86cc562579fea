"""A configured destination (`Receiver`), the `Secret` its credentials are held in, and the
`ProviderSpec` each provider module declares so the configuration loader can validate receivers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from cavra_recovery.connectors.redaction import MIN_SECRET_LENGTH, Redactor
from cavra_recovery.connectors.ssrf_guard import IPNetwork


class Secret:
    """A credential resolved from the environment or a file; never shown by repr or str."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))


def url_secret_parts(url: str) -> tuple[str, ...]:
    """The parts of a URL given by reference that are redacted by value: the whole URL, its path,
    query and password, since where such a URL hides its secret is unknown."""
    parts = urlsplit(url)
    candidates = (url, parts.path, parts.query, parts.password or "")
    return tuple(part for part in candidates if len(part.strip("/")) >= MIN_SECRET_LENGTH)


class OptionKind(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    TEXT_LIST = "text_list"
    PATH = "path"  # a file path that is not a credential (a CA bundle): relative to the config file


@dataclass(frozen=True, slots=True)
class ProviderSpec:
    """The keys one provider accepts beyond the common ones (name, provider, url, timeout…)."""

    url: Literal["required", "optional", "none"]
    credentials: frozenset[str] = frozenset()  # required, each given as <name>_env or <name>_file
    optional_credentials: frozenset[str] = frozenset()
    rotating_credentials: frozenset[str] = frozenset()  # may name several references (rotation)
    options: Mapping[str, OptionKind] = field(default_factory=dict)
    required_options: frozenset[str] = frozenset()

    def credential_names(self) -> frozenset[str]:
        return self.credentials | self.optional_credentials


@dataclass(frozen=True, slots=True)
class Receiver:
    name: str
    provider: str
    url: str | None = field(default=None, repr=False)  # may embed a secret (Slack, Teams paths)
    credentials: Mapping[str, tuple[Secret, ...]] = field(default_factory=dict, repr=False)
    options: Mapping[str, str | int | bool | tuple[str, ...] | Path] = field(default_factory=dict)
    timeout_seconds: float = 10.0
    # Non-public networks this receiver may reach (connectors/ssrf_guard.py); empty: public only.
    allow_networks: tuple[IPNetwork, ...] = ()
    url_is_secret: bool = False  # the URL came from url_env/url_file and is redacted by value

    def __repr__(self) -> str:
        return (
            f"Receiver(name={self.name!r}, provider={self.provider!r}, url={self.display_url!r}, "
            f"credentials={sorted(self.credentials)!r}, options={dict(self.options)!r}, "
            f"timeout_seconds={self.timeout_seconds!r}, "
            f"allow_networks={[str(network) for network in self.allow_networks]!r})"
        )

    @property
    def display_url(self) -> str | None:
        if self.url is None:
            return None
        return self.redactor().url(self.url)

    def secret(self, name: str) -> Secret:
        return self.credentials[name][0]

    def optional_secret(self, name: str) -> Secret | None:
        found = self.credentials.get(name)
        return found[0] if found else None

    def secrets_of(self, name: str) -> tuple[Secret, ...]:
        return self.credentials.get(name, ())

    def text(self, name: str, default: str) -> str:
        value = self.options.get(name, default)
        return value if isinstance(value, str) else default

    def optional_text(self, name: str) -> str | None:
        value = self.options.get(name)
        return value if isinstance(value, str) else None

    def integer(self, name: str, default: int) -> int:
        value = self.options.get(name, default)
        return value if isinstance(value, int) and not isinstance(value, bool) else default

    def boolean(self, name: str, default: bool) -> bool:
        value = self.options.get(name, default)
        return value if isinstance(value, bool) else default

    def text_list(self, name: str) -> tuple[str, ...]:
        value = self.options.get(name, ())
        return value if isinstance(value, tuple) else ()

    def path(self, name: str) -> Path | None:
        value = self.options.get(name)
        return value if isinstance(value, Path) else None

    def secret_values(self) -> tuple[str, ...]:
        values = [secret.reveal() for secrets in self.credentials.values() for secret in secrets]
        if self.url is not None and self.url_is_secret:
            values.extend(url_secret_parts(self.url))
        return tuple(values)

    def redactor(self) -> Redactor:
        return Redactor(self.secret_values())
