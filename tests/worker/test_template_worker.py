"""template.yaml's worker and the code cannot drift: its variables are WorkerSettings fields, its max receives
match the queue's redrive policy (and the local queue's), and Bedrock access is scoped to the model."""

from __future__ import annotations

from pathlib import Path

import yaml
from chatbatch.settings import WorkerSettings
from chatbatch_local.sqs import MAX_RECEIVE_COUNT

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation short-form tags (!Ref, !Sub, !If, ...) as plain values."""


def _any_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node):
    if isinstance(node, yaml.ScalarNode):
        return {suffix: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {suffix: loader.construct_sequence(node, deep=True)}
    return {suffix: loader.construct_mapping(node, deep=True)}


_CfnLoader.add_multi_constructor("!", _any_tag)


def resources() -> dict:
    return yaml.load(TEMPLATE.read_text(), Loader=_CfnLoader)["Resources"]


def test_every_worker_variable_is_a_worker_setting():
    variables = resources()["WorkerFunction"]["Properties"]["Environment"]["Variables"]
    fields = {name.upper() for name in WorkerSettings.model_fields}

    assert {v for v in variables if not v.startswith("POWERTOOLS_")} <= fields


def test_the_worker_gives_up_exactly_when_the_queue_dead_letters():
    variables = resources()["WorkerFunction"]["Properties"]["Environment"]["Variables"]
    redrive = resources()["JobsQueue"]["Properties"]["RedrivePolicy"]

    assert int(variables["WORKER_MAX_RECEIVES"]) == redrive["maxReceiveCount"] == MAX_RECEIVE_COUNT


def test_bedrock_invoke_is_scoped_to_the_configured_model():
    # template.yaml gives each function its own role; the Bedrock statement exists only when LlmProvider=bedrock.
    role = resources()["WorkerFunctionRole"]["Properties"]["Policies"]
    statements = [s["If"][1] if "If" in s else s for policy in role for s in policy["PolicyDocument"]["Statement"]]
    [bedrock] = [s for s in statements if s.get("Action") == ["bedrock:InvokeModel"]]

    assert bedrock["Resource"] != "*"
    assert all("${LlmModel}" in resource["Sub"] for resource in bedrock["Resource"])
