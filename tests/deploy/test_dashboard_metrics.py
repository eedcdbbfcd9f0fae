"""The dashboard and the code agree: every custom metric on the dashboard is emitted, every emitted one is shown."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from chatbatch.observability import MetricName

from tests.deploy.template import (
    REPO_ROOT,
    dashboard_body,
    dashboard_metrics,
    dashboard_namespace,
    functions,
    global_env,
)

OBSERVABILITY = REPO_ROOT / "layers/common/chatbatch/observability.py"


def code_files() -> list[Path]:
    shipped = [
        *sorted((REPO_ROOT / "layers/common/chatbatch").rglob("*.py")),
        *sorted((REPO_ROOT / "functions").glob("*/*.py")),
    ]
    return [f for f in shipped if f != OBSERVABILITY]


def metric_members_used(tree: ast.AST) -> set[str]:
    """Members named as ``MetricName.X`` anywhere in a module (a call site or a helper's argument)."""
    return {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "MetricName"
    }


def literal_metric_names(tree: ast.AST) -> list[str]:
    """``add_metric`` calls whose name is a string literal: they would bypass MetricName (and the dashboard)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "add_metric":
            name = next((k.value for k in node.keywords if k.arg == "name"), node.args[0] if node.args else None)
            if isinstance(name, ast.Constant):
                found.append(name.value)
    return found


def scan() -> tuple[set[str], dict[str, list[str]]]:
    emitted: set[str] = set()
    literals: dict[str, list[str]] = {}
    for path in code_files():
        tree = ast.parse(path.read_text(), filename=str(path))
        emitted |= metric_members_used(tree)
        if names := literal_metric_names(tree):
            literals[str(path.relative_to(REPO_ROOT))] = names
    return {MetricName[m].value for m in emitted}, literals


def custom_dashboard_metrics() -> set[str]:
    namespace = "chatbatch/AWS::StackName"  # dashboard_metrics() renders ${AWS::StackName} as its name
    return {line[1] for line in dashboard_metrics() if line[0] == namespace}


def test_every_add_metric_call_names_a_member_of_metric_name():
    _, literals = scan()
    assert literals == {}, "use chatbatch.observability.MetricName, not a string literal"


def test_the_dashboard_shows_exactly_the_members_of_metric_name():
    assert custom_dashboard_metrics() == {m.value for m in MetricName}


def test_every_member_of_metric_name_is_emitted_by_the_code_and_so_the_dashboard_shows_only_live_metrics():
    emitted, _ = scan()

    assert emitted == {m.value for m in MetricName}, (
        f"declared but never emitted: {sorted({m.value for m in MetricName} - emitted)}"
    )
    assert emitted == custom_dashboard_metrics()


def test_the_dashboard_reads_the_namespace_and_service_the_functions_write():
    env = global_env()
    assert dashboard_namespace() == env["POWERTOOLS_METRICS_NAMESPACE"]
    custom = [line for line in dashboard_metrics() if line[0].startswith("chatbatch/")]
    assert {tuple(line[2:]) for line in custom} == {("service", env["POWERTOOLS_SERVICE_NAME"])}
    for name, function in functions().items():
        overrides = function["Properties"].get("Environment", {}).get("Variables", {})
        assert not {"POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_SERVICE_NAME"} & set(overrides), name


def test_lambda_errors_throttles_and_duration_are_shown_for_every_runtime_function():
    # The migrate function runs only during a deploy; CloudFormation reports its failures in the stack events.
    runtime = {name for name, f in functions().items() if name != "MigrateFunction"}
    for metric in ("Errors", "Throttles", "Duration"):
        shown = {line[3] for line in dashboard_metrics() if line[:3] == ["AWS/Lambda", metric, "FunctionName"]}
        assert shown == runtime, metric


def test_queue_depth_and_age_are_shown_for_the_queue_and_the_dead_letter_queue():
    for metric in ("ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage"):
        shown = {line[3] for line in dashboard_metrics() if line[:2] == ["AWS/SQS", metric]}
        assert shown == {"JobsQueue.QueueName", "JobsDeadLetterQueue.QueueName"}, metric


def test_database_connections_and_cpu_are_shown():
    shown = {line[1] for line in dashboard_metrics() if line[0] == "AWS/RDS"}
    assert shown == {"DatabaseConnections", "CPUUtilization"}


def test_without_a_known_database_instance_the_dashboard_is_still_valid_json_without_rds_widgets():
    widgets = dashboard_body(with_database=False)["widgets"]
    assert widgets and not any("AWS/RDS" in json.dumps(w) for w in widgets)
