"""HTTP routes read from the `google.api.http` annotations of the service descriptors at start-up.

A `PathTemplate` is the compiled form of an HttpRule path (`/v1/{name=shelves/*}/books/**:verb`);
`RouteTable` matches a request the way grpc-gateway v2's `runtime.ServeMux` does: the path is split
on "/" after percent-decoding, the last registered route is tried first, and a path that only matches
another method's route is "method not allowed".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from google.api import annotations_pb2, http_pb2, httpbody_pb2
from google.protobuf import message_factory
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor


class TemplateError(ValueError):
    """An HttpRule path template that does not follow the google.api.http grammar."""


@dataclass(frozen=True, slots=True)
class _Segment:
    # "literal", "*" or "**"
    kind: str
    literal: str = ""


@dataclass(frozen=True, slots=True)
class _Variable:
    field_path: str
    start: int
    end: int


@dataclass(frozen=True)
class PathTemplate:
    """A compiled path template: flat segments, the variables capturing runs of them, and the verb."""

    text: str
    segments: tuple[_Segment, ...]
    variables: tuple[_Variable, ...]
    verb: str
    deep_wildcard_at: int | None

    @classmethod
    def parse(cls, text: str) -> PathTemplate:
        if not text.startswith("/"):
            raise TemplateError(f"path template {text!r} does not start with '/'")
        body, verb = text[1:], ""
        colon = body.rfind(":")
        if colon >= 0 and colon > body.rfind("/") and colon > body.rfind("}"):
            body, verb = body[:colon], body[colon + 1 :]
        segments: list[_Segment] = []
        variables: list[_Variable] = []
        for token in _split_outside_braces(body):
            if token.startswith("{"):
                if not token.endswith("}"):
                    raise TemplateError(f"unbalanced variable {token!r} in {text!r}")
                inner = token[1:-1]
                field_path, _, sub = inner.partition("=")
                start = len(segments)
                for part in (sub or "*").split("/"):
                    segments.append(_segment(part, text))
                variables.append(_Variable(field_path=field_path, start=start, end=len(segments)))
            else:
                segments.append(_segment(token, text))
        deep = [i for i, s in enumerate(segments) if s.kind == "**"]
        if len(deep) > 1:
            raise TemplateError(f"more than one '**' in {text!r}")
        return cls(
            text=text,
            segments=tuple(segments),
            variables=tuple(variables),
            verb=verb,
            deep_wildcard_at=deep[0] if deep else None,
        )

    def match(self, components: Sequence[str], verb: str) -> dict[str, str] | None:
        """Bindings of the variables when `components` (and `verb`) match, else None."""
        if self.verb != verb:
            if self.verb:
                return None
            components = [*components[:-1], f"{components[-1] if components else ''}:{verb}"]
        count = len(components)
        spans: list[tuple[int, int]] = []
        position = 0
        for index, segment in enumerate(self.segments):
            if segment.kind == "**":
                tail = len(self.segments) - index - 1
                end = count - tail
                if end < position:
                    return None
                spans.append((position, end))
                position = end
                continue
            if position >= count:
                return None
            if segment.kind == "literal" and components[position] != segment.literal:
                return None
            spans.append((position, position + 1))
            position += 1
        if position < count:
            return None
        bindings: dict[str, str] = {}
        for variable in self.variables:
            first = spans[variable.start][0] if variable.end > variable.start else position
            last = spans[variable.end - 1][1] if variable.end > variable.start else position
            bindings[variable.field_path] = "/".join(components[first:last])
        return bindings


def _segment(part: str, text: str) -> _Segment:
    if part in ("*", "**"):
        return _Segment(kind=part)
    if not part or any(c in part for c in "{}="):
        raise TemplateError(f"bad segment {part!r} in {text!r}")
    return _Segment(kind="literal", literal=part)


def _split_outside_braces(body: str) -> list[str]:
    tokens: list[str] = []
    depth, current = 0, list[str]()
    for char in body:
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        if char == "/" and depth == 0:
            tokens.append("".join(current))
            current = []
        else:
            current.append(char)
    tokens.append("".join(current))
    if depth != 0:
        raise TemplateError(f"unbalanced braces in {body!r}")
    return tokens


@dataclass(frozen=True)
class HttpRoute:
    """One HTTP binding of one RPC."""

    http_method: str
    template: PathTemplate
    # "" (no body), "*" (the whole request) or a top-level request field name.
    body: str
    response_body: str
    rpc: MethodDescriptor
    request_class: Any
    response_class: Any

    @property
    def full_method(self) -> str:
        return f"/{self.rpc.containing_service.full_name}/{self.rpc.name}"

    @property
    def returns_http_body(self) -> bool:
        return bool(self.rpc.output_type.full_name == httpbody_pb2.HttpBody.DESCRIPTOR.full_name)

    @property
    def bound_field_paths(self) -> tuple[tuple[str, ...], ...]:
        """Request fields set from the path or the body: the query never overrides them."""
        paths = [tuple(v.field_path.split(".")) for v in self.template.variables]
        if self.body and self.body != "*":
            paths.append(tuple(self.body.split(".")))
        return tuple(paths)


def _rule_binding(rule: http_pb2.HttpRule) -> tuple[str, str]:
    pattern = rule.WhichOneof("pattern")
    if pattern is None:
        raise TemplateError("HttpRule without a pattern")
    if pattern == "custom":
        return rule.custom.kind.upper(), rule.custom.path
    return pattern.upper(), str(getattr(rule, pattern))


def routes_for_method(rpc: MethodDescriptor) -> list[HttpRoute]:
    """Every binding (the rule and its additional_bindings) of one RPC; [] when it is not annotated."""
    options = rpc.GetOptions()
    if not options.HasExtension(annotations_pb2.http):
        return []
    rule = options.Extensions[annotations_pb2.http]
    request_class = message_factory.GetMessageClass(rpc.input_type)
    response_class = message_factory.GetMessageClass(rpc.output_type)
    routes = []
    for binding in (rule, *rule.additional_bindings):
        http_method, path = _rule_binding(binding)
        routes.append(
            HttpRoute(
                http_method=http_method,
                template=PathTemplate.parse(path),
                body=binding.body,
                response_body=binding.response_body,
                rpc=rpc,
                request_class=request_class,
                response_class=response_class,
            )
        )
    return routes


def routes_for_services(services: Iterable[ServiceDescriptor]) -> list[HttpRoute]:
    return [route for service in services for rpc in service.methods for route in routes_for_method(rpc)]


@dataclass
class RouteMatch:
    route: HttpRoute
    bindings: dict[str, str]


@dataclass
class RouteTable:
    """Routes by HTTP method, most recently registered first, like grpc-gateway's ServeMux."""

    by_method: dict[str, list[HttpRoute]] = field(default_factory=dict)

    @classmethod
    def of(cls, routes: Iterable[HttpRoute]) -> RouteTable:
        table = cls()
        for route in routes:
            table.by_method.setdefault(route.http_method, []).insert(0, route)
        return table

    def match(self, method: str, components: Sequence[str]) -> RouteMatch | None:
        return _first_match(self.by_method.get(method, ()), components)

    def allowed_methods(self, components: Sequence[str]) -> list[str]:
        return [m for m, routes in self.by_method.items() if _first_match(routes, components) is not None]


def _first_match(routes: Iterable[HttpRoute], components: Sequence[str]) -> RouteMatch | None:
    last = components[-1] if components else ""
    for route in routes:
        verb = ""
        matched = components
        template_verb = route.template.verb
        if template_verb and last.endswith(":" + template_verb):
            split = len(last) - len(template_verb) - 1
            if split == 0:
                continue
            matched = [*components[:-1], last[:split]]
            verb = template_verb
        bindings = route.template.match(matched, verb)
        if bindings is not None:
            return RouteMatch(route=route, bindings=bindings)
    return None
