"""template.yaml's sweeper and queues agree with the code and with each other."""

from __future__ import annotations

import pytest
from chatbatch.settings import SweeperSettings

from tests.deploy import template

SCHEDULE_PERIOD_SECONDS = 60  # rate(1 minute)


@pytest.fixture(scope="module")
def resources() -> dict:
    return template.resources()


def test_the_job_queue_is_fifo_with_a_fifo_dead_letter_queue(resources):
    queue, dlq = resources["JobsQueue"]["Properties"], resources["JobsDeadLetterQueue"]["Properties"]

    assert queue["FifoQueue"] is True and dlq["FifoQueue"] is True
    assert queue["ContentBasedDeduplication"] is False  # the sweeper sets MessageDeduplicationId per job
    assert queue["RedrivePolicy"]["maxReceiveCount"] >= 1
    assert queue["VisibilityTimeout"] >= 6 * resources["WorkerFunction"]["Properties"]["Timeout"]


def test_the_sweeper_covers_every_minute_and_resends_only_after_sqs_gave_up(resources):
    sweeper = resources["SweeperFunction"]["Properties"]
    env = sweeper["Environment"]["Variables"]
    queue = resources["JobsQueue"]["Properties"]

    assert sweeper["Events"]["EveryMinute"]["Properties"]["Schedule"] == "rate(1 minute)"
    # the loop ends SWEEP_SAFETY_MARGIN_SECONDS before the timeout: it must still reach the next invocation
    assert sweeper["Timeout"] - float(env["SWEEP_SAFETY_MARGIN_SECONDS"]) > SCHEDULE_PERIOD_SECONDS
    assert float(env["JOB_STUCK_AFTER_SECONDS"]) > (
        queue["VisibilityTimeout"] * queue["RedrivePolicy"]["maxReceiveCount"]
    )
    # a job is failed as lost only when the queue can hold no message of it any more
    assert float(env["JOB_LOST_AFTER_SECONDS"]) == queue["MessageRetentionPeriod"]
    # its own role (template.yaml: one least-privilege role per function) may send to the jobs queue
    assert sweeper["Role"] == {"Fn::GetAtt": ["SweeperFunctionRole", "Arn"]}
    statements = resources["SweeperFunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    [send] = [s for s in statements if "sqs:SendMessage" in s["Action"]]
    assert send["Resource"] == {"Fn::GetAtt": ["JobsQueue", "Arn"]}


def test_every_sweeper_variable_is_a_setting_and_their_values_validate(resources, monkeypatch):
    env = resources["SweeperFunction"]["Properties"]["Environment"]["Variables"]
    fields = {name.upper() for name in SweeperSettings.model_fields} | {"AWS_REGION"}
    ours = {k: v for k, v in env.items() if not k.startswith("POWERTOOLS_")}

    assert set(ours) <= fields
    literal = {k: v for k, v in ours.items() if isinstance(v, str)}
    settings = SweeperSettings(**{k.lower(): v for k, v in literal.items()})
    assert settings.sweep_interval_seconds == 1
