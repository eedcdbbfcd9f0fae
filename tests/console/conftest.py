"""Fixtures of the operator console's tests: tokens of each scope, the api function wired to a real loopback
gateway (GATEWAY=http), and requests with JSON bodies as API Gateway hands them to the function."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from chatbatch.domain.api_tokens import Scope
from chatbatch.services import api_tokens
from chatbatch_local.lambda_runtime import LambdaContext, http_api_event

from tests.support.worker import CONTACT, gateway_answer, http_peer, post_message


@pytest.fixture
def tokens(db, tenant) -> dict[str, str]:
    """A token of each scope for the test's tenant, named after its scope ("Ani (operate)", ...)."""
    return {
        scope.value: api_tokens.create_token(db, tenant, label=f"Ani ({scope.value})", scope=scope).token
        for scope in Scope
    }


@pytest.fixture
def gateway_server():
    with http_peer(gateway_answer) as peer:
        yield peer


@pytest.fixture
def api(api_function, gateway_server, monkeypatch, reset_settings):
    """The api function sending staff replies through a real HTTP gateway on loopback."""
    monkeypatch.setenv("GATEWAY", "http")
    monkeypatch.setenv("GATEWAY_URL", f"{gateway_server.url}/send/message")
    monkeypatch.setenv("GATEWAY_TOKEN", "gw-test-token")
    return api_function


def call(api_function, method: str, path: str, token: str | None, body: object = None, **query) -> tuple[int, dict]:
    headers = {"accept": "application/json", "content-type": "application/json"}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    raw = json.dumps(body).encode() if body is not None else b""
    event = http_api_event(method, path, urlencode(query), headers, raw)
    response = api_function.lambda_handler(event, LambdaContext(function_name="test"))
    return response["statusCode"], json.loads(response.get("body") or "null")


def room_of(pg, tenant: str, chat: str = CONTACT) -> int:
    with pg.cursor() as cur:
        cur.execute("SELECT id FROM chat_rooms WHERE chat_id = %s", (f"{tenant}_{chat}",))
        return cur.fetchone()[0]


@pytest.fixture
def room(api, pg, tenant) -> int:
    """A room of the test's tenant: a customer wrote once (through the real webhook)."""
    post_message(api, tenant, "Halo, masih buka?")
    return room_of(pg, tenant)
