"""Worker test helpers: bubbles through the real webhook, jobs through the store, SQS FIFO events from the
events/ sample, and small real HTTP peers (an OpenAI-compatible LLM, a WhatsApp gateway) on loopback."""

from __future__ import annotations

import copy
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler

from chatbatch.db import Database
from chatbatch.domain.debounce import Batch, Readiness
from chatbatch.domain.messages import WHATSAPP_MAX_TEXT_CHARS
from chatbatch.services.reply import ReplyPolicy
from chatbatch.store import ai_chat_messages, ai_jobs
from chatbatch_local import loopback

from tests.support import invoke, load_event, webhook_event

CONTACT = "6281234567890@s.whatsapp.net"
# The environment's defaults for use-case tests of the worker (a tenant's own settings override them).
POLICY = ReplyPolicy(
    system_prompt="s", history_limit=20, takeover_minutes=30, reply_groups=False, lease=timedelta(minutes=2)
)
BUSINESS = "6280000000000@s.whatsapp.net"
GROUP = "120363025246125486@g.us"


def post_message(
    api_function,
    tenant: str,
    body: str,
    *,
    chat: str = CONTACT,
    from_me: bool = False,
    message_id: str | None = None,
    **fields,
) -> str:
    """One message through the real webhook; its message id."""
    message_id = message_id or f"wamid-{uuid.uuid4().hex[:16]}"
    sender, recipient = (BUSINESS, chat) if from_me else (chat, BUSINESS)
    payload = {
        "session_token": tenant,
        "message_id": message_id,
        "from": sender,
        "to": recipient,
        "body": body,
        "push_name": "Budi",
        "from_me": from_me,
        **fields,
    }
    status, answer = invoke(api_function, webhook_event(payload))
    assert status == 200, answer
    return message_id


def batch_pending(database_url: str, tenant: str, chat: str = CONTACT) -> int:
    """What a sweep does for a ready chat, through the sweeper's store: its pending bubbles become one job."""

    def work(cur) -> int:
        _, [pending] = ai_chat_messages.pending_chats(cur, [(tenant, chat)])
        arrivals = [bubble.arrived_at for bubble in pending.bubbles]
        batch = Batch(
            tenant,
            chat,
            tuple(b.message_id for b in pending.bubbles),
            min(arrivals),
            max(arrivals),
            Readiness.QUIET,
        )
        [job] = ai_jobs.insert_batches(cur, [batch])
        return job.id

    db = Database(lambda: {"dsn": database_url})
    try:
        return db.transaction(work)
    finally:
        db.close()


def burst_job(api_function, database_url: str, tenant: str, texts: list[str], *, chat: str = CONTACT, **fields) -> int:
    for text in texts:
        post_message(api_function, tenant, text, chat=chat, **fields)
    return batch_pending(database_url, tenant, chat)


def sqs_event(*jobs: tuple[int, str], receive_count: int = 1) -> dict:
    """An SQS FIFO event (events/worker_sqs_fifo.json's shape), one record per (job id, message group)."""
    template = load_event("worker_sqs_fifo.json")["Records"][0]
    records = []
    for position, (job_id, group) in enumerate(jobs):
        record = copy.deepcopy(template)
        record["messageId"] = str(uuid.uuid4())
        record["body"] = json.dumps({"job_id": job_id, "session_tok": "t", "chat_jid": "c"})
        record["attributes"].update(
            ApproximateReceiveCount=str(receive_count),
            MessageGroupId=group,
            MessageDeduplicationId=f"job-{job_id}-0",
            SequenceNumber=str(18880150987912345600 + position),
        )
        records.append(record)
    return {"Records": records}


def job(pg, job_id: int) -> dict:
    with pg.cursor() as cur:
        cur.execute("SELECT * FROM ai_jobs WHERE id = %s", (job_id,))
        names = [d[0] for d in cur.description]
        return dict(zip(names, cur.fetchone()))


def history(pg, tenant: str, chat: str = CONTACT) -> list[tuple[str, str, str]]:
    """(sender_type, message_id, content) of the chat's history, oldest first."""
    with pg.cursor() as cur:
        cur.execute(
            "SELECT sender_type, message_id, content FROM chat_messages WHERE chat_id = %s ORDER BY id",
            (f"{tenant}_{chat}",),
        )
        return cur.fetchall()


def room(pg, tenant: str, chat: str = CONTACT) -> dict:
    with pg.cursor() as cur:
        cur.execute("SELECT * FROM chat_rooms WHERE chat_id = %s", (f"{tenant}_{chat}",))
        names = [d[0] for d in cur.description]
        return dict(zip(names, cur.fetchone()))


def set_human_active(pg, tenant: str, *, minutes_ago: float, chat: str = CONTACT) -> None:
    """Move the takeover clock instead of waiting for it."""
    with pg.cursor() as cur:
        cur.execute(
            "UPDATE chat_rooms SET human_active_at = now() - %s * interval '1 minute' WHERE chat_id = %s",
            (minutes_ago, f"{tenant}_{chat}"),
        )


# ---------------------------------------------------------------------------------------------------------------
# Real HTTP peers on loopback. Each answers from a script of statuses (then 200 forever) and records requests.


@dataclass
class Peer:
    url: str
    requests: list[dict] = field(default_factory=list)  # {"path", "headers", "json"}
    script: list[int] = field(default_factory=list)  # statuses to answer first, in order
    before_answer: Callable[[], object] | None = None  # something that happens while the peer "thinks"
    failed: set = field(default_factory=set)  # what prompt_echo_answer refused once

    def next_status(self) -> int:
        return self.script.pop(0) if self.script else 200


@contextmanager
def http_peer(answer) -> Iterator[Peer]:
    """``answer(peer, request_json) -> dict`` builds a 200 body (or ``(status, body)`` to choose the status);
    scripted non-200 statuses answer an error."""
    peer = Peer(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            data = self.rfile.read(int(self.headers.get("content-length") or 0))
            with lock:
                document = json.loads(data)
                peer.requests.append({"path": self.path, "headers": dict(self.headers.items()), "json": document})
                status = peer.next_status()
                if peer.before_answer is not None:
                    peer.before_answer()
                body = answer(peer, document) if status == 200 else {"error": {"message": f"scripted {status}"}}
                if isinstance(body, tuple):
                    status, body = body
            loopback.answer(self, status, body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = loopback.serve_in_background(Handler)
    peer.url = loopback.url_of(server)
    try:
        yield peer
    finally:
        server.shutdown()
        server.server_close()


def openai_answer(peer: Peer, request: dict) -> dict:
    """An OpenAI chat-completions answer that quotes the newest user turn (so tests can see what was asked)."""
    newest = request["messages"][-1]["content"]
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": request["model"],
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": f"Jawaban untuk: {newest}"},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 42, "completion_tokens": 7, "total_tokens": 49},
    }


def prompt_echo_answer(peer: Peer, request: dict) -> dict | tuple[int, dict]:
    """An OpenAI-compatible LLM that answers with its system prompt and the newest user turn, so a test sees which
    tenant's prompt a reply was made with. A turn containing ``#fail-once`` is refused (400, not retryable) the
    first time that exact turn is asked: a job that fails once, then succeeds when retried."""
    newest = request["messages"][-1]["content"]
    if "#fail-once" in newest and newest not in peer.failed:
        peer.failed.add(newest)
        return 400, {"error": {"message": "scripted failure"}}
    return openai_answer(peer, request) | {
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": f"[{request['messages'][0]['content']}] {newest}"}}
        ]
    }


def gateway_answer(peer: Peer, request: dict) -> dict:
    return {"code": "SUCCESS", "results": {"status": "sent"}, "message_id": f"3EB0{len(peer.requests):06d}"}


# ---------------------------------------------------------------------------------------------------------------
# Fakes of the ports, for use-case tests that need no HTTP.


class FakeLlm:
    provider = "fake"
    model = "fake-1"

    def __init__(self, during_call: Callable[[], object] | None = None) -> None:
        self.prompts: list = []
        self.models: list = []
        self._during_call = during_call

    def complete(self, prompt, *, model=None):
        from chatbatch.adapters.llm import Completion

        self.prompts.append(prompt)
        self.models.append(model)
        if self._during_call is not None:
            self._during_call()
        return Completion(f"re: {prompt.newest_user_turn}", 10, 3, 5, self.provider, model or self.model)


class FakeGateway:
    name = "fake"
    max_text_chars = WHATSAPP_MAX_TEXT_CHARS

    def __init__(self) -> None:
        self.sent: list[dict] = []

    def send(self, *, tenant: str, to: str, text: str, reference: str | None = None):
        from chatbatch.adapters.gateway import SentMessage

        self.sent.append({"session_token": tenant, "to": to, "text": text})
        return SentMessage(message_id=None)

    def mark_read_and_type(self, *, tenant: str, chat: str, message_ids) -> None:
        return None

    def stop_typing(self, *, tenant: str, chat: str) -> None:
        return None
