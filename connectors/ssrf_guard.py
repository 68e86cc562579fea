"""The SSRF guard: which addresses a receiver may reach (docs/connectors.md, "Reachable networks").

Only public addresses, unless the receiver lists the network in `allow_networks`. An IPv6 address
that carries an IPv4 address (IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d`, 6to4
`2002::/16`, NAT64 `64:ff9b::/96`) is judged by the IPv4 address inside it too; the local-use NAT64
prefix `64:ff9b:1::/48` is never public. The same rule runs twice: on a literal address in a URL or
host when the configuration loads (`literal_address` also reads the integer, octal and hex forms
`inet_aton` accepts, such as `http://2852039166/`), and on every DNS answer at send time.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
# One to four parts, each decimal, octal (leading 0) or hex (0x): what inet_aton and so getaddrinfo take.
_LOOSE_IPV4 = re.compile(r"(?:0[xX][0-9a-fA-F]*|[0-9]+)(?:\.(?:0[xX][0-9a-fA-F]*|[0-9]+)){0,3}")


def _loose_part(text: str) -> int:
    if text[:2].lower() == "0x":
        return int(text[2:] or "0", 16)
    if len(text) > 1 and text.startswith("0"):
        return int(text, 8)
    return int(text, 10)


def literal_address(host: str) -> IPAddress | None:
    """The address a URL host names literally (any form a resolver would read as one), else None."""
    text = host.strip().strip("[]").rstrip(".")
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        pass
    if not _LOOSE_IPV4.fullmatch(text):
        return None
    try:
        parts = [_loose_part(part) for part in text.split(".")]
    except ValueError:  # an octal part with an 8 or 9 in it: no resolver reads that as an address
        return None
    *leading, last = parts
    if any(part > 255 for part in leading) or last >= 256 ** (4 - len(leading)):
        return None
    value = 0
    for part in leading:
        value = value << 8 | part
    return ipaddress.IPv4Address(value << 8 * (4 - len(leading)) | last)


def embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, 6to4, NAT64), else None."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    value = int(ip)
    if ip in _NAT64 or (ip in _IPV4_COMPATIBLE and value > 1):
        return ipaddress.IPv4Address(value & 0xFFFFFFFF)
    return None


def non_public_kind(ip: IPAddress) -> str | None:
    """Why `ip` is not a public address (loopback, private, link-local…), or None when it is."""
    inner = embedded_ipv4(ip)
    if inner is not None:
        # The IPv4 address inside is where the packets end up: it alone decides.
        kind = non_public_kind(inner)
        return None if kind is None else f"{kind} (embedded in an IPv6 address)"
    checks: list[tuple[bool, str]] = [
        (ip.is_loopback, "loopback"),
        (ip.is_link_local, "link-local"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT, "carrier-grade NAT (100.64.0.0/10)"),
        (isinstance(ip, ipaddress.IPv6Address) and ip in _UNIQUE_LOCAL, "unique-local (fc00::/7)"),
        (isinstance(ip, ipaddress.IPv6Address) and ip in _NAT64_LOCAL, "local-use NAT64 (64:ff9b:1::/48)"),
        (ip.is_multicast, "multicast"),
        (ip.is_unspecified, "unspecified"),
        (ip.is_private, "private"),
        (ip.is_reserved, "reserved"),
        (not ip.is_global, "non-global"),
    ]
    return next((kind for flagged, kind in checks if flagged), None)


def refusal(ip: IPAddress, allow_networks: Sequence[IPNetwork]) -> str | None:
    """What kind of address `ip` is when a receiver with `allow_networks` may not reach it, else None.

    A listed network allows an address inside it, or an IPv6 address whose embedded IPv4 is inside it.
    """
    inner = embedded_ipv4(ip)
    candidates = [ip] if inner is None else [ip, inner]
    for network in allow_networks:
        if any(candidate.version == network.version and candidate in network for candidate in candidates):
            return None
    return non_public_kind(ip)


def parse_allow_networks(value: object) -> tuple[IPNetwork, ...]:
    """`allow_networks: ["127.0.0.0/8", "fd00:1::/64"]`; raises ValueError naming the bad entry."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError('must be a list of CIDR networks, such as ["127.0.0.0/8"]')
    networks: list[IPNetwork] = []
    for index, item in enumerate(value):
        try:
            network = ipaddress.ip_network(item.strip(), strict=True)
        except ValueError:
            raise ValueError(
                f"entry {index} is not a CIDR network with its host bits zero (such as 127.0.0.0/8)"
            ) from None
        if network.prefixlen == 0:
            raise ValueError(f"entry {index} allows every address; list the exact network the receiver needs")
        networks.append(network)
    return tuple(networks)
