"""The console's files are served by the gateway, standalone too, with their CSP, and reference only
themselves: no CDN, no external asset, no path outside the console and the REST API."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from cavra_recovery.server.console import CONSOLE_PATH, console_assets
from tests.conftest import ServerProcess
from tests.gateway.test_gateway_behaviour import standalone_gateway

CONSOLE_DIR = Path(__file__).resolve().parents[2] / "server" / "console"
REST_PREFIX = "/runtime/go-pilot/rollback-drill-notifications/"


def test_console_files_reference_no_other_origin() -> None:
    for path in CONSOLE_DIR.iterdir():
        if path.suffix not in (".html", ".css", ".js"):
            continue
        text = path.read_text(encoding="utf-8")
        assert re.search(r"(?i)\b(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text) is None, path.name
        if path.suffix == ".css":
            assert "@import" not in text and "url(" not in text, path.name
        for quoted in re.findall(r"""(?:src|href)="(/[^"]*)\"""", text):
            assert quoted.startswith(f"{CONSOLE_PATH}/"), (path.name, quoted)


def test_every_console_file_is_an_asset_with_a_content_type() -> None:
    served = {asset.path for asset in console_assets()}
    names = {p.name for p in CONSOLE_DIR.iterdir() if p.suffix in (".html", ".css", ".js")}
    assert {f"{CONSOLE_PATH}/{name}" for name in names} | {CONSOLE_PATH, f"{CONSOLE_PATH}/"} == served
    modules = set(
        re.findall(
            r'from "\./([a-z_]+\.js)"',
            "".join((CONSOLE_DIR / name).read_text() for name in names if name.endswith(".js")),
        )
    )
    assert modules <= names, modules - names


def _assert_console_served(base_url: str) -> None:
    page = httpx.get(f"{base_url}/console", timeout=10)
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["content-security-policy"] == "default-src 'self'"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert '<html lang="en">' in page.text
    script = httpx.get(f"{base_url}/console/console.js", timeout=10)
    assert script.status_code == 200
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    assert script.headers["content-security-policy"] == "default-src 'self'"
    assert (
        httpx.get(f"{base_url}/console/console.css", timeout=10)
        .headers["content-type"]
        .startswith("text/css")
    )
    missing = httpx.get(f"{base_url}/console/nope.js", timeout=10)
    assert missing.status_code == 404
    assert missing.json() == {"code": 5, "message": "Not Found"}
    assert REST_PREFIX in httpx.get(f"{base_url}/console/api.js", timeout=10).text


def test_serve_gateway_serves_the_console(server: ServerProcess) -> None:
    _assert_console_served(f"http://{server.http_address}")


def test_standalone_gateway_serves_the_console(server: ServerProcess) -> None:
    with standalone_gateway("--grpc-target", server.grpc_address) as base_url:
        _assert_console_served(base_url)
