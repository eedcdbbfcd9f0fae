"""Real loopback gateways for tests: chatbatch_local.fake_gateway (WAHA, Evolution, Meta, GOWA as each documents
its send API) started per test, echoing what it sends through the api function in-process."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from chatbatch_local.fake_gateway import (
    DEV_GATEWAY_TOKEN,
    DEV_GOWA_TOKEN,
    META_VERSION,
    FakeGateway,
    SentText,
    flat_echo,
    serve,
)

from tests.support import invoke, webhook_event

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


class EchoThroughApi:
    """Delivers a fake gateway's echo to the api function in-process, through the flat webhook (``from_me``) — the
    route every stack has. Meta sends no echo of the business's messages: nothing is delivered for it."""

    def __init__(self, api_function) -> None:
        self.api_function = api_function
        self.delivered: list[SentText] = []

    def __call__(self, sent: SentText) -> None:
        if sent.kind == "meta":
            return
        status, answer = invoke(self.api_function, webhook_event(flat_echo(sent)))
        assert status == 200, answer
        self.delivered.append(sent)
