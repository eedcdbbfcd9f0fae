"""template.yaml and the app cannot drift: API Gateway routes every route the api function serves."""

from __future__ import annotations

import re

from chatbatch.api.resolver import create_app
from chatbatch.settings import ApiSettings

from tests.deploy import template


def api_function_routes() -> set[tuple[str, str]]:
    events = template.functions()["ApiFunction"]["Properties"]["Events"].values()
    return {(e["Properties"]["Method"].upper(), e["Properties"]["Path"]) for e in events if e["Type"] == "HttpApi"}


def test_every_documented_route_has_an_http_api_event_and_preflight():
    document = create_app(ApiSettings()).get_openapi_schema()
    served = {
        (method.upper(), re.sub(r"\{[^}]+\}", "{id}", path))
        for path, operations in document.paths.items()
        for method in operations.model_dump(exclude_none=True)
    }
    routed = api_function_routes()

    assert {
        ("GET", "/chat-rooms"),
        ("GET", "/chat-rooms/{id}/messages"),
        ("POST", "/chat-rooms/{id}/read"),
        ("POST", "/webhook"),
        ("GET", "/health"),
        ("GET", "/health/deep"),
    } <= served
    assert served - {(method, re.sub(r"\{[^}+]+\}", "{id}", path)) for method, path in routed} == set()
    assert ("GET", "/swagger") in routed
    assert {("OPTIONS", "/chat-rooms"), ("OPTIONS", "/chat-rooms/{proxy+}")} <= routed


def test_the_cors_origin_is_a_template_parameter_wired_into_the_api_function():
    assert template.template()["Parameters"]["CorsAllowOrigin"]["Default"] == ""
    assert "CORS_ALLOW_ORIGIN" in template.functions()["ApiFunction"]["Properties"]["Environment"]["Variables"]
