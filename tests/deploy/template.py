"""template.yaml as data, for tests: CloudFormation-aware YAML (cfn-lint's decoder understands !Sub, !Ref, ...)."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from cfnlint.decode import decode

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = REPO_ROOT / "template.yaml"
FUNCTION_TYPE = "AWS::Serverless::Function"
_PLACEHOLDER = re.compile(r"\$\{([^}!]+)\}")


@lru_cache(maxsize=1)
def template() -> dict[str, Any]:
    loaded, problems = decode(str(TEMPLATE))
    assert not problems, f"template.yaml does not parse: {problems}"
    return loaded


def resources(of_type: str | None = None) -> dict[str, dict]:
    return {name: r for name, r in template()["Resources"].items() if of_type is None or r["Type"] == of_type}


def functions() -> dict[str, dict]:
    return resources(FUNCTION_TYPE)


def function_folder(resource: dict) -> str:
    """``functions/<name>/`` → ``<name>``."""
    return resource["Properties"]["CodeUri"].strip("/").split("/")[-1]


def global_env() -> dict[str, Any]:
    return template()["Globals"]["Function"]["Environment"]["Variables"]


def referenced_names(node: Any) -> set[str]:
    """Logical ids and parameters a piece of template refers to (Ref, GetAtt, ${...} in Sub), not conditions."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref":
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(value[0] if isinstance(value, list) else value.split(".")[0])
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) else value
                found |= {p.split(".")[0] for p in _PLACEHOLDER.findall(text)}
                if isinstance(value, list):
                    found |= referenced_names(value[1])
            elif key == "Fn::If":
                found |= referenced_names(value[1:])
            else:
                found |= referenced_names(value)
    elif isinstance(node, list):
        for item in node:
            found |= referenced_names(item)
    return found - {
        "AWS::NoValue",
        "AWS::Region",
        "AWS::Partition",
        "AWS::AccountId",
        "AWS::StackName",
        "AWS::URLSuffix",
    }


def render_sub(node: Any, values: dict[str, str], *, condition_holds: bool = True) -> str:
    """Render a Fn::Sub (string or [string, variables]) with ``values`` for the plain ${Name} placeholders.

    Variables that are themselves Fn::If take the branch of ``condition_holds``.
    """
    sub = node["Fn::Sub"] if isinstance(node, dict) else node
    text, variables = (sub[0], sub[1]) if isinstance(sub, list) else (sub, {})
    rendered_vars: dict[str, str] = {}
    for name, value in variables.items():
        while isinstance(value, dict) and "Fn::If" in value:
            value = value["Fn::If"][1 if condition_holds else 2]
        if isinstance(value, dict) and "Fn::Sub" in value:
            value = render_sub(value, values, condition_holds=condition_holds)
        elif isinstance(value, dict) and "Ref" in value:
            value = value["Ref"]
        rendered_vars[name] = str(value)
    return _PLACEHOLDER.sub(lambda m: rendered_vars.get(m[1], values.get(m[1], m[1])), text)


def dashboard_body(*, with_database: bool = True) -> dict[str, Any]:
    body = resources("AWS::CloudWatch::Dashboard")["Dashboard"]["Properties"]["DashboardBody"]
    return json.loads(render_sub(body, {}, condition_holds=with_database))


def dashboard_namespace() -> str:
    """The namespace the dashboard's custom-metric widgets use (the ``Namespace`` variable of its Fn::Sub)."""
    body = resources("AWS::CloudWatch::Dashboard")["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    return body[1]["Namespace"]


def dashboard_metrics() -> list[list]:
    """Every metric line of every widget: [namespace, name, dim, value, ..., optional options dict]."""
    lines = []
    for widget in dashboard_body()["widgets"]:
        for line in widget.get("properties", {}).get("metrics", []):
            lines.append([part for part in line if not isinstance(part, dict)])
    return lines
