"""Parsing of single setting values from flags and environment variables, with their errors.

Bad values are refused with the flag and variable named and the value shown only in part (never a
whole pasted secret).
"""

from __future__ import annotations

import argparse
import ipaddress


class SettingsError(ValueError):
    """A flag or environment variable has a value the service cannot start with."""


_TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
_FALSE_WORDS = frozenset({"", "0", "false", "no", "off"})
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMATS = ("text", "json")


def parse_flag(name: str, value: str) -> bool:
    """An on/off environment variable; anything but 1/true/yes/on or 0/false/no/off/empty is an error."""
    word = value.strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise SettingsError(f"{name} must be one of 1, true, yes, on, 0, false, no, off; got {shown(value)}")


def parse_positive_int(name: str, value: str | int, *, maximum: int | None = None) -> int:
    """A whole number from 1 to `maximum`, from a flag or an environment variable."""
    if isinstance(value, int):
        number = value
    else:
        text = value.strip()
        # isdecimal, not int(): int() also takes "1_0", "+3" and non-ASCII digits.
        if not text.isascii() or not text.isdecimal():
            raise SettingsError(f"{name} must be a whole number of at least 1; got {shown(value)}")
        number = int(text)
    if number < 1:
        raise SettingsError(f"{name} must be at least 1; got {number}")
    if maximum is not None and number > maximum:
        raise SettingsError(f"{name} must be at most {maximum}; got {number}")
    return number


def shown(value: str) -> str:
    # Enough of a bad value to recognise it, never a whole pasted secret.
    return repr(value if len(value) <= 32 else value[:32] + "…")


def log_level(value: str) -> str:
    level = value.strip().upper()
    if level not in LOG_LEVELS:
        raise argparse.ArgumentTypeError(f"must be one of {', '.join(LOG_LEVELS)}; got {shown(value)}")
    return level


def log_format(value: str) -> str:
    word = value.strip().lower()
    if word not in LOG_FORMATS:
        raise argparse.ArgumentTypeError(f"must be one of {', '.join(LOG_FORMATS)}; got {shown(value)}")
    return word


def parse_seconds(name: str, value: str, *, minimum: float, maximum: float) -> float:
    """A number of seconds from a flag or an environment variable, within [minimum, maximum]."""
    try:
        seconds = float(value.strip())
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds; got {shown(value)}") from None
    if not minimum <= seconds <= maximum:
        raise SettingsError(f"{name} must be between {minimum:g} and {maximum:g} seconds; got {seconds:g}")
    return seconds


def parse_isolation(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    level = value.strip().lower().replace(" ", "_").replace("-", "_")
    if level not in ("read_committed", "repeatable_read", "serializable"):
        raise SettingsError(
            "--database-isolation (CAVRA_DATABASE_ISOLATION) must be read_committed, repeatable_read or "
            f"serializable; got {shown(value)}"
        )
    return level


def split_host_port(listen: str) -> tuple[str, int]:
    host, sep, port = listen.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise SettingsError(f"listen address {listen!r} is not HOST:PORT")
    return host.strip("[]"), int(port)


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
