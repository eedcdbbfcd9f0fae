"""template.yaml and the app cannot drift: API Gateway routes every route the api function serves."""

from __future__ import annotations

import re

import yaml
from chatbatch.api.resolver import create_app
from chatbatch.settings import ApiSettings

from tests.conftest import REPO_ROOT


class _CloudFormationLoader(yaml.SafeLoader):
    """Reads !Ref, !Sub, !GetAtt … as plain values: only the template's shape matters here."""


_CloudFormationLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


def api_function_routes() -> set[tuple[str, str]]:
    template = yaml.load((REPO_ROOT / "template.yaml").read_text(), Loader=_CloudFormationLoader)
    events = template["Resources"]["ApiFunction"]["Properties"]["Events"].values()
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
    } <= served
    assert served - {(method, re.sub(r"\{[^}+]+\}", "{id}", path)) for method, path in routed} == set()
    assert ("GET", "/swagger") in routed
    assert {("OPTIONS", "/chat-rooms"), ("OPTIONS", "/chat-rooms/{proxy+}")} <= routed


def test_the_cors_origin_is_a_template_parameter_wired_into_the_api_function():
    template = yaml.load((REPO_ROOT / "template.yaml").read_text(), Loader=_CloudFormationLoader)
    assert template["Parameters"]["CorsAllowOrigin"]["Default"] == ""
    assert "CORS_ALLOW_ORIGIN" in template["Resources"]["ApiFunction"]["Properties"]["Environment"]["Variables"]
