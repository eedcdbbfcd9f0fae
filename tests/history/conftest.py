"""Fixtures of the chat-history API tests: a tenant with a token, rooms and messages seeded by SQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from chatbatch.services import api_tokens

from tests.support.history import HistorySeed


@pytest.fixture
def token(db, tenant) -> str:
    """A valid API token of the test's tenant."""
    return api_tokens.create_token(db, tenant, label="tests").token


@pytest.fixture
def seed(pg, tenant) -> HistorySeed:
    return HistorySeed(pg, tenant)


@pytest.fixture
def other_tenant(pg, db) -> tuple[HistorySeed, str]:
    """Another tenant with one room (and a message) and its own token: what the test's tenant must never see."""
    import uuid

    other = HistorySeed(pg, f"sess-other-{uuid.uuid4().hex[:10]}")
    room_id = other.room("6289999999999@s.whatsapp.net", at="2026-11-26T12:00:00Z", unread=4)
    other.message(room_id, "secret-1", at="2026-11-26T12:00:00Z", content="another tenant's secret")
    return other, api_tokens.create_token(db, other.tenant).token


@pytest.fixture
def http_base_url(api_function) -> Iterator[str]:
    """The api function behind the local HTTP server (the one `make dev` runs), on a free port."""
    from chatbatch_local.http_server import make_server

    server = make_server(api_function.lambda_handler, port=0, function_name="api")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(5)
