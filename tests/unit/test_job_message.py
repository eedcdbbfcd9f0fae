"""The SQS message contract between sweeper and worker (docs/contracts.md, "The job message")."""

import json
import re

from chatbatch.domain.job_message import JobMessage

SQS_ID = re.compile(r"^[A-Za-z0-9!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]{1,128}$")


def test_the_body_carries_the_job_id_and_its_chat():
    message = JobMessage(42, "sess-1", "6281234567890@s.whatsapp.net")

    assert json.loads(message.body()) == {
        "job_id": 42,
        "session_tok": "sess-1",
        "chat_jid": "6281234567890@s.whatsapp.net",
    }


def test_one_group_per_chat_within_sqs_limits_and_without_the_phone_number():
    a1 = JobMessage(1, "sess-1", "6281234567890@s.whatsapp.net")
    a2 = JobMessage(2, "sess-1", "6281234567890@s.whatsapp.net")
    other_chat = JobMessage(3, "sess-1", "6289999999999@s.whatsapp.net")
    other_tenant = JobMessage(4, "sess-2", "6281234567890@s.whatsapp.net")

    assert a1.group_id == a2.group_id
    assert len({a1.group_id, other_chat.group_id, other_tenant.group_id}) == 3
    assert SQS_ID.match(a1.group_id) and "6281234567890" not in a1.group_id


def test_deduplication_follows_the_job_and_its_send_generation():
    first = JobMessage(7, "s", "j")
    again = JobMessage(7, "s", "j")
    resend = JobMessage(7, "s", "j", generation=1)

    assert first.deduplication_id == again.deduplication_id == "job-7-0"
    assert resend.deduplication_id == "job-7-1"
    assert SQS_ID.match(resend.deduplication_id)
