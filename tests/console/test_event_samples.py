"""The events/ samples of the console routes (sam local invoke) work as they are, given a real token and ids."""

from __future__ import annotations

import json

import pytest
from chatbatch.services.reply import fail_job

from tests.console.conftest import room_of
from tests.support import load_event
from tests.support.history import call
from tests.support.worker import batch_pending, post_message


def with_ids(name: str, *, token: str, room_id: int, job_id: int) -> dict:
    event = load_event(name)
    event["headers"]["authorization"] = f"Bearer {token}"
    path = event["rawPath"].replace("/chat-rooms/1/", f"/chat-rooms/{room_id}/").replace("/jobs/1/", f"/jobs/{job_id}/")
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    if "pathParameters" in event:
        event["pathParameters"] = {"id": str(room_id if "chat-rooms" in path else job_id)}
    return event


def test_every_console_sample_answers_with_a_real_token(api, tokens, pg, db, database_url, tenant):
    post_message(api, tenant, "Halo")
    room_id = room_of(pg, tenant)
    job_id = batch_pending(database_url, tenant)
    fail_job(db, job_id, error="LLM down")
    answers = {}

    for name in [
        "console_get_settings.json",
        "console_patch_settings.json",
        "console_staff_reply.json",
        "console_pause_bot.json",
        "console_list_jobs.json",
        "console_retry_job.json",
    ]:
        status, body, _ = call(api, with_ids(name, token=tokens["admin"], room_id=room_id, job_id=job_id))
        answers[name] = body
        assert status == 200, (name, body)

    assert answers["console_patch_settings.json"]["time_zone"] == "Asia/Jakarta"
    assert answers["console_staff_reply.json"]["sender_type"] == "user"
    assert answers["console_pause_bot.json"]["bot_paused"] is True
    assert answers["console_retry_job.json"]["retry_of"] == job_id


@pytest.mark.parametrize("name", ["console_patch_settings.json", "console_staff_reply.json", "console_retry_job.json"])
def test_the_samples_as_shipped_are_refused_for_their_placeholder_token(api_function, name):
    status, body, _ = call(api_function, load_event(name))
    assert status == 401 and json.dumps(body)
