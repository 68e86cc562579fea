"""The Evidence Console (docs/console.md): static HTML, CSS and JavaScript served by the gateway at /console.

The files beside this module are the whole console: no build step, nothing fetched from elsewhere. The
gateway serves them with a `default-src 'self'` Content-Security-Policy; the page calls only the REST
paths of the same gateway.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

__all__ = ["CONSOLE_HEADERS", "CONSOLE_PATH", "ConsoleAsset", "console_assets"]

CONSOLE_PATH = "/console"
CONSOLE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
}


@dataclass(frozen=True)
class ConsoleAsset:
    """One file of the console and the HTTP path it is served at."""

    path: str
    body: bytes
    content_type: str


def console_assets() -> list[ConsoleAsset]:
    """Every console file from the installed package; `index.html` also answers /console and /console/."""
    assets: list[ConsoleAsset] = []
    for entry in sorted(resources.files(__package__).iterdir(), key=lambda item: item.name):
        suffix = "." + entry.name.rpartition(".")[2]
        if not entry.is_file() or suffix not in _CONTENT_TYPES:
            continue
        body = entry.read_bytes()
        paths = [f"{CONSOLE_PATH}/{entry.name}"]
        if entry.name == "index.html":
            paths += [CONSOLE_PATH, f"{CONSOLE_PATH}/"]
        assets += [ConsoleAsset(path, body, _CONTENT_TYPES[suffix]) for path in paths]
    return assets
