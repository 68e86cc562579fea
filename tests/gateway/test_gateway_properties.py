"""Property-based: generated paths, query strings and bodies (including bodies nested thousands of levels
deep) on every route never yield a 5xx, and every error is a google.rpc.Status."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cavra_recovery.server.gateway import gateway_services
from cavra_recovery.server.gateway.routes import HttpRoute, routes_for_services
from tests.conftest import ServerProcess, start_server_process

ROUTES = routes_for_services(gateway_services())


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    database = tmp_path_factory.mktemp("gateway-properties") / "cavra.db"
    server: ServerProcess = start_server_process(database_url=f"sqlite:///{database}")
    try:
        with httpx.Client(base_url=f"http://{server.http_address}", timeout=30) as http:
            yield http
    finally:
        server.stop()


def field_names(route: HttpRoute) -> list[str]:
    names: list[str] = []
    for field in route.rpc.input_type.fields:
        names += [field.name, field.json_name]
        if field.message_type is not None:
            names += [f"{field.name}.{child.name}" for child in field.message_type.fields]
    return names or ["x"]


def enum_names(route: HttpRoute) -> list[str]:
    names = []
    for field in route.rpc.input_type.fields:
        if field.enum_type is not None:
            names += list(field.enum_type.values_by_name)
    return names or ["X"]


scalar_text = st.one_of(
    st.text(max_size=12),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(
        ["true", "false", "-", "2026-01-01T00:00:00Z", "2026-02-30T25:00:00+01:00", "%", "latest"]
    ),
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=24,
)


@st.composite
def deep_bodies(draw: st.DrawFn) -> bytes:
    """Brackets nested up to past Go's 10,000 levels, closed or cut short, at the top or under a key."""
    depth = draw(st.one_of(st.integers(1, 300), st.integers(900, 1100), st.integers(9990, 10010)))
    opener, closer = draw(st.sampled_from([(b"[", b"]"), (b'{"a":', b"}"), (b'[{"x":', b"}]")]))
    inner = draw(st.sampled_from([b"", b"1", b'"s"', b"null", b"{}"]))
    closing = closer * draw(st.sampled_from([depth, depth, depth // 2]))
    prefix = draw(st.sampled_from([b"", b'{"providers": ', b'{"records": ', b'{"policy": ']))
    suffix = b"}" if prefix else b""
    return prefix + opener * depth + inner + closing + suffix


@st.composite
def requests(draw: st.DrawFn, route: HttpRoute) -> tuple[str, str, dict[str, Any]]:
    segments = []
    for segment in route.template.text.split("/")[1:]:
        if segment.startswith("{"):
            segments.append(quote(draw(st.text(max_size=10)), safe=""))
        else:
            segments.append(segment)
    path = "/" + "/".join(segments)
    if draw(st.booleans()):
        path += draw(st.sampled_from(["/", "/extra", ":verb", "//", "%2F"]))
    keys = st.sampled_from(field_names(route)) | st.text(min_size=1, max_size=8)
    values = scalar_text | st.sampled_from(enum_names(route))
    pairs = draw(st.lists(st.tuples(keys, values), max_size=5))
    query = "&".join(f"{quote(k, safe='.[]')}={quote(v, safe='')}" for k, v in pairs)
    if draw(st.booleans()):
        query = draw(st.sampled_from(["a;b", "%zz", "=", "&&", "x=%"])) + "&" + query
    if query:
        path += "?" + query
    method = draw(st.sampled_from([route.http_method] * 4 + ["GET", "POST", "PUT", "DELETE", "PATCH"]))
    kwargs: dict[str, Any] = {}
    if method in ("POST", "PUT", "PATCH"):
        body_keys = st.sampled_from([f.name for f in route.rpc.input_type.fields] or ["x"]) | st.text(
            max_size=6
        )
        document = draw(
            st.one_of(
                st.dictionaries(body_keys, json_values, max_size=5),
                json_values,
            )
        )
        raw = draw(st.one_of(st.just(json.dumps(document).encode()), st.binary(max_size=40), deep_bodies()))
        kwargs["content"] = raw
        kwargs["headers"] = {"Content-Type": draw(st.sampled_from(["application/json", "", "text/plain"]))}
    return method, path, kwargs


@pytest.mark.parametrize("route", ROUTES, ids=[f"{r.http_method} {r.template.text}" for r in ROUTES])
def test_generated_requests_never_answer_5xx(client: httpx.Client, route: HttpRoute) -> None:
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(requests(route))
    def check(request: tuple[str, str, dict[str, Any]]) -> None:
        method, path, kwargs = request
        response = client.request(method, path, **kwargs)
        content_type = response.headers.get("content-type", "")
        assert response.status_code < 500, (method, path, response.status_code, response.text[:300])
        if response.status_code >= 400:
            assert content_type == "application/json", (method, path, response.status_code)
            document = response.json()
            assert isinstance(document["code"], int) and document["code"] != 0
            assert isinstance(document.get("message", ""), str)

    check()
