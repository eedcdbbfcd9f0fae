"""Real loopback gateways for tests: chatbatch_local.fake_gateway (WAHA, Evolution, Meta, GOWA as each documents
its send API) started per test, reporting what it sends through the api function in-process, on the gateway's own
webhook route, signed as the gateway signs — and each gateway's real receipt (tests/fixtures) of a sent message."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from chatbatch_local.fake_gateway import (
    DEV_GATEWAY_TOKEN,
    DEV_GOWA_TOKEN,
    META_VERSION,
    FakeGateway,
    SentText,
    serve,
    webhook_payload,
)

from tests.support import invoke
from tests.support.gateways import as_tenant, fixture, gateway_request, sample_payload

TOKENS = {"waha": DEV_GATEWAY_TOKEN, "evolution": DEV_GATEWAY_TOKEN, "meta": DEV_GATEWAY_TOKEN, "gowa": DEV_GOWA_TOKEN}


def gateway_url(fake: FakeGateway) -> str:
    """GATEWAY_URL for the fake: Meta's includes the Graph API version."""
    return f"{fake.url}/{META_VERSION}" if fake.kind == "meta" else fake.url


@contextmanager
def fake_gateway(kind: str, **options) -> Iterator[FakeGateway]:
    fake = FakeGateway(kind=kind, token=TOKENS[kind], **options)
    server = serve(fake)
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def customer_message(kind: str, tenant: str, text: str) -> dict:
    """A customer's new text message (a fresh id, sent now) as ``kind``'s webhook posts it, from its events/ sample:
    WAHA names the chat ``6281234567890@c.us``, the others ``6281234567890@s.whatsapp.net`` (Meta: the number)."""
    key = "3EB0" + uuid.uuid4().hex[:16].upper()
    now = datetime.now(UTC)
    _, payload = sample_payload(f"webhook_{kind}_{'message' if kind == 'waha' else 'text'}.json")
    if kind == "waha":
        payload["payload"].update(id=f"false_6281234567890@c.us_{key}", body=text, timestamp=int(now.timestamp()))
    elif kind == "evolution":
        payload["data"]["key"]["id"] = key
        payload["data"].update(message={"conversation": text}, messageTimestamp=int(now.timestamp()))
    elif kind == "meta":
        [message] = payload["entry"][0]["changes"][0]["value"]["messages"]
        message.update(id=f"wamid.{key}", text={"body": text}, timestamp=str(int(now.timestamp())))
    else:
        payload["payload"].update(id=key, body=text, timestamp=now.strftime("%Y-%m-%dT%H:%M:%SZ"))
    return as_tenant(payload, tenant)


def read_receipt(sent: SentText) -> dict:
    """The gateway's real "read" receipt (its published payload) of a message it sent, as its webhook posts it."""
    if sent.kind == "waha":
        payload = fixture("waha/message_ack_read.json")
        payload["payload"].update(id=sent.message_id, **{"from": sent.chat})
    elif sent.kind == "evolution":
        _, payload = sample_payload("webhook_evolution_update.json")
        payload["data"].update(keyId=sent.message_id, status="READ")
    elif sent.kind == "meta":
        payload = fixture("meta-cloud-api/pywa_message_status__read.json")
        payload["entry"][0]["changes"][0]["value"]["statuses"][0]["id"] = sent.message_id
    else:
        payload = fixture("go-whatsapp-web-multidevice/message_ack_read_group.json")
        payload["payload"].update(ids=[sent.message_id], chat_id=sent.chat)
    return as_tenant(payload, sent.session)


class EchoThroughApi:
    """Delivers what a fake gateway reports about a message it sent to the api function in-process, on the
    gateway's own route and signed as it signs: its echo (WAHA ``message.any``, Evolution ``send.message``, GOWA's
    own ``message``) or, from the Cloud API, which echoes nothing, the ``sent`` status carrying our reference; then
    whatever ``then`` adds (a receipt, say) — all before the gateway answers the send, as real gateways can."""

    def __init__(self, api_function, *, then: Callable[[SentText], list[dict]] = lambda sent: []) -> None:
        self.api_function = api_function
        self.then = then
        self.delivered: list[SentText] = []
        self.answers: list[dict] = []

    def __call__(self, sent: SentText) -> None:
        for payload in (webhook_payload(sent), *self.then(sent)):
            status, answer = invoke(self.api_function, gateway_request(sent.kind, payload))
            assert status == 200, answer
            self.answers.append(answer)
        self.delivered.append(sent)
